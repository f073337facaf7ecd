import { createCipheriv, createHash } from 'node:crypto';
import { DEMO_DESIGN } from '../demo/design';
import { clutterLook, LOOKS, type Look, render, type Rng } from '../demo/looks';
import { seededRng } from '../demo/random';
import { IMAGE_BYTES } from '../formats/tinyimages';
import { SCALE_DESIGN } from './design';

/**
 * What a class keyword's pictures look like: the demo's look of that name when
 * there is one, otherwise one of the class's six demo looks (fixed by the name)
 * in the keyword's own body and accent colours.
 */
export function keywordLook(keyword: string, classIndex: number): Look {
  if (keyword in LOOKS) return LOOKS[keyword as keyof typeof LOOKS];
  const h = createHash('sha256').update(keyword).digest();
  const keywords = DEMO_DESIGN.keywords[DEMO_DESIGN.classes[classIndex]];
  const base = LOOKS[keywords[h[0] % keywords.length]];
  // Colours kept in 40..215, as render's own folding does, so texture and grain stay visible.
  const colour = (at: number) => [40 + (h[at] % 176), 40 + (h[at + 1] % 176), 40 + (h[at + 2] % 176)] as const;
  return { ...base, body: colour(1), accent: colour(4) };
}

/**
 * The pictures of a corpus: each look is rendered a few times (prototypes:
 * the demo's renderer, slow but varied), and every image is a variant of one
 * prototype (shifted, maybe mirrored, colours moved) with the design's grain.
 * Rendering each image would take most of a full-size run.
 */
export class Pictures {
  private readonly prototypes = new Map<string, Uint8Array>();

  constructor(private readonly seed: number) {}

  /** A picture of a class keyword's look; `prototypes` (at most SCALE_DESIGN.prototypes) must be the same for every image of the keyword. */
  ofKeyword(keyword: string, classIndex: number, prototypes: number, rng: Rng): Uint8Array {
    const key = `keyword/${keyword}`;
    return variant(this.pick(key, prototypes, () => keywordLook(keyword, classIndex), rng), rng);
  }

  /** A picture of something else than class `c`: another class's look (half the time, which class is returned) or none. */
  offTopic(c: number, rng: Rng): { image: Uint8Array; shows: number } {
    const n = SCALE_DESIGN.prototypes;
    if (rng() < 0.5) {
      // Nothing in particular: clutter, or a scene of the demo's filler keywords.
      const scenes = DEMO_DESIGN.fillerKeywords;
      const pick = Math.floor(rng() * (scenes.length + 1));
      if (pick === scenes.length) return { image: variant(this.pick('clutter', n * 4, (r) => clutterLook(r), rng), rng), shows: -1 };
      return { image: variant(this.pick(`look/${scenes[pick]}`, n, () => LOOKS[scenes[pick]], rng), rng), shows: -1 };
    }
    const other = (c + 1 + Math.floor(rng() * 9)) % 10;
    const keywords = DEMO_DESIGN.keywords[DEMO_DESIGN.classes[other]];
    const name = keywords[Math.floor(rng() * keywords.length)];
    return { image: variant(this.pick(`look/${name}`, n, () => LOOKS[name], rng), rng), shows: other };
  }

  /** Frees a class keyword's prototypes (they are made again if asked for). */
  forget(keyword: string): void {
    this.prototypes.delete(`keyword/${keyword}`);
  }

  /** One of `count` prototypes of `key` (rendered on first use, seeded by the corpus seed and `key`). */
  private pick(key: string, count: number, look: (rng: Rng) => Look, rng: Rng): Uint8Array {
    let all = this.prototypes.get(key);
    if (!all) {
      const own = seededRng(`${this.seed}/prototypes/${key}`);
      all = new Uint8Array(count * IMAGE_BYTES);
      for (let i = 0; i < count; i++) all.set(render(look(own), own), i * IMAGE_BYTES);
      this.prototypes.set(key, all);
    }
    const i = Math.floor(rng() * (all.length / IMAGE_BYTES));
    return all.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
  }
}

/**
 * A variant of a prototype (HWC): shifted by up to `shift` pixels (edges
 * repeated), mirrored half the time, each channel's gain and the brightness
 * moved, then squeezed into grain..255-grain and moved by independent uniform
 * noise in [-grain, grain] per byte, so distinct images are never near-duplicates.
 */
export function variant(prototype: Uint8Array, rng: Rng): Uint8Array {
  const { grain: g, shift } = SCALE_DESIGN;
  const [dx, dy] = [Math.round(rng.jitter(shift)), Math.round(rng.jitter(shift))];
  const flip = rng() < 0.5;
  const light = rng.jitter(20);
  const gains = [0, 1, 2].map(() => (0.85 + 0.3 * rng()) * ((255 - 2 * g) / 255));
  const span = 2 * g + 1;
  const top = 255 - 2 * g;
  // xorshift32 seeded from `rng`: one seedrandom call per byte would cost more than the rest.
  let state = Math.floor(rng() * 0xffffffff) | 1;
  const out = new Uint8Array(IMAGE_BYTES);
  for (let r = 0; r < 32; r++) {
    const sr = Math.min(31, Math.max(0, r + dy));
    for (let c = 0; c < 32; c++) {
      const sc = Math.min(31, Math.max(0, (flip ? 31 - c : c) + dx));
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      for (let ch = 0, bits = state; ch < 3; ch++, bits >>>= 8) {
        const v = Math.min(top, Math.max(0, (prototype[(sr * 32 + sc) * 3 + ch] + light) * gains[ch]));
        out[(r * 32 + c) * 3 + ch] = g + ((v + 0.5) | 0) + ((((bits & 0xff) * span) >> 8) - g);
      }
    }
  }
  return out;
}

/**
 * Filler images: uniformly random bytes from AES-128-CTR (fast, native, the
 * same on every platform), keyed by the seed, the counter at the image's
 * TinyImages index, so any range can be made on its own.
 */
export class FillerImages {
  private readonly key: Buffer;
  private zeros = new Uint8Array(0);

  constructor(seed: number) {
    this.key = createHash('sha256').update(`scale-corpus/filler/${seed}`).digest().subarray(0, 16);
  }

  /** Images [start, start + count) as a fresh buffer (their layout does not matter: every byte is random). */
  images(start: number, count: number): Uint8Array {
    const bytes = count * IMAGE_BYTES;
    if (this.zeros.length < bytes) this.zeros = new Uint8Array(bytes);
    const iv = Buffer.alloc(16);
    const block = BigInt(start) * BigInt(IMAGE_BYTES / 16);
    iv.writeBigUInt64BE(block >> 64n, 0);
    iv.writeBigUInt64BE(block & 0xffffffffffffffffn, 8);
    return createCipheriv('aes-128-ctr', this.key, iv).update(this.zeros.subarray(0, bytes));
  }
}

import { createCipheriv, createHash } from 'node:crypto';
import { DEMO_DESIGN } from '../demo/design';
import { LOOKS, type Look, render, type Rng } from '../demo/looks';
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
 * A picture of `look` (32×32 HWC) with the design's grain: rendered, squeezed
 * into grain..255-grain and moved by independent uniform noise in
 * [-grain, grain] per byte, so distinct pictures are never near-duplicates.
 */
export function grainyPicture(look: Look, rng: Rng): Uint8Array {
  const image = render(look, rng);
  const g = SCALE_DESIGN.grain;
  const span = 2 * g + 1;
  // xorshift32 seeded from `rng`: one seedrandom call per byte would cost more than the rendering.
  let state = Math.floor(rng() * 0xffffffff) | 1;
  for (let i = 0; i < IMAGE_BYTES; i += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    for (let k = 0, bits = state; k < 4; k++, bits >>>= 8) {
      const noise = (((bits & 0xff) * span) >> 8) - g;
      image[i + k] = g + (((image[i + k] * (255 - 2 * g)) / 255 + 0.5) | 0) + noise;
    }
  }
  return image;
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

/**
 * Exact near-duplicate search between uint8 images by squared L2.
 *
 * Squared L2 ≤ S between integer vectors means at most S values differ, so
 * split each image into S + 1 parts: any match agrees exactly on at least one
 * part (pigeonhole). The index maps a 64-bit hash of each reference part to
 * the references with that part; a candidate looks up each of its parts and
 * every hit is verified by its exact distance. For the default S = 1 the parts
 * are the two halves of the image.
 */
import { check } from './errors';

export interface DuplicateMatch {
  reference: number;
  candidate: number;
  squaredDistance: number;
}

/** Largest maxSquared accepted: every part keeps at least a few words to hash. */
export const MAX_SQUARED = 255;

/** Hash constants (FNV prime; golden-ratio and murmur seeds). */
const PRIME = 0x01000193;
const SEEDS = [0x9e3779b9 | 0, 0x85ebca6b | 0, 0xc2b2ae35 | 0, 0x27d4eb2f | 0];

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * 64-bit hash of words [start, end) as two int32 written to out[o], out[o+1].
 * Four interleaved lanes keep the multiplier's latency off the critical path.
 */
function hashWords(w: Int32Array, start: number, end: number, out: Int32Array, o: number): void {
  let a = SEEDS[0];
  let b = SEEDS[1];
  let c = SEEDS[2];
  let d = SEEDS[3];
  let i = start;
  for (; i + 3 < end; i += 4) {
    a = Math.imul(a ^ w[i], PRIME);
    a ^= a >>> 13;
    b = Math.imul(b ^ w[i + 1], PRIME);
    b ^= b >>> 13;
    c = Math.imul(c ^ w[i + 2], PRIME);
    c ^= c >>> 13;
    d = Math.imul(d ^ w[i + 3], PRIME);
    d ^= d >>> 13;
  }
  for (; i < end; i++) {
    a = Math.imul(a ^ w[i], PRIME);
    a ^= a >>> 13;
  }
  out[o] = fmix((a ^ Math.imul(b, 0x2545f491)) + end - start);
  out[o + 1] = fmix(c ^ Math.imul(d, 0x6c8e9cf5) ^ a);
}

/** Hash table from part hash to the references having that part (chained through `next`). */
class PartTable {
  readonly keys: Int32Array;
  readonly head: Int32Array;
  readonly next: Int32Array;
  readonly mask: number;

  constructor(
    refWords: Int32Array,
    count: number,
    wordsPerImage: number,
    readonly start: number,
    readonly end: number,
  ) {
    let size = 16;
    while (size < 2 * count) size *= 2;
    this.mask = size - 1;
    this.keys = new Int32Array(2 * size);
    this.head = new Int32Array(size).fill(-1);
    this.next = new Int32Array(count).fill(-1);
    const key = new Int32Array(2);
    // Insert in reverse so each chain lists references in increasing order.
    for (let r = count - 1; r >= 0; r--) {
      hashWords(refWords, r * wordsPerImage + start, r * wordsPerImage + end, key, 0);
      const slot = this.find(key[0], key[1]);
      if (this.head[slot] < 0) {
        this.keys[2 * slot] = key[0];
        this.keys[2 * slot + 1] = key[1];
      }
      this.next[r] = this.head[slot];
      this.head[slot] = r;
    }
  }

  /** The slot holding this key, or the empty slot where it would go (linear probing). */
  find(k0: number, k1: number): number {
    let slot = k0 & this.mask;
    while (this.head[slot] >= 0 && (this.keys[2 * slot] !== k0 || this.keys[2 * slot + 1] !== k1)) slot = (slot + 1) & this.mask;
    return slot;
  }
}

export class DuplicateIndex {
  readonly count: number;
  private readonly words: Int32Array;
  private readonly wordsPerImage: number;
  private readonly tables = new Map<number, PartTable[]>();
  private scratch = new Int32Array(0);
  private readonly key = new Int32Array(2);
  /** visited[r] === stamp: reference r was already verified against the current candidate. */
  private readonly visited: Int32Array;
  private stamp = 0;

  /** Indexes `references` (n × dimension, dimension a multiple of 4; default 3072). */
  constructor(references: Uint8Array, readonly dimension = 3072) {
    check(dimension > 0 && dimension % 4 === 0, 'dimension', `must be a positive multiple of 4, got ${dimension}`);
    check(references.length % dimension === 0, 'references', `length ${references.length} is not a multiple of ${dimension}`);
    this.count = references.length / dimension;
    this.wordsPerImage = dimension / 4;
    this.visited = new Int32Array(this.count);
    this.words = new Int32Array(references.length / 4);
    new Uint8Array(this.words.buffer).set(references);
    this.partTables(2);
  }

  /** The tables for `parts` parts, built on first use. */
  private partTables(parts: number): PartTable[] {
    let tables = this.tables.get(parts);
    if (!tables) {
      const w = this.wordsPerImage;
      tables = Array.from({ length: parts }, (_, p) => new PartTable(this.words, this.count, w, Math.floor((p * w) / parts), Math.floor(((p + 1) * w) / parts)));
      this.tables.set(parts, tables);
    }
    return tables;
  }

  /** `bytes` as int32 words: a view when aligned, else a copy into reused scratch memory. */
  private wordsOf(bytes: Uint8Array): Int32Array {
    if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    if (this.scratch.length < bytes.length / 4) this.scratch = new Int32Array(bytes.length / 4);
    new Uint8Array(this.scratch.buffer, 0, bytes.length).set(bytes);
    return this.scratch.subarray(0, bytes.length / 4);
  }

  /**
   * Exact matches (squared L2 ≤ maxSquared, default 1) of `images`
   * (count × dimension) against the references, candidates numbered from
   * `baseIndex`; ordered by candidate, then reference.
   */
  findMatches(images: Uint8Array, baseIndex: number, maxSquared = 1): DuplicateMatch[] {
    check(Number.isInteger(maxSquared) && maxSquared >= 0 && maxSquared <= MAX_SQUARED, 'maxSquared', `must be an integer in [0, ${MAX_SQUARED}], got ${maxSquared}`);
    check(images.length % this.dimension === 0, 'images', `length ${images.length} is not a multiple of ${this.dimension}`);
    const tables = this.partTables(Math.min(maxSquared + 1, this.wordsPerImage));
    const words = this.wordsOf(images);
    const count = images.length / this.dimension;
    const wpi = this.wordsPerImage;
    const key = this.key;
    const matches: DuplicateMatch[] = [];
    for (let c = 0; c < count; c++) {
      const base = c * wpi;
      const stamp = this.nextStamp();
      const first = matches.length;
      for (const table of tables) {
        hashWords(words, base + table.start, base + table.end, key, 0);
        const slot = table.find(key[0], key[1]);
        for (let r = table.head[slot]; r >= 0; r = table.next[r]) {
          if (this.visited[r] === stamp) continue;
          this.visited[r] = stamp;
          const d = this.distance(words, base, r, maxSquared);
          if (d <= maxSquared) matches.push({ reference: r, candidate: baseIndex + c, squaredDistance: d });
        }
      }
      if (matches.length - first > 1) {
        const mine = matches.splice(first).sort((x, y) => x.reference - y.reference);
        matches.push(...mine);
      }
    }
    return matches;
  }

  private nextStamp(): number {
    if (this.stamp === 0x7fffffff) {
      this.visited.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }

  /** Squared distance between candidate words at `base` and reference r; stops early past `limit`. */
  private distance(words: Int32Array, base: number, r: number, limit: number): number {
    const refs = this.words;
    const wpi = this.wordsPerImage;
    const rb = r * wpi;
    let s = 0;
    for (let i = 0; i < wpi; i++) {
      const x = words[base + i];
      const y = refs[rb + i];
      if (x === y) continue;
      for (let shift = 0; shift < 32; shift += 8) {
        const d = ((x >>> shift) & 0xff) - ((y >>> shift) & 0xff);
        s += d * d;
      }
      if (s > limit) return s;
    }
    return s;
  }
}

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
import { open, type FileHandle } from 'node:fs/promises';
import { check } from './errors';
import { reserve, wasmInstances, type WasmMemory } from './wasm';

export interface DuplicateMatch {
  reference: number;
  candidate: number;
  squaredDistance: number;
}

/** Largest maxSquared accepted: every part keeps at least a few words to hash. */
export const MAX_SQUARED = 255;

/**
 * The part hash, in WebAssembly SIMD (about 3× the speed of the same hash in
 * JavaScript). `HASH_WASM` is `HASH_WAT` assembled by wabt; a test checks
 * they agree, and `npx tsx bench/build-wasm.ts` rewrites the base64 after an
 * edit of the source.
 */
export const HASH_WAT = `
(module
  (memory (export "memory") 1)
  ;; murmur3 finalizer
  (func $fmix (param $h i32) (result i32)
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
    (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
    (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
    (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
  ;; 64-bit hash of $n words at byte address $p, stored as two i32 at $out.
  ;; Four i32x4 accumulators, each word: a = (a ^ w) * PRIME; a ^= a >>> 13.
  (func $hash (param $p i32) (param $n i32) (param $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $k v128)
    (local $end i32) (local $s i32) (local $h0 i32)
    (local.set $k (v128.const i32x4 0x01000193 0x01000193 0x01000193 0x01000193))
    (local.set $a0 (v128.const i32x4 0x9e3779b9 0x85ebca6b 0xc2b2ae35 0x27d4eb2f))
    (local.set $a1 (v128.const i32x4 0x165667b1 0xd3a2646c 0xfd7046c5 0xb55a4f09))
    (local.set $a2 (v128.const i32x4 0x7ed55d16 0xc761c23c 0x165667b1 0xd3a2646c))
    (local.set $a3 (v128.const i32x4 0xfd7046c5 0xb55a4f09 0x9e3779b9 0x7ed55d16))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done64
      (loop $l64
        (br_if $done64 (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
        (local.set $a0 (i32x4.mul (v128.xor (local.get $a0) (v128.load offset=0 align=4 (local.get $p))) (local.get $k)))
        (local.set $a1 (i32x4.mul (v128.xor (local.get $a1) (v128.load offset=16 align=4 (local.get $p))) (local.get $k)))
        (local.set $a2 (i32x4.mul (v128.xor (local.get $a2) (v128.load offset=32 align=4 (local.get $p))) (local.get $k)))
        (local.set $a3 (i32x4.mul (v128.xor (local.get $a3) (v128.load offset=48 align=4 (local.get $p))) (local.get $k)))
        (local.set $a0 (v128.xor (local.get $a0) (i32x4.shr_u (local.get $a0) (i32.const 13))))
        (local.set $a1 (v128.xor (local.get $a1) (i32x4.shr_u (local.get $a1) (i32.const 13))))
        (local.set $a2 (v128.xor (local.get $a2) (i32x4.shr_u (local.get $a2) (i32.const 13))))
        (local.set $a3 (v128.xor (local.get $a3) (i32x4.shr_u (local.get $a3) (i32.const 13))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $l64)))
    (block $done16
      (loop $l16
        (br_if $done16 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $a0 (i32x4.mul (v128.xor (local.get $a0) (v128.load align=4 (local.get $p))) (local.get $k)))
        (local.set $a0 (v128.xor (local.get $a0) (i32x4.shr_u (local.get $a0) (i32.const 13))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $l16)))
    (local.set $s (i32.const 0x3c6ef372))
    (block $done4
      (loop $l4
        (br_if $done4 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (i32.mul (i32.xor (local.get $s) (i32.load (local.get $p))) (i32.const 0x01000193)))
        (local.set $s (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 13))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $l4)))
    (local.set $a0 (v128.xor (local.get $a0) (i32x4.mul (local.get $a1) (v128.const i32x4 0x2545f491 0x6c8e9cf5 0x9e3779b1 0x7feb352d))))
    (local.set $a2 (v128.xor (local.get $a2) (i32x4.mul (local.get $a3) (v128.const i32x4 0x846ca68b 0x2545f491 0x6c8e9cf5 0x9e3779b1))))
    (local.set $h0 (call $fmix (i32.add
      (i32.add
        (i32.xor (i32x4.extract_lane 0 (local.get $a0)) (i32.mul (i32x4.extract_lane 1 (local.get $a0)) (i32.const 0x2545f491)))
        (i32.xor (i32x4.extract_lane 2 (local.get $a0)) (i32.mul (i32x4.extract_lane 3 (local.get $a0)) (i32.const 0x6c8e9cf5))))
      (i32.add (local.get $s) (local.get $n)))))
    (i32.store (local.get $out) (local.get $h0))
    (i32.store offset=4 (local.get $out) (call $fmix (i32.xor
      (i32.add
        (i32.xor (i32x4.extract_lane 0 (local.get $a2)) (i32.mul (i32x4.extract_lane 1 (local.get $a2)) (i32.const 0x2545f491)))
        (i32.xor (i32x4.extract_lane 2 (local.get $a2)) (i32.mul (i32x4.extract_lane 3 (local.get $a2)) (i32.const 0x6c8e9cf5))))
      (local.get $h0)))))
  ;; For each of $count images of $wpi words at $src, and each of $parts parts
  ;; (word bounds: $parts + 1 i32 at $bounds), the part's hash: 8 bytes at $out.
  (func (export "hashParts") (param $src i32) (param $count i32) (param $wpi i32) (param $parts i32) (param $bounds i32) (param $out i32)
    (local $c i32) (local $q i32) (local $img i32) (local $b i32) (local $e i32)
    (block $done
      (loop $images
        (br_if $done (i32.ge_u (local.get $c) (local.get $count)))
        (local.set $img (i32.add (local.get $src) (i32.shl (i32.mul (local.get $c) (local.get $wpi)) (i32.const 2))))
        (local.set $q (i32.const 0))
        (loop $part
          (local.set $b (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $q) (i32.const 2)))))
          (local.set $e (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $q) (i32.const 2)))))
          (call $hash (i32.add (local.get $img) (i32.shl (local.get $b) (i32.const 2))) (i32.sub (local.get $e) (local.get $b)) (local.get $out))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $part (i32.lt_u (local.get $q) (local.get $parts))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $images))))
)
`;

// prettier-ignore
export const HASH_WASM = 'AGFzbQEAAAABFQNgAX8Bf2ADf39/AGAGf39/f39/AAMEAwABAgUDAQABBxYCBm1lbW9yeQIACWhhc2hQYXJ0cwACCrwFAzQAIAAgAEEQdnMhACAAQeuUr694bCEAIAAgAEENdnMhACAAQbXcypV8bCEAIAAgAEEQdnMLlQQCBXsDf/0MkwEAAZMBAAGTAQABkwEAASEH/Qy5eTeea8rrhTWussIv69QnIQP9DLFnVhZsZKLTxUZw/QlPWrUhBP0MFl3VfjzCYcexZ1YWbGSi0yEF/QzFRnD9CU9atbl5N54WXdV+IQYgACABQQJ0aiEIAkADQCAAQcAAaiAISw0BIAMgAP0AAgD9USAH/bUBIQMgBCAA/QACEP1RIAf9tQEhBCAFIAD9AAIg/VEgB/21ASEFIAYgAP0AAjD9USAH/bUBIQYgAyADQQ39rQH9USEDIAQgBEEN/a0B/VEhBCAFIAVBDf2tAf1RIQUgBiAGQQ39rQH9USEGIABBwABqIQAMAAsLAkADQCAAQRBqIAhLDQEgAyAA/QACAP1RIAf9tQEhAyADIANBDf2tAf1RIQMgAEEQaiEADAALC0Hy5rvjAyEJAkADQCAAIAhPDQEgCSAAKAIAc0GTg4AIbCEJIAkgCUENdnMhCSAAQQRqIQAMAAsLIAMgBP0MkfRFJfWcjmyxeTeeLTXrf/21Af1RIQMgBSAG/QyLpmyEkfRFJfWcjmyxeTee/bUB/VEhBSAD/RsAIAP9GwFBkemXqgJscyAD/RsCIAP9GwNB9bm65AZsc2ogCSABamoQACEKIAIgCjYCACACIAX9GwAgBf0bAUGR6ZeqAmxzIAX9GwIgBf0bA0H1ubrkBmxzaiAKcxAANgIEC24BBX8CQANAIAYgAU8NASAAIAYgAmxBAnRqIQhBACEHA0AgBCAHQQJ0aigCACEJIAQgB0ECdGooAgQhCiAIIAlBAnRqIAogCWsgBRABIAVBCGohBSAHQQFqIQcgByADSQ0ACyAGQQFqIQYMAAsLCw==';

const instantiateHash = wasmInstances<HashExports>(HASH_WASM);

interface HashExports {
  memory: WasmMemory;
  hashParts(src: number, count: number, wordsPerImage: number, parts: number, bounds: number, out: number): void;
}

/** Start of the image areas in the hash module's memory; below it, the part bounds. */
const INPUT = 4096;
/** Key bytes reserved per image: 8 per part, for the most parts MAX_SQUARED allows. */
const KEY_BYTES = 8 * (MAX_SQUARED + 1);
/** Image areas: one to hash while the next chunk is read into the other. */
const SLOTS = 2;

/**
 * The hash module's memory: part bounds, then two areas of `capacity`
 * images, then their part hashes. Views are re-made after the memory grows.
 */
class HashMemory {
  private readonly exports: HashExports;
  capacity = 0;

  constructor(private readonly dimension: number) {
    this.exports = instantiateHash();
  }

  get buffer(): ArrayBuffer {
    return this.exports.memory.buffer;
  }

  private get keysOffset(): number {
    return INPUT + SLOTS * this.capacity * this.dimension;
  }

  reserve(images: number): void {
    if (images <= this.capacity) return;
    const capacity = Math.max(images, 2 * this.capacity);
    reserve(this.exports.memory, INPUT + capacity * (SLOTS * this.dimension + KEY_BYTES));
    this.capacity = capacity;
  }

  slotOffset(slot: number): number {
    return INPUT + slot * this.capacity * this.dimension;
  }

  /** Image area `slot` (0 or 1), sized for `images`; growing the memory detaches earlier views. */
  input(images: number, slot = 0): Uint8Array {
    this.reserve(images);
    return new Uint8Array(this.buffer, this.slotOffset(slot), images * this.dimension);
  }

  /** The slot `view` is the start of, or -1. */
  slotOf(view: Uint8Array): number {
    if (view.buffer !== this.buffer || view.length > this.capacity * this.dimension) return -1;
    for (let slot = 0; slot < SLOTS; slot++) if (view.byteOffset === this.slotOffset(slot)) return slot;
    return -1;
  }

  /** Hashes the first `count` images of area `slot` over `bounds` (word offsets); returns the keys. */
  hash(count: number, slot: number, bounds: Int32Array): Int32Array {
    const parts = bounds.length - 1;
    new Int32Array(this.buffer, 0, bounds.length).set(bounds);
    this.exports.hashParts(this.slotOffset(slot), count, this.dimension / 4, parts, 0, this.keysOffset);
    return new Int32Array(this.buffer, this.keysOffset, 2 * parts * count);
  }
}

/** Hash table from part hash to the references having that part (chained through `next`). */
class PartTable {
  private readonly keys: Int32Array;
  readonly head: Int32Array;
  readonly next: Int32Array;
  private readonly mask: number;

  constructor(count: number) {
    let size = 16;
    while (size < 2 * count) size *= 2;
    this.mask = size - 1;
    this.keys = new Int32Array(2 * size);
    this.head = new Int32Array(size).fill(-1);
    this.next = new Int32Array(count).fill(-1);
  }

  /** Adds reference r; references must be added in decreasing order so chains run in increasing order. */
  add(k0: number, k1: number, r: number): void {
    const slot = this.find(k0, k1);
    if (this.head[slot] < 0) {
      this.keys[2 * slot] = k0;
      this.keys[2 * slot + 1] = k1;
    }
    this.next[r] = this.head[slot];
    this.head[slot] = r;
  }

  /** The slot holding this key, or the empty slot where it would go (linear probing). */
  find(k0: number, k1: number): number {
    let slot = k0 & this.mask;
    while (this.head[slot] >= 0 && (this.keys[2 * slot] !== k0 || this.keys[2 * slot + 1] !== k1)) slot = (slot + 1) & this.mask;
    return slot;
  }
}

/** Word offsets of `parts` near-equal parts of an image of `words` words. */
function partBounds(words: number, parts: number): Int32Array {
  return Int32Array.from({ length: parts + 1 }, (_, p) => Math.floor((p * words) / parts));
}

/** Images hashed per call into the WebAssembly module while indexing references. */
const INDEX_CHUNK = 4096;

export class DuplicateIndex {
  readonly count: number;
  private readonly words: Int32Array;
  private readonly wordsPerImage: number;
  private readonly tables = new Map<number, PartTable[]>();
  private readonly memory: HashMemory;
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
    this.memory = new HashMemory(dimension);
    this.partTables(2);
  }

  /** The tables for `parts` parts, built on first use. */
  private partTables(parts: number): PartTable[] {
    let tables = this.tables.get(parts);
    if (tables) return tables;
    tables = Array.from({ length: parts }, () => new PartTable(this.count));
    const bounds = partBounds(this.wordsPerImage, parts);
    const refBytes = new Uint8Array(this.words.buffer);
    const d = this.dimension;
    // A memory of its own: the candidates' areas may hold images being searched.
    const memory = new HashMemory(d);
    // Last chunk first, each backwards: chains list references in increasing order.
    for (let end = this.count; end > 0; end -= INDEX_CHUNK) {
      const start = Math.max(0, end - INDEX_CHUNK);
      memory.input(end - start).set(refBytes.subarray(start * d, end * d));
      const keys = memory.hash(end - start, 0, bounds);
      for (let r = end - 1; r >= start; r--) {
        const o = 2 * parts * (r - start);
        for (let p = 0; p < parts; p++) tables[p].add(keys[o + 2 * p], keys[o + 2 * p + 1], r);
      }
    }
    this.tables.set(parts, tables);
    return tables;
  }

  /**
   * Memory for `count` candidate images inside the index (two areas, `slot`
   * 0 or 1, so one can be read into while the other is searched): read
   * candidates straight into it and pass it to findMatches to skip a copy.
   * A call with a larger count than before grows the memory and invalidates
   * earlier buffers; findMatches with more images than the buffers hold does
   * too.
   */
  inputBuffer(count: number, slot = 0): Uint8Array {
    check(slot === 0 || slot === 1, 'slot', `must be 0 or 1, got ${slot}`);
    return this.memory.input(count, slot);
  }

  /**
   * Exact matches (squared L2 ≤ maxSquared, default 1) of `images`
   * (count × dimension) against the references, candidates numbered from
   * `baseIndex`; ordered by candidate, then reference.
   */
  findMatches(images: Uint8Array, baseIndex: number, maxSquared = 1): DuplicateMatch[] {
    check(Number.isInteger(maxSquared) && maxSquared >= 0 && maxSquared <= MAX_SQUARED, 'maxSquared', `must be an integer in [0, ${MAX_SQUARED}], got ${maxSquared}`);
    check(images.length % this.dimension === 0, 'images', `length ${images.length} is not a multiple of ${this.dimension}`);
    const count = images.length / this.dimension;
    const matches: DuplicateMatch[] = [];
    if (count === 0) return matches;
    const parts = Math.min(maxSquared + 1, this.wordsPerImage);
    const tables = this.partTables(parts);
    // Hash and verify the images where the module can read them: in place when
    // they came from inputBuffer, else copied in.
    let slot = this.memory.slotOf(images);
    if (slot < 0) {
      slot = 0;
      this.memory.input(count, slot).set(images);
    }
    const keys = this.memory.hash(count, slot, partBounds(this.wordsPerImage, parts));
    const words = new Int32Array(this.memory.buffer, this.memory.slotOffset(slot), count * this.wordsPerImage);
    const wpi = this.wordsPerImage;
    for (let c = 0; c < count; c++) {
      const base = c * wpi;
      const stamp = this.nextStamp();
      const first = matches.length;
      for (let p = 0; p < parts; p++) {
        const table = tables[p];
        const o = 2 * (c * parts + p);
        for (let r = table.head[table.find(keys[o], keys[o + 1])]; r >= 0; r = table.next[r]) {
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

export interface SearchFileOptions {
  /** Squared-distance threshold; default 1. */
  maxSquared?: number;
  /** Images per read; default 4,096 (12 MB). */
  chunkImages?: number;
  /** Called after each chunk with the images searched so far. */
  onProgress?: (imagesDone: number) => void;
  signal?: AbortSignal;
}

/**
 * Streams images [from, to) of a file of concatenated images (TinyImages'
 * tiny_images.bin layout: no header, `dimension` bytes per image) through the
 * index, reading the next chunk straight into the index's memory while the
 * current one is searched. Candidates are numbered by their image index.
 */
export async function searchFile(index: DuplicateIndex, file: string | FileHandle, from: number, to: number, opts: SearchFileOptions = {}): Promise<DuplicateMatch[]> {
  const d = index.dimension;
  const chunk = opts.chunkImages ?? 4096;
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
  const name = typeof file === 'string' ? file : 'file';
  // Both areas sized first: the memory must not grow while a read into it is in flight.
  index.inputBuffer(chunk, 0);
  index.inputBuffer(chunk, 1);
  const read = async (at: number, slot: number) => {
    const count = Math.min(chunk, to - at);
    const view = index.inputBuffer(count, slot);
    const { bytesRead } = await handle.read(view, 0, view.length, at * d);
    check(bytesRead === view.length, name, `ends before image ${at + Math.floor(bytesRead / d)}, expected ${to}`);
    return view;
  };
  const matches: DuplicateMatch[] = [];
  let pending: Promise<Uint8Array> | undefined;
  try {
    pending = from < to ? read(from, 0) : undefined;
    for (let at = from, slot = 0; at < to; at += chunk, slot ^= 1) {
      const view = await pending!;
      pending = undefined;
      opts.signal?.throwIfAborted();
      if (at + chunk < to) pending = read(at + chunk, slot ^ 1);
      for (const m of index.findMatches(view, at, opts.maxSquared ?? 1)) matches.push(m);
      opts.onProgress?.(Math.min(to, at + chunk) - from);
    }
  } finally {
    await pending?.catch(() => {});
    if (typeof file === 'string') await handle.close();
  }
  return matches;
}

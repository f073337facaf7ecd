import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleWat } from '../../bench/build-wasm';
import { DuplicateIndex, HASH_WASM, HASH_WAT, searchFile, type DuplicateMatch } from '../../lib/dupsearch';
import { squaredL2 } from '../../lib/knn';
import { randomBytes } from './knn/helpers';

const D = 3072;

function image(all: Uint8Array, i: number): Uint8Array {
  return all.subarray(i * D, (i + 1) * D);
}

/** Every (reference, candidate) pair within maxSquared, by brute force. */
function brute(references: Uint8Array, candidates: Uint8Array, base: number, maxSquared: number): DuplicateMatch[] {
  const out: DuplicateMatch[] = [];
  for (let c = 0; c < candidates.length / D; c++) {
    for (let r = 0; r < references.length / D; r++) {
      const d = squaredL2(image(references, r), image(candidates, c));
      if (d <= maxSquared) out.push({ reference: r, candidate: base + c, squaredDistance: d });
    }
  }
  return out;
}

/** Changes byte `at` of a copy of `src` by `delta`, away from the ends of 0..255. */
function nudge(src: Uint8Array, at: number, delta: number): Uint8Array {
  const out = src.slice();
  out[at] = out[at] + delta > 255 || out[at] + delta < 0 ? out[at] - delta : out[at] + delta;
  return out;
}

// 300 references: random, with a block sharing an all-zero first half and a few exact copies.
const references = randomBytes(300 * D, 42);
for (let r = 250; r < 290; r++) references.fill(0, r * D, r * D + D / 2);
references.copyWithin(291 * D, 10 * D, 11 * D);
references.copyWithin(292 * D, 10 * D, 11 * D);

interface Planted {
  image: Uint8Array;
  /** The squared distance to its source reference. */
  distance: number;
  what: string;
}

function planted(): Planted[] {
  const out: Planted[] = [];
  const ref = (r: number) => image(references, r);
  out.push({ image: ref(3).slice(), distance: 0, what: 'exact copy' });
  out.push({ image: ref(10).slice(), distance: 0, what: 'copy of a reference that has duplicates' });
  for (const at of [0, 1, 1535, 1536, 1537, 3071, 777, 2900]) {
    for (const delta of [1, -1]) out.push({ image: nudge(ref(at % 250), at, delta), distance: 1, what: `byte ${at} ${delta > 0 ? '+' : '-'}1` });
  }
  out.push({ image: nudge(ref(260), 5, 1), distance: 1, what: 'off by one, first half shared by 40 references' });
  out.push({ image: nudge(ref(261), 2000, -1), distance: 1, what: 'off by one in the second half, first half shared' });
  // Near misses: two bytes by one (same half, different halves), one byte by two.
  out.push({ image: nudge(nudge(ref(20), 0, 1), 3071, 1), distance: 2, what: 'two bytes, both halves' });
  out.push({ image: nudge(nudge(ref(21), 100, 1), 101, 1), distance: 2, what: 'two bytes, one half' });
  out.push({ image: nudge(nudge(ref(22), 1535, 1), 1536, -1), distance: 2, what: 'two bytes at the boundary' });
  out.push({ image: nudge(ref(23), 1536, 2), distance: 4, what: 'one byte by two' });
  out.push({ image: nudge(nudge(nudge(ref(24), 0, 1), 1600, 1), 3000, 1), distance: 3, what: 'three bytes' });
  return out;
}

function candidates(list: Planted[], randomCount: number): Uint8Array {
  const out = new Uint8Array((list.length + randomCount) * D);
  out.set(randomBytes(randomCount * D, 7), list.length * D);
  list.forEach((p, i) => out.set(p.image, i * D));
  return out;
}

describe('DuplicateIndex', () => {
  const index = new DuplicateIndex(references);
  const list = planted();
  const all = candidates(list, 60);

  it.each([0, 1, 2, 3, 5])('finds exactly the brute-force matches within squared distance %i', (maxSquared) => {
    const got = index.findMatches(all, 1000, maxSquared);
    expect(got).toEqual(brute(references, all, 1000, maxSquared));
  });

  it('finds every planted off-by-one and no near miss (default threshold 1)', () => {
    const got = index.findMatches(all, 0);
    list.forEach((p, c) => {
      const mine = got.filter((m) => m.candidate === c);
      if (p.distance <= 1) expect(mine.length, p.what).toBeGreaterThan(0);
      else expect(mine, p.what).toEqual([]);
      for (const m of mine) expect(m.squaredDistance, p.what).toBe(p.distance);
    });
    // The copy of reference 10 matches all three identical references.
    expect(got.filter((m) => m.candidate === 1).map((m) => m.reference)).toEqual([10, 291, 292]);
    expect(got.every((m) => m.squaredDistance <= 1)).toBe(true);
  });

  it('accepts images at any byte offset and numbers candidates from baseIndex', () => {
    const buffer = new Uint8Array(all.length + 3);
    buffer.set(all, 3);
    const unaligned = buffer.subarray(3);
    expect(index.findMatches(unaligned, 500)).toEqual(index.findMatches(all, 500));
    expect(index.findMatches(all, 500)[0].candidate).toBe(500);
  });

  it('rejects ragged input and thresholds it cannot make exact', () => {
    expect(() => index.findMatches(new Uint8Array(D + 1), 0)).toThrow(/images/);
    expect(() => index.findMatches(all, 0, 1.5)).toThrow(/maxSquared/);
    expect(() => new DuplicateIndex(new Uint8Array(D - 4))).toThrow(/references/);
  });
});

describe('the WebAssembly hash', () => {
  it('is HASH_WAT assembled by wabt (run `npx tsx bench/build-wasm.ts` after editing it)', async () => {
    expect(await assembleWat(HASH_WAT)).toBe(HASH_WASM);
  });

  it('reads candidates in place from inputBuffer, in either area', () => {
    const refs = randomBytes(50 * D, 9);
    const index = new DuplicateIndex(refs);
    const input = index.inputBuffer(3);
    input.set(image(refs, 7), 0);
    input.set(nudge(image(refs, 8), 1536, 1), D);
    input.set(randomBytes(D, 5), 2 * D);
    expect(index.findMatches(input, 10)).toEqual([
      { reference: 7, candidate: 10, squaredDistance: 0 },
      { reference: 8, candidate: 11, squaredDistance: 1 },
    ]);
    const other = index.inputBuffer(1, 1);
    other.set(image(refs, 9));
    // Searching with a new threshold builds new tables; neither area may be disturbed.
    expect(index.findMatches(other, 0, 4)).toEqual([{ reference: 9, candidate: 0, squaredDistance: 0 }]);
    expect(index.findMatches(input, 10, 4).map((m) => m.reference)).toEqual([7, 8]);
  });
});

describe('searchFile', () => {
  it('streams a TinyImages-format file in chunks, reading ahead, with the same matches as findMatches', async () => {
    const index = new DuplicateIndex(references);
    const list = planted();
    const all = candidates(list, 40);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dupsearch-'));
    try {
      const file = path.join(dir, 'tiny.bin');
      // The candidates after 5 filler images, so image numbers are file positions.
      await writeFile(file, Buffer.concat([randomBytes(5 * D, 3), all]));
      const n = all.length / D;
      for (const maxSquared of [1, 3]) {
        const progress: number[] = [];
        const got = await searchFile(index, file, 5, 5 + n, { chunkImages: 7, maxSquared, onProgress: (p) => progress.push(p) });
        expect(got).toEqual(brute(references, all, 5, maxSquared));
        expect(progress.at(-1)).toBe(n);
      }
      // A range that runs past the end of the file is an error naming the file.
      await expect(searchFile(index, file, 5, 5 + n + 1, { chunkImages: 16 })).rejects.toThrow(/tiny\.bin/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

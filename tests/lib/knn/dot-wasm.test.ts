import { describe, expect, it } from 'vitest';
import { assembleWat } from '../../../bench/build-wasm';
import { DOT_WASM, DOT_WAT, instantiateDot } from '../../../lib/knn/dot-wasm';
import { reserve } from '../../../lib/wasm';
import { bruteDots, randomBytes } from './helpers';

const INT32_MIN = -0x80000000;

describe('DOT_WASM', () => {
  it('is DOT_WAT assembled by wabt (run `npx tsx bench/build-wasm.ts` after editing it)', async () => {
    expect(await assembleWat(DOT_WAT)).toBe(DOT_WASM);
  });
});

describe('widen', () => {
  it('turns bytes into 16-bit integers without sign (200 stays 200)', () => {
    const k = instantiateDot();
    const bytes = Uint8Array.from({ length: 48 }, (_, i) => (i * 53 + 7) % 256);
    new Uint8Array(k.memory.buffer, 1024, 48).set(bytes);
    k.widen(1024, 48, 4096);
    expect([...new Int16Array(k.memory.buffer, 4096, 48)]).toEqual([...bytes]);
    expect(new Int16Array(k.memory.buffer, 4096 + 96, 1)[0]).toBe(0); // nothing past the end
  });
});

describe('dots', () => {
  it.each([
    // queries, references, dimension, queries per block
    { nq: 1, nr: 1, d: 8, qblock: 4 },
    { nq: 7, nr: 5, d: 24, qblock: 4 },
    { nq: 13, nr: 11, d: 64, qblock: 8 },
    { nq: 70, nr: 3, d: 3072, qblock: 64 },
  ])('gives every reference · query, rows past the counts ignored: $nq × $nr, d=$d, block $qblock', ({ nq, nr, d, qblock }) => {
    const k = instantiateDot();
    const row = 2 * d;
    const [q, r] = [0, Math.ceil(nq / 4) * 4 * row];
    const out = r + Math.ceil(nr / 2) * 2 * row;
    reserve(k.memory, out + 4 * (nq * nr + 8));
    const queries = randomBytes(nq * d, nq + d);
    const refs = randomBytes(nr * d, nr + d);
    new Int16Array(k.memory.buffer, q, nq * d).set(queries);
    new Int16Array(k.memory.buffer, r, nr * d).set(refs);
    // Padding rows hold junk the kernel must not let through, and the output is fenced.
    new Int16Array(k.memory.buffer, q + nq * row, (r - q - nq * row) / 2).fill(255);
    new Int16Array(k.memory.buffer, r + nr * row, (out - r - nr * row) / 2).fill(255);
    new Int32Array(k.memory.buffer, out, nq * nr + 8).fill(-7);
    k.dots(q, nq, r, nr, d, out, qblock);
    expect([...new Int32Array(k.memory.buffer, out, nq * nr)]).toEqual(bruteDots(queries, nq, refs, nr, d));
    expect([...new Int32Array(k.memory.buffer, out + 4 * nq * nr, 8)]).toEqual(new Array(8).fill(-7));
  });
});

describe('filter', () => {
  /** Lays out y (nr × nq), the row terms c and the thresholds, runs filter from row j, returns [next row, pairs]. */
  function runFilter(y: Int32Array, nr: number, nq: number, c: Int32Array, thr: number[], cap: number, j = 0) {
    const k = instantiateDot();
    const padded = Math.ceil(nq / 4) * 4;
    const [yAt, cAt, thrAt, countAt] = [0, 4 * (nr * nq + 4), 4 * (nr * nq + 4 + nr), 4 * (nr * nq + 4 + nr + padded)];
    const outAt = countAt + 16;
    reserve(k.memory, outAt + 8 * cap);
    new Int32Array(k.memory.buffer, yAt, y.length).set(y);
    new Int32Array(k.memory.buffer, cAt, nr).set(c);
    new Int32Array(k.memory.buffer, thrAt, padded).set([...thr, ...new Array(padded - nq).fill(INT32_MIN)]);
    const next = k.filter(yAt, nr, nq, cAt, thrAt, outAt, cap, j, countAt);
    const count = new Int32Array(k.memory.buffer, countAt, 1)[0];
    const flat = [...new Int32Array(k.memory.buffer, outAt, 2 * count)];
    return { next, pairs: Array.from({ length: count }, (_, p) => [flat[2 * p], flat[2 * p + 1]]) };
  }

  /** Brute force: (row, column) of every value with c[row] − 2·y < thr[column], row by row. */
  const admitted = (y: Int32Array, nr: number, nq: number, c: Int32Array, thr: number[], from = 0, to = nr) =>
    Array.from({ length: to - from }, (_, r) => from + r).flatMap((row) =>
      Array.from({ length: nq }, (_, i) => i).filter((i) => c[row] - 2 * y[row * nq + i] < thr[i]).map((i) => [row, i]));

  it('lists exactly the pairs under their column threshold, in row order, counting them', () => {
    const [nr, nq] = [9, 6]; // 6 columns: the thresholds' padding to 8 must admit nothing
    const y = Int32Array.from({ length: nr * nq }, (_, i) => ((i * 7919) % 200) - 50);
    const c = Int32Array.from({ length: nr }, (_, j) => j * 13 - 40);
    const thr = [0, -100, 50, 2 ** 31 - 1, INT32_MIN, 10];
    const { next, pairs } = runFilter(y, nr, nq, c, thr, 1000);
    expect(next).toBe(nr);
    expect(pairs).toEqual(admitted(y, nr, nq, c, thr));
    expect(pairs.length).toBeGreaterThan(10);
    expect(pairs.some(([, i]) => i === 3)).toBe(true);
    expect(pairs.some(([, i]) => i === 4)).toBe(false);
  });

  it('stops before a row that might not fit in `cap` pairs and returns that row, to go on from there', () => {
    const [nr, nq] = [5, 4];
    const y = new Int32Array(nr * nq); // c − 0 < thr everywhere: every pair passes
    const c = new Int32Array(nr);
    const thr = [1, 1, 1, 1];
    const first = runFilter(y, nr, nq, c, thr, 2 * nq + 3);
    expect(first.next).toBe(2);
    expect(first.pairs).toEqual(admitted(y, nr, nq, c, thr, 0, 2));
    const rest = runFilter(y, nr, nq, c, thr, 100, first.next);
    expect(rest.next).toBe(nr);
    expect(rest.pairs).toEqual(admitted(y, nr, nq, c, thr, 2, nr));
  });
});

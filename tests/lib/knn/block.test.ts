import { describe, expect, it } from 'vitest';
import { referenceStats, runQueryBlock, type KnnArrays } from '../../../lib/knn/block';
import { createEngine, ENGINE_ORDER } from '../../../lib/knn/engines';
import { bruteTopK, randomBytes, withEngine } from './helpers';

/** Arrays for n queries and m references of dimension d, outputs filled with -1 to show what was written. */
function arrays(n: number, m: number, d: number, k: number, seed: number, range = 256): KnnArrays {
  return {
    queries: randomBytes(n * d, seed, range),
    references: randomBytes(m * d, seed + 1, range),
    refNorms: new Int32Array(m).fill(-1),
    refSums: new Int32Array(m).fill(-1),
    indices: new Int32Array(n * k).fill(-1),
    distances: new Int32Array(n * k).fill(-1),
  };
}

describe('referenceStats', () => {
  it('fills squared norms and sums of references [from, to) only, odd dimensions included', () => {
    const d = 7;
    const a = arrays(1, 10, d, 1, 3);
    referenceStats(a, d, 3, 8);
    const row = (j: number) => [...a.references.subarray(j * d, (j + 1) * d)];
    expect([...a.refNorms]).toEqual([-1, -1, -1, ...[3, 4, 5, 6, 7].map((j) => row(j).reduce((s, v) => s + v * v, 0)), -1, -1]);
    expect([...a.refSums]).toEqual([-1, -1, -1, ...[3, 4, 5, 6, 7].map((j) => row(j).reduce((s, v) => s + v, 0)), -1, -1]);
  });

  it('is exact for all-255 rows of 3072 values (near the int32 limit of the distance terms)', () => {
    const a = { ...arrays(1, 2, 3072, 1, 1), references: new Uint8Array(2 * 3072).fill(255) };
    referenceStats(a, 3072, 0, 2);
    expect([...a.refNorms]).toEqual([3072 * 255 * 255, 3072 * 255 * 255]);
    expect([...a.refSums]).toEqual([3072 * 255, 3072 * 255]);
  });
});

describe('runQueryBlock', () => {
  const [n, m, d, k] = [10, 40, 32, 4];
  /** The expected rows q0..q1 of the output, the others left at -1. */
  function expected(a: KnnArrays, q0: number, q1: number) {
    const brute = bruteTopK(a.queries.subarray(q0 * d, q1 * d), a.references, k, d);
    const indices = new Int32Array(n * k).fill(-1);
    const distances = new Int32Array(n * k).fill(-1);
    indices.set(brute.indices, q0 * k);
    distances.set(brute.distances, q0 * k);
    return { indices, distances };
  }

  it.for(ENGINE_ORDER)('writes the exact top-k of its queries, and only theirs, with engine %s', async (name, { skip }) => {
    await withEngine(name, d, skip, async (engine) => {
      // Values in 0..3 make many ties; tiles of 7 references do not divide the 40.
      const a = arrays(n, m, d, k, 11, 4);
      referenceStats(a, d, 0, m);
      expect(await runQueryBlock(engine, a, { dimension: d, k, tile: 7 }, 3, 8, () => false)).toBe(true);
      expect({ indices: a.indices, distances: a.distances }).toEqual(expected(a, 3, 8));
    });
  });

  it('gives the same answer whatever the tile size', async () => {
    const engine = await createEngine('js', d);
    const results = [];
    for (const tile of [1, 3, 40, 1000]) {
      const a = arrays(n, m, d, k, 5);
      referenceStats(a, d, 0, m);
      await runQueryBlock(engine, a, { dimension: d, k, tile }, 0, n, () => false);
      results.push({ indices: [...a.indices], distances: [...a.distances] });
    }
    const want = expected(arrays(n, m, d, k, 5), 0, n);
    expect(results).toEqual(new Array(4).fill({ indices: [...want.indices], distances: [...want.distances] }));
  });

  it('stops between tiles once cancelled, returning false and writing nothing', async () => {
    const engine = await createEngine('js', d);
    for (const tilesBeforeCancel of [0, 1, 5]) {
      const a = arrays(n, m, d, k, 7);
      referenceStats(a, d, 0, m);
      let asked = 0;
      const cancelled = () => asked++ >= tilesBeforeCancel;
      expect(await runQueryBlock(engine, a, { dimension: d, k, tile: 7 }, 0, n, cancelled)).toBe(false);
      expect(asked).toBe(tilesBeforeCancel + 1);
      expect(a.indices.every((v) => v === -1) && a.distances.every((v) => v === -1)).toBe(true);
    }
  });
});

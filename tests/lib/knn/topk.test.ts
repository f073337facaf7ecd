import { describe, expect, it } from 'vitest';
import { TopKBlock } from '../../../lib/knn/topk';
import { bruteDots, bruteTopK, randomBytes } from './helpers';

/**
 * Feeds `references` to a TopKBlock tile by tile as an engine would: exact
 * dot products and ||r||² as the per-reference term.
 */
function select(queries: Uint8Array, references: Uint8Array, d: number, k: number, tile: number) {
  const n = queries.length / d;
  const m = references.length / d;
  const norms = (rows: Uint8Array, count: number) =>
    Int32Array.from({ length: count }, (_, j) => rows.subarray(j * d, (j + 1) * d).reduce((s, v) => s + v * v, 0));
  const top = new TopKBlock(n, k, norms(queries, n), tile);
  for (let r0 = 0; r0 < m; r0 += tile) {
    const r1 = Math.min(m, r0 + tile);
    const refs = references.subarray(r0 * d, r1 * d);
    top.scan(Int32Array.from(bruteDots(queries, n, refs, r1 - r0, d)), r1 - r0, r0, norms(refs, r1 - r0));
  }
  return { indices: top.indices, distances: top.distances };
}

describe('TopKBlock', () => {
  it.each([
    // n, m, d, k, tile, value range (small: many ties)
    { n: 5, m: 9, d: 3, k: 1, tile: 3, range: 256 },
    { n: 6, m: 50, d: 8, k: 7, tile: 16, range: 3 },
    { n: 33, m: 400, d: 16, k: 20, tile: 128, range: 256 },
    { n: 300, m: 700, d: 4, k: 10, tile: 256, range: 2 },
  ])('keeps the k nearest, nearest first, ties by lower index: n=$n m=$m k=$k tile=$tile range=$range', ({ n, m, d, k, tile, range }) => {
    const queries = randomBytes(n * d, n + m, range);
    const references = randomBytes(m * d, n * m, range);
    const expected = bruteTopK(queries, references, k, d);
    expect(select(queries, references, d, k, tile)).toEqual({ indices: expected.indices, distances: expected.distances });
  });

  it('keeps up when every reference enters every list (more candidates than the prefilter holds in one pass)', () => {
    // References ever closer to the zero queries: each is a new nearest. 300 queries × 1024 references is
    // 307,200 candidate pairs in one tile, beyond the prefilter's 65,536 per call.
    const d = 2;
    const byNorm = new Map<number, [number, number]>();
    for (let x = 0; x < 256; x++) for (let y = 0; y <= x; y++) byNorm.set(x * x + y * y, [x, y]);
    const norms = [...byNorm.keys()].sort((a, b) => b - a).slice(0, 1024);
    const references = Uint8Array.from(norms.flatMap((v) => byNorm.get(v)!));
    const queries = new Uint8Array(300 * d);
    const got = select(queries, references, d, 5, 1024);
    const expected = bruteTopK(queries, references, 5, d);
    expect(got).toEqual({ indices: expected.indices, distances: expected.distances });
    expect([...got.indices.subarray(0, 5)]).toEqual([1023, 1022, 1021, 1020, 1019]);
  });

  it('handles the largest distances of 3072-byte images (all 0 against all 255)', () => {
    const d = 3072;
    const queries = new Uint8Array(2 * d).fill(255, d); // a black and a white image
    const references = Uint8Array.from({ length: 3 * d }, (_, i) => (i < d ? 0 : i < 2 * d ? 255 : 128));
    const got = select(queries, references, d, 3, 2);
    expect([...got.indices]).toEqual([0, 2, 1, 1, 2, 0]);
    expect([...got.distances]).toEqual([0, d * 128 ** 2, d * 255 ** 2, 0, d * 127 ** 2, d * 255 ** 2]);
  });
});

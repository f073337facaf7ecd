/**
 * The unit of work of the kNN kernel, the same on the main thread and in a
 * worker: one block of queries against every reference, tile by tile, as
 * ||q||² + ||r||² − 2·q·r with the dot products from an engine.
 */
import type { DotEngine } from './engines';
import { TopKBlock } from './topk';

/** Arrays a job reads and writes; in the worker pool they are views of SharedArrayBuffers. */
export interface KnnArrays {
  queries: Uint8Array;
  references: Uint8Array;
  /** Per reference: squared norm and sum of values (filled by `referenceStats`). */
  refNorms: Int32Array;
  refSums: Int32Array;
  /** Output, queries × k. */
  indices: Int32Array;
  distances: Int32Array;
}

export interface KnnShape {
  dimension: number;
  k: number;
  /** References per tile: bounds the engine's output to tile × block int32. */
  tile: number;
}

/** Squared norms and sums of references [from, to). */
export function referenceStats(a: KnnArrays, dimension: number, from: number, to: number): void {
  const r = a.references;
  for (let j = from; j < to; j++) {
    const row = j * dimension;
    let s0 = 0;
    let s1 = 0;
    let q0 = 0;
    let q1 = 0;
    let t = 0;
    for (; t + 1 < dimension; t += 2) {
      const v0 = r[row + t];
      const v1 = r[row + t + 1];
      s0 += v0;
      s1 += v1;
      q0 += v0 * v0;
      q1 += v1 * v1;
    }
    if (t < dimension) {
      const v = r[row + t];
      s0 += v;
      q0 += v * v;
    }
    a.refSums[j] = s0 + s1;
    a.refNorms[j] = q0 + q1;
  }
}

/**
 * Top-k of queries [q0, q1) against all references, written to the output
 * rows of those queries. Returns false, leaving the rows unwritten, if
 * `cancelled()` turned true between tiles.
 */
export async function runQueryBlock(
  engine: DotEngine,
  a: KnnArrays,
  shape: KnnShape,
  q0: number,
  q1: number,
  cancelled: () => boolean,
): Promise<boolean> {
  const { dimension: d, k, tile } = shape;
  const count = q1 - q0;
  const m = a.refNorms.length;
  const block = a.queries.subarray(q0 * d, q1 * d);
  const queryNorms = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let t = i * d, end = t + d; t < end; t++) s += block[t] * block[t];
    queryNorms[i] = s;
  }
  await engine.setQueries(block, count);
  const top = new TopKBlock(count, k, queryNorms, Math.min(tile, m));
  const refTerm = new Int32Array(Math.min(tile, m));
  const bias2 = 2 * engine.refBias;
  for (let r0 = 0; r0 < m; r0 += tile) {
    if (cancelled()) return false;
    const r1 = Math.min(m, r0 + tile);
    const y = await engine.dots(a.references.subarray(r0 * d, r1 * d), r1 - r0);
    for (let j = r0; j < r1; j++) refTerm[j - r0] = a.refNorms[j] - bias2 * a.refSums[j];
    top.scan(y, r1 - r0, r0, refTerm);
  }
  a.indices.set(top.indices, q0 * k);
  a.distances.set(top.distances, q0 * k);
  return true;
}

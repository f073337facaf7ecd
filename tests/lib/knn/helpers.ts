import { createEngine, type DotEngine, type EngineName } from '../../../lib/knn/engines';
import { squaredL2 } from '../../../lib/knn';
import { mulberry32 } from '../../helpers/random';

/** Brute force: every distance, sorted by (distance, index). */
export function bruteTopK(queries: Uint8Array, references: Uint8Array, k: number, d: number) {
  const n = queries.length / d;
  const m = references.length / d;
  const kk = Math.min(k, m);
  const indices = new Int32Array(n * kk);
  const distances = new Int32Array(n * kk);
  for (let i = 0; i < n; i++) {
    const q = queries.subarray(i * d, (i + 1) * d);
    const all = Array.from({ length: m }, (_, j) => ({ j, dist: squaredL2(q, references.subarray(j * d, (j + 1) * d)) }));
    all.sort((a, b) => a.dist - b.dist || a.j - b.j);
    for (let t = 0; t < kk; t++) {
      indices[i * kk + t] = all[t].j;
      distances[i * kk + t] = all[t].dist;
    }
  }
  return { indices, distances, k: kk };
}

/** Plain dot products, `out[j·n + i]` = reference j · query i (the engines' layout). */
export function bruteDots(queries: Uint8Array, n: number, references: Uint8Array, m: number, d: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += references[j * d + t] * queries[i * d + t];
      out.push(s);
    }
  }
  return out;
}

/** Deterministic bytes in [0, range), from the shared test input generator. */
export function randomBytes(length: number, seed: number, range = 256): Uint8Array {
  const rng = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng() * range;
  return out;
}

/**
 * Runs `use` with the named engine and disposes of it. `js` and `wasm` run on
 * any Node 20, so their failing to load fails the test; an onnxruntime engine
 * may be unavailable or inexact on this CPU (by design: `auto` then falls
 * back), and then the test is skipped with the reason, visibly, rather than passing.
 */
export async function withEngine(name: EngineName, dimension: number, skip: (note: string) => never, use: (engine: DotEngine) => Promise<void>): Promise<void> {
  let engine: DotEngine;
  try {
    engine = await createEngine(name, dimension);
  } catch (err) {
    if (name.startsWith('onnx')) skip(`${name} cannot run here: ${(err as Error).message}`);
    throw err;
  }
  try {
    await use(engine);
  } finally {
    await engine.dispose();
  }
}

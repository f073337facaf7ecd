import { squaredL2 } from '../../../lib/knn';

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

/** Deterministic bytes in [0, range) (xorshift32). */
export function randomBytes(length: number, seed: number, range = 256): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % range;
  }
  return out;
}

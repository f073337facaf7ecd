/** Synthetic data for the benchmark: deterministic, fast to make. */

/** Fills `out` with xorshift32 bytes from `seed`. */
export function fillRandom(out: Uint8Array, seed: number): void {
  const words = new Int32Array(out.buffer, out.byteOffset, out.length >> 2);
  let x = seed | 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  for (let i = words.length * 4; i < out.length; i++) out[i] = i * 131 + seed;
}

/** Uniform random images. */
export function randomImages(count: number, dimension: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * dimension);
  fillRandom(out, seed);
  return out;
}

/**
 * Queries that are noisy copies of references (so neighbours are meaningful
 * and near ties occur), every other one a fresh random image.
 */
export function noisyQueries(references: Uint8Array, count: number, dimension: number, seed: number): Uint8Array {
  const out = randomImages(count, dimension, seed);
  const m = references.length / dimension;
  const noise = randomImages(count, dimension, seed + 1);
  for (let i = 0; i < count; i += 2) {
    const src = ((i * 7919) % m) * dimension;
    for (let t = 0; t < dimension; t++) {
      const v = references[src + t] + (noise[i * dimension + t] % 9) - 4;
      out[i * dimension + t] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** Exact top-k of one query by sorting every distance (the brute-force check). */
export function bruteForceRow(query: Uint8Array, references: Uint8Array, k: number, dimension: number): { indices: number[]; distances: number[] } {
  const m = references.length / dimension;
  const dist = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0, o = j * dimension; t < dimension; t++) {
      const d = query[t] - references[o + t];
      s += d * d;
    }
    dist[j] = s;
  }
  const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => dist[a] - dist[b] || a - b).slice(0, k);
  return { indices: order, distances: order.map((j) => dist[j]) };
}

/**
 * Running top-k selection for a block of queries, fed one tile of dot
 * products at a time. References must arrive in increasing index order: an
 * entry is inserted only when strictly closer than the current k-th, and
 * after every entry at the same distance, so ties keep the lower index.
 *
 * A WebAssembly SIMD prefilter (lib/knn/dot-wasm.ts) compares each tile
 * against the thresholds four queries at a time and hands back only the
 * (reference, query) pairs that may enter a list; those are re-checked here
 * against the thresholds as they tighten.
 */
import { reserve } from '../wasm';
import { instantiateDot, type DotExports } from './dot-wasm';

/** Candidate pairs per prefilter call; at least one row of the tile must fit. */
const MIN_PAIRS = 1 << 16;
const INT32_MAX = 0x7fffffff;
const INT32_MIN = -0x80000000;

export class TopKBlock {
  readonly distances: Int32Array;
  readonly indices: Int32Array;
  private readonly filled: Int32Array;
  /**
   * Per query: admit a reference when c_j − 2·Y < threshold (the k-th
   * distance minus the query's norm). In WebAssembly memory, padded to a
   * multiple of 4 with INT32_MIN (never admits).
   */
  private readonly threshold: Int32Array;
  private readonly wasm: DotExports;
  private readonly dotsAt: number;
  private readonly termAt: number;
  private readonly pairsAt: number;
  private readonly countAt: number;
  private readonly pairCapacity: number;
  private readonly dotsView: Int32Array;
  private readonly termView: Int32Array;
  private readonly pairs: Int32Array;
  private readonly pairCount: Int32Array;

  constructor(
    private readonly count: number,
    private readonly k: number,
    /** Squared norm of each query in the block. */
    private readonly queryNorms: Int32Array,
    /** Most references a tile will have. */
    tile: number,
  ) {
    this.distances = new Int32Array(count * k);
    this.indices = new Int32Array(count * k);
    this.filled = new Int32Array(count);
    const padded = Math.ceil(count / 4) * 4;
    this.pairCapacity = Math.max(MIN_PAIRS, count);
    this.countAt = 4 * padded;
    this.termAt = this.countAt + 16;
    this.pairsAt = this.termAt + 4 * tile;
    this.dotsAt = this.pairsAt + 8 * this.pairCapacity;
    this.wasm = instantiateDot();
    // The kernel reads up to 3 values past the last row.
    reserve(this.wasm.memory, this.dotsAt + 4 * tile * count + 16);
    const buffer = this.wasm.memory.buffer;
    this.threshold = new Int32Array(buffer, 0, padded).fill(INT32_MIN);
    // |c − 2·Y| < 2^30 for d ≤ 3072 (c = ||r||² − 256·sum(r), Y a partial dot), so int32 math is exact.
    this.threshold.fill(INT32_MAX, 0, count);
    this.pairCount = new Int32Array(buffer, this.countAt, 1);
    this.termView = new Int32Array(buffer, this.termAt, tile);
    this.pairs = new Int32Array(buffer, this.pairsAt, 2 * this.pairCapacity);
    this.dotsView = new Int32Array(buffer, this.dotsAt, tile * count);
  }

  /**
   * Folds in one tile: `dots[j·count + i]` is query i against reference
   * `firstRef + j`, up to a per-reference term: the squared distance is
   * `queryNorms[i] + refTerm[j] − 2·dots[j·count + i]`.
   */
  scan(dots: Int32Array, refCount: number, firstRef: number, refTerm: Int32Array): void {
    const n = this.count;
    this.dotsView.set(dots.subarray(0, refCount * n));
    this.termView.set(refTerm.subarray(0, refCount));
    const threshold = this.threshold;
    const pairs = this.pairs;
    for (let j = 0; j < refCount; ) {
      j = this.wasm.filter(this.dotsAt, refCount, n, this.termAt, 0, this.pairsAt, this.pairCapacity, j, this.countAt);
      const found = this.pairCount[0];
      for (let p = 0; p < 2 * found; p += 2) {
        const row = pairs[p];
        const i = pairs[p + 1];
        const e = (refTerm[row] - 2 * dots[row * n + i]) | 0;
        if (e < threshold[i]) this.insert(i, firstRef + row, e + this.queryNorms[i]);
      }
    }
  }

  private insert(query: number, ref: number, distance: number): void {
    const k = this.k;
    const base = query * k;
    const filled = this.filled[query];
    let p = filled < k ? filled : k - 1;
    while (p > 0 && this.distances[base + p - 1] > distance) {
      this.distances[base + p] = this.distances[base + p - 1];
      this.indices[base + p] = this.indices[base + p - 1];
      p--;
    }
    this.distances[base + p] = distance;
    this.indices[base + p] = ref;
    if (filled < k) this.filled[query] = filled + 1;
    if (filled + 1 >= k) this.threshold[query] = this.distances[base + k - 1] - this.queryNorms[query];
  }
}

/**
 * Running top-k selection for a block of queries, fed one tile of dot
 * products at a time. References must arrive in increasing index order: an
 * entry is inserted only when strictly closer than the current k-th, and
 * after every entry at the same distance, so ties keep the lower index.
 */
export class TopKBlock {
  readonly distances: Int32Array;
  readonly indices: Int32Array;
  private readonly filled: Int32Array;
  /** Per query: admit a reference when c_j − 2·Y < threshold (the k-th distance minus the query's norm). */
  private readonly threshold: Int32Array;

  constructor(
    private readonly count: number,
    private readonly k: number,
    /** Squared norm of each query in the block. */
    private readonly queryNorms: Int32Array,
  ) {
    this.distances = new Int32Array(count * k);
    this.indices = new Int32Array(count * k);
    this.filled = new Int32Array(count);
    // |c − 2·Y| < 2^30 for d ≤ 3072 (c = ||r||² − 256·sum(r), Y a partial dot), so int32 math is exact.
    this.threshold = new Int32Array(count).fill(0x7fffffff);
  }

  /**
   * Folds in one tile: `dots[j·count + i]` is query i against reference
   * `firstRef + j`, up to a per-reference offset: the squared distance is
   * `queryNorms[i] + refTerm[j] − 2·dots[j·count + i]`.
   */
  scan(dots: Int32Array, refCount: number, firstRef: number, refTerm: Int32Array): void {
    const n = this.count;
    const threshold = this.threshold;
    for (let j = 0; j < refCount; j++) {
      const c = refTerm[j] | 0;
      let at = j * n;
      for (let i = 0; i < n; i++, at++) {
        const e = (c - (dots[at] << 1)) | 0;
        if (e < threshold[i]) this.insert(i, firstRef + j, e + this.queryNorms[i]);
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

/** Squared L2 distance between two images, or any value >= `stop` once the running sum reaches it. */
export function squaredDistance(a: Uint8Array, b: Uint8Array, stop = Infinity): number {
  let sum = 0;
  for (let i = 0; i < a.length && sum < stop; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

/** Orthonormal 8-point DCT-II basis. */
const DCT = Array.from({ length: 8 }, (_, k) => Float64Array.from({ length: 8 }, (_, n) => Math.sqrt((k ? 2 : 1) / 8) * Math.cos((Math.PI * (2 * n + 1) * k) / 16)));
/** DCT coefficients from coarse to fine. */
const ORDER = [...Array(64).keys()].sort((a, b) => (a >> 3) + (a & 7) - ((b >> 3) + (b & 7)) || a - b);

/**
 * A 192-number summary whose squared distances bound the images' squared L2
 * distance from below: 4×4-block sums / 4 (Cauchy-Schwarz: ‖a−b‖² ≥ 16·Σ Δmean²),
 * turned by an orthonormal DCT (distances kept) so the coarse differences come
 * first and a running sum over a far pair reaches the limit early.
 */
function summarize(image: Uint8Array): Float64Array {
  const blocks = new Float64Array(192);
  for (let p = 0; p < 1024; p++) {
    const b = ((p >> 7) * 8 + ((p & 31) >> 2)) * 3;
    for (let ch = 0; ch < 3; ch++) blocks[b + ch] += image[p * 3 + ch] / 4;
  }
  const rows = new Float64Array(192);
  for (let r = 0; r < 8; r++) for (let v = 0; v < 8; v++) for (let c = 0; c < 8; c++) for (let ch = 0; ch < 3; ch++) rows[(r * 8 + v) * 3 + ch] += DCT[v][c] * blocks[(r * 8 + c) * 3 + ch];
  const out = new Float64Array(192);
  ORDER.forEach((uv, i) => {
    const [u, v] = [uv >> 3, uv & 7];
    for (let r = 0; r < 8; r++) for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] += DCT[u][r] * rows[(r * 8 + v) * 3 + ch];
  });
  return out;
}

/** A growing set of images that are pairwise at least `minDistance` apart (L2 over the bytes). */
export class FarApartSet {
  private readonly limit: number;
  private readonly images: Uint8Array[] = [];
  private summaries = new Float64Array(192 * 256);

  constructor(minDistance: number) {
    this.limit = minDistance ** 2;
  }

  /**
   * Calls `make` until its image is far from every image in this set and in
   * `also`, adds it to all of them and returns it.
   */
  draw(make: () => Uint8Array, also: FarApartSet[] = []): Uint8Array {
    const sets = [this, ...also];
    for (let attempt = 0; attempt < 1000; attempt++) {
      const image = make();
      const summary = summarize(image);
      if (sets.every((set) => set.isFar(image, summary))) {
        for (const set of sets) set.add(image, summary);
        return image;
      }
    }
    throw new Error(`1000 attempts found no image at least ${Math.sqrt(this.limit)} from the others: the pictures vary too little`);
  }

  /** Adds an image without checking it (near-copies planted on purpose). */
  add(image: Uint8Array, summary = summarize(image)): void {
    if ((this.images.length + 1) * 192 > this.summaries.length) {
      const grown = new Float64Array(this.summaries.length * 2);
      grown.set(this.summaries);
      this.summaries = grown;
    }
    this.summaries.set(summary, this.images.length * 192);
    this.images.push(image);
  }

  private isFar(image: Uint8Array, summary: Float64Array): boolean {
    const { limit, summaries } = this;
    for (let j = 0; j < this.images.length; j++) {
      let bound = 0;
      for (let i = 0, at = j * 192; i < 192 && bound < limit; i++, at++) {
        const d = summary[i] - summaries[at];
        bound += d * d;
      }
      if (bound < limit && squaredDistance(image, this.images[j], limit) < limit) return false;
    }
    return true;
  }
}

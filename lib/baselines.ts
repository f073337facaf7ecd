/**
 * Two small, real classifiers for the demo corpus, trained on the CIFAR-10
 * training images: the evaluation stage needs models, and the demo has no
 * published predictions. Both use 8×8 average-pooled images (192 values).
 */

const POOLED = 192;

/** 4×4 average pooling of HWC 32×32×3 images to 8×8×3. */
export function pool8(images: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count * POOLED);
  for (let i = 0; i < count; i++) {
    const src = i * 3072;
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        const dst = i * POOLED + ((r >> 2) * 8 + (c >> 2)) * 3;
        const p = src + (r * 32 + c) * 3;
        out[dst] += images[p] / 16;
        out[dst + 1] += images[p + 1] / 16;
        out[dst + 2] += images[p + 2] / 16;
      }
    }
  }
  return out;
}

function squared(a: Float32Array, i: number, b: Float32Array, j: number): number {
  let s = 0;
  for (let d = 0; d < POOLED; d++) {
    const diff = a[i * POOLED + d] - b[j * POOLED + d];
    s += diff * diff;
  }
  return s;
}

/** Nearest class mean: predicts the class whose mean pooled image is closest. */
export function nearestClassMean(train: Float32Array, labels: ArrayLike<number>, classes: number, test: Float32Array): number[] {
  const means = new Float32Array(classes * POOLED);
  const counts = new Array(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    counts[labels[i]]++;
    for (let d = 0; d < POOLED; d++) means[labels[i] * POOLED + d] += train[i * POOLED + d];
  }
  for (let c = 0; c < classes; c++) for (let d = 0; d < POOLED; d++) means[c * POOLED + d] /= Math.max(1, counts[c]);
  return Array.from({ length: test.length / POOLED }, (_, i) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (squared(test, i, means, c) < squared(test, i, means, best)) best = c;
    return best;
  });
}

/** 1-nearest neighbour on pooled images (ties: lower training index). */
export function nearestNeighbour(train: Float32Array, labels: ArrayLike<number>, test: Float32Array): number[] {
  const n = labels.length;
  return Array.from({ length: test.length / POOLED }, (_, i) => {
    let best = 0;
    let bestDistance = Infinity;
    for (let j = 0; j < n; j++) {
      const d = squared(test, i, train, j);
      if (d < bestDistance) {
        bestDistance = d;
        best = j;
      }
    }
    return labels[best];
  });
}

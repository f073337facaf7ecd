/**
 * Two small, real classifiers for the demo corpus, trained on the CIFAR-10
 * training images: the evaluation stage needs models, and the demo has no
 * published predictions. Both use 8×8 average-pooled images (192 values).
 */
import { topKNeighbors, type TopKOptions } from './knn';

const POOLED = 192;

/** The sums of each 4×4 block of HWC 32×32×3 images: 8×8×3 per image, each at most 16 × 255. */
function blockSums(images: Uint8Array, count: number): Uint16Array {
  const sums = new Uint16Array(count * POOLED);
  for (let i = 0; i < count; i++) {
    const src = i * 3072;
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        const dst = i * POOLED + ((r >> 2) * 8 + (c >> 2)) * 3;
        const p = src + (r * 32 + c) * 3;
        sums[dst] += images[p];
        sums[dst + 1] += images[p + 1];
        sums[dst + 2] += images[p + 2];
      }
    }
  }
  return sums;
}

/** 4×4 average pooling of HWC 32×32×3 images to 8×8×3. */
export function pool8(images: Uint8Array, count: number): Float32Array {
  return Float32Array.from(blockSums(images, count), (s) => s / 16);
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

/**
 * 4×4 average pooling rounded half up to bytes ((sum + 8) >> 4): the input of
 * the nearest-neighbour baseline, which runs on the exact uint8 kNN kernels.
 */
export function pool8Bytes(images: Uint8Array, count: number): Uint8Array {
  return Uint8Array.from(blockSums(images, count), (s) => (s + 8) >> 4);
}

/**
 * 1-nearest neighbour on byte-pooled images (pool8Bytes), exact; ties go to
 * the lower training index. 12,000 queries against 50,000 training images
 * take about a second on the kNN kernels, where a float loop blocked the
 * worker for minutes.
 */
export async function nearestNeighbour(
  train: Uint8Array,
  labels: ArrayLike<number>,
  test: Uint8Array,
  opts: Pick<TopKOptions, 'signal' | 'onProgress' | 'threads'> = {},
): Promise<number[]> {
  const { indices } = await topKNeighbors(test, train, 1, { ...opts, dimension: POOLED });
  return Array.from(indices, (j) => labels[j]);
}

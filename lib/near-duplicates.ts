// Stage 8's core: the near-duplicate pairs of a sample, among its own images
// and against CIFAR-10, to review and blacklist.

/** A near-duplicate pair: two new images, or a new image and a CIFAR-10 image. */
export interface DuplicatePair {
  id: string;
  kind: 'within' | 'cifar';
  /** The new image to blacklist (of two new images, the one with the larger TinyImages index). */
  ti: number;
  other: number;
  distance: number;
  /** Rows of the two images: `ti` in the candidate images, `other` there too (within) or in CIFAR-10 (cifar). */
  rows: [number, number];
}

export interface PairInputs {
  /** The sample's TinyImages indices, in release order. */
  tiIndices: number[];
  /** Row of each sampled image in the candidate images. */
  rowOf: ReadonlyMap<number, number>;
  /** Each sampled image's nearest images in the sample (itself among them): k per image, squared L2, by sample position. */
  within: { indices: ArrayLike<number>; distances: ArrayLike<number>; k: number };
  /** Nearest CIFAR-10 image of a candidate row, and the L2 distance to it. */
  nearestCifar: (row: number) => { index: number; distance: number };
}

/**
 * Pairs of sampled images within L2 `withinThreshold` of each other (each pair
 * once), then sampled images within `cifarThreshold` of their nearest CIFAR-10
 * image, in sample order.
 */
export function nearDuplicatePairs(inputs: PairInputs, withinThreshold: number, cifarThreshold: number): DuplicatePair[] {
  const { tiIndices, rowOf, within, nearestCifar } = inputs;
  const pairs: DuplicatePair[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < tiIndices.length; i++) {
    for (let j = 0; j < within.k; j++) {
      const other = within.indices[i * within.k + j];
      const distance = Math.sqrt(within.distances[i * within.k + j]);
      if (other === i || distance > withinThreshold) continue;
      const [a, b] = [tiIndices[i], tiIndices[other]].sort((x, y) => x - y);
      const id = `within:${a}:${b}`;
      if (!seen.has(id)) pairs.push({ id, kind: 'within', ti: b, other: a, distance, rows: [rowOf.get(b)!, rowOf.get(a)!] });
      seen.add(id);
    }
  }
  for (const ti of tiIndices) {
    const row = rowOf.get(ti)!;
    const { index, distance } = nearestCifar(row);
    if (distance <= cifarThreshold) pairs.push({ id: `cifar:${ti}:${index}`, kind: 'cifar', ti, other: index, distance, rows: [row, index] });
  }
  return pairs;
}

/** The blacklist after a review: the previous list and the confirmed pairs' new images, ascending, each once. */
export function extendBlacklist(previous: number[], pairs: DuplicatePair[], confirmed: number[] | 'all'): number[] {
  const chosen = confirmed === 'all' ? pairs : confirmed.map((p) => pairs[p]);
  return [...new Set([...previous, ...chosen.map((p) => p.ti)])].sort((a, b) => a - b);
}

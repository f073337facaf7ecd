// Stage 1's core: which TinyImages keyword each CIFAR-10 image came from, and
// how many CIFAR-10 images of each class each keyword accounts for.

/** A TinyImages image found (near-)identical to a CIFAR-10 image. */
export interface Match {
  cifar: number;
  ti: number;
  keyword: string;
  distance: number;
}

export interface KeywordAssignment {
  /** Per CIFAR-10 image: the keyword it is counted under (null: no TinyImages match). */
  assigned: Array<string | null>;
  /** Per class: keyword → CIFAR-10 images, by decreasing count, then keyword. */
  byClass: Record<string, Record<string, number>>;
  /** TinyImages indices that are CIFAR-10 images (never candidates), ascending. */
  sources: number[];
}

/**
 * One keyword per CIFAR-10 image: of the keywords its matches carry, the one
 * most frequent in its class (ties: the first in byte order). An image with
 * matches under several keywords counts once, under the keyword chosen.
 */
export function assignKeywords(labels: ArrayLike<number>, classes: string[], matches: Iterable<Match>): KeywordAssignment {
  const keywordsOf: Array<Set<string>> = Array.from({ length: labels.length }, () => new Set());
  const sources = new Set<number>();
  for (const m of matches) {
    if (!Number.isInteger(m.cifar) || m.cifar < 0 || m.cifar >= labels.length) throw new RangeError(`match of CIFAR-10 image ${m.cifar}: there are ${labels.length}`);
    keywordsOf[m.cifar].add(m.keyword);
    sources.add(m.ti);
  }
  const classCounts = classes.map(() => new Map<string, number>());
  keywordsOf.forEach((kws, i) => kws.forEach((kw) => classCounts[labels[i]].set(kw, (classCounts[labels[i]].get(kw) ?? 0) + 1)));
  const assigned = keywordsOf.map((kws, i) => {
    let best: string | null = null;
    for (const kw of [...kws].sort()) {
      if (best === null || classCounts[labels[i]].get(kw)! > classCounts[labels[i]].get(best)!) best = kw;
    }
    return best;
  });
  const byClass: Record<string, Record<string, number>> = Object.fromEntries(classes.map((name) => [name, {}]));
  assigned.forEach((kw, i) => {
    if (kw !== null) byClass[classes[labels[i]]][kw] = (byClass[classes[labels[i]]][kw] ?? 0) + 1;
  });
  for (const name of classes) byClass[name] = sortCounts(byClass[name]);
  return { assigned, byClass, sources: [...sources].sort((a, b) => a - b) };
}

/** Counts by decreasing count, then keyword. */
export function sortCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** The first `limit` CIFAR-10 images counted under `keyword`: the reference images shown beside its label pages. */
export function referenceImages(assigned: Array<string | null>, keyword: string, limit: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < assigned.length && out.length < limit; i++) if (assigned[i] === keyword) out.push(i);
  return out;
}

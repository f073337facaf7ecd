// Stage 2's core: the top-k keywords of each class and their candidates, the
// images filed under them that are not CIFAR-10 images themselves.

/** One keyword of one class in the candidate subsets. */
export interface SubsetEntry {
  className: string;
  classIndex: number;
  keyword: string;
  /** CIFAR-10 images assigned this keyword (in this class). */
  cifarCount: number;
  /** TinyImages index range of the keyword (metadata is sorted by keyword). */
  start: number;
  end: number;
  /** Rows of candidate_images.npy with this keyword that are not CIFAR-10 images. */
  rows: number[];
}

/** The top `topK` keywords of each class by CIFAR-10 count (counts already sorted), leaving out the excluded ones. */
export function topKeywords(byClass: Record<string, Record<string, number>>, classes: string[], topK: number, excluded: string[]) {
  const skip = new Set(excluded);
  return classes.flatMap((className, classIndex) =>
    Object.entries(byClass[className] ?? {})
      .filter(([keyword]) => !skip.has(keyword))
      .slice(0, topK)
      .map(([keyword, cifarCount]) => ({ className, classIndex, keyword, cifarCount })));
}

/**
 * The candidates of the keywords (given with their TinyImages ranges): every
 * image in a range that is not a CIFAR-10 source, each once, ascending (their
 * rows in the candidate array); and each keyword's rows.
 */
export function candidateRows(
  keywords: Array<Omit<SubsetEntry, 'rows'>>,
  sources: ReadonlySet<number>,
): { order: number[]; entries: SubsetEntry[] } {
  const candidates = new Set<number>();
  for (const k of keywords) for (let ti = k.start; ti < k.end; ti++) if (!sources.has(ti)) candidates.add(ti);
  const order = [...candidates].sort((a, b) => a - b);
  const rowOf = new Map(order.map((ti, row) => [ti, row]));
  const entries = keywords.map((k) => {
    const rows: number[] = [];
    for (let ti = k.start; ti < k.end; ti++) if (rowOf.has(ti)) rows.push(rowOf.get(ti)!);
    return { ...k, rows };
  });
  return { order, entries };
}

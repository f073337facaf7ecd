// Every image accounted for: one provenance row per release image, and one
// exclusion row per candidate of the build that is not in the release, with
// the reason and its evidence. The core is pure: the describeRelease stage
// gathers its inputs from the store and writes what it returns.

/**
 * Who decided a page, when, and how (a person in the page, the simulated
 * labeler, a decisions file). The simulated labeler's answers carry no time in
 * the release: they follow from the ground truth, and a release built with it
 * is byte-identical on every run.
 */
export interface DecisionInfo {
  page: string;
  labeler: string;
  at?: string;
  via: 'page' | 'simulated' | 'import';
}

/** An image of CIFAR-10: its split and index there, and the L2 distance to it. */
export interface CifarNeighbour {
  split: 'train' | 'test';
  index: number;
  distance: number;
}

/** One row of `cifar10.1_<release>_provenance.jsonl`: where a release image came from and what it went through. */
export interface ProvenanceRow {
  position: number;
  /** TinyImages index (for a pool: the corpus row), and the pool's id and path when the source is a pool. */
  source: { index: number; id?: string; path?: string };
  class: string;
  label: number;
  keyword: string;
  /** The nearest CIFAR-10 training and test images (null without pixels: a build from the published files). */
  nearestCifar: { train: CifarNeighbour; test: CifarNeighbour } | null;
  /** The nearest other image of the release. */
  nearestInRelease: { position: number; index: number; distance: number } | null;
  /** The two labeling rounds' decisions on it (null for a build from the published files: they did not say who). */
  round1: DecisionInfo | null;
  round2: DecisionInfo | null;
  /** The near-duplicate round whose sample first held it, its place among its keyword's draws, and whether it came from the base release (v6: v4). */
  sampling: { round: number; draw: number; from: 'base' | 'drawn' };
  /** The thresholds it passed, beside its own distances. */
  checks: { minCifarDistance: number; withinThreshold: number; cifarThreshold: number };
}

/** Why a candidate of the build is not in the release, in the order the build decides it. */
export type ExclusionReason =
  | 'keyword-excluded'
  | 'keyword-not-in-top-k'
  | 'no-quota'
  | 'rejected-round1'
  | 'too-close-to-cifar10'
  | 'rejected-round2'
  | 'blacklisted'
  | 'not-drawn';

/** One row of `cifar10.1_<release>_exclusions.jsonl`. */
export type ExclusionRow = {
  index: number;
  id?: string;
  class: string;
  keyword: string;
} & (
  | { reason: 'keyword-excluded'; evidence: { config: 'keywords.excluded' } }
  | { reason: 'keyword-not-in-top-k'; evidence: { rank: number; topK: number; count: number } }
  | { reason: 'no-quota'; evidence: { count: number; quota: 0 } }
  | { reason: 'rejected-round1' | 'rejected-round2'; evidence: DecisionInfo | null }
  | { reason: 'too-close-to-cifar10'; evidence: (CifarNeighbour & { threshold: number }) | null }
  | { reason: 'blacklisted'; evidence: { round: number; kind: 'within' | 'cifar' | 'base' | 'published'; other: number | null; distance: number | null } }
  | { reason: 'not-drawn'; evidence: { quota: number; drawn: number; confirmed: number } }
);

/** The order exclusion reasons are reported in (the order the build decides them). */
export const EXCLUSION_REASONS: ExclusionReason[] = [
  'keyword-excluded', 'keyword-not-in-top-k', 'no-quota', 'rejected-round1', 'too-close-to-cifar10', 'rejected-round2', 'blacklisted', 'not-drawn',
];

/** Counts of exclusion rows by reason, every reason present (zeros included), in EXCLUSION_REASONS order. */
export function exclusionCounts(rows: Iterable<{ reason: ExclusionReason }>): Record<ExclusionReason, number> {
  const counts = Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>;
  for (const row of rows) counts[row.reason]++;
  return counts;
}

/** Accepted (or offered) TinyImages indices per class and keyword, as recordLabels stores them. */
export type ByKeyword = Record<string, Record<string, number[]>>;

/** What a labeling round did: what it offered and accepted per keyword, and who decided each image's page. */
export interface RoundRecord {
  offered: ByKeyword;
  accepted: ByKeyword;
  decisionOf: (ti: number, className: string, keyword: string) => DecisionInfo | null;
}

/** A keyword of a class in the build, ranked by its count, with its images: their range in the corpus, or a list. */
export interface RankedKeyword {
  className: string;
  keyword: string;
  /** 0-based rank in its class (by count, then keyword). */
  rank: number;
  count: number;
  start: number;
  end: number;
  /** The images, when they are not a range (a build from the published files knows only the labeled ones). */
  images?: number[];
}

/** The sample of a release as sampling stores it: indices and labels in release order, the draws per keyword. */
export interface SampleRecord {
  tiIndices: number[];
  labels: number[];
  perKeyword: Array<{ class: string; keyword: string; indices: number[] }>;
}

export interface DescribeInputs {
  classes: string[];
  topK: number;
  excluded: string[];
  /** Every keyword the build counted for a class (not only its top-k), in rank order. */
  keywords: RankedKeyword[];
  /** Corpus images that are CIFAR-10 images themselves: never candidates. */
  sources: ReadonlySet<number>;
  quotaOf: (className: string, keyword: string) => number;
  round1: RoundRecord;
  round2: RoundRecord;
  /** The nearest CIFAR-10 image of a candidate (the distance stage's first neighbour); null without pixels. */
  nearestCifar: (ti: number) => CifarNeighbour | null;
  thresholds: ProvenanceRow['checks'];
  /** Blacklisted images: in which near-duplicate round, as a near copy of what (round 0: inherited from the base release). */
  blacklisted: ReadonlyMap<number, { round: number; kind: 'within' | 'cifar' | 'base' | 'published'; other: number | null; distance: number | null }>;
  sample: SampleRecord;
  /** Every near-duplicate round's sample, in order (the last is `sample`). */
  sampleRounds: SampleRecord[];
  /** The base release per keyword (v6 grows from v4). */
  basePerKeyword?: Record<string, number[]>;
  /** Per release position: the nearest CIFAR-10 train and test images, and the nearest other release image (null without pixels). */
  nearest: Array<{ train: CifarNeighbour; test: CifarNeighbour; inRelease: ProvenanceRow['nearestInRelease'] }> | null;
  /** A pool source's id and path of a corpus row. */
  poolIds?: (index: number) => { id: string; path: string } | undefined;
}

/** One provenance row per release image, in release order. */
export function provenanceRows(inputs: DescribeInputs): ProvenanceRow[] {
  const { sample } = inputs;
  const drawOf = new Map<number, { className: string; keyword: string; draw: number }>();
  for (const draw of sample.perKeyword) draw.indices.forEach((ti, i) => drawOf.set(ti, { className: draw.class, keyword: draw.keyword, draw: i }));
  const rounds = inputs.sampleRounds.map((s) => new Set(s.tiIndices));
  const roundOf = (ti: number) => rounds.findIndex((s) => s.has(ti)) + 1 || rounds.length;
  return sample.tiIndices.map((ti, position) => {
    const { className, keyword, draw } = drawOf.get(ti) ?? { className: inputs.classes[sample.labels[position]], keyword: '', draw: -1 };
    const ids = inputs.poolIds?.(ti);
    return {
      position,
      source: { index: ti, ...(ids ? { id: ids.id, path: ids.path } : {}) },
      class: className,
      label: sample.labels[position],
      keyword,
      nearestCifar: inputs.nearest ? { train: inputs.nearest[position].train, test: inputs.nearest[position].test } : null,
      nearestInRelease: inputs.nearest?.[position].inRelease ?? null,
      round1: inputs.round1.decisionOf(ti, className, keyword),
      round2: inputs.round2.decisionOf(ti, className, keyword),
      sampling: { round: roundOf(ti), draw, from: inputs.basePerKeyword?.[keyword]?.includes(ti) ? 'base' : 'drawn' },
      checks: inputs.thresholds,
    };
  });
}

/**
 * One exclusion row per candidate that is not in the release: every image of
 * every keyword counted for a class, but the CIFAR-10 images themselves and
 * the release's images, each once (an image under a keyword of two classes is
 * reported under the first). The reason is the first step of the build it did
 * not pass, in EXCLUSION_REASONS order.
 */
export function* exclusionRows(inputs: DescribeInputs): Generator<ExclusionRow> {
  const released = new Set(inputs.sample.tiIndices);
  const seen = new Set<number>();
  const skip = new Set(inputs.excluded);
  const drawn = new Map<string, number>();
  for (const d of inputs.sample.perKeyword) drawn.set(`${d.class}/${d.keyword}`, (drawn.get(`${d.class}/${d.keyword}`) ?? 0) + d.indices.length);
  // Top-k is counted over the keywords left after the excluded ones, as buildKeywordSubsets picks them.
  const keptRank = new Map<string, number>();
  const next = new Map<string, number>();
  for (const k of inputs.keywords) {
    if (skip.has(k.keyword)) continue;
    const rank = next.get(k.className) ?? 0;
    keptRank.set(`${k.className}/${k.keyword}`, rank);
    next.set(k.className, rank + 1);
  }
  const sets = new Map<ByKeyword, Map<string, Set<number>>>();
  const member = (map: ByKeyword, c: string, k: string, ti: number) => {
    let byKey = sets.get(map);
    if (!byKey) sets.set(map, (byKey = new Map()));
    let set = byKey.get(`${c}/${k}`);
    if (!set) byKey.set(`${c}/${k}`, (set = new Set(map[c]?.[k] ?? [])));
    return set.has(ti);
  };
  for (const k of inputs.keywords) {
    const { className: c, keyword } = k;
    const rank = keptRank.get(`${c}/${keyword}`);
    const quota = inputs.quotaOf(c, keyword);
    for (const ti of k.images ?? range(k.start, k.end)) {
      if (inputs.sources.has(ti) || released.has(ti) || seen.has(ti)) continue;
      seen.add(ti);
      const ids = inputs.poolIds?.(ti);
      const base = { index: ti, ...(ids ? { id: ids.id } : {}), class: c, keyword };
      if (rank === undefined) yield { ...base, reason: 'keyword-excluded', evidence: { config: 'keywords.excluded' } };
      else if (rank >= inputs.topK) yield { ...base, reason: 'keyword-not-in-top-k', evidence: { rank: rank + 1, topK: inputs.topK, count: k.count } };
      else if (quota === 0) yield { ...base, reason: 'no-quota', evidence: { count: k.count, quota: 0 } };
      else if (!member(inputs.round1.accepted, c, keyword, ti)) yield { ...base, reason: 'rejected-round1', evidence: inputs.round1.decisionOf(ti, c, keyword) };
      else if (!member(inputs.round2.offered, c, keyword, ti)) {
        const nearest = inputs.nearestCifar(ti);
        yield { ...base, reason: 'too-close-to-cifar10', evidence: nearest ? { ...nearest, threshold: inputs.thresholds.minCifarDistance } : null };
      }
      else if (!member(inputs.round2.accepted, c, keyword, ti)) yield { ...base, reason: 'rejected-round2', evidence: inputs.round2.decisionOf(ti, c, keyword) };
      else if (inputs.blacklisted.has(ti)) yield { ...base, reason: 'blacklisted', evidence: inputs.blacklisted.get(ti)! };
      else yield { ...base, reason: 'not-drawn', evidence: { quota, drawn: drawn.get(`${c}/${keyword}`) ?? 0, confirmed: inputs.round2.accepted[c]?.[keyword]?.length ?? 0 } };
    }
  }
}

function* range(start: number, end: number): Generator<number> {
  for (let i = start; i < end; i++) yield i;
}

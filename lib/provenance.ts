// Every image accounted for: one provenance row per release image, and one
// exclusion row per candidate of the build that is not in the release, with
// the reason and its evidence. The core is pure: the describeRelease stage
// gathers its inputs from the store and writes what it returns.

/** Who decided a page, when, and how (a person in the page, the simulated labeler, a decisions file). */
export interface DecisionInfo {
  page: string;
  labeler: string;
  at: string;
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
  /** The nearest CIFAR-10 training and test images. */
  nearestCifar: { train: CifarNeighbour; test: CifarNeighbour };
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
  | { reason: 'too-close-to-cifar10'; evidence: CifarNeighbour & { threshold: number } }
  | { reason: 'blacklisted'; evidence: { round: number; kind: 'within' | 'cifar' | 'base'; other: number | null; distance: number | null } }
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

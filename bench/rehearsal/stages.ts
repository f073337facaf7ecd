// What each stage of a build cost, from its activities in the histories and
// the workers' memory samples; how that cost grows with the work; and what it
// projects to at the real TinyImages size.
import { cpuSeconds, peakRss, type Tracked } from './cluster';
import type { ActivityRow } from './histories';

/** The real TinyImages: projections scale the image-driven stages to it. */
export const REAL_IMAGES = 79_302_017;

/**
 * Stages whose work is the TinyImages images (a streaming pass over all of
 * them). Every other stage works on the release's candidates, or less (its
 * keywords, its sample): TinyImages is read by keyword range (binary search
 * over the sorted metadata) or by index, never whole.
 */
const IMAGE_STAGES = new Set(['findCifar10Keywords']);

/** What each stage's work is, read from its activity: what its cost should grow with. */
export const STAGE_WORK: Record<string, string> = {
  extractSources: 'CIFAR-10 (fixed) read and stored; TinyImages only sized',
  findRelease: 'a lookup in the store',
  findCifar10Keywords: 'every TinyImages image streamed through the CIFAR-10 hash index: ∝ images',
  assignKeywords: 'the matches found: ∝ CIFAR-10 copies (fixed)',
  buildKeywordSubsets: 'the top-k keywords\' images read by range and written: ∝ candidates',
  computeDistances: 'candidates × 60,000 CIFAR-10 images: ∝ the candidates computed (v6 finds v4\'s shards in the store)',
  computeKeywordCounts: 'per keyword: ∝ keywords (fixed)',
  labelCandidates: 'pages of every candidate, the simulated labeler, decisions: ∝ candidates',
  confirmCandidates: 'pages of the round-1 choices: ∝ candidates',
  sampleRelease: 'the confirmed lists per keyword, a sample of ~2,000',
  checkNearDuplicates: 'the sample (~2,000) against each other and CIFAR-10 through the neighbours file: mostly fixed',
  updateBlacklist: 'the confirmed pairs: fixed',
  exportRelease: 'the release (~2,000 images): fixed',
  evaluateModels: 'two baselines (nearest class mean, 1-NN on 8×8 pooled images) trained on the 50,000 CIFAR-10 training images, run on the 10,000 test images and the release: ∝ CIFAR-10 (fixed)',
  describeRelease: 'a provenance row per release image and an exclusion row per other candidate (streamed), after reading the release and CIFAR-10: fixed + ∝ candidates',
  reportRelease: 'contact sheets of the release (~2,000 images) and tables from the audit summary: fixed',
  publishRelease: 'the release files copied into its folder, exclusions.jsonl among them: ∝ candidates',
  recordRelease: 'a small record',
};

export interface StageCost {
  release: string;
  stage: string;
  /** First schedule to last completion of the stage's activities. */
  wallSeconds: number;
  /** Sum over its activities of started → completed (the last attempt of each). */
  activitySeconds: number;
  /** CPU seconds the worker processes used in its window: its cost however loaded the machine was (and attempts the history forgets included). */
  cpuSeconds?: number;
  activities: number;
  /** Activities found complete in the store (their result says cached), and those that computed (it says not). */
  cached: number;
  computed: number;
  /** Activities that took more than one attempt, and why the one before the last ended. */
  retried: Array<{ type: string; attempt: number; lastFailure: string | null }>;
  peakRssBytes: number;
  largestPayloadBytes: number;
  /** What its work is counted in, and how much of it there was: for a sharded stage, the items its shards computed (not found in the store). */
  driver: 'images' | 'candidates';
  work: number;
  startedAt: number;
  endedAt: number;
}

/** Work of a build, per release: its TinyImages images and its candidates. */
export type Work = Record<string, { images: number; candidates: number }>;

/** The candidates and images each release of a build worked on, from its stage results. */
export function workOf(rows: ActivityRow[]): Work {
  const work: Work = {};
  for (const r of rows) {
    const summary = (r.result as { summary?: { tinyCount?: number; queries?: number } } | undefined)?.summary;
    const w = (work[r.release] ??= { images: 0, candidates: 0 });
    if (r.type === 'extractSources' && summary?.tinyCount) w.images = summary.tinyCount;
    if (r.type === 'buildKeywordSubsets' && summary?.queries) w.candidates = summary.queries;
  }
  return work;
}

/**
 * Cost of each stage of each release, in the order the stages began.
 * `payloads` holds the largest payload per `<release>/<stage>`.
 */
export function stageCosts(rows: ActivityRow[], payloads: Map<string, number>, workers: Tracked[]): StageCost[] {
  const work = workOf(rows);
  const groups = new Map<string, ActivityRow[]>();
  for (const r of rows) {
    const key = `${r.release}/${r.stage}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(r);
  }
  const costs = [...groups.entries()].map(([key, group]): StageCost => {
    const { release, stage } = group[0];
    const startedAt = Math.min(...group.map((r) => r.scheduledAt));
    const endedAt = Math.max(...group.map((r) => r.endedAt ?? r.scheduledAt));
    const driver = IMAGE_STAGES.has(stage) ? 'images' : 'candidates';
    // A sharded stage's work is what its shards computed (v6 takes v4's distances shards from the store).
    const sharded = group.filter((r) => r.type === stage).map((r) => r.result as { start?: number; end?: number; cached?: boolean } | undefined);
    const shardWork = sharded.reduce((n, x) => n + (x && x.cached === false && x.end !== undefined && x.start !== undefined ? x.end - x.start : 0), 0);
    return {
      release,
      stage,
      wallSeconds: (endedAt - startedAt) / 1000,
      activitySeconds: group.reduce((s, r) => s + (r.startedAt !== null && r.endedAt !== null ? (r.endedAt - r.startedAt) / 1000 : 0), 0),
      cpuSeconds: workers.reduce((s, p) => s + cpuSeconds(p, startedAt, endedAt), 0),
      activities: group.length,
      cached: group.filter((r) => (r.result as { cached?: boolean } | undefined)?.cached === true).length,
      computed: group.filter((r) => (r.result as { cached?: boolean } | undefined)?.cached === false).length,
      retried: group.filter((r) => r.attempt > 1).map((r) => ({ type: r.type, attempt: r.attempt, lastFailure: r.lastFailure })),
      peakRssBytes: Math.max(0, ...workers.map((p) => peakRss(p, startedAt, endedAt))),
      largestPayloadBytes: payloads.get(key) ?? 0,
      driver,
      work: shardWork || (work[release]?.[driver] ?? 0),
      startedAt,
      endedAt,
    };
  });
  return costs.sort((a, b) => a.startedAt - b.startedAt);
}

/** What the analysis needs of a stage's cost (the JSON report's stage rows have it). */
export type StageFigures = Pick<StageCost, 'release' | 'stage' | 'wallSeconds' | 'activitySeconds' | 'cpuSeconds' | 'activities' | 'cached' | 'computed' | 'retried' | 'driver' | 'work'>;

export interface Growth {
  release: string;
  stage: string;
  driver: StageCost['driver'];
  /** Per size, smallest first: the work and what the stage cost. */
  points: Array<{ work: number; wallSeconds: number; activitySeconds: number; cpuSeconds: number | null }>;
  /**
   * What the exponents are of: the worker's CPU seconds in the stage's window
   * where recorded (the machine is shared: wall time moves with the load);
   * else the summed activity time, or the wall time for a stage with retries
   * (the history keeps only the last attempt's time).
   */
  cost: 'cpu' | 'activity' | 'wall';
  /** Between consecutive sizes: ln(cost ratio) / ln(work ratio) (1 = linear). */
  exponents: Array<number | null>;
  wallExponents: Array<number | null>;
  /** Least squares cost = fixed + perUnit × work over the sizes, of `cost` and of the wall time. */
  fit: { fixed: number; perUnit: number } | null;
  wallFit: { fixed: number; perUnit: number } | null;
}

const exponent = (c0: number, c1: number, w0: number, w1: number) =>
  c0 > 0 && c1 > 0 && w0 > 0 && w1 > 0 && w0 !== w1 ? Math.log(c1 / c0) / Math.log(w1 / w0) : null;

/** Least squares line through (work, cost): null with fewer than two distinct works. */
function fitLine(points: Array<[number, number]>): { fixed: number; perUnit: number } | null {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  if (n < 2 || sxx === 0) return null;
  const perUnit = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { fixed: my - perUnit * mx, perUnit };
}

/** How each stage that computed grows from size to size (sizes smallest first). */
export function growth(sizes: StageFigures[][]): Growth[] {
  const computed = sizes.map((s) => s.filter((c) => c.computed > 0));
  const keys = [...new Set(computed.flatMap((s) => s.map((c) => `${c.release}/${c.stage}`)))];
  return keys.map((key) => {
    const found = computed.map((s) => s.find((c) => `${c.release}/${c.stage}` === key));
    const first = found.find(Boolean)!;
    const points = found.map((c) => ({ work: c?.work ?? 0, wallSeconds: c?.wallSeconds ?? 0, activitySeconds: c?.activitySeconds ?? 0, cpuSeconds: c?.cpuSeconds ?? null }));
    const cost = points.every((p) => p.cpuSeconds !== null) ? 'cpu' : found.some((c) => c && c.retried.length > 0) ? 'wall' : 'activity';
    const pairs = points.slice(1).map((p, i) => [points[i], p]);
    const of = (p: Growth['points'][number]) => (cost === 'cpu' ? p.cpuSeconds! : cost === 'wall' ? p.wallSeconds : p.activitySeconds);
    const present = points.filter((p) => p.work > 0);
    return {
      release: first.release,
      stage: first.stage,
      driver: first.driver,
      points,
      cost,
      exponents: pairs.map(([a, b]) => exponent(of(a), of(b), a.work, b.work)),
      wallExponents: pairs.map(([a, b]) => exponent(a.wallSeconds, b.wallSeconds, a.work, b.work)),
      fit: fitLine(present.map((p) => [p.work, of(p)])),
      wallFit: fitLine(present.map((p) => [p.work, p.wallSeconds])),
    };
  });
}

export interface Projection {
  release: string;
  stage: string;
  driver: StageCost['driver'];
  measuredWallSeconds: number;
  /** Seconds per unit of work at the measured size (wall). */
  rate: number;
  projectedWallSeconds: number;
}

/**
 * Each stage at the real 79,302,017 TinyImages images: a stage that streams
 * the images (and computed, not found in the store) from its wall time's line
 * over the sizes (fixed + per image × 79,302,017), or its rate at the largest
 * size where there is no line; the others keep their measured time (the real
 * candidates are the ~589,711 the full shape already has; CIFAR-10 stays
 * 60,000). The build's wall time moves by the stages' differences.
 */
export function project(costs: StageFigures[], measuredWallSeconds: number, grown: Growth[] = []): { stages: Projection[]; wallSeconds: number } {
  const stages = costs.map((c): Projection => {
    const rate = c.work > 0 ? c.wallSeconds / c.work : 0;
    const scales = c.driver === 'images' && c.computed > 0;
    const line = grown.find((g) => g.release === c.release && g.stage === c.stage)?.wallFit;
    return {
      release: c.release,
      stage: c.stage,
      driver: c.driver,
      measuredWallSeconds: c.wallSeconds,
      rate,
      projectedWallSeconds: !scales ? c.wallSeconds : line && line.perUnit > 0 ? Math.max(0, line.fixed) + line.perUnit * REAL_IMAGES : rate * REAL_IMAGES,
    };
  });
  return { stages, wallSeconds: measuredWallSeconds + stages.reduce((s, p) => s + p.projectedWallSeconds - p.measuredWallSeconds, 0) };
}

const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

/** The growth table and the projection, as the report holds them, from the sizes' stage figures (smallest first, the full shape last). */
export function analysis(sizes: StageFigures[][], coldWallSeconds: number) {
  const grown = growth(sizes);
  const projected = project(sizes[sizes.length - 1], coldWallSeconds, grown);
  const fit = (f: Growth['fit']) => f && { fixed: round(f.fixed), perUnit: round(f.perUnit) };
  return {
    growth: grown.map((g) => ({
      ...g,
      exponents: g.exponents.map((e) => (e === null ? null : round(e, 3))),
      wallExponents: g.wallExponents.map((e) => (e === null ? null : round(e, 3))),
      fit: fit(g.fit),
      wallFit: fit(g.wallFit),
    })),
    projections: {
      images: REAL_IMAGES,
      wallSeconds: round(projected.wallSeconds),
      stages: projected.stages.filter((p) => p.projectedWallSeconds !== p.measuredWallSeconds).map((p) => ({ ...p, rate: round(p.rate), projectedWallSeconds: round(p.projectedWallSeconds) })),
      method: 'From the measured builds: findCifar10Keywords (the only stage that streams every TinyImages image) from the line through its wall times at the three sizes, fixed + seconds per image × 79,302,017; every other stage at its full-shape time (its work is the candidates, ~589,711 at the real scale as in the full shape, against 60,000 CIFAR-10 images). One worker process on this machine; the TinyImages file streamed as fast as it was here (partly from the page cache: a real 244 GB file is read from disk).',
    },
  };
}

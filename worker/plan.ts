// `cifar101 plan <config>`: before a build, each stage as cached, to run or
// blocked (waiting for people), and for each stage to run, the input that
// changed: a config key, an upstream stage, the data it is keyed by, or its
// code version. It follows the workflow's stages key by key through the
// store, reading only: it changes nothing and starts no workflow.
import path from 'node:path';
import { loadReleaseConfig, type ReleaseConfig } from '../configs';
import { latestRecord } from '../activities/release-record';
import { reportKey } from '../activities/report-release';
import { describeSource, historyLinks } from '../workflows/audit';
import { buildWorkflowId, TASK_QUEUE } from '../workflows/ids';
import { resolveTarget, workflowsUrl } from './connection';
import { decisionKey, type LabelPage, roundPages } from '../lib/labeling';
import { type DuplicatePair, extendBlacklist } from '../lib/near-duplicates';
import { poolIdentity, RENDER_ENGINE, scanPool } from '../lib/pool';
import { poolConfigSchema } from '../lib/pool/config';
import { Published } from '../lib/published';
import { PUBLISHED_DIR } from '../lib/published-data';
import { sourceIdentity } from '../lib/source-identity';
import { type Keyed, type KeyParts, stageKeys, type VersionOverrides } from '../lib/stage-keys';
import { loadNeighbors, loadSubsets } from '../lib/stage-files';
import { holdsExactly } from '../lib/publish';
import { type ArtifactRef, ArtifactStore, type StageOutput } from '../lib/store';
import type { BuildResult, PageDecision, SourceSpec } from '../workflows/types';

export interface PlanRow {
  stage: string;
  status: 'cached' | 'run' | 'blocked';
  /**
   * A stage keyed by the content of what runs before it (the candidates' pixels, a round's pages
   * or decisions, the blacklist): it runs unless that comes out as before, which only the build tells.
   */
  maybe?: boolean;
  /** Why it runs: what changed since the last build of this release, or what it waits for. */
  why?: string;
  key?: string;
}

export interface Plan {
  release: string;
  /** The base release's plan (v6 grows from v4), when it has to be built. */
  base?: Plan;
  rows: PlanRow[];
}

type Out = StageOutput;

/** The previous build of a release in this store: its stages' keys, to name what changed. */
async function previousBuild(store: ArtifactStore, release: string): Promise<Map<string, string[]>> {
  const results: Array<{ result: BuildResult; mtime: number }> = [];
  for (const key of await store.entries('recordRelease')) {
    const entry = await store.lookup<object>('recordRelease', key);
    if (!entry) continue;
    const result = await store.readJson<BuildResult>(entry.files['result.json']);
    if (result.release === release) results.push({ result, mtime: await store.entryTime('recordRelease', key) });
  }
  const latest = results.sort((a, b) => b.mtime - a.mtime)[0]?.result;
  const keys = new Map<string, string[]>();
  for (const s of latest?.stages ?? []) if (s.key) keys.set(s.stage, [...(keys.get(s.stage) ?? []), s.key]);
  return keys;
}

/** The first difference between two keys' parts, said as a user would: the config key, the upstream stage, the data, the code version. */
function changed(now: Keyed, before: { version: number; parts: unknown } | null): string {
  if (!before) return 'not built in this store yet';
  if (before.version !== now.version) return `code version ${before.version} → ${now.version}`;
  const was = before.parts as KeyParts;
  const differs = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  for (const [name, value] of Object.entries(now.parts.config ?? {})) if (differs(value, was.config?.[name])) return `config: ${name}`;
  for (const [name, value] of Object.entries(now.parts.upstream ?? {})) if (differs(value, was.upstream?.[name])) return `upstream: ${name}`;
  for (const [name, value] of Object.entries(now.parts.data ?? {})) if (differs(value, was.data?.[name])) return `data: ${name}`;
  return 'its entry is gone from the store';
}

class Planner {
  readonly rows: PlanRow[] = [];
  /** Set once a stage runs: what follows cannot be keyed before it does. */
  private runsFirst: string | null = null;
  /** Set once what follows depends on the content of what runs (the blacklist the near-duplicate rounds make). */
  uncertain = false;

  constructor(readonly store: ArtifactStore, readonly previous: Map<string, string[]>, readonly versions?: VersionOverrides) {}

  /** Looks a keyed stage up: its entry when cached, null when it runs (with why). `byContent`: keyed by what the stages before it make. */
  async step(keyed: Keyed | null, name = keyed?.stage ?? '?', byContent = false): Promise<Out | null> {
    if (!keyed || this.runsFirst) {
      this.after(name, byContent);
      return null;
    }
    const found = await this.store.lookup<object>(keyed.stage, keyed.key);
    if (found) {
      this.rows.push({ stage: name, status: 'cached', key: keyed.key });
      return found;
    }
    const before = this.previous.get(name)?.[0];
    this.rows.push({ stage: name, status: 'run', key: keyed.key, why: changed(keyed, before ? await this.store.madeOf(keyed.stage, before) : null) });
    this.runsFirst = name;
    return found;
  }

  /** A stage after one that runs: it runs too, or (keyed by content) unless that stage's output comes out as before. */
  after(stage: string, byContent: boolean): void {
    const first = this.runsFirst ?? 'the stages before it';
    this.rows.push(byContent || this.uncertain
      ? { stage, status: 'run', maybe: true, why: `after ${first} runs, unless what it makes comes out as before` }
      : { stage, status: 'run', why: `after ${first} runs` });
  }

  /** A stage that waits for people (or a file, or the simulated labeler). */
  blocked(stage: string, why: string): void {
    this.rows.push({ stage, status: 'blocked', why });
    this.runsFirst ??= stage;
  }

  get stopped(): boolean {
    return this.runsFirst !== null;
  }
}

/** The plan of a build: `source` as the CLI resolves it, in the artifact store at `outDir`. */
export async function planBuild(opts: { config: string | ReleaseConfig; source: SourceSpec; outDir: string; versions?: VersionOverrides; taskQueue?: string }): Promise<Plan> {
  const config = typeof opts.config === 'string' ? await loadReleaseConfig(opts.config) : opts.config;
  const store = new ArtifactStore(path.resolve(opts.outDir));
  if (opts.source.kind === 'published') {
    return { release: config.release, rows: [{ stage: 'published files', status: 'run', why: 'a build from the published files takes every stage from them (seconds): no plan needed' }] };
  }
  const p = new Planner(store, await previousBuild(store, config.release), opts.versions);
  const v = opts.versions;
  const { source } = opts;

  let base: Plan | undefined;
  let baseFiles: { blacklist?: ArtifactRef; perKeyword: ArtifactRef } | undefined;
  if (config.base) {
    const recorded = await latestRecord(store, { release: config.base.release, configHash: config.base.hash, source });
    const result = recorded ? await store.readJson<BuildResult>(recorded.files['result.json']) : null;
    if (result) baseFiles = { ...(result.blacklist ? { blacklist: result.blacklist } : {}), perKeyword: result.perKeyword };
    else base = await planBuild({ ...opts, config: config.base });
  }

  let pool: Out | null = null;
  if (source.kind === 'pool') {
    const poolConfig = config.pool ?? poolConfigSchema.parse({});
    const scanned = await scanPool(source.pool, { classes: config.classes, keywordClasses: poolConfig.keywordClasses });
    pool = await p.step(stageKeys.ingestPool((await poolIdentity(scanned)).sha256, poolConfig.resize, RENDER_ENGINE, config.classes, v));
  }
  const extract = await p.step(source.kind === 'pool' && !pool ? null : stageKeys.extractSources(await sourceIdentity(source, { poolKey: pool?.key }), v), 'extractSources');

  let keywords: Out | null;
  if (source.kind === 'pool') keywords = await p.step(extract && pool ? stageKeys.poolKeywords(extract, pool, v) : null, 'poolKeywords');
  else {
    const matches = await p.step(extract ? stageKeys.findCifar10Keywords(extract, config.keywords.matchMaxDistance, v) : null, 'findCifar10Keywords');
    keywords = await p.step(extract && matches ? stageKeys.assignKeywords(extract, matches, v) : null, 'assignKeywords');
  }
  const subsets = await p.step(extract && keywords ? stageKeys.buildKeywordSubsets(extract, keywords, config.keywords.topK, config.keywords.excluded, config.classes, v) : null, 'buildKeywordSubsets');
  const distances = await p.step(extract && subsets ? stageKeys.computeDistances(extract, subsets, config.distances.neighbors, v) : null, 'computeDistances', true);
  const published = config.sampling.counts === 'published'
    ? await new Published(PUBLISHED_DIR).json<object>(config.sampling.method === 'per-keyword' ? 'other_data/keyword_counts_v4.json' : 'other_data/keyword_counts_v6.json', 'object') : null;
  const counts = await p.step(subsets ? stageKeys.computeKeywordCounts(subsets, config.sampling, config.classes, config.keywords.excluded, published, v) : null, 'computeKeywordCounts');

  const upstream = extract && keywords && subsets && distances && counts ? { extract, keywords, subsets, distances, counts } : null;
  const labels = await planRound(p, config, 1, upstream, null);
  const confirmed = await planRound(p, config, 2, upstream, labels?.labels ?? null);

  // Sampling with near-duplicate rounds, as far as the store has them.
  let blacklist = baseFiles?.blacklist;
  let sample: Out | null = null;
  const rounds: Array<{ sample: ArtifactRef; pairs: ArtifactRef; blacklist?: ArtifactRef }> = [];
  for (let round = 1; round <= config.nearDuplicates.rounds; round++) {
    sample = await p.step(counts && confirmed && (baseFiles || !config.base)
      ? stageKeys.sampleRelease(config, counts, confirmed.labels, blacklist?.sha256, baseFiles?.perKeyword.sha256, v) : null, 'sampleRelease');
    const check = await p.step(sample && subsets && distances
      ? stageKeys.checkNearDuplicates(sample, subsets, distances, config.nearDuplicates.withinThreshold, config.nearDuplicates.cifarThreshold, v) : null, 'checkNearDuplicates');
    if (p.stopped || !check || !sample) {
      if (round < config.nearDuplicates.rounds) p.after('updateBlacklist', true);
      // A sample that was cached with a check that runs: the next rounds' samples, and the release, follow the pairs it finds.
      if (sample && !check) p.uncertain = true;
      break;
    }
    rounds.push({ sample: sample.files['sample.json'], pairs: check.files['pairs.json'] });
    const pairs = await store.readJson<DuplicatePair[]>(check.files['pairs.json']);
    if (pairs.length === 0) break;
    if (config.nearDuplicates.review === 'interactive') {
      p.blocked('updateBlacklist', `waits for a review of ${pairs.length} near-duplicate pairs (round ${round})`);
      break;
    }
    const previous = blacklist ? await store.readJson<number[]>(blacklist) : [];
    const updated = await p.step(stageKeys.updateBlacklist(extendBlacklist(previous, pairs, 'all'), v), 'updateBlacklist', true);
    blacklist = updated?.files['blacklist.json'];
    if (blacklist) rounds[rounds.length - 1].blacklist = blacklist;
  }
  const exported = await p.step(sample && extract && !p.stopped ? stageKeys.exportRelease(config.release, sample, extract, config.export.contactSheetColumns, pool ?? undefined, v) : null, 'exportRelease');
  await p.step(exported && extract ? stageKeys.evaluateModels(config.release, exported, extract, { predictionsDir: undefined, originalLabels: undefined }, labels?.labels.key, confirmed?.labels.key, v) : null, 'evaluateModels');
  const described = await p.step(upstream && labels && confirmed && sample ? stageKeys.describeRelease(
    { release: config.release, 'keywords.topK': config.keywords.topK, 'keywords.excluded': config.keywords.excluded, minCifarDistance: config.labeling.minCifarDistance, withinThreshold: config.nearDuplicates.withinThreshold, cifarThreshold: config.nearDuplicates.cifarThreshold },
    {
      extractSources: upstream.extract.key, keywords: upstream.keywords.key, buildKeywordSubsets: upstream.subsets.key, computeDistances: upstream.distances.key, computeKeywordCounts: upstream.counts.key,
      'labels-round1': labels.labels.key, 'labels-round2': confirmed.labels.key, sampleRelease: sample.key, ingestPool: pool?.key,
    },
    { decisions: [labels.decisions?.sha256, confirmed.decisions?.sha256], rounds, base: baseFiles },
    v,
  ) : null, 'describeRelease');
  // The report, keyed as the build keys it: by its stages, the source, the config and the Web UI's links.
  const target = await resolveTarget(store.root, { start: false });
  const input = { source, outDir: store.root, config: config as never, ...(workflowsUrl(target) ? { historyUrl: workflowsUrl(target)! } : {}) };
  const buildId = buildWorkflowId(config, opts.taskQueue ?? TASK_QUEUE);
  const evaluatedKey = p.rows.find((r) => r.stage === 'evaluateModels')?.key;
  const report = await p.step(exported && described && evaluatedKey && upstream && confirmed && sample ? reportKey({
    release: config.release, source: describeSource(input), configHash: config.hash, history: historyLinks(input, buildId), rounds,
    exported, evaluated: { key: evaluatedKey }, described, counts: upstream.counts, confirmed: confirmed.labels, sample,
  }) : null, 'reportRelease');
  let made: Record<string, unknown> | null = null;
  if (p.stopped || !exported || !described || !sample || !report) p.after('publishRelease', true);
  else {
    const prefix = `cifar10.1_${config.release}`;
    const files = {
      ...Object.fromEntries(Object.entries(exported.files).map(([name, ref]) => [name, ref.sha256])),
      [`${prefix}_provenance.jsonl`]: described.files[`${prefix}_provenance.jsonl`].sha256,
      [`${prefix}_exclusions.jsonl`]: described.files[`${prefix}_exclusions.jsonl`].sha256,
      [`${prefix}_audit.json`]: described.files['audit_summary.json'].sha256,
      'report.html': report.files['report.html'].sha256,
    };
    const releaseDir = path.join(store.root, 'releases', config.release);
    p.rows.push(await holdsExactly(releaseDir, files) ? { stage: 'publishRelease', status: 'cached' } : { stage: 'publishRelease', status: 'run', why: `${releaseDir} does not hold the release` });
    const summary = sample.summary as { images: number; perClass: number[] };
    const extras = Object.fromEntries(Object.entries(files).filter(([name]) => !(name in exported.files)));
    made = {
      release: config.release, releaseDir, images: summary.images, perClass: summary.perClass, manifest: exported.files['manifest.json'],
      perKeyword: sample.files['ti_indices_per_keyword.json'], blacklist, extras,
    };
  }
  await p.step(made ? stageKeys.recordRelease(config.release, config.hash, source, made, v) : null, 'recordRelease', true);
  return { release: config.release, ...(base ? { base } : {}), rows: p.rows };
}

/** A labeling round: its pages (keyed by their content), then its labels (keyed by the decisions the store holds). */
async function planRound(
  p: Planner,
  config: ReleaseConfig,
  round: 1 | 2,
  up: { extract: Out; keywords: Out; subsets: Out; distances: Out; counts: Out } | null,
  labels: Out | null,
): Promise<{ labels: Out; decisions: ArtifactRef | undefined } | null> {
  const stage = round === 1 ? 'labelCandidates' : 'confirmCandidates';
  if (!up || (round === 2 && !labels) || p.stopped) {
    p.after(stage, true);
    p.after(`labels-round${round}`, true);
    return null;
  }
  const { store } = p;
  let offer: Parameters<typeof roundPages>[2] = (entry, tiIndices) => entry.rows.map((row) => tiIndices[row]);
  if (round === 2) {
    const neighbors = await loadNeighbors(store, up.distances);
    const { rowOf } = await loadSubsets(store, up.subsets);
    const accepted = await store.readJson<Record<string, Record<string, number[]>>>(labels!.files['accepted.json']);
    offer = (entry) => (accepted[entry.className]?.[entry.keyword] ?? []).filter((ti) => neighbors.nearest(rowOf.get(ti)!) > config.labeling.minCifarDistance);
  }
  const { pages, refs } = await roundPages(store, { round, pageSize: config.labeling.pageSize, ...up }, offer);
  const keyed = stageKeys.roundPages(stage, pages.map((pg): [string, string] => [pg.id, pg.digest]), refs.images.sha256, refs.cifarImages.sha256, p.versions);
  const decisions = new Map<string, PageDecision>();
  for (const page of pages) {
    const found = await store.lookup<PageDecision>('decisions', decisionKey(page, config.labeling.mode));
    if (found) decisions.set(page.id, found.summary);
  }
  const waiting = pages.length - decisions.size;
  if (waiting === 0) await p.step(keyed, stage, true);
  else if (config.labeling.mode === 'interactive') {
    p.blocked(stage, `waits for people: ${waiting} of ${pages.length} pages to label (round ${round})`);
  } else {
    // The pages may be stored already; the stage still counts as run until every page is decided.
    p.rows.push({ stage, status: 'run', key: keyed.key, why: `${waiting} of ${pages.length} pages to ${config.labeling.mode === 'simulated' ? 'answer with the simulated labeler' : 'import'} (round ${round})` });
  }
  if (waiting > 0) {
    p.after(`labels-round${round}`, true);
    return null;
  }
  const { accepted, offered } = acceptedAndOffered(pages, decisions);
  const out = await p.step(stageKeys.labels(round, accepted, offered, p.versions), `labels-round${round}`, true);
  if (!out) return null;
  // Who decided each page, as recordLabels keeps it (describeRelease is keyed by it).
  const labelers: Record<string, string[]> = {};
  for (const page of pages) {
    const who = (labelers[`${page.className}/${page.keyword}`] ??= []);
    if (!who.includes(decisions.get(page.id)!.labeler)) who.push(decisions.get(page.id)!.labeler);
  }
  const decided = pages.map((page) => ({ page: page.id, labeler: decisions.get(page.id)!.labeler, at: decisions.get(page.id)!.at, via: decisions.get(page.id)!.via }));
  const who = stageKeys.roundDecisions(round, labelers, decided);
  return { labels: out, decisions: (await store.lookup<object>(who.stage, who.key))?.files['decisions.json'] };
}

/** What recordLabels makes of a round's decisions: accepted and offered images per class and keyword. */
function acceptedAndOffered(pages: LabelPage[], decisions: Map<string, PageDecision>) {
  const accepted: Record<string, Record<string, number[]>> = {};
  const offered: Record<string, Record<string, number[]>> = {};
  for (const page of pages) {
    const chosen = new Set(decisions.get(page.id)!.accepted);
    ((accepted[page.className] ??= {})[page.keyword] ??= []).push(...page.offered.filter((_, i) => chosen.has(i)));
    ((offered[page.className] ??= {})[page.keyword] ??= []).push(...page.offered);
  }
  return { accepted, offered };
}

/** The plan for the terminal: one line per stage, the base release's first. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  if (plan.base) lines.push(formatPlan(plan.base), '');
  lines.push(`${plan.release}:`);
  const width = Math.max(...plan.rows.map((r) => r.stage.length));
  for (const r of plan.rows) lines.push(`  ${r.stage.padEnd(width)}  ${r.status === 'run' ? (r.maybe ? 'to run?' : 'to run') : r.status}${r.why ? `  (${r.why})` : ''}`);
  const counts = { cached: 0, run: 0, blocked: 0 };
  for (const r of plan.rows) counts[r.status]++;
  lines.push(`  ${counts.cached} cached, ${counts.run} to run, ${counts.blocked} blocked`);
  return lines.join('\n');
}

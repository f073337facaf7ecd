// The cache key of every stage, from named parts: the config keys it reads,
// the upstream stages' keys, the data it is keyed by, and its code version.
// The stages compute their keys here, and so does `cifar101 plan`, which
// compares the parts with those of the entry the last build used to name
// what changed. Each entry keeps its parts (ArtifactStore.stage with a Keyed).
import { sha256Json } from './hash';
import { ArtifactStore } from './store';

/** Code versions of the stages: a change to what a stage writes bumps its version. */
export const STAGE_VERSIONS = {
  extractSources: 2,
  ingestPool: 1,
  findCifar10Keywords: 3,
  'findCifar10Keywords-shards': 3,
  assignKeywords: 3,
  poolKeywords: 2,
  buildKeywordSubsets: 2,
  computeDistances: 3,
  'computeDistances-shards': 4,
  computeKeywordCounts: 2,
  labelCandidates: 2,
  confirmCandidates: 2,
  labels: 4,
  sampleRelease: 2,
  checkNearDuplicates: 3,
  updateBlacklist: 3,
  exportRelease: 2,
  evaluateModels: 4,
  describeRelease: 3,
  recordRelease: 2,
} as const;

export type VersionedStage = keyof typeof STAGE_VERSIONS;
/** Versions that differ from STAGE_VERSIONS (tests, to stand for a code change without one). */
export type VersionOverrides = Partial<Record<VersionedStage, number>>;

/** What a stage's key is made of. */
export interface KeyParts {
  /** Config keys, by their path in the config file (`keywords.topK`). */
  config?: Record<string, unknown>;
  /** Upstream stages' keys, by stage. */
  upstream?: Record<string, string | undefined>;
  /** What else the output depends on: file contents, source identities, decisions (hashed when large). */
  data?: Record<string, unknown>;
}

export interface Keyed {
  stage: string;
  key: string;
  version: number;
  parts: KeyParts;
}

/** The key of `stage` (its store name) made of `parts`, at the code version of `versionOf` (a row of STAGE_VERSIONS). */
export function keyed(stage: string, versionOf: VersionedStage, parts: KeyParts, versions: VersionOverrides = {}): Keyed {
  const version = versions[versionOf] ?? STAGE_VERSIONS[versionOf];
  return { stage, key: ArtifactStore.key(stage, version, parts), version, parts };
}

/** A large value in a key, by its hash (the parts stay small in the entry). */
export function digest(value: unknown): string {
  return sha256Json(value).slice(0, 32);
}

type Out = { files: Record<string, { sha256: string }> };

/** The cache keys of the stages, from what each one reads. */
export const stageKeys = {
  extractSources: (source: unknown, v?: VersionOverrides) => keyed('extractSources', 'extractSources', { data: { source } }, v),
  ingestPool: (pool: string, resize: unknown, engine: unknown, classes: string[], v?: VersionOverrides) =>
    keyed('ingestPool', 'ingestPool', { config: { classes, 'pool.resize': resize }, data: { pool, engine } }, v),
  findCifar10Keywords: (extract: { key: string }, maxDistance: number, v?: VersionOverrides) =>
    keyed('findCifar10Keywords', 'findCifar10Keywords', { config: { 'keywords.matchMaxDistance': maxDistance }, upstream: { extractSources: extract.key } }, v),
  findCifar10KeywordsShard: (extract: { key: string }, maxDistance: number, start: number, end: number, v?: VersionOverrides) =>
    keyed('findCifar10Keywords-shards', 'findCifar10Keywords-shards', { config: { 'keywords.matchMaxDistance': maxDistance }, upstream: { extractSources: extract.key }, data: { start, end } }, v),
  assignKeywords: (extract: { key: string }, matches: { key: string }, v?: VersionOverrides) =>
    keyed('assignKeywords', 'assignKeywords', { upstream: { extractSources: extract.key, findCifar10Keywords: matches.key } }, v),
  poolKeywords: (extract: { key: string }, pool: { key: string }, v?: VersionOverrides) =>
    keyed('poolKeywords', 'poolKeywords', { upstream: { extractSources: extract.key, ingestPool: pool.key } }, v),
  buildKeywordSubsets: (extract: { key: string }, keywords: { key: string }, topK: number, excluded: string[], classes: string[], v?: VersionOverrides) =>
    keyed('buildKeywordSubsets', 'buildKeywordSubsets', { config: { 'keywords.topK': topK, 'keywords.excluded': excluded, classes }, upstream: { extractSources: extract.key, keywords: keywords.key } }, v),
  // Keyed by the images themselves, not the upstream stages: v4 and v6 share their candidates when their keyword lists do.
  computeDistances: (extract: Out, subsets: Out, k: number, v?: VersionOverrides) =>
    keyed('computeDistances', 'computeDistances', { config: { 'distances.neighbors': k }, data: { cifar: extract.files['cifar10_images.npy'].sha256, candidates: subsets.files['candidate_images.npy'].sha256 } }, v),
  /** One shard of the distances: keyed by its candidates' pixels, so a shard v4 computed serves v6 where their keywords agree. */
  computeDistancesShard: (extract: Out, k: number, candidates: string, v?: VersionOverrides) =>
    keyed('computeDistances-shards', 'computeDistances-shards', { config: { 'distances.neighbors': k }, data: { cifar: extract.files['cifar10_images.npy'].sha256, candidates } }, v),
  computeKeywordCounts: (subsets: { key: string }, sampling: object, classes: string[], excluded: string[], published: unknown, v?: VersionOverrides) =>
    keyed('computeKeywordCounts', 'computeKeywordCounts', {
      config: { sampling: { ...sampling, base: undefined }, classes, 'keywords.excluded': excluded },
      upstream: { buildKeywordSubsets: subsets.key },
      ...(published ? { data: { published: digest(published) } } : {}),
    }, v),
  /** A round's pages: keyed by their content (ids and digests), whichever stages made it. */
  roundPages: (stage: 'labelCandidates' | 'confirmCandidates', pages: Array<[string, string]>, images: string, cifar: string, v?: VersionOverrides) =>
    keyed(stage, stage, { data: { pages: digest(pages), count: pages.length, images, cifar } }, v),
  /** A round's labels: keyed by what was accepted and offered, not by who or when, so the same decisions give the same release. */
  labels: (round: number, accepted: unknown, offered: unknown, v?: VersionOverrides) =>
    keyed(`labels-round${round}`, 'labels', { data: { accepted: digest(accepted), offered: digest(offered) } }, v),
  /** Who decided a round's pages, and when: kept apart from the labels, which are keyed by what was accepted. */
  roundDecisions: (round: number, labelers: unknown, decided: unknown) => keyed(`labelers-round${round}`, 'labels', { data: { labelers, decided } }, { labels: 2 }),
  sampleRelease: (config: { seed: number; rng: unknown; classes: string[] }, counts: { key: string }, confirmed: { key: string }, blacklist: string | undefined, base: string | undefined, v?: VersionOverrides) =>
    keyed('sampleRelease', 'sampleRelease', {
      config: { seed: config.seed, rng: config.rng, classes: config.classes },
      upstream: { computeKeywordCounts: counts.key, 'labels-round2': confirmed.key },
      data: { blacklist, base },
    }, v),
  checkNearDuplicates: (sample: { key: string }, subsets: { key: string }, distances: { key: string }, withinThreshold: number, cifarThreshold: number, v?: VersionOverrides) =>
    keyed('checkNearDuplicates', 'checkNearDuplicates', {
      config: { 'nearDuplicates.withinThreshold': withinThreshold, 'nearDuplicates.cifarThreshold': cifarThreshold },
      upstream: { sampleRelease: sample.key, buildKeywordSubsets: subsets.key, computeDistances: distances.key },
    }, v),
  updateBlacklist: (list: number[], v?: VersionOverrides) => keyed('updateBlacklist', 'updateBlacklist', { data: { list: digest(list), size: list.length } }, v),
  exportRelease: (release: string, sample: { key: string }, extract: { key: string }, columns: number, pool: { key: string } | undefined, v?: VersionOverrides) =>
    keyed('exportRelease', 'exportRelease', {
      config: { release, 'export.contactSheetColumns': columns },
      upstream: { sampleRelease: sample.key, extractSources: extract.key, ...(pool ? { ingestPool: pool.key } : {}) },
    }, v),
  evaluateModels: (release: string, exported: { key: string }, extract: { key: string }, predictions: unknown, labels: string | undefined, confirmed: string | undefined, v?: VersionOverrides) =>
    keyed('evaluateModels', 'evaluateModels', {
      config: { release },
      upstream: { exportRelease: exported.key, extractSources: extract.key, 'labels-round1': labels, 'labels-round2': confirmed },
      data: { predictions },
    }, v),
  reportRelease: (config: Record<string, unknown>, upstream: Record<string, string | undefined>, data: Record<string, unknown>) =>
    keyed('reportRelease', 'describeRelease', { config, upstream, data }),
  describeRelease: (config: Record<string, unknown>, upstream: Record<string, string | undefined>, data: Record<string, unknown>, v?: VersionOverrides) =>
    keyed('describeRelease', 'describeRelease', { config, upstream, data }, v),
  /**
   * A build's record: of its release, config and source, and of what it made (the result without its
   * stages' cache flags), so that a build that makes something else (a new code version) records anew.
   */
  recordRelease: (release: string, configHash: string, source: unknown, made: unknown, v?: VersionOverrides) =>
    keyed('recordRelease', 'recordRelease', { config: { release, configHash }, data: { source, made: digest(made) } }, v),
};

/** What a build's record is keyed by, of its result: everything but the stages' cache flags (a rebuild from the store makes the same). */
export function recordedResult(result: { stages?: unknown } & Record<string, unknown>): unknown {
  const { stages: _stages, ...made } = result;
  return made;
}

// Types shared by the workflows, the activities, the CLI and the labeling page.
// Types only: the workflow bundle must not pull in Node modules.
//
// Everything here is small by design (Temporal payloads stay under 256 KB at the
// full scale of 590,000 candidates): lists that grow with the data (offered
// images, decisions, pairs, neighbours) live in the artifact store and travel
// as references.
import type { ReleaseConfigFile } from '../configs/schema';
import type { PageHeader } from '../lib/labeling';
import type { DuplicatePair } from '../lib/near-duplicates';
import type { ArtifactRef, StageOutput } from '../lib/store';

export type { ArtifactRef, DuplicatePair, PageHeader, StageOutput };

/** Where the pixels and labels come from. */
export type SourceSpec =
  | { kind: 'demo'; seed: number }
  /** The full-shape synthetic corpus (lib/scale-corpus), generated into the store once. */
  | { kind: 'synthetic'; images: number; candidates: number; seed: number; cifarTrain?: number; cifarTest?: number }
  /** TinyImages and CIFAR-10 files; with the ground truth of a generated corpus, the simulated labeler can answer. */
  | { kind: 'files'; tinyimages: string; cifar10: string; groundTruth?: string }
  | { kind: 'published'; dir: string }
  /** One's own images (folders or a manifest, lib/pool) and CIFAR-10 as distributed (an archive or a folder). */
  | { kind: 'pool'; pool: string; cifar10: string };

/** A release config as the workflow receives it: parsed, with its base resolved. */
export type BuildConfig = ReleaseConfigFile & { hash: string; base?: BuildConfig };

export interface BuildInput {
  config: BuildConfig;
  source: SourceSpec;
  /** Folder the finished release is copied to (`<out>/releases/<release>/`). */
  outDir: string;
  /** Model predictions to evaluate (a folder like CIFAR-10.1's model_predictions/). */
  predictionsDir?: string;
  /** CIFAR-10 test labels for evaluating published predictions. */
  originalLabels?: string;
  /** Prefix of the build workflow IDs (the task queue), for the base release's child workflow. */
  idPrefix?: string;
  /** The Temporal Web UI's workflows page of the namespace (`<ui>/namespaces/<ns>/workflows`), for the report's links. */
  historyUrl?: string;
}

export interface BuildResult {
  release: string;
  releaseDir: string;
  images: number;
  perClass: number[];
  manifest: ArtifactRef;
  /** The sample per keyword (`{keyword: [ti]}`), where a release grown from this one starts. */
  perKeyword: ArtifactRef;
  blacklist?: ArtifactRef;
  stages: StageDone[];
  /** The release folder's files beside the data and its manifest (provenance, exclusions, report), by name with their SHA-256. */
  extras?: Record<string, string>;
}

/** A stage the build finished: computed, or found in the store. Sharded stages count their shards. */
export interface StageDone {
  stage: string;
  cached: boolean;
  /** Its cache key (what `plan` and `diff` compare). */
  key?: string;
  shards?: { computed: number; cached: number };
}

/**
 * A person's (or the simulated or imported labeler's) decision on one page:
 * the positions in the page of the images they accept. The digest names the
 * page content the decision was made on.
 */
export interface PageDecision {
  page: string;
  digest: string;
  /** Positions in the page, ascending. */
  accepted: number[];
  labeler: string;
  /** ISO time of the decision. */
  at: string;
  via: 'page' | 'simulated' | 'import';
}

/** The argument of the `submitLabels` Update: one page from the page, many from the simulated or imported labeler. */
export interface LabelBatch {
  decisions: PageDecision[];
}

/** What a labeling round waits for (the round's `pendingWork` query). */
export interface RoundPending {
  release: string;
  round: 1 | 2;
  /** The round's pages in the store (`pages.json` index, `pages.jsonl` contents). */
  pages: ArtifactRef | null;
  /** Ids of the pages still waiting for a decision. */
  pending: string[];
  decided: number;
  total: number;
  /** Who may not answer a pending page (round 2's two-person rule), by page id; pages with nobody excluded are left out. */
  excluded?: Record<string, string[]>;
}

/** The near-duplicate pairs of one round, waiting for a reviewer. */
export interface DuplicatesPending {
  round: number;
  /** `pairs.json` of the check: the pairs, in the order a review's positions refer to. */
  pairs: ArtifactRef;
  count: number;
  digest: string;
  candidates: ArtifactRef;
  cifar: ArtifactRef;
}

/** A reviewer's verdict on one round's pairs, by position in `pairs.json`: each confirmed or dismissed once. */
export interface DuplicateReview {
  round: number;
  digest: string;
  confirmed: number[];
  dismissed: number[];
  labeler: string;
  at: string;
}

/** What a build waits for: a labeling round (a child workflow of its own) or a near-duplicate review. */
export interface PendingWork {
  release: string;
  stage: string;
  round: { workflowId: string; round: 1 | 2 } | null;
  duplicates: DuplicatesPending | null;
}


/** Summary of the extractSources stage: where the inputs are and how big they are. */
export interface ExtractSummary {
  /** Null for a build from the published files: no pixels. */
  tinyDir: string | null;
  groundTruth: string | null;
  tinyCount: number;
  cifarCount: number;
  cifarTrain: number;
  classes: string[];
}

/** Summary of ingestPool: the pool's corpus, with counts and how its images were brought to 32×32 (the release records it). */
export interface PoolSummary {
  images: number;
  skipped: number;
  keywords: number;
  perClass: Record<string, number>;
  resize: { fit: string; kernel: string; background: string };
  engine: { sharp: string; libvips: string };
}

/** Summary of buildKeywordSubsets: the candidates (queries of the distance stage) and keywords. */
export interface SubsetsSummary {
  queries: number;
  keywords: number;
  cifarCopies: number;
}

/** A stage split into shards over a range (TinyImages images, or candidates), run by a child workflow and merged. */
export type ShardedWork =
  | { stage: 'findCifar10Keywords'; extract: StageOutput<ExtractSummary>; maxDistance: number }
  | { stage: 'computeDistances'; extract: StageOutput<ExtractSummary>; subsets: StageOutput<SubsetsSummary>; k: number };

/** How a sharded stage runs: its merged output when the store has it, else the shards. */
export interface ShardPlan {
  merged: StageOutput | null;
  /** [start, end) of each shard. */
  shards: Array<[number, number]>;
  /** Workers polling the store's queue when it was planned (the shard count follows from them and the data size). */
  workers: number;
}

/** What one shard activity reports (its output stays in the store, found by key at the merge). */
export interface ShardResult {
  start: number;
  end: number;
  cached: boolean;
  /** Items taken from a previous attempt's checkpoints. */
  resumed?: number;
}

/** What the stage preparing a labeling round gets (labelCandidates, confirmCandidates). */
export interface PrepareRoundInput {
  round: 1 | 2;
  mode: BuildConfig['labeling']['mode'];
  pageSize: number;
  extract: StageOutput<ExtractSummary>;
  keywords: StageOutput;
  subsets: StageOutput<SubsetsSummary>;
  distances: StageOutput;
  counts: StageOutput;
  /** Round 2: the first round's labels, and how close to CIFAR-10 a confirmed image may be. */
  labels?: StageOutput;
  minCifarDistance?: number;
}

/** A prepared labeling round: its pages in the store, and those still waiting for a decision. */
export interface PreparedRound {
  stage: string;
  key: string;
  cached: boolean;
  /** `pages.json` (index) beside `pages.jsonl` (one page per line). */
  pages: ArtifactRef;
  pending: PageHeader[];
  /** Decisions found in the store for identical pages (a rebuild, or v6 after v4), as one batch. */
  decided: ArtifactRef | null;
  total: number;
}

/** A labeling round as its child workflow runs it. */
export interface RoundInput {
  release: string;
  round: 1 | 2;
  mode: BuildConfig['labeling']['mode'];
  prepare: PrepareRoundInput;
  /** labeling.mode import: the decisions file of this round, and a pool's rows to find its images by id or path. */
  importFile?: string;
  poolRows?: ArtifactRef;
  /** Carried over a continue-as-new: the round so far. */
  carried?: { prepared: PreparedRound; pending: PageHeader[]; batches: ArtifactRef[] };
}

export interface RoundResult {
  prepared: { stage: string; cached: boolean };
  labels: StageOutput;
}

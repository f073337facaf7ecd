// The build workflow as it was before version 2 (the full-scale data flow), frozen.
// Builds recorded before version 2 replay through this code: `buildRelease`
// (workflows/build.ts) takes this path when their history has no `build-v2`
// marker. Do not change it: every command it issues must stay as recorded.
// It is self-contained (its own message definitions and types), so that
// version 2 can change the shared ones freely.
import {
  ActivityOptions,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  executeChild,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { buildWorkflowId, TASK_QUEUE } from '../ids';

type Activities = Record<string, (input: any) => Promise<any>>;
type Ref = { path: string; sha256: string; bytes: number };
type StageOutput<S = any> = { stage: string; key: string; cached: boolean; files: Record<string, Ref>; summary: S };
type BuildConfig = any;
type BuildInput = { config: BuildConfig; source: any; outDir: string; predictionsDir?: string; originalLabels?: string; idPrefix?: string };
type BuildResult = any;
type ExtractSummary = { tinyCount: number; cifarCount: number };
type SampleSummary = { images: number; perClass: number[] };
type PublishedStage = string;
type BuildIdentity = { source: unknown; taskQueue: string; outDir?: string };
interface LabelTask { id: string; offered: number[] }
interface LabelDecision { taskId: string; accepted: number[]; labeler: string; at: string }
interface DuplicatePair { id: string; [more: string]: unknown }
interface DuplicateReview { round: number; confirmed: string[]; dismissed: string[]; labeler: string; at: string }

const PIXEL_STAGES = ['findCifar10Keywords', 'assignKeywords', 'buildKeywordSubsets', 'computeDistances', 'checkNearDuplicates'];
const submitLabels = defineUpdate<{ accepted: number }, [LabelDecision]>('submitLabels');
const reviewDuplicates = defineUpdate<{ blacklisted: number }, [DuplicateReview]>('reviewDuplicates');
const pendingWork = defineQuery<unknown>('pendingWork');
const progress = defineQuery<unknown>('progress');





const defaults: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  // Every activity heartbeats at least every few seconds; a killed worker is
  // noticed after this long and the activity is retried on another one.
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
};


/**
 * Builds record their result in the store (recordRelease), and a release
 * grown from another (v6 from v4) takes that record when it is there
 * (findRelease) instead of running the other build again. A patch: histories
 * of builds from before it replay without these two stages.
 */
const RELEASE_RECORDS = 'release-records';

/** Calls one stage activity with a summary for the event history. */
function stage<K extends keyof Activities>(name: K, summary: string): Activities[K] {
  return proxyActivities<Activities>({ ...defaults, summary })[name];
}

/** Splits [0, total) into shards of `size`. */
function shards(total: number, size: number): Array<{ index: number; start: number; end: number }> {
  const out = [];
  for (let start = 0, index = 0; start < total; start += size, index++) {
    out.push({ index, start, end: Math.min(total, start + size) });
  }
  return out;
}

/**
 * Builds one CIFAR-10.1 release: extraction, keyword discovery, candidate
 * subsets, nearest-neighbour distances, quotas, two human labeling rounds,
 * seeded sampling with near-duplicate checks, export and evaluation.
 */
export async function buildReleaseV1(input: BuildInput): Promise<BuildResult> {
  const { config, source } = input;
  const state = {
    stage: 'starting',
    done: [] as Array<{ stage: string; cached: boolean }>,
    tasks: [] as LabelTask[],
    decisions: [] as LabelDecision[],
    duplicates: null as null | { round: number; pairs: DuplicatePair[]; candidates: StageOutput['files'][string]; cifar: StageOutput['files'][string] },
    review: null as DuplicateReview | null,
  };
  const enter = (name: string) => {
    state.stage = name;
    if (workflowInfo().searchAttributes?.CifarRelease) upsertSearchAttributes({ CifarStage: [name] });
  };
  const done = <T extends { stage: string; cached: boolean }>(out: T): T => {
    state.done.push({ stage: out.stage, cached: out.cached });
    return out;
  };

  setHandler(progress, () => ({ stage: state.stage, done: state.done }));
  setHandler(pendingWork, () => ({ release: config.release, stage: state.stage, tasks: state.tasks, duplicates: state.duplicates }));
  setHandler(
    submitLabels,
    (decision) => {
      state.tasks = state.tasks.filter((t) => t.id !== decision.taskId);
      state.decisions.push(decision);
      return { accepted: decision.accepted.length };
    },
    { validator: (decision) => validateDecision(state.tasks, decision) },
  );
  setHandler(
    reviewDuplicates,
    (review) => {
      state.review = review;
      return { blacklisted: review.confirmed.length };
    },
    { validator: (review) => validateReview(state.duplicates, review) },
  );

  /** Builds (or attaches to) the release this one grows from: v6 starts from v4. */
  const baseRelease = async (baseConfig: BuildConfig): Promise<BuildResult> => {
    enter('baseRelease');
    const identity: BuildIdentity = { source: input.source, taskQueue: workflowInfo().taskQueue, outDir: input.outDir };
    if (patched(RELEASE_RECORDS)) {
      const found = await stage('findRelease', `the ${baseConfig.release} release, if this store has it built already`)({
        release: baseConfig.release, configHash: baseConfig.hash, source: input.source,
      });
      if (found.result) return found.result;
    }
    // From the input, not workflowInfo(): a replay must compute the same ID.
    const id = buildWorkflowId(baseConfig, input.idPrefix ?? TASK_QUEUE);
    try {
      return await executeChild('buildRelease', {
        args: [{ ...input, config: baseConfig, predictionsDir: undefined }],
        workflowId: id,
        taskQueue: workflowInfo().taskQueue,
        staticSummary: `base release ${baseConfig.release}`,
        // what a build of the base release compares before attaching to it (lib/build-identity.ts)
        memo: { build: identity },
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return stage('awaitRelease', `attach to running build ${id}`)({ workflowId: id, identity });
    }
  };

  /** The build from pixels: every stage computed, labels from people (or the simulated labeler). */
  const fromPixels = async (extract: StageOutput<ExtractSummary>) => {
    const base = config.base ? await baseRelease(config.base) : undefined;
    const { tinyCount, cifarCount } = extract.summary;
    enter('findCifar10Keywords');
    const tinyShards = shards(tinyCount, config.distances.tinyShardSize);
    const matches = await Promise.all(tinyShards.map((s) =>
      stage('findCifar10Keywords', `keywords shard ${s.index + 1}/${tinyShards.length}: TinyImages ${s.start}..${s.end - 1}`)({
        extract, start: s.start, end: s.end, maxDistance: config.keywords.matchMaxDistance,
      }).then(done)));
    const keywords = done(await stage('assignKeywords', `one keyword for each of ${cifarCount} CIFAR-10 images`)({ extract, matches }));

    enter('buildKeywordSubsets');
    const subsets = done(await stage('buildKeywordSubsets', `top-${config.keywords.topK} keywords per class`)({
      extract, keywords, topK: config.keywords.topK, excluded: config.keywords.excluded, classes: config.classes,
    }));

    enter('computeDistances');
    const candidateShards = shards(subsets.summary.queries, config.distances.shardSize);
    const distances = await Promise.all(candidateShards.map((s) =>
      stage('computeDistances', `distances shard ${s.index + 1}/${candidateShards.length}: ${s.end - s.start} images x ${cifarCount} CIFAR-10`)({
        extract, subsets, start: s.start, end: s.end, k: config.distances.neighbors,
      }).then(done)));

    enter('computeKeywordCounts');
    const counts = done(await stage('computeKeywordCounts', `quotas (${config.sampling.method})`)({
      keywords, subsets, sampling: config.sampling, classes: config.classes, excluded: config.keywords.excluded,
    }));

    const labelRound = async (round: 1 | 2, prepared: { tasks: LabelTask[]; decided: LabelDecision[]; all: LabelTask[] }) => {
      state.tasks = prepared.tasks;
      state.decisions = [...prepared.decided];
      const simulated = config.labeling.mode === 'simulated' && prepared.tasks.length > 0
        ? stage('simulateLabeler', `simulated labeler, round ${round}: ${prepared.tasks.length} keywords`)({
          workflowId: workflowInfo().workflowId, extract, tasks: prepared.tasks,
        })
        : undefined;
      if (prepared.tasks.length) log.info('waiting for labels', { round, keywords: prepared.tasks.length });
      await condition(() => state.tasks.length === 0);
      await simulated;
      return done(await stage('recordLabels', `record round ${round}: ${state.decisions.length} keywords`)({
        round, mode: config.labeling.mode, tasks: prepared.all, decisions: state.decisions,
      }));
    };

    enter('labelCandidates');
    const round1 = await stage('labelCandidates', 'first labeling round: accept good images per keyword')({
      extract, keywords, subsets, distances, counts, mode: config.labeling.mode,
    });
    done(round1);
    const labels = await labelRound(1, round1);

    enter('confirmCandidates');
    const round2 = await stage('confirmCandidates', `second round: confirm, after dropping images within L2 ${config.labeling.minCifarDistance} of CIFAR-10`)({
      extract, keywords, subsets, distances, counts, labels, mode: config.labeling.mode, minCifarDistance: config.labeling.minCifarDistance,
    });
    done(round2);
    const confirmed = await labelRound(2, round2);

    let blacklist = base?.blacklist;
    let sample!: Awaited<ReturnType<Activities['sampleRelease']>>;
    for (let round = 1; round <= config.nearDuplicates.rounds; round++) {
      enter('sampleRelease');
      sample = done(await stage('sampleRelease', `seeded sampling (${config.rng.kind}, seed ${config.seed}), round ${round}`)({
        release: config.release, seed: config.seed, rng: config.rng, sampling: config.sampling, classes: config.classes,
        counts, confirmed, blacklist, basePerKeyword: base?.perKeyword,
      }));
      enter('checkNearDuplicates');
      const check = done(await stage('checkNearDuplicates', `near-duplicates of ${sample.summary.images} images, round ${round}`)({
        sample, extract, subsets, distances, withinThreshold: config.nearDuplicates.withinThreshold,
        cifarThreshold: config.nearDuplicates.cifarThreshold,
      }));
      const pairs = check.summary.pairs;
      if (pairs.length === 0) break;
      let review: DuplicateReview;
      if (config.nearDuplicates.review === 'auto') {
        review = { round, confirmed: pairs.map((p: DuplicatePair) => p.id), dismissed: [], labeler: 'auto', at: new Date().toISOString() };
      } else {
        state.review = null;
        state.duplicates = { round, pairs, candidates: subsets.files['candidate_images.npy'], cifar: extract.files['cifar10_images.npy'] };
        await condition(() => state.review !== null);
        review = state.review!;
        state.duplicates = null;
      }
      if (review.confirmed.length === 0) break;
      if (round === config.nearDuplicates.rounds) {
        log.warn('near-duplicates remain after the last round', { pairs: pairs.length });
      }
      blacklist = done(await stage('updateBlacklist', `blacklist ${review.confirmed.length} near-duplicates (round ${round})`)({
        blacklist, pairs, review,
      })).files['blacklist.json'];
    }
    return { sample, blacklist, labels, confirmed };
  };

  /**
   * The build from the published CIFAR-10.1 files: each stage they provide is
   * taken from them as its checkpoint; the stages that need pixels are skipped.
   */
  const fromPublished = async (dir: string) => {
    const take = (name: PublishedStage, what: string) =>
      stage('importPublished', `${name}: taken from the published ${what}`)({ dir, release: config.release, stage: name, classes: config.classes }).then(done);
    log.info('published source: no pixels', { skipped: PIXEL_STAGES });
    enter('computeKeywordCounts');
    const counts = await take('computeKeywordCounts', `keyword_counts_${config.release}.json`);
    enter('labelCandidates');
    await take('labelCandidates', 'tinyimage_good_indices.json (first labeler)');
    enter('confirmCandidates');
    const confirmed = await take('confirmCandidates', `tinyimage_good_indices_subselected_${config.release}.json (second labeler)`);
    const blacklist = (await take('updateBlacklist', `blacklist_${config.release}.json`)).files['blacklist.json'];
    enter('sampleRelease');
    if (config.sampling.method === 'per-keyword') {
      // The published v4 sample cannot be redrawn (its nearest-neighbour input was never published): verify it instead.
      const verified = await take('sampleRelease', 'v4 release (verified, not redrawn)');
      return { sample: verified as unknown as StageOutput<SampleSummary>, blacklist };
    }
    const base = await take('baseRelease', 'v4 release per keyword');
    const sample = done(await stage('sampleRelease', `seeded sampling (${config.rng.kind}, seed ${config.seed}) from the published lists`)({
      release: config.release, seed: config.seed, rng: config.rng, sampling: config.sampling, classes: config.classes,
      counts, confirmed, blacklist, basePerKeyword: base.files['ti_indices_per_keyword.json'],
    }));
    return { sample, blacklist };
  };

  enter('extractSources');
  const extract = done(await stage('extractSources', `extract ${source.kind} sources`)({ source, classes: config.classes }));
  const { sample, blacklist, labels, confirmed } = source.kind === 'published'
    ? { ...(await fromPublished(source.dir)), labels: undefined, confirmed: undefined }
    : await fromPixels(extract);

  enter('exportRelease');
  const exported = done(await stage('exportRelease', `export ${config.release}: ${sample.summary.images} images`)({
    release: config.release, sample, extract, outDir: input.outDir, columns: config.export.contactSheetColumns,
  }));

  enter('evaluateModels');
  done(await stage('evaluateModels', `evaluate models on ${config.release}`)({
    release: config.release, exported, extract, predictionsDir: input.predictionsDir, originalLabels: input.originalLabels, outDir: input.outDir,
    labels, confirmed,
  }));

  const result: BuildResult = {
    release: config.release,
    releaseDir: exported.summary.releaseDir,
    images: sample.summary.images,
    perClass: sample.summary.perClass,
    manifest: exported.files['manifest.json'],
    perKeyword: sample.files['ti_indices_per_keyword.json'],
    blacklist,
    stages: state.done,
  };
  if (patched(RELEASE_RECORDS)) {
    enter('recordRelease');
    done(await stage('recordRelease', `keep the ${config.release} result for the releases grown from it`)({
      release: config.release, configHash: config.hash, source, result,
    }));
  }

  enter('done');
  await condition(allHandlersFinished);
  return result;
}

function validateDecision(tasks: LabelTask[], decision: LabelDecision): void {
  const task = tasks.find((t) => t.id === decision.taskId);
  if (!task) throw ApplicationFailure.nonRetryable(`task "${decision.taskId}" is not pending`);
  if (!decision.labeler) throw ApplicationFailure.nonRetryable('a decision needs the labeler\'s name');
  if (!Array.isArray(decision.accepted)) throw ApplicationFailure.nonRetryable('accepted must be a list of TinyImages indices');
  const offered = new Set(task.offered);
  const seen = new Set<number>();
  for (const index of decision.accepted) {
    if (!offered.has(index)) throw ApplicationFailure.nonRetryable(`image ${index} was not offered in task "${task.id}"`);
    if (seen.has(index)) throw ApplicationFailure.nonRetryable(`image ${index} is listed twice`);
    seen.add(index);
  }
}

function validateReview(pending: { round: number; pairs: DuplicatePair[] } | null, review: DuplicateReview): void {
  if (!pending) throw ApplicationFailure.nonRetryable('no near-duplicate review is pending');
  if (review.round !== pending.round) throw ApplicationFailure.nonRetryable(`review is for round ${review.round}, pending round is ${pending.round}`);
  const ids = new Set(pending.pairs.map((p) => p.id));
  const decided = [...review.confirmed, ...review.dismissed];
  for (const id of decided) if (!ids.has(id)) throw ApplicationFailure.nonRetryable(`pair "${id}" is not under review`);
  if (new Set(decided).size !== ids.size || decided.length !== ids.size) {
    throw ApplicationFailure.nonRetryable(`every pair must be confirmed or dismissed exactly once (${ids.size} pairs)`);
  }
}

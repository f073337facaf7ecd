// The build of one release, in the order of the stage diagram in the README.
import { allHandlersFinished, condition, patched, setHandler } from '@temporalio/workflow';
import { auditAndPublish, auditsRelease } from './audit';
import { baseRelease } from './base-release';
import { type ReviewWait, sampleWithoutDuplicates } from './duplicates';
import { labelingRound, type RoundWait } from './labeling';
import { buildWorkflowId, TASK_QUEUE } from './ids';
import { buildReleaseV1 } from './legacy/build-v1';
import { pendingWork, progress as progressQuery, reviewDuplicates } from './messages';
import { fromPublished } from './published';
import { shardedStage } from './sharded';
import { type Output, Progress } from './stages';
import type { BuildInput, BuildResult, StageOutput } from './types';
import { validateReview } from './validators';

export { buildWorkflowId, releaseOfWorkflowId, storeQueue, TASK_QUEUE } from './ids';

/**
 * Version 2 of the build: data that grows with the corpus stays in the store,
 * sharded stages and labeling rounds run as child workflows. A marker, so that
 * histories recorded before it replay through the frozen version 1.
 */
const BUILD_V2 = 'build-v2';

/**
 * Builds one CIFAR-10.1 release: extraction, keyword discovery, candidate
 * subsets, nearest-neighbour distances, quotas, two human labeling rounds,
 * seeded sampling with near-duplicate checks, export and evaluation.
 */
export async function buildRelease(input: BuildInput): Promise<BuildResult> {
  if (!patched(BUILD_V2)) return buildReleaseV1(input);
  const { config, source } = input;
  const progress = new Progress(buildWorkflowId(config, input.idPrefix ?? TASK_QUEUE));
  const waits: RoundWait_ & ReviewWait = { round: null, duplicates: null, review: null };
  setHandler(progressQuery, () => ({ stage: progress.stage, done: progress.done }));
  setHandler(pendingWork, () => ({ release: config.release, stage: progress.stage, round: waits.round, duplicates: waits.duplicates }));
  setHandler(reviewDuplicates, (review) => {
    waits.review = review;
    return { blacklisted: review.confirmed.length };
  }, { validator: (review) => validateReview(waits.duplicates, review) });

  const pool = source.kind === 'pool' ? await progress.run('ingestPool', `the pool's images at 32×32: ${source.pool}`, { source, classes: config.classes, pool: config.pool }) : undefined;
  const extract = await progress.run('extractSources', `extract ${source.kind} sources`, { source, classes: config.classes, pool });
  const { sample, blacklist, labels, confirmed, audit } = source.kind === 'published'
    ? await publishedBuild(progress, config, source.dir)
    : await fromPixels(progress, waits, input, extract, pool);

  const audited = auditsRelease();
  const exported = await progress.run('exportRelease', `export ${config.release}: ${sample.summary.images} images`, {
    release: config.release, sample, extract, pool, outDir: input.outDir, columns: config.export.contactSheetColumns, publish: !audited,
  });
  const evaluated = await progress.run('evaluateModels', `evaluate models on ${config.release}`, {
    release: config.release, exported, extract, predictionsDir: input.predictionsDir, originalLabels: input.originalLabels, outDir: input.outDir, labels, confirmed,
  });
  const { releaseDir, extras } = audited
    ? await auditAndPublish(progress, config, input, extract, sample, exported, audit, evaluated)
    : { releaseDir: exported.summary.releaseDir, extras: undefined };
  const result: BuildResult = {
    release: config.release,
    releaseDir,
    images: sample.summary.images,
    perClass: sample.summary.perClass,
    manifest: exported.files['manifest.json'],
    perKeyword: sample.files['ti_indices_per_keyword.json'],
    blacklist,
    stages: progress.done,
    ...(extras ? { extras } : {}),
  };
  await progress.run('recordRelease', `keep the ${config.release} result for the releases grown from it`, { release: config.release, configHash: config.hash, source, result, config });
  progress.enter('done');
  await condition(allHandlersFinished);
  return result;
}

type RoundWait_ = { round: RoundWait | null };

/** The build from pixels: every stage computed, labels from people (or the simulated labeler). */
async function fromPixels(progress: Progress, waits: RoundWait_ & ReviewWait, input: BuildInput, extract: Output<'extractSources'>, pool?: StageOutput) {
  const { config } = input;
  const base = config.base ? await baseRelease(progress, input, config.base) : undefined;
  const keywords = pool
    ? await progress.run('poolKeywords', 'keywords and classes from the pool', { extract, pool })
    : await matchKeywords(progress, config, extract);
  const subsets = await progress.run('buildKeywordSubsets', `top-${config.keywords.topK} keywords per class`, {
    extract, keywords, topK: config.keywords.topK, excluded: config.keywords.excluded, classes: config.classes,
  });
  const distances = await shardedStage(progress, { stage: 'computeDistances', extract, subsets, k: config.distances.neighbors });
  const counts = await progress.run('computeKeywordCounts', `quotas (${config.sampling.method}, counts: ${config.sampling.counts})`, {
    subsets, sampling: config.sampling, classes: config.classes, excluded: config.keywords.excluded, fromPool: Boolean(pool),
  });
  const round = { mode: config.labeling.mode, pageSize: config.labeling.pageSize, extract, keywords, subsets, distances, counts };
  const sources = { poolRows: pool?.files['corpus/pool_rows.jsonl'] };
  const labels: StageOutput = await labelingRound(progress, waits, config, { ...round, round: 1 }, sources);
  const confirmed = await labelingRound(progress, waits, config, { ...round, round: 2, labels, minCifarDistance: config.labeling.minCifarDistance }, sources);
  const baseFiles = base && { blacklist: base.blacklist, perKeyword: base.perKeyword };
  const { sample, blacklist, rounds } = await sampleWithoutDuplicates(progress, waits, config, { extract, subsets, distances, counts, confirmed, base: baseFiles });
  return { sample, blacklist, labels, confirmed, audit: { keywords, subsets, distances, counts, labels, confirmed, rounds, base: baseFiles, pool } };
}

/** Stage 1 of a TinyImages build: every image that is a CIFAR-10 image, and so the keyword of each CIFAR-10 image. */
async function matchKeywords(progress: Progress, config: BuildInput['config'], extract: Output<'extractSources'>) {
  const matches = await shardedStage(progress, { stage: 'findCifar10Keywords', extract, maxDistance: config.keywords.matchMaxDistance });
  return progress.run('assignKeywords', `one keyword for each of ${extract.summary.cifarCount} CIFAR-10 images`, { extract, matches });
}

/** The build from the published files, with what its audit needs. */
async function publishedBuild(progress: Progress, config: BuildInput['config'], dir: string) {
  const { sample, blacklist, audit } = await fromPublished(progress, config, dir);
  return { sample, blacklist, labels: undefined, confirmed: undefined, audit: { published: audit, blacklist } };
}

// Seeded sampling with near-duplicate checks: sample, check the sample for
// near-duplicates (among itself and against CIFAR-10), have the pairs
// reviewed, blacklist the confirmed ones and sample again, at most
// `nearDuplicates.rounds` times. The pairs stay in the store; a review names
// them by position in the check's pairs.json.
import { condition, log } from '@temporalio/workflow';
import type { Output, Progress } from './stages';
import type { ArtifactRef, BuildConfig, DuplicatesPending, DuplicateReview, ExtractSummary, StageOutput, SubsetsSummary } from './types';

/** What the build shows of a near-duplicate review it waits for, and the reviewer's answer. */
export interface ReviewWait {
  duplicates: DuplicatesPending | null;
  review: DuplicateReview | null;
}

/** One round of sampling and near-duplicate checking. */
export interface SamplingRound {
  sample: ArtifactRef;
  pairs: ArtifactRef;
  /** The blacklist after the round's review (absent when the round found nothing to blacklist). */
  blacklist?: ArtifactRef;
}

export interface SamplingInputs {
  extract: StageOutput<ExtractSummary>;
  subsets: StageOutput<SubsetsSummary>;
  distances: StageOutput;
  counts: StageOutput;
  confirmed: StageOutput;
  /** The release this one grows from (v6: v4): its blacklist and sample per keyword. */
  base?: { blacklist?: ArtifactRef; perKeyword: ArtifactRef };
}

/** Samples the release until it has no near-duplicates left to blacklist (or the rounds run out). */
export async function sampleWithoutDuplicates(progress: Progress, wait: ReviewWait, config: BuildConfig, inputs: SamplingInputs) {
  let blacklist = inputs.base?.blacklist;
  let sample!: Output<'sampleRelease'>;
  /** Each round's sample, the pairs its check found, and the blacklist after it: what the release's provenance tells. */
  const rounds: SamplingRound[] = [];
  for (let round = 1; round <= config.nearDuplicates.rounds; round++) {
    sample = await progress.run('sampleRelease', `seeded sampling (${config.rng.kind}, seed ${config.seed}), round ${round}`, {
      release: config.release, seed: config.seed, rng: config.rng, sampling: config.sampling, classes: config.classes,
      counts: inputs.counts, confirmed: inputs.confirmed, blacklist, basePerKeyword: inputs.base?.perKeyword,
    });
    const check = await progress.run('checkNearDuplicates', `near-duplicates of ${sample.summary.images} images, round ${round}`, {
      sample, extract: inputs.extract, subsets: inputs.subsets, distances: inputs.distances,
      withinThreshold: config.nearDuplicates.withinThreshold, cifarThreshold: config.nearDuplicates.cifarThreshold,
    });
    const { pairs, digest } = check.summary;
    rounds.push({ sample: sample.files['sample.json'], pairs: check.files['pairs.json'] });
    if (pairs === 0) break;
    let review: DuplicateReview | 'all';
    if (config.nearDuplicates.review === 'auto') {
      review = 'all';
    } else {
      wait.review = null;
      wait.duplicates = { round, pairs: check.files['pairs.json'], count: pairs, digest, candidates: inputs.subsets.files['candidate_images.npy'], cifar: inputs.extract.files['cifar10_images.npy'] };
      await condition(() => wait.review !== null);
      review = wait.review!;
      wait.duplicates = null;
    }
    if (review !== 'all' && review.confirmed.length === 0) break;
    if (round === config.nearDuplicates.rounds) log.warn('near-duplicates remain after the last round', { pairs });
    blacklist = (await progress.run('updateBlacklist', `blacklist ${review === 'all' ? pairs : review.confirmed.length} near-duplicates (round ${round})`, {
      blacklist, pairs: check.files['pairs.json'], review,
    })).files['blacklist.json'];
    rounds[rounds.length - 1].blacklist = blacklist;
  }
  return { sample, blacklist, rounds };
}

import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { sha256Json } from '../lib/hash';
import { topKNeighbors } from '../lib/knn';
import { type DuplicatePair, extendBlacklist, nearDuplicatePairs } from '../lib/near-duplicates';
import type { ReleaseSample } from '../lib/sampling';
import { loadImagesAt, loadNeighbors, loadSubsets } from '../lib/stage-files';
import { stageKeys } from '../lib/stage-keys';
import type { ArtifactRef, StageOutput } from '../lib/store';
import type { DuplicateReview, ExtractSummary } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/**
 * Stage 8: near-duplicates among the sampled images (L2 below
 * `withinThreshold`) and between them and CIFAR-10 (below `cifarThreshold`,
 * from the computed nearest neighbours). The pairs go to review, by position
 * in pairs.json.
 */
export function checkNearDuplicates({ store, versions }: ActivityDeps) {
  return async function checkNearDuplicates(input: {
    sample: StageOutput;
    extract: StageOutput<ExtractSummary>;
    subsets: StageOutput;
    distances: StageOutput;
    withinThreshold: number;
    cifarThreshold: number;
  }) {
    return runStage(async (_heartbeat, context) => {
      const { sample, subsets, distances, withinThreshold, cifarThreshold } = input;
      return store.keyedStage<{ pairs: number; digest: string }>(stageKeys.checkNearDuplicates(sample, subsets, distances, withinThreshold, cifarThreshold, versions), async (dir) => {
        const { tiIndices } = await store.readJson<ReleaseSample>(sample.files['sample.json']);
        const { rowOf } = await loadSubsets(store, subsets);
        const neighbors = await loadNeighbors(store, distances);
        // Only the sampled rows of the candidate images: they are 1.8 GB at full scale.
        const images = await loadImagesAt(store, subsets, 'candidate_images.npy', tiIndices.map((ti) => rowOf.get(ti)!));
        // Each image's nearest other image: itself first, then the closest one.
        const k = Math.min(2, tiIndices.length);
        const within = await topKNeighbors(images, images, k, { signal: context.cancellationSignal });
        const pairs = nearDuplicatePairs({
          tiIndices, rowOf, within: { ...within, k },
          nearestCifar: (row) => ({ index: neighbors.nearestIndex(row), distance: neighbors.nearest(row) }),
        }, withinThreshold, cifarThreshold);
        await writeFileAtomic(path.join(dir, 'pairs.json'), Buffer.from(JSON.stringify(pairs, null, 2)));
        return { files: ['pairs.json'], summary: { pairs: pairs.length, digest: sha256Json(pairs).slice(0, 16) } };
      });
    });
  };
}

/** Adds the confirmed near-duplicates (all of them for the automatic review) to the blacklist: a new, sorted list. */
export function updateBlacklist({ store, versions }: ActivityDeps) {
  return async function updateBlacklist(input: { blacklist?: ArtifactRef; pairs: ArtifactRef; review: DuplicateReview | 'all' }) {
    return runStage(async () => {
      const pairs = await store.readJson<DuplicatePair[]>(input.pairs);
      const previous = input.blacklist ? await store.readJson<number[]>(input.blacklist) : [];
      const list = extendBlacklist(previous, pairs, input.review === 'all' ? 'all' : input.review.confirmed);
      return store.keyedStage(stageKeys.updateBlacklist(list, versions), async (dir) => {
        await writeFileAtomic(path.join(dir, 'blacklist.json'), Buffer.from(JSON.stringify(list, null, 2)));
        return { files: ['blacklist.json'], summary: { added: list.length - previous.length, total: list.length } };
      });
    });
  };
}

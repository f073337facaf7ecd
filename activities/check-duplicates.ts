import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { topKNeighbors } from '../lib/knn';
import { ArtifactStore, type ArtifactRef, type StageOutput } from '../lib/store';
import type { DuplicatePair, DuplicateReview } from '../workflows/types';
import { loadImages, loadNeighbors, loadSubsets, type ActivityDeps, type ExtractSummary } from './common';
import { cancellation, runStage } from './context';
import type { Sample } from './sample-release';

const VERSION = 1;

/**
 * Stage 8: near-duplicates among the sampled images (L2 below
 * `withinThreshold`) and between them and CIFAR-10 (below `cifarThreshold`,
 * from the computed nearest neighbours). The pairs go to review.
 */
export function checkNearDuplicates({ store }: ActivityDeps) {
  return async function checkNearDuplicates(input: {
    sample: StageOutput;
    extract: StageOutput<ExtractSummary>;
    subsets: StageOutput;
    distances: StageOutput<{ start: number; end: number; k: number }>[];
    withinThreshold: number;
    cifarThreshold: number;
  }) {
    return runStage(async () => {
      const { sample, subsets, distances, withinThreshold, cifarThreshold } = input;
      const key = ArtifactStore.key('checkNearDuplicates', VERSION, {
        sample: sample.key, subsets: subsets.key, distances: distances.map((d) => d.key), withinThreshold, cifarThreshold,
      });
      return store.stage<{ pairs: DuplicatePair[] }>('checkNearDuplicates', key, async (dir) => {
        const { tiIndices } = await store.readJson<Sample>(sample.files['sample.json']);
        const { rowOf } = await loadSubsets(store, subsets);
        const candidates = await loadImages(store, subsets, 'candidate_images.npy');
        const neighbors = await loadNeighbors(store, distances);
        const images = new Uint8Array(tiIndices.length * 3072);
        tiIndices.forEach((ti, i) => images.set(candidates.subarray(rowOf.get(ti)! * 3072, (rowOf.get(ti)! + 1) * 3072), i * 3072));
        const pairs: DuplicatePair[] = [];
        // Each image's nearest other image: itself first, then the closest one.
        const k = Math.min(2, tiIndices.length);
        const within = await topKNeighbors(images, images, k, { signal: cancellation() });
        const seen = new Set<string>();
        for (let i = 0; i < tiIndices.length; i++) {
          for (let j = 0; j < k; j++) {
            const other = within.indices[i * k + j];
            const distance = Math.sqrt(within.distances[i * k + j]);
            if (other === i || distance > withinThreshold) continue;
            // The image with the larger TinyImages index is the one to blacklist.
            const [a, b] = [tiIndices[i], tiIndices[other]].sort((x, y) => x - y);
            const id = `within:${a}:${b}`;
            if (!seen.has(id)) pairs.push({ id, kind: 'within', ti: b, other: a, distance, rows: [rowOf.get(b)!, rowOf.get(a)!] });
            seen.add(id);
          }
        }
        for (const ti of tiIndices) {
          const row = rowOf.get(ti)!;
          const distance = neighbors.nearest(row);
          if (distance <= cifarThreshold) pairs.push({ id: `cifar:${ti}:${neighbors.nearestIndex(row)}`, kind: 'cifar', ti, other: neighbors.nearestIndex(row), distance, rows: [row, neighbors.nearestIndex(row)] });
        }
        await writeFileAtomic(path.join(dir, 'pairs.json'), Buffer.from(JSON.stringify(pairs, null, 2)));
        return { files: ['pairs.json'], summary: { pairs } };
      });
    });
  };
}

/** Adds the confirmed near-duplicates to the blacklist (a new, sorted list). */
export function updateBlacklist({ store }: ActivityDeps) {
  return async function updateBlacklist(input: { blacklist?: ArtifactRef; pairs: DuplicatePair[]; review: DuplicateReview }) {
    return runStage(async () => {
      const confirmed = new Set(input.review.confirmed);
      const add = input.pairs.filter((p) => confirmed.has(p.id)).map((p) => p.ti);
      const key = ArtifactStore.key('updateBlacklist', VERSION, { previous: input.blacklist?.sha256, add });
      return store.stage('updateBlacklist', key, async (dir) => {
        const previous = input.blacklist ? await store.readJson<number[]>(input.blacklist) : [];
        const list = [...new Set([...previous, ...add])].sort((a, b) => a - b);
        await writeFileAtomic(path.join(dir, 'blacklist.json'), Buffer.from(JSON.stringify(list, null, 2)));
        return { files: ['blacklist.json'], summary: { added: list.length - previous.length, total: list.length } };
      });
    });
  };
}

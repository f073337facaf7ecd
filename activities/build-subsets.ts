import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { writeNpy, writeNpyChunks } from '../lib/formats/npy';
import { TinyImages } from '../lib/formats/tinyimages';
import { tinyDirOf } from '../lib/stage-files';
import { stageKeys } from '../lib/stage-keys';
import type { StageOutput } from '../lib/store';
import { candidateRows, topKeywords } from '../lib/subsets';
import type { ExtractSummary, SubsetsSummary } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

/** Candidate images read and written at once: bounded memory whatever the number of candidates (1.8 GB at full scale). */
const CHUNK = 8192;

/**
 * Stage 2: the top-k keywords of each class and every TinyImages image with
 * such a keyword (binary search in the keyword-sorted metadata). Images that
 * are CIFAR-10 images themselves (stage 1 matches) are set aside; the rest,
 * the candidates, are stored as one .npy for the later stages.
 */
export function buildKeywordSubsets({ store, versions }: ActivityDeps) {
  return async function buildKeywordSubsets(input: {
    extract: StageOutput<ExtractSummary>;
    keywords: StageOutput;
    topK: number;
    excluded: string[];
    classes: string[];
  }) {
    return runStage(async (heartbeat) => {
      const { extract, keywords, topK, excluded, classes } = input;
      return store.keyedStage<SubsetsSummary>(stageKeys.buildKeywordSubsets(extract, keywords, topK, excluded, classes, versions), async (dir) => {
        const byClass = await store.readJson<Record<string, Record<string, number>>>(keywords.files['keyword_counts_by_class.json']);
        const sources = new Set(await store.readJson<number[]>(keywords.files['cifar_sources.json']));
        const tiny = await TinyImages.open(tinyDirOf(extract));
        try {
          const ranged = [];
          for (const k of topKeywords(byClass, classes, topK, excluded)) {
            const [start, end] = await tiny.keywordRange(k.keyword);
            ranged.push({ ...k, start, end });
          }
          const { order, entries } = candidateRows(ranged, sources);
          await writeNpyChunks(path.join(dir, 'candidate_images.npy'), 'uint8', [order.length, 32, 32, 3], (async function* () {
            for (let at = 0; at < order.length; at += CHUNK) {
              yield await tiny.readIndicesHWC(order.slice(at, at + CHUNK));
              heartbeat.update({ done: Math.min(order.length, at + CHUNK), total: order.length });
            }
          })());
          await writeNpy(path.join(dir, 'candidate_ti.npy'), { dtype: 'int32', shape: [order.length], data: Int32Array.from(order) });
          await writeFileAtomic(path.join(dir, 'subsets.json'), Buffer.from(JSON.stringify(entries)));
          const inRanges = entries.reduce((n, e) => n + (e.end - e.start), 0);
          return {
            files: ['candidate_images.npy', 'candidate_ti.npy', 'subsets.json'],
            summary: { queries: order.length, keywords: entries.length, cifarCopies: inRanges - entries.reduce((n, e) => n + e.rows.length, 0) },
          };
        } finally {
          await tiny.close();
        }
      });
    });
  };
}

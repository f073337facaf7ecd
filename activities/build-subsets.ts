import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { writeNpy } from '../lib/formats/npy';
import { TinyImages } from '../lib/formats/tinyimages';
import { ArtifactStore, type StageOutput } from '../lib/store';
import { tinyDirOf, type ActivityDeps, type ExtractSummary, type SubsetEntry, type SubsetsSummary } from './common';
import { runStage } from './context';

const VERSION = 1;

/**
 * Stage 2: the top-k keywords of each class and every TinyImages image with
 * such a keyword (binary search in the keyword-sorted metadata). Images that
 * are CIFAR-10 images themselves (stage 1 matches) are set aside; the rest,
 * the candidates, are stored as one .npy for the later stages.
 */
export function buildKeywordSubsets({ store }: ActivityDeps) {
  return async function buildKeywordSubsets(input: {
    extract: StageOutput<ExtractSummary>;
    keywords: StageOutput;
    topK: number;
    excluded: string[];
    classes: string[];
  }) {
    return runStage(async (heartbeat) => {
      const { extract, keywords, topK, excluded, classes } = input;
      const key = ArtifactStore.key('buildKeywordSubsets', VERSION, { extract: extract.key, keywords: keywords.key, topK, excluded, classes });
      return store.stage<SubsetsSummary>('buildKeywordSubsets', key, async (dir) => {
        const byClass = await store.readJson<Record<string, Record<string, number>>>(keywords.files['keyword_counts_by_class.json']);
        const sources = new Set(await store.readJson<number[]>(keywords.files['cifar_sources.json']));
        const skip = new Set(excluded);
        const tiny = await TinyImages.open(tinyDirOf(extract));
        const entries: SubsetEntry[] = [];
        const candidates = new Set<number>();
        try {
          for (const [classIndex, className] of classes.entries()) {
            const top = Object.entries(byClass[className] ?? {}).filter(([kw]) => !skip.has(kw)).slice(0, topK);
            for (const [keyword, cifarCount] of top) {
              const [start, end] = await tiny.keywordRange(keyword);
              entries.push({ className, classIndex, keyword, cifarCount, start, end, rows: [] });
              for (let ti = start; ti < end; ti++) if (!sources.has(ti)) candidates.add(ti);
            }
          }
          const order = [...candidates].sort((a, b) => a - b);
          const rowOf = new Map(order.map((ti, row) => [ti, row]));
          for (const e of entries) {
            for (let ti = e.start; ti < e.end; ti++) if (rowOf.has(ti)) e.rows.push(rowOf.get(ti)!);
          }
          heartbeat.update({ done: 0, total: order.length });
          const images = await tiny.readIndicesHWC(order);
          await writeNpy(path.join(dir, 'candidate_images.npy'), { dtype: 'uint8', shape: [order.length, 32, 32, 3], data: images });
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

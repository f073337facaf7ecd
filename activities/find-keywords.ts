import path from 'node:path';
import { DuplicateIndex, searchFile } from '../lib/dupsearch';
import { hwcToTiny, TinyImages } from '../lib/formats/tinyimages';
import { writeFileAtomic } from '../lib/formats/files';
import { ArtifactStore, type StageOutput } from '../lib/store';
import { loadImages, loadInts, tinyDirOf, type ActivityDeps, type ExtractSummary } from './common';
import { cancellation, runStage } from './context';

const VERSION = 1;
const CHUNK = 4096;

export interface Match {
  cifar: number;
  ti: number;
  keyword: string;
  distance: number;
}

// One duplicate index per worker process and CIFAR-10 extraction: building it
// hashes every CIFAR-10 image, which every shard would otherwise repeat.
const indexes = new Map<string, Promise<DuplicateIndex>>();
// Searches read ahead into the index's own memory, so shards running in the
// same worker take turns with it.
let turn: Promise<unknown> = Promise.resolve();

function exclusively<T>(body: () => Promise<T>): Promise<T> {
  const run = turn.then(body, body);
  turn = run.catch(() => undefined);
  return run;
}

function duplicateIndex(deps: ActivityDeps, extract: StageOutput<ExtractSummary>): Promise<DuplicateIndex> {
  let index = indexes.get(extract.key);
  if (!index) {
    index = (async () => {
      const hwc = await loadImages(deps.store, extract, 'cifar10_images.npy');
      const n = hwc.length / 3072;
      const tinyLayout = new Uint8Array(hwc.length);
      hwcToTiny(hwc, tinyLayout, n);
      return new DuplicateIndex(tinyLayout);
    })();
    indexes.set(extract.key, index);
    index.catch(() => indexes.delete(extract.key));
  }
  return index;
}

/**
 * Stage 1 (one shard): every TinyImages image in [start, end) within L2
 * `maxDistance` of a CIFAR-10 image, with its keyword. Exact: no LSH misses.
 */
export function findCifar10Keywords(deps: ActivityDeps) {
  return async function findCifar10Keywords(input: { extract: StageOutput<ExtractSummary>; start: number; end: number; maxDistance: number }) {
    const { extract, start, end, maxDistance } = input;
    return runStage(async (heartbeat) => {
      const key = ArtifactStore.key('findCifar10Keywords', VERSION, { extract: extract.key, start, end, maxDistance });
      return deps.store.stage('findCifar10Keywords', key, async (dir) => {
        const index = await duplicateIndex(deps, extract);
        const tiny = await TinyImages.open(tinyDirOf(extract));
        const matches: Match[] = [];
        try {
          // One streaming pass, the next chunk read while this one is searched.
          const found = await exclusively(() => searchFile(index, tiny.imagesFile, start, end, {
            maxSquared: Math.floor(maxDistance * maxDistance),
            chunkImages: CHUNK,
            signal: cancellation(),
            onProgress: (done) => heartbeat.update({ done, total: end - start }),
          }));
          for (const m of found) {
            matches.push({ cifar: m.reference, ti: m.candidate, keyword: await tiny.keyword(m.candidate), distance: Math.sqrt(m.squaredDistance) });
          }
        } finally {
          await tiny.close();
        }
        await writeFileAtomic(path.join(dir, 'matches.json'), Buffer.from(JSON.stringify(matches)));
        return { files: ['matches.json'], summary: { start, end, matches: matches.length } };
      });
    });
  };
}

/**
 * Stage 1 (reduce): one keyword per CIFAR-10 image, the most frequent one in
 * its class among its matches; keyword counts per class.
 */
export function assignKeywords({ store }: ActivityDeps) {
  return async function assignKeywords(input: { extract: StageOutput<ExtractSummary>; matches: StageOutput[] }) {
    return runStage(async () => {
      const key = ArtifactStore.key('assignKeywords', VERSION, { extract: input.extract.key, matches: input.matches.map((m) => m.key) });
      return store.stage('assignKeywords', key, async (dir) => {
        const labels = await loadInts(store, input.extract, 'cifar10_labels.npy');
        const classes = input.extract.summary.classes;
        const keywordsOf: Array<Set<string>> = Array.from({ length: labels.length }, () => new Set());
        const sources = new Set<number>();
        for (const shard of input.matches) {
          for (const m of await store.readJson<Match[]>(shard.files['matches.json'])) {
            keywordsOf[m.cifar].add(m.keyword);
            sources.add(m.ti);
          }
        }
        const classCounts = classes.map(() => new Map<string, number>());
        keywordsOf.forEach((kws, i) => kws.forEach((kw) => classCounts[labels[i]].set(kw, (classCounts[labels[i]].get(kw) ?? 0) + 1)));
        const assigned = keywordsOf.map((kws, i) => {
          let best: string | null = null;
          for (const kw of [...kws].sort()) {
            if (best === null || classCounts[labels[i]].get(kw)! > classCounts[labels[i]].get(best)!) best = kw;
          }
          return best;
        });
        const byClass: Record<string, Record<string, number>> = {};
        classes.forEach((name) => (byClass[name] = {}));
        assigned.forEach((kw, i) => {
          if (kw !== null) byClass[classes[labels[i]]][kw] = (byClass[classes[labels[i]]][kw] ?? 0) + 1;
        });
        for (const name of classes) byClass[name] = sortCounts(byClass[name]);
        const write = (name: string, value: unknown) => writeFileAtomic(path.join(dir, name), Buffer.from(JSON.stringify(value, null, 2)));
        await write('cifar_keywords.json', assigned);
        await write('keyword_counts_by_class.json', byClass);
        await write('cifar_sources.json', [...sources].sort((a, b) => a - b));
        const matched = assigned.filter((k) => k !== null).length;
        return {
          files: ['cifar_keywords.json', 'keyword_counts_by_class.json', 'cifar_sources.json'],
          summary: { matched, unmatched: labels.length - matched, keywords: new Set(assigned.filter(Boolean)).size },
        };
      });
    });
  };
}

/** Counts by decreasing count, then keyword. */
function sortCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

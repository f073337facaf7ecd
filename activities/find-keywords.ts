import path from 'node:path';
import { DuplicateIndex, searchFile } from '../lib/dupsearch';
import { writeFileAtomic } from '../lib/formats/files';
import { hwcToTiny, TinyImages } from '../lib/formats/tinyimages';
import { assignKeywords as assign, type Match } from '../lib/keywords';
import { shardKey } from '../lib/sharding';
import { stageKeys } from '../lib/stage-keys';
import { loadImages, loadInts, tinyDirOf } from '../lib/stage-files';
import type { ArtifactStore, StageOutput } from '../lib/store';
import type { ExtractSummary, ShardedWork, ShardResult } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

const CHUNK = 4096;

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

function duplicateIndex(store: ArtifactStore, extract: StageOutput<ExtractSummary>): Promise<DuplicateIndex> {
  let index = indexes.get(extract.key);
  if (!index) {
    index = (async () => {
      const hwc = await loadImages(store, extract, 'cifar10_images.npy');
      return new DuplicateIndex(hwcToTiny(hwc, new Uint8Array(hwc.length), hwc.length / 3072));
    })();
    indexes.set(extract.key, index);
    index.catch(() => indexes.delete(extract.key));
  }
  return index;
}

/**
 * Stage 1 (one shard): every TinyImages image in [start, end) within L2
 * `maxDistance` of a CIFAR-10 image, with its keyword. Exact: no LSH misses.
 * The matches stay in the store, merged by mergeShards.
 */
export function findCifar10Keywords({ store, versions }: ActivityDeps) {
  return async function findCifar10Keywords(input: Extract<ShardedWork, { stage: 'findCifar10Keywords' }> & { start: number; end: number }): Promise<ShardResult> {
    const { extract, start, end, maxDistance } = input;
    return runStage(async (heartbeat, context) => {
      const out = await store.keyedStage(shardKey(input, { start, end }, versions), async (dir) => {
        const index = await duplicateIndex(store, extract);
        const tiny = await TinyImages.open(tinyDirOf(extract));
        const matches: Match[] = [];
        try {
          // One streaming pass, the next chunk read while this one is searched.
          const found = await exclusively(() => searchFile(index, tiny.imagesFile, start, end, {
            maxSquared: Math.floor(maxDistance * maxDistance),
            chunkImages: CHUNK,
            signal: context.cancellationSignal,
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
      return { start, end, cached: out.cached };
    });
  };
}

/**
 * Stage 1 (reduce): one keyword per CIFAR-10 image, the most frequent one in
 * its class among its matches; keyword counts per class.
 */
export function assignKeywords({ store, versions }: ActivityDeps) {
  return async function assignKeywords(input: { extract: StageOutput<ExtractSummary>; matches: StageOutput }) {
    return runStage(async () => {
      return store.keyedStage(stageKeys.assignKeywords(input.extract, input.matches, versions), async (dir) => {
        const labels = await loadInts(store, input.extract, 'cifar10_labels.npy');
        const matches = await store.readJson<Match[]>(input.matches.files['matches.json']);
        const { assigned, byClass, sources } = assign(labels, input.extract.summary.classes, matches);
        const write = (name: string, value: unknown) => writeFileAtomic(path.join(dir, name), Buffer.from(JSON.stringify(value, null, 2)));
        await write('cifar_keywords.json', assigned);
        await write('keyword_counts_by_class.json', byClass);
        await write('cifar_sources.json', sources);
        const matched = assigned.filter((k) => k !== null).length;
        return {
          files: ['cifar_keywords.json', 'keyword_counts_by_class.json', 'cifar_sources.json'],
          summary: { matched, unmatched: labels.length - matched, keywords: new Set(assigned.filter(Boolean)).size },
        };
      });
    });
  };
}

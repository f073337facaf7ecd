import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { writeNpy } from '../lib/formats/npy';
import { topKNeighbors } from '../lib/knn';
import { candidatesDigest, shardKey } from '../lib/sharding';
import type { ArtifactStore, StageOutput } from '../lib/store';
import { loadImageRows, loadImages } from '../lib/stage-files';
import type { ShardedWork, ShardResult } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

/** Candidates per checkpoint: small enough to lose little on a crash, large enough to keep the kernel busy. */
const CHUNK = 128;

/**
 * CIFAR-10's images, read once per worker process: every shard of a build
 * searches the same 184 MB, and the kNN keeps its shared copy and statistics
 * while it is given the same array.
 */
let cifarCache: { sha256: string; images: Promise<Uint8Array> } | undefined;

function cifarImages(store: ArtifactStore, extract: StageOutput): Promise<Uint8Array> {
  const { sha256 } = extract.files['cifar10_images.npy'];
  if (cifarCache?.sha256 !== sha256) {
    const images = loadImages(store, extract, 'cifar10_images.npy');
    cifarCache = { sha256, images };
    images.catch(() => {
      if (cifarCache?.images === images) cifarCache = undefined;
    });
  }
  return cifarCache.images;
}

/**
 * Stage 3 (one shard): the k nearest CIFAR-10 images (squared L2, exact) of
 * candidates [start, end), keyed by those candidates' pixels. Each chunk is checkpointed in the store's scratch
 * folder, so a retry after a crash resumes where the last attempt stopped.
 * The result stays in the store, merged by mergeShards.
 */
export function computeDistances({ store, afterChunk, versions }: ActivityDeps) {
  return async function computeDistances(input: Extract<ShardedWork, { stage: 'computeDistances' }> & { start: number; end: number }): Promise<ShardResult> {
    const { extract, subsets, start, end, k } = input;
    return runStage(async (heartbeat, context) => {
      // Only this shard's rows: at full scale the candidate file is 1.8 GB.
      const candidates = await loadImageRows(store, subsets, 'candidate_images.npy', start, end);
      const keyed = shardKey(input, { candidates: candidatesDigest(candidates) }, versions);
      let resumed = 0;
      const out = await store.keyedStage<{ k: number; resumed: number }>(keyed, async (dir) => {
        const scratch = await store.scratch(keyed.stage, keyed.key);
        const cifar = await cifarImages(store, extract);
        const n = end - start;
        const indices = new Int32Array(n * k);
        const squared = new Int32Array(n * k);
        for (let at = 0; at < n; at += CHUNK) {
          const count = Math.min(CHUNK, n - at);
          const checkpoint = path.join(scratch, `chunk-${at}.bin`);
          const saved = await readFile(checkpoint).catch(() => null);
          if (saved && saved.length === count * k * 8) {
            const ints = new Int32Array(saved.buffer, saved.byteOffset, count * k * 2);
            indices.set(ints.subarray(0, count * k), at * k);
            squared.set(ints.subarray(count * k), at * k);
            resumed += count;
          } else {
            const result = await topKNeighbors(candidates.subarray(at * 3072, (at + count) * 3072), cifar, k, { signal: context.cancellationSignal });
            indices.set(result.indices, at * k);
            squared.set(result.distances, at * k);
            const both = new Int32Array(count * k * 2);
            both.set(result.indices);
            both.set(result.distances, count * k);
            await writeFileAtomic(checkpoint, new Uint8Array(both.buffer));
          }
          heartbeat.update({ done: at + count, total: n, resumed });
          await afterChunk?.('computeDistances');
        }
        await writeNpy(path.join(dir, 'neighbors.npy'), { dtype: 'int32', shape: [n, k], data: indices });
        await writeNpy(path.join(dir, 'distances.npy'), { dtype: 'int32', shape: [n, k], data: squared });
        return { files: ['neighbors.npy', 'distances.npy'], summary: { k, resumed } };
      });
      return { start, end, cached: out.cached, resumed: out.cached ? 0 : out.summary.resumed };
    });
  };
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { readNpyRows, writeNpy } from '../lib/formats/npy';
import { topKNeighbors } from '../lib/knn';
import { ArtifactStore, type StageOutput } from '../lib/store';
import { loadImages, type ActivityDeps, type ExtractSummary, type SubsetsSummary } from './common';
import { cancellation, runStage } from './context';

const VERSION = 1;
/** Candidates per checkpoint: small enough to lose little on a crash, large enough to keep the kernel busy. */
const CHUNK = 128;
/**
 * Slow motion for crash-recovery demos and tests: at demo scale a shard takes
 * well under a second, too short to kill a worker in the middle of one.
 */
const CHUNK_DELAY_MS = Number(process.env.CIFAR101_CHUNK_DELAY_MS ?? 0);

/**
 * Stage 3 (one shard): the k nearest CIFAR-10 images (squared L2, exact) of
 * candidates [start, end). Each chunk is checkpointed in the store's scratch
 * folder, so a retry after a crash resumes where the last attempt stopped.
 */
export function computeDistances({ store }: ActivityDeps) {
  return async function computeDistances(input: {
    extract: StageOutput<ExtractSummary>;
    subsets: StageOutput<SubsetsSummary>;
    start: number;
    end: number;
    k: number;
  }) {
    const { extract, subsets, start, end, k } = input;
    return runStage(async (heartbeat) => {
      // Keyed by the images themselves, not the upstream stages: v4 and v6 share their candidates when their keyword lists do.
      const key = ArtifactStore.key('computeDistances', VERSION, {
        cifar: extract.files['cifar10_images.npy'].sha256, candidates: subsets.files['candidate_images.npy'].sha256, start, end, k,
      });
      return store.stage('computeDistances', key, async (dir) => {
        const scratch = await store.scratch('computeDistances', key);
        // Only this shard's rows: at full scale the candidate file is 1.8 GB.
        const candidates = (await readNpyRows(store.resolve(subsets.files['candidate_images.npy']), start, end)).data;
        const cifar = await loadImages(store, extract, 'cifar10_images.npy');
        const n = end - start;
        const indices = new Int32Array(n * k);
        const squared = new Int32Array(n * k);
        const signal = cancellation();
        let resumed = 0;
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
            const queries = candidates.subarray(at * 3072, (at + count) * 3072);
            const result = await topKNeighbors(queries, cifar, k, { signal });
            indices.set(result.indices, at * k);
            squared.set(result.distances, at * k);
            const both = new Int32Array(count * k * 2);
            both.set(result.indices);
            both.set(result.distances, count * k);
            await writeFileAtomic(checkpoint, new Uint8Array(both.buffer));
          }
          heartbeat.update({ done: at + count, total: n, resumed });
          if (CHUNK_DELAY_MS) await new Promise((r) => setTimeout(r, CHUNK_DELAY_MS));
        }
        await writeNpy(path.join(dir, 'neighbors.npy'), { dtype: 'int32', shape: [n, k], data: indices });
        await writeNpy(path.join(dir, 'distances.npy'), { dtype: 'int32', shape: [n, k], data: squared });
        return { files: ['neighbors.npy', 'distances.npy'], summary: { start, end, k, resumed } };
      });
    });
  };
}

// The distance stage's shard activity in a mock activity context: its heartbeats, a cancellation
// in the middle, and the resume from the chunks a cancelled attempt checkpointed.
import { MockActivityEnvironment } from '@temporalio/testing';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDistances } from '../../activities/compute-distances';
import { writeNpy } from '../../lib/formats/npy';
import { closeKnnWorkers } from '../../lib/knn';
import { candidatesDigest, shardKey, shardStageName } from '../../lib/sharding';
import { loadImageRows, loadInts } from '../../lib/stage-files';
import { ArtifactStore, type StageOutput } from '../../lib/store';
import type { ExtractSummary, ShardedWork, SubsetsSummary } from '../../workflows/types';
import { tempDir } from '../helpers/build';
import { mulberry32 } from '../helpers/random';

const CANDIDATES = 700;
const random = mulberry32(11);
const images = (n: number) => Uint8Array.from({ length: n * 3072 }, () => Math.floor(random() * 256));

let store: ArtifactStore;
let work: Extract<ShardedWork, { stage: 'computeDistances' }>;

/** An entry holding one uint8 image array, as the upstream stages leave it. */
async function imagesEntry<S>(stage: string, name: string, n: number, summary: S): Promise<StageOutput<S>> {
  const data = images(n);
  return store.stage(stage, `${stage}-test`, async (dir) => {
    await writeNpy(path.join(dir, name), { dtype: 'uint8', shape: [n, 32, 32, 3], data });
    return { files: [name], summary };
  });
}

beforeAll(async () => {
  store = new ArtifactStore(await tempDir('activity-distances'));
  const extract = await imagesEntry<ExtractSummary>('extractSources', 'cifar10_images.npy', 300, { tinyDir: null, groundTruth: null, tinyCount: 0, cifarCount: 300, cifarTrain: 250, classes: [] });
  const subsets = await imagesEntry<SubsetsSummary>('buildKeywordSubsets', 'candidate_images.npy', CANDIDATES, { queries: CANDIDATES, keywords: 1, cifarCopies: 0 });
  work = { stage: 'computeDistances', extract, subsets, k: 3 };
});

afterAll(() => closeKnnWorkers());

describe('computeDistances (one shard) in an activity context', () => {
  it('heartbeats its progress after every chunk and stores the neighbours', async () => {
    const env = new MockActivityEnvironment();
    const beats: Array<{ done: number; total: number }> = [];
    env.on('heartbeat', (d) => beats.push(d));
    const result = await env.run(computeDistances({ store }), { ...work, start: 0, end: 300 });
    expect(result).toEqual({ start: 0, end: 300, cached: false, resumed: 0 });
    expect(beats.filter(Boolean).map((b) => b.done)).toEqual(expect.arrayContaining([128, 256, 300]));
    expect(beats.at(-1)).toMatchObject({ done: 300, total: 300 });
  });

  it('stops when cancelled, leaving its checkpoints and no entry; a retry resumes from them and equals a clean run', async () => {
    const shard = { ...work, start: 0, end: CANDIDATES };
    const env = new MockActivityEnvironment();
    let chunks = 0;
    // Cancel after the second chunk is checkpointed, as a server would after a cancel request.
    const cancelled = env.run(computeDistances({ store, afterChunk: async () => { if (++chunks === 2) env.cancel(); } }), shard);
    await expect(cancelled).rejects.toThrow();
    const stage = path.join(store.root, 'cache', shardStageName('computeDistances'));
    const folders = await readdir(stage);
    expect(folders.filter((f) => !f.startsWith('.'))).toHaveLength(1); // only the first test's shard
    const partial = folders.find((f) => f.startsWith('.partial-'))!;
    expect((await readdir(path.join(stage, partial))).sort()).toEqual(['chunk-0.bin', 'chunk-128.bin']);

    const retry = await new MockActivityEnvironment().run(computeDistances({ store }), shard);
    expect(retry).toEqual({ start: 0, end: CANDIDATES, cached: false, resumed: 256 });
    const again = await new MockActivityEnvironment().run(computeDistances({ store }), shard);
    expect(again).toEqual({ start: 0, end: CANDIDATES, cached: true, resumed: 0 });

    // The resumed output equals one computed from scratch in a store of its own.
    const fresh = new ArtifactStore(await tempDir('activity-distances-fresh'));
    const copy = async (out: StageOutput) => fresh.stage(out.stage, out.key, async (dir) => {
      const { copyFile } = await import('node:fs/promises');
      for (const [name, ref] of Object.entries(out.files)) await copyFile(store.resolve(ref), path.join(dir, name));
      return { files: Object.keys(out.files), summary: out.summary };
    });
    await new MockActivityEnvironment().run(computeDistances({ store: fresh }), { ...shard, extract: await copy(work.extract) as typeof work.extract, subsets: await copy(work.subsets) as typeof work.subsets });
    const read = async (s: ArtifactStore) => {
      const out = await s.lookup(shardStageName('computeDistances'), shardKey(shard, { candidates: candidatesDigest(await loadImageRows(s, shard.subsets, 'candidate_images.npy', 0, CANDIDATES)) }).key);
      return Promise.all(['neighbors.npy', 'distances.npy'].map((n) => loadInts(s, out!, n)));
    };
    const [resumedOut, freshOut] = await Promise.all([read(store), read(fresh)]);
    expect(resumedOut).toEqual(freshOut);
  });

  it('finds a shard another build computed for the same candidates at another place in its candidate array (v6 reusing v4)', async () => {
    const first = await store.lookup(shardStageName('computeDistances'), shardKey(work, { candidates: candidatesDigest(await loadImageRows(store, work.subsets, 'candidate_images.npy', 0, 300)) }).key);
    expect(first).not.toBeNull();
    // A larger build: 50 other candidates before the same 300.
    const before = images(50);
    const same = await loadImageRows(store, work.subsets, 'candidate_images.npy', 0, 300);
    const grown = await store.stage('buildKeywordSubsets', 'grown-test', async (dir) => {
      const data = new Uint8Array(350 * 3072);
      data.set(before);
      data.set(same, 50 * 3072);
      await writeNpy(path.join(dir, 'candidate_images.npy'), { dtype: 'uint8', shape: [350, 32, 32, 3], data });
      return { files: ['candidate_images.npy'], summary: { queries: 350, keywords: 2, cifarCopies: 0 } };
    });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d) => beats.push(d));
    const reused = await env.run(computeDistances({ store }), { ...work, subsets: grown, start: 50, end: 350 });
    expect(reused).toEqual({ start: 50, end: 350, cached: true, resumed: 0 });
    expect(beats.filter((b) => b && typeof b === 'object' && 'done' in b)).toEqual([]); // nothing computed
    const other = await env.run(computeDistances({ store }), { ...work, subsets: grown, start: 0, end: 50 });
    expect(other).toMatchObject({ cached: false });
  });
});

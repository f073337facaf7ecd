import { Client, Connection } from '@temporalio/client';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readNpy } from '../../lib/formats/npy';
import { TinyImages } from '../../lib/formats/tinyimages';
import { sha256 } from '../../lib/hash';
import { runBuild } from '../../worker/build';
import { stageHistory } from '../../worker/history';
import { buildStatuses, formatStatus } from '../../worker/status';
import { buildWorkflowId } from '../../workflows/build';
import { releaseHashes, tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';

/** Every build's stages (with those of its child workflows: sharded stages, labeling rounds). */
const STAGES = [
  'extractSources', 'planShards', 'assignKeywords', 'buildKeywordSubsets', 'computeKeywordCounts',
  'labelCandidates', 'confirmCandidates', 'recordLabels', 'sampleRelease', 'checkNearDuplicates', 'exportRelease',
  'evaluateModels', 'recordRelease',
];
/** What only the first (v4) build computes: v6 finds the sharded stages' outputs and both rounds' decisions in the store. */
const COLD_STAGES = ['findCifar10Keywords', 'computeDistances', 'mergeShards', 'simulateLabeler', 'saveDecisions'];

describe('demo build of v4 and v6 on a real Temporal server', () => {
  let outDir: string;
  let configs: { v4: string; v6: string };
  let taskQueue: string;
  let connection: Connection;
  let client: Client;
  let first: Awaited<ReturnType<typeof runBuild>>;

  beforeAll(async () => {
    const address = useTestServer();
    outDir = await tempDir('build');
    configs = await writeConfigs(outDir);
    taskQueue = uniqueQueue('build');
    connection = await Connection.connect({ address });
    client = new Client({ connection });
    first = await runBuild({ config: configs.v6, outDir, quiet: true, taskQueue });
  }, 600_000);

  afterAll(async () => {
    await connection?.close();
  });

  test('v6 is 2,000 images, 200 per class, and both releases have every file', async () => {
    expect(first.result.images).toBe(2000);
    expect(first.result.perClass).toEqual(Array(10).fill(200));
    for (const release of ['v4', 'v6']) {
      const dir = path.join(outDir, 'releases', release);
      const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
      const names = Object.keys(manifest.files).sort();
      expect(names).toEqual([
        `cifar10.1_${release}_contact_sheet.png`, `cifar10.1_${release}_data.npy`, `cifar10.1_${release}_labels.npy`,
        `cifar10.1_${release}_ti_indices.json`, `cifar10.1_${release}_ti_indices_per_keyword.json`,
      ]);
      for (const name of names) expect(sha256(await readFile(path.join(dir, name)))).toBe(manifest.files[name]);
    }
    const labels = await readNpy(path.join(outDir, 'releases', 'v6', 'cifar10.1_v6_labels.npy'));
    expect(labels.dtype).toBe('int32');
    const counts = Array(10).fill(0);
    for (const l of labels.data as Int32Array) counts[l]++;
    expect(counts).toEqual(Array(10).fill(200));
  });

  test('the released images are the TinyImages images named by the indices, and their labels are right', async () => {
    const dir = path.join(outDir, 'releases', 'v6');
    const indices: number[] = JSON.parse(await readFile(path.join(dir, 'cifar10.1_v6_ti_indices.json'), 'utf8'));
    const data = await readNpy(path.join(dir, 'cifar10.1_v6_data.npy'));
    const labels = (await readNpy(path.join(dir, 'cifar10.1_v6_labels.npy'))).data as Int32Array;
    expect(data.shape).toEqual([2000, 32, 32, 3]);
    expect(new Set(indices).size).toBe(2000);
    const demo = path.join(outDir, 'demo', (await import('node:fs')).readdirSync(path.join(outDir, 'demo'))[0]);
    const truth = JSON.parse(await readFile(path.join(demo, 'ground_truth.json'), 'utf8'));
    const tiny = await TinyImages.open(path.join(demo, 'tinyimages'));
    try {
      const expected = await tiny.readIndicesHWC(indices);
      expect(Buffer.compare(Buffer.from(expected), Buffer.from(data.data as Uint8Array))).toBe(0);
    } finally {
      await tiny.close();
    }
    // Every released image shows its label's class; no ambiguous image, no near-copy of a CIFAR-10 image,
    // and of each planted near-duplicate pair at most one image made it in.
    indices.forEach((ti, i) => expect(truth.classOf[ti]).toBe(labels[i]));
    const released = new Set(indices);
    const planted: Array<{ kind: string; ti: number; partner: { ti?: number } }> = truth.nearDuplicates;
    expect(indices.filter((ti) => truth.ambiguous.includes(ti))).toEqual([]);
    expect(planted.filter((d) => d.kind !== 'pair' && released.has(d.ti))).toEqual([]);
    expect(planted.filter((d) => d.kind === 'pair' && released.has(d.ti) && released.has(d.partner.ti!))).toEqual([]);
    expect(planted.filter((d) => d.kind === 'pair').length).toBeGreaterThan(0);
  });

  test('the event history shows every stage as an activity with a summary', async () => {
    for (const [release, config] of [['v6', configs.v6], ['v4', configs.v4]] as const) {
      const { loadReleaseConfig } = await import('../../configs');
      const id = buildWorkflowId(await loadReleaseConfig(config), taskQueue);
      const rows = await stageHistory(client, id);
      for (const stage of release === 'v4' ? [...STAGES, ...COLD_STAGES] : STAGES) {
        const row = rows.find((r) => r.activity === stage);
        expect(row, `${release}: ${stage}`).toBeDefined();
        expect(row!.summary.length, `${release}: ${stage} summary`).toBeGreaterThan(0);
        expect(row!.state).toBe('completed');
      }
    }
  });

  test('a second build reports every stage cached and gives byte-identical files', async () => {
    const before = { v4: await releaseHashes(path.join(outDir, 'releases', 'v4')), v6: await releaseHashes(path.join(outDir, 'releases', 'v6')) };
    const again = await runBuild({ config: configs.v6, outDir, quiet: true, taskQueue });
    expect(again.result.stages.filter((s) => !s.cached)).toEqual([]);
    expect(await releaseHashes(path.join(outDir, 'releases', 'v4'))).toEqual(before.v4);
    expect(await releaseHashes(path.join(outDir, 'releases', 'v6'))).toEqual(before.v6);

    // `cifar101 status` tells the same from the server: the second v6 run, all cached, after the first one;
    // and it took the v4 release recorded in the store instead of running the v4 build again.
    const { loadReleaseConfig } = await import('../../configs');
    const statuses = await buildStatuses(client);
    const [v6, v4] = await Promise.all([configs.v6, configs.v4].map(async (c) => {
      const id = buildWorkflowId(await loadReleaseConfig(c), taskQueue);
      return statuses.find((s) => s.workflowId === id)!;
    }));
    expect(v6).toMatchObject({ state: 'COMPLETED', computed: 0, waiting: null, failure: null, earlierRuns: 1 });
    expect(v6.cached).toBeGreaterThan(10);
    expect(v4).toMatchObject({ state: 'COMPLETED', waiting: null, failure: null, earlierRuns: 0 });
    expect(formatStatus(statuses)).toContain(`${v6.workflowId}  v6  COMPLETED`);
    const rows = await stageHistory(client, v6.workflowId);
    expect(rows.filter((r) => r.activity === 'findRelease')).toHaveLength(1);
    expect(rows.filter((r) => r.activity === 'extractSources')).toHaveLength(1);
  }, 300_000);

  test('when the v4 release folder is gone, v6 runs the (cached) v4 build again and the folder comes back the same', async () => {
    const v4Dir = path.join(outDir, 'releases', 'v4');
    const before = await releaseHashes(v4Dir);
    await rm(v4Dir, { recursive: true });
    await runBuild({ config: configs.v6, outDir, quiet: true, taskQueue });
    expect(await releaseHashes(v4Dir)).toEqual(before);
    const { loadReleaseConfig } = await import('../../configs');
    const id = buildWorkflowId(await loadReleaseConfig(configs.v4), taskQueue);
    const v4 = (await buildStatuses(client)).find((s) => s.workflowId === id)!;
    expect(v4).toMatchObject({ state: 'COMPLETED', earlierRuns: 1 });
    // Every stage found in the store; publishing the folder again is the one thing done.
    const computed = (await stageHistory(client, id)).filter((r) => r.cached === false).map((r) => r.activity);
    expect(computed).toEqual(['publishRelease']);
  }, 300_000);

  test('changing the seed reruns sampling and what follows, nothing before it', async () => {
    const dir = await tempDir('seed');
    const changed = await writeConfigs(dir, (_release, doc) => {
      doc.seed = 12345;
    });
    // Same artifacts folder: the upstream stages are shared through the cache.
    const { result } = await runBuild({ config: changed.v4, outDir, quiet: true, taskQueue });
    const firstSampling = result.stages.findIndex((s) => s.stage === 'sampleRelease');
    expect(result.stages.slice(0, firstSampling).filter((s) => !s.cached)).toEqual([]);
    expect(result.stages[firstSampling].cached).toBe(false);
  }, 300_000);
});

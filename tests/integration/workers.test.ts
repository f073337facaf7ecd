import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadReleaseConfig } from '../../configs';
import { runBuild, toBuildConfig } from '../../worker/build';
import { DEMO_SEED } from '../../worker/defaults';
import { stageHistory } from '../../worker/history';
import { ArtifactStore } from '../../lib/store';
import { buildRelease, buildWorkflowId, storeQueue } from '../../workflows/build';
import { releaseHashes, ROOT, tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';

function startWorker(outDir: string, taskQueue: string, address: string, name: string): ChildProcess {
  const log = openSync(path.join(outDir, `worker-${name}.log`), 'a');
  const loader = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return spawn(process.execPath, ['--import', loader, path.join(ROOT, 'tests', 'helpers', 'worker-process.ts'), '--out', outDir, '--task-queue', taskQueue, '--chunk-delay-ms', '100'], {
    // Slow motion, so that each shard outlasts a poll and the three workers all get some.
    env: { ...process.env, TEMPORAL_ADDRESS: address },
    stdio: ['ignore', log, log],
  });
}

describe('shards across workers', () => {
  test('three worker processes share the computeDistances shards; the release is identical to a one-worker build', async () => {
    const address = useTestServer();
    const dir = await tempDir('workers');
    const configs = await writeConfigs(dir);
    const single = await runBuild({ config: configs.v4, outDir: path.join(dir, 'one'), quiet: true, taskQueue: uniqueQueue('one') });

    const outDir = path.join(dir, 'three');
    const taskQueue = uniqueQueue('three');
    const workers = ['a', 'b', 'c'].map((name) => startWorker(dir, taskQueue, address, name));
    // the workers' store (the folder they were given) has one queue, which all three poll
    const queue = storeQueue(taskQueue, await new ArtifactStore(dir).id());
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      const config = await loadReleaseConfig(configs.v4);
      const handle = await client.workflow.start(buildRelease, {
        args: [{ config: toBuildConfig(config), source: { kind: 'demo', seed: DEMO_SEED }, outDir, idPrefix: taskQueue }],
        taskQueue: queue,
        workflowId: buildWorkflowId(config, taskQueue),
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      const result = await handle.result();
      const shards = (await stageHistory(client, handle.workflowId)).filter((r) => r.activity === 'computeDistances');
      // Planned for the workers present: two activity slots each, so at least six shards for three workers.
      expect(shards.length).toBeGreaterThanOrEqual(6);
      expect(new Set(shards.map((r) => r.worker)).size).toBe(3);
      expect(new Set(shards.map((r) => r.taskQueue))).toEqual(new Set([queue]));
      expect(await releaseHashes(result.releaseDir)).toEqual(await releaseHashes(single.result.releaseDir));
    } finally {
      workers.forEach((w) => w.kill('SIGTERM'));
      await connection.close();
    }
  }, 600_000);
});

import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadReleaseConfig } from '../../configs';
import { shardStageName } from '../../lib/sharding';
import { ArtifactStore } from '../../lib/store';
import { runBuild, toBuildConfig } from '../../worker/build';
import { stageHistory, type StageRow } from '../../worker/history';
import { freePort, startDevServer, stopDevServer, type DevServer } from '../../worker/temporal-server';
import { buildRelease, buildWorkflowId, storeQueue } from '../../workflows/build';
import { DEMO_SEED } from '../../worker/defaults';
import { releaseHashes, ROOT, tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';

/** A worker in its own process, as users run them, so that it can be killed for real. */
function startWorker(outDir: string, taskQueue: string, address: string): ChildProcess {
  const log = openSync(path.join(outDir, `worker-${Date.now()}.log`), 'a');
  // `node --import tsx`: one process, so that SIGKILL kills the worker itself (tsx's CLI would leave its child running).
  return spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, path.join(ROOT, 'tests', 'helpers', 'worker-process.ts'), '--out', outDir, '--task-queue', taskQueue, '--chunk-delay-ms', '250'], {
    env: { ...process.env, TEMPORAL_ADDRESS: address },
    stdio: ['ignore', log, log],
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const distanceRows = (rows: StageRow[]) => rows.filter((r) => r.activity === 'computeDistances');

describe('resume after failure', () => {
  let reference: Record<string, string>;
  let configs: { v4: string; v6: string };
  const address = useTestServer();

  beforeAll(async () => {
    const dir = await tempDir('resume-ref');
    // computeDistances is planned as two shards for one worker, of a few seconds each in slow motion: a kill lands inside one, after another finished.
    configs = await writeConfigs(dir);
    await runBuild({ config: configs.v4, outDir: dir, quiet: true, taskQueue: uniqueQueue('ref') });
    reference = await releaseHashes(path.join(dir, 'releases', 'v4'));
  }, 600_000);

  async function startBuild(client: Client, outDir: string, taskQueue: string) {
    const config = await loadReleaseConfig(configs.v4);
    return client.workflow.start(buildRelease, {
      args: [{ config: toBuildConfig(config), source: { kind: 'demo', seed: DEMO_SEED }, outDir, idPrefix: taskQueue }],
      // the queue the workers of this folder poll
      taskQueue: storeQueue(taskQueue, await new ArtifactStore(outDir).id()),
      workflowId: buildWorkflowId(config, taskQueue),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
  }

  test('a worker killed with SIGKILL in the middle of computeDistances: a new worker finishes the same build, byte-identical', async () => {
    const outDir = await tempDir('resume-kill');
    const taskQueue = uniqueQueue('kill');
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const first = startWorker(outDir, taskQueue, address);
    try {
      const handle = await startBuild(client, outDir, taskQueue);
      // Kill once a shard is done and the next one has checkpointed a chunk in the store's scratch folder.
      const scratch = path.join(outDir, 'cache', shardStageName('computeDistances'));
      await waitFor('a finished shard and a checkpointed chunk of the next', async () => {
        const done = distanceRows(await stageHistory(client, handle.workflowId)).filter((r) => r.state === 'completed');
        if (done.length < 1) return undefined;
        for (const entry of await readdir(scratch).catch(() => [] as string[])) {
          if (entry.startsWith('.partial-') && (await readdir(path.join(scratch, entry))).some((f) => f.startsWith('chunk-'))) return true;
        }
        return undefined;
      });
      const before = distanceRows(await stageHistory(client, handle.workflowId));
      const completedBefore = new Set(before.filter((r) => r.state === 'completed').map((r) => r.id));
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));

      const second = startWorker(outDir, taskQueue, address);
      try {
        const result = await handle.result();
        expect(await releaseHashes(result.releaseDir)).toEqual(reference);
      } finally {
        second.kill('SIGTERM');
      }
      const after = distanceRows(await stageHistory(client, handle.workflowId));
      // Every shard ran to completion exactly once; those done before the kill were not run again.
      expect(after.every((r) => r.state === 'completed')).toBe(true);
      expect(completedBefore.size).toBeGreaterThan(0);
      expect(after.filter((r) => completedBefore.has(r.id)).every((r) => r.attempt === 1)).toBe(true);
      expect(after.some((r) => r.attempt > 1)).toBe(true);
      // The retried shard resumed from the chunks its killed attempt had checkpointed.
      const entries = await Promise.all((await readdir(scratch)).filter((e) => !e.startsWith('.')).map(async (e) =>
        JSON.parse(await readFile(path.join(scratch, e, '.entry.json'), 'utf8')).summary as { resumed: number }));
      expect(entries.some((e) => e.resumed > 0)).toBe(true);
    } finally {
      first.kill('SIGKILL');
      await connection.close();
    }
  }, 600_000);

  test('the Temporal server restarted mid-build: the build completes, byte-identical', async () => {
    const outDir = await tempDir('resume-server');
    const taskQueue = uniqueQueue('server');
    const port = await freePort();
    const uiPort = await freePort();
    const serverOpts = { dbFile: path.join(outDir, 'temporal.db'), logFile: path.join(outDir, 'temporal.log'), port, uiPort, detached: false };
    let server: DevServer | null = await startDevServer(serverOpts);
    const ownAddress = server.address;
    const worker = startWorker(outDir, taskQueue, ownAddress);
    const connection = await Connection.connect({ address: ownAddress });
    const client = new Client({ connection });
    try {
      const handle = await waitFor('the server to accept the build', () => startBuild(client, outDir, taskQueue), 60_000);
      await waitFor('a computeDistances shard', async () =>
        distanceRows(await stageHistory(client, handle.workflowId)).some((r) => r.state === 'completed') ? true : undefined);
      await stopDevServer(server.pid);
      server = null;
      await new Promise((r) => setTimeout(r, 2_000));
      server = await startDevServer(serverOpts);
      const result = await waitFor('the build result', () => handle.result(), 600_000);
      expect(await releaseHashes(result.releaseDir)).toEqual(reference);
    } finally {
      worker.kill('SIGKILL');
      await connection.close();
      if (server) await stopDevServer(server.pid);
    }
  }, 600_000);
});

// Two artifact folders, one server and one task queue name: each build runs only on the workers
// of its own folder, and a build never attaches to a running one that writes somewhere else.
import { Client, Connection } from '@temporalio/client';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadReleaseConfig } from '../../configs';
import { ArtifactStore } from '../../lib/store';
import { runBuild } from '../../worker/build';
import { stageHistory } from '../../worker/history';
import { buildWorkflowId, storeQueue } from '../../workflows/build';
import { tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';

describe('builds of two artifact folders on one task queue', () => {
  let dir: string;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    connection = await Connection.connect({ address: useTestServer() });
    client = new Client({ connection });
    dir = await tempDir('stores');
  });

  afterAll(() => connection?.close());

  test('run side by side, each stage in its own store; the same config from another folder is refused, naming the running one', async () => {
    const taskQueue = uniqueQueue('stores');
    const plain = await writeConfigs(path.join(dir));
    const reseeded = await writeConfigs(await tempDir('stores-seed'), (_release, doc) => {
      doc.seed = 4242;
    });
    const out = { a: path.join(dir, 'a'), b: path.join(dir, 'b'), c: path.join(dir, 'c') };

    const a = runBuild({ config: plain.v4, outDir: out.a, quiet: true, taskQueue });
    const c = runBuild({ config: reseeded.v4, outDir: out.c, quiet: true, taskQueue });
    a.catch(() => undefined);
    c.catch(() => undefined);

    // The same config as `a`, into another folder, while `a` runs.
    const idA = buildWorkflowId(await loadReleaseConfig(plain.v4), taskQueue);
    for (let tries = 0; !(await client.workflow.getHandle(idA).describe().then((d) => d.status.name === 'RUNNING', () => false)); tries++) {
      if (tries > 200) throw new Error(`${idA} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await expect(runBuild({ config: plain.v4, outDir: out.b, quiet: true, taskQueue })).rejects.toThrow(`--out ${out.a}`);

    const [builtA, builtC] = await Promise.all([a, c]);
    expect(builtA.result.releaseDir).toBe(path.join(out.a, 'releases', 'v4'));
    expect(builtC.result.releaseDir).toBe(path.join(out.c, 'releases', 'v4'));
    for (const [built, folder] of [[builtA, out.a], [builtC, out.c]] as const) {
      const queue = storeQueue(taskQueue, await new ArtifactStore(folder).id());
      const rows = await stageHistory(client, built.workflowId);
      expect(rows.length).toBeGreaterThan(15);
      expect(new Set(rows.map((r) => r.taskQueue))).toEqual(new Set([queue]));
    }
    expect(await new ArtifactStore(out.a).id()).not.toBe(await new ArtifactStore(out.c).id());
  }, 300_000);
});

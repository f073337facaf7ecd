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
import { pendingWork } from '../../workflows/messages';
import { tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';

describe('builds of two artifact folders on one task queue', () => {
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    connection = await Connection.connect({ address: useTestServer() });
    client = new Client({ connection });
  });

  afterAll(() => connection?.close());

  test('run side by side, each stage in its own store; the same config (or a v6 on it) from another folder is refused, naming the running one', async () => {
    const dir = await tempDir('stores');
    const taskQueue = uniqueQueue('stores');
    // `a` waits for labelers, so it is surely still running while the others try to attach to it.
    const waiting = await writeConfigs(await tempDir('stores-interactive'), (_release, doc) => {
      doc.labeling.mode = 'interactive';
    });
    const reseeded = await writeConfigs(await tempDir('stores-seed'), (_release, doc) => {
      doc.seed = 4242;
    });
    const out = { a: path.join(dir, 'a'), b: path.join(dir, 'b'), c: path.join(dir, 'c') };
    const idA = buildWorkflowId(await loadReleaseConfig(waiting.v4), taskQueue);

    const a = runBuild({ config: waiting.v4, outDir: out.a, quiet: true, taskQueue });
    a.catch(() => undefined);
    try {
      const c = runBuild({ config: reseeded.v4, outDir: out.c, quiet: true, taskQueue });
      for (let tries = 0; !(await client.workflow.getHandle(idA).query(pendingWork).then((p) => p.round !== null, () => false)); tries++) {
        if (tries > 600) throw new Error(`${idA} never waited for labels`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // The same config as `a`, into another folder, while `a` runs.
      await expect(runBuild({ config: waiting.v4, outDir: out.b, quiet: true, taskQueue })).rejects.toThrow(`--out ${out.a}`);
      // v6 from that folder needs the v4 release, finds `a` building it from another store, and stops rather than take its files.
      await expect(runBuild({ config: waiting.v6, outDir: out.b, quiet: true, taskQueue })).rejects.toThrow(`base release build ${idA}: is already running`);

      const builtC = await c;
      expect(builtC.result.releaseDir).toBe(path.join(out.c, 'releases', 'v4'));
      for (const [id, folder] of [[idA, out.a], [builtC.workflowId, out.c]]) {
        const queue = storeQueue(taskQueue, await new ArtifactStore(folder).id());
        const rows = await stageHistory(client, id);
        expect(rows.length).toBeGreaterThan(10);
        expect(new Set(rows.map((r) => r.taskQueue))).toEqual(new Set([queue]));
      }
      expect(await new ArtifactStore(out.a).id()).not.toBe(await new ArtifactStore(out.c).id());
    } finally {
      await client.workflow.getHandle(idA).terminate('test ended').catch(() => undefined);
      await a.catch(() => undefined); // its worker stops with it
    }
  }, 300_000);
});

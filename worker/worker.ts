import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../activities';
import { ArtifactStore } from '../lib/store';
import { TASK_QUEUE } from '../workflows/build';

/**
 * A worker that runs the build workflows and their stage activities against
 * the artifact store in `artifactsDir`. Several workers (on several machines
 * sharing the folder) split the shards between them.
 */
export async function createWorker(opts: { address: string; namespace: string; artifactsDir: string; taskQueue?: string; identity?: string; concurrency?: number }) {
  const store = new ArtifactStore(path.resolve(opts.artifactsDir));
  await store.removeStaleTemps();
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace: opts.namespace });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({ store, client }),
    identity: opts.identity,
    // The heavy stages use every core themselves; more at once only thrash.
    maxConcurrentActivityTaskExecutions: opts.concurrency ?? Math.max(2, os.availableParallelism()),
    shutdownGraceTime: '2 seconds',
  });
  return {
    worker,
    async close() {
      await clientConnection.close();
      await connection.close();
    },
  };
}

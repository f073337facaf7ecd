import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import os from 'node:os';
import path from 'node:path';
import { type ActivityDeps, createActivities } from '../activities';
import { ArtifactStore } from '../lib/store';
import { storeQueue, TASK_QUEUE } from '../workflows/ids';
import { workflowBundle } from './bundle';
import { sdkLogger } from './logs';

let runtimeInstalled = false;

/**
 * The SDK's Runtime, with its lines (the Rust core's forwarded too) going to
 * `sdkLogger`: the terminal at WARN, or the store's log file at INFO once a
 * command runs a worker in its own process (see worker/logs.ts).
 */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: sdkLogger, telemetryOptions: { logging: { filter: { core: 'INFO', other: 'WARN' }, forward: {} } } });
  } catch {
    /* already installed by the host process (tests) */
  }
}

export interface BuildWorker {
  /** The worker's identity in the event history. */
  identity: string;
  /** The queue it polls: its store's (see storeQueue). */
  taskQueue: string;
  /** Runs until shutdown() (or SIGINT/SIGTERM). */
  run(): Promise<void>;
  shutdown(): void;
  close(): Promise<void>;
}

/**
 * A worker for the builds of the artifact store in `artifactsDir`: their
 * workflows and stage activities, on the store's queue. Several workers (on
 * several machines sharing the folder) split the shards between them.
 */
export async function createWorker(opts: {
  address: string;
  namespace: string;
  artifactsDir: string;
  taskQueue?: string;
  identity?: string;
  concurrency?: number;
  /** Test hook: runs after each checkpointed chunk of a long stage (see ActivityDeps). */
  afterChunk?: ActivityDeps['afterChunk'];
  /** Stage code versions other than lib/stage-keys.ts's (see ActivityDeps). */
  versions?: ActivityDeps['versions'];
}): Promise<BuildWorker> {
  installRuntime();
  const store = new ArtifactStore(path.resolve(opts.artifactsDir));
  await store.removeStaleTemps();
  const taskQueue = storeQueue(opts.taskQueue ?? TASK_QUEUE, await store.id());
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection, namespace: opts.namespace });
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue,
    workflowBundle: await workflowBundle(opts.artifactsDir),
    activities: createActivities({ store, client, ...(opts.afterChunk ? { afterChunk: opts.afterChunk } : {}), ...(opts.versions ? { versions: opts.versions } : {}) }),
    ...(opts.identity ? { identity: opts.identity } : {}),
    // The heavy stages use every core themselves; more at once only thrash.
    maxConcurrentActivityTaskExecutions: opts.concurrency ?? Math.max(2, os.availableParallelism()),
    shutdownGraceTime: '2 seconds',
    // Progress bars and resume points need heartbeat details on the server every second,
    // not at the SDK's default of 80% of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
  });
  return {
    identity: worker.options.identity,
    taskQueue,
    run: () => worker.run(),
    shutdown: () => worker.shutdown(),
    async close() {
      await clientConnection.close();
      await connection.close();
    },
  };
}

/**
 * A kNN worker thread. It proves its engine once, then serves jobs: for
 * each, it computes reference statistics for the slice it is asked to (when
 * the pool has none cached), then takes query blocks from the job's shared
 * counter until none are left or the job is cancelled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { referenceStats, runQueryBlock, type KnnArrays, type KnnShape } from './block';
import { createEngine, type DotEngine, type EnginePreference } from './engines';

/** One topKNeighbors call, as the pool posts it. */
export interface WorkerJob extends KnnShape {
  queryCount: number;
  blockSize: number;
  queries: SharedArrayBuffer;
  references: SharedArrayBuffer;
  refNorms: SharedArrayBuffer;
  refSums: SharedArrayBuffer;
  indices: SharedArrayBuffer;
  distances: SharedArrayBuffer;
  /** Int32 [next block, cancelled]. */
  control: SharedArrayBuffer;
}

export type ToWorker =
  | { type: 'stats'; job: WorkerJob; from: number; to: number }
  | { type: 'run'; job: WorkerJob };
export type FromWorker =
  | { type: 'ready'; engine: string }
  | { type: 'stats-done' }
  | { type: 'block'; queries: number }
  | { type: 'done' }
  | { type: 'error'; message: string };

function arraysOf(job: WorkerJob): KnnArrays {
  return {
    queries: new Uint8Array(job.queries),
    references: new Uint8Array(job.references),
    refNorms: new Int32Array(job.refNorms),
    refSums: new Int32Array(job.refSums),
    indices: new Int32Array(job.indices),
    distances: new Int32Array(job.distances),
  };
}

async function serve(engine: DotEngine, msg: ToWorker, send: (msg: FromWorker) => void): Promise<void> {
  const { job } = msg;
  const arrays = arraysOf(job);
  if (msg.type === 'stats') {
    referenceStats(arrays, job.dimension, msg.from, msg.to);
    return send({ type: 'stats-done' });
  }
  const control = new Int32Array(job.control);
  const cancelled = () => Atomics.load(control, 1) !== 0;
  for (;;) {
    const q0 = Atomics.add(control, 0, 1) * job.blockSize;
    if (q0 >= job.queryCount || cancelled()) break;
    const q1 = Math.min(job.queryCount, q0 + job.blockSize);
    if (!(await runQueryBlock(engine, arrays, job, q0, q1, cancelled))) break;
    send({ type: 'block', queries: q1 - q0 });
  }
  send({ type: 'done' });
}

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  const { engine: preference, dimension } = workerData as { engine: EnginePreference; dimension: number };
  const send = (msg: FromWorker) => port.postMessage(msg);
  const engine = await createEngine(preference, dimension);
  send({ type: 'ready', engine: engine.name });
  // Messages are handled one at a time: the pool sends the next only after a reply.
  port.on('message', (msg: ToWorker) => {
    serve(engine, msg, send).catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
  });
}

if (parentPort) {
  const port = parentPort;
  main(port).catch((err: Error) => port.postMessage({ type: 'error', message: err.stack ?? err.message } satisfies FromWorker));
}

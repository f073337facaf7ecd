/**
 * A kNN worker thread: proves its engine, computes reference statistics for
 * the slice it is given, then takes query blocks from a shared counter until
 * none are left or the job is cancelled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { referenceStats, runQueryBlock, type KnnArrays, type KnnShape } from './block';
import { createEngine, type EnginePreference } from './engines';

/** What the pool passes as workerData. */
export interface WorkerInit extends KnnShape {
  engine: EnginePreference;
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

export type ToWorker = { type: 'stats'; from: number; to: number } | { type: 'run' };
export type FromWorker =
  | { type: 'ready'; engine: string }
  | { type: 'stats-done' }
  | { type: 'block'; queries: number }
  | { type: 'done' }
  | { type: 'error'; message: string };

async function main(port: NonNullable<typeof parentPort>, init: WorkerInit): Promise<void> {
  const arrays: KnnArrays = {
    queries: new Uint8Array(init.queries),
    references: new Uint8Array(init.references),
    refNorms: new Int32Array(init.refNorms),
    refSums: new Int32Array(init.refSums),
    indices: new Int32Array(init.indices),
    distances: new Int32Array(init.distances),
  };
  const control = new Int32Array(init.control);
  const send = (msg: FromWorker) => port.postMessage(msg);
  const engine = await createEngine(init.engine, init.dimension);
  send({ type: 'ready', engine: engine.name });
  port.on('message', (msg: ToWorker) => {
    const work = async () => {
      if (msg.type === 'stats') {
        referenceStats(arrays, init.dimension, msg.from, msg.to);
        send({ type: 'stats-done' });
        return;
      }
      const cancelled = () => Atomics.load(control, 1) !== 0;
      for (;;) {
        const q0 = Atomics.add(control, 0, 1) * init.blockSize;
        if (q0 >= init.queryCount || cancelled()) break;
        const q1 = Math.min(init.queryCount, q0 + init.blockSize);
        if (!(await runQueryBlock(engine, arrays, init, q0, q1, cancelled))) break;
        send({ type: 'block', queries: q1 - q0 });
      }
      await engine.dispose();
      send({ type: 'done' });
    };
    work().catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
  });
}

if (parentPort) {
  const port = parentPort;
  main(port, workerData as WorkerInit).catch((err: Error) =>
    port.postMessage({ type: 'error', message: err.stack ?? err.message } satisfies FromWorker),
  );
}

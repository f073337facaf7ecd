import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnginePreference } from '../../../lib/knn/engines';
import type { FromWorker, ToWorker, WorkerJob } from '../../../lib/knn/worker';
import { bruteTopK, randomBytes } from './helpers';

const ENTRY = path.resolve(__dirname, '../../../lib/knn/worker-entry.cjs');
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

/** A kNN worker thread and every message it sent, with a way to wait for one of a type. */
function start(engine: EnginePreference, dimension: number) {
  const worker = new Worker(ENTRY, { workerData: { engine, dimension } });
  workers.push(worker);
  const received: FromWorker[] = [];
  const waiting: Array<{ type: string; resolve: (m: FromWorker) => void }> = [];
  worker.on('message', (msg: FromWorker) => {
    received.push(msg);
    const at = waiting.findIndex((w) => w.type === msg.type);
    if (at >= 0) waiting.splice(at, 1)[0].resolve(msg);
  });
  const next = (type: FromWorker['type']) => new Promise<FromWorker>((resolve) => waiting.push({ type, resolve }));
  return { received, next, send: (msg: ToWorker) => worker.postMessage(msg), ready: next('ready') };
}

/** A job over shared memory, as the pool makes it; outputs start at -1. */
function job(n: number, m: number, d: number, k: number, blockSize: number): WorkerJob {
  const shared = (bytes: Uint8Array) => {
    const sab = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(sab).set(bytes);
    return sab;
  };
  const ints = (count: number) => {
    const sab = new SharedArrayBuffer(4 * count);
    new Int32Array(sab).fill(-1);
    return sab;
  };
  return {
    dimension: d, k, tile: 16, queryCount: n, blockSize,
    queries: shared(randomBytes(n * d, 3, 4)), references: shared(randomBytes(m * d, 4, 4)),
    refNorms: ints(m), refSums: ints(m), indices: ints(n * k), distances: ints(n * k), control: new SharedArrayBuffer(8),
  };
}

describe('kNN worker', () => {
  const [n, m, d, k] = [23, 50, 12, 3];

  it('says which engine it proved, fills reference stats for its slice, and serves query blocks until none are left', async () => {
    const w = start('js', d);
    expect(await w.ready).toEqual({ type: 'ready', engine: 'js' });
    const j = job(n, m, d, k, 5);
    const refs = new Uint8Array(j.references);

    w.send({ type: 'stats', job: j, from: 10, to: 20 });
    await w.next('stats-done');
    const norms = [...new Int32Array(j.refNorms)];
    const sums = [...new Int32Array(j.refSums)];
    const row = (r: number) => [...refs.subarray(r * d, (r + 1) * d)];
    expect(norms.slice(10, 20)).toEqual(Array.from({ length: 10 }, (_, i) => row(10 + i).reduce((s, v) => s + v * v, 0)));
    expect(sums.slice(10, 20)).toEqual(Array.from({ length: 10 }, (_, i) => row(10 + i).reduce((s, v) => s + v, 0)));
    expect([...norms.slice(0, 10), ...norms.slice(20), ...sums.slice(0, 10), ...sums.slice(20)].every((v) => v === -1)).toBe(true);

    w.send({ type: 'stats', job: j, from: 0, to: 10 });
    await w.next('stats-done');
    w.send({ type: 'stats', job: j, from: 20, to: m });
    await w.next('stats-done');
    w.send({ type: 'run', job: j });
    await w.next('done');
    // Blocks of 5 over 23 queries: 5, 5, 5, 5, 3.
    expect(w.received.filter((msg) => msg.type === 'block')).toEqual([5, 5, 5, 5, 3].map((queries) => ({ type: 'block', queries })));
    const expected = bruteTopK(new Uint8Array(j.queries), refs, k, d);
    expect(new Int32Array(j.indices)).toEqual(expected.indices);
    expect(new Int32Array(j.distances)).toEqual(expected.distances);
  });

  it('takes only the blocks left by the shared counter, as when other workers share the job', async () => {
    const w = start('js', d);
    await w.ready;
    const j = job(n, m, d, k, 5);
    w.send({ type: 'stats', job: j, from: 0, to: m });
    await w.next('stats-done');
    Atomics.store(new Int32Array(j.control), 0, 3); // blocks 0..2 taken by others
    w.send({ type: 'run', job: j });
    await w.next('done');
    expect(w.received.filter((msg) => msg.type === 'block')).toEqual([{ type: 'block', queries: 5 }, { type: 'block', queries: 3 }]);
    const indices = new Int32Array(j.indices);
    expect(indices.subarray(0, 15 * k).every((v) => v === -1)).toBe(true);
    expect(indices.subarray(15 * k)).toEqual(bruteTopK(new Uint8Array(j.queries).subarray(15 * d), new Uint8Array(j.references), k, d).indices);
  });

  it('runs no block of a cancelled job and says it is done', async () => {
    const w = start('js', d);
    await w.ready;
    const j = job(n, m, d, k, 5);
    Atomics.store(new Int32Array(j.control), 1, 1);
    w.send({ type: 'run', job: j });
    await w.next('done');
    expect(w.received.map((msg) => msg.type)).toEqual(['ready', 'done']);
    expect(new Int32Array(j.indices).every((v) => v === -1)).toBe(true);
  });

  it('reports an engine it cannot start as an error message', async () => {
    const w = start('wasm', d); // 12 is not a multiple of 16
    const error = await w.next('error');
    expect(error).toMatchObject({ type: 'error', message: expect.stringContaining('no usable kNN engine (wasm: needs a dimension that is a multiple of 16, got 12)') });
  });
});

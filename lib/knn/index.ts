/**
 * Exact k-nearest-neighbour search between uint8 images by squared L2.
 *
 * Distances are ||q||² + ||r||² − 2·q·r in integers: the dot products come
 * from an engine (onnxruntime's MatMulInteger where it proves exact, else
 * plain JavaScript), references are streamed in tiles, and query blocks are
 * spread over worker threads.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { check } from '../errors';
import { referenceStats, runQueryBlock, type KnnArrays, type KnnShape } from './block';
import { createEngine, type EngineName, type EnginePreference } from './engines';
import type { FromWorker, ToWorker, WorkerInit } from './worker';

export { ENGINE_ORDER, type EngineName, type EnginePreference } from './engines';

/** Values per image: 32×32×3. */
export const IMAGE_SIZE = 3072;

export interface TopKOptions {
  /** Worker threads; default all cores. 1 runs on the calling thread. */
  threads?: number;
  /** Called with the running count of queries whose neighbours are final. */
  onProgress?: (queriesDone: number) => void;
  signal?: AbortSignal;
  /** Default `auto`: the fastest engine that is exact on this CPU. */
  engine?: EnginePreference;
  /** Values per vector; default 3072. */
  dimension?: number;
}

export interface TopKResult {
  /** n×k, row-major; row i lists query i's neighbours nearest first. */
  indices: Int32Array;
  /** n×k squared L2 distances, ascending within a row. */
  distances: Int32Array;
  /** Neighbours per query: the k asked for, clamped to the number of references. */
  k: number;
  engine: EngineName;
}

/** Queries per block: each block packs its queries once, and its output is tile × block int32. */
const MAX_BLOCK = 2048;
/** References per tile. */
const TILE = 2048;
/** Below this many multiply-adds, worker start-up costs more than the threads save. */
const INLINE_WORK = 2 ** 28;

/** Squared L2 distance between two equal-length vectors (the brute-force reference). */
export function squaredL2(a: Uint8Array, b: Uint8Array): number {
  check(a.length === b.length, 'squaredL2', `lengths differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/**
 * For each query, the k nearest references by squared L2, exact; ties broken
 * by lower reference index. k larger than the number of references is
 * clamped to it (see `TopKResult.k`).
 */
export async function topKNeighbors(
  queries: Uint8Array,
  references: Uint8Array,
  k: number,
  opts: TopKOptions = {},
): Promise<TopKResult> {
  const d = opts.dimension ?? IMAGE_SIZE;
  check(Number.isInteger(d) && d > 0 && d * 255 * 255 < 2 ** 31, 'dimension', `must be a positive integer below 33,026, got ${d}`);
  check(queries.length % d === 0, 'queries', `length ${queries.length} is not a multiple of ${d}`);
  check(references.length % d === 0, 'references', `length ${references.length} is not a multiple of ${d}`);
  check(Number.isInteger(k) && k >= 1, 'k', `must be a positive integer, got ${k}`);
  opts.signal?.throwIfAborted();
  const n = queries.length / d;
  const m = references.length / d;
  const kk = Math.min(k, m);
  const threads = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
  const preference = opts.engine ?? 'auto';
  const blockSize = Math.max(1, Math.min(MAX_BLOCK, Math.ceil(n / threads)));
  const shape: KnnShape = { dimension: d, k: kk, tile: TILE };
  if (n === 0 || m === 0) {
    return { indices: new Int32Array(0), distances: new Int32Array(0), k: kk, engine: preference === 'auto' ? 'js' : preference };
  }
  const blocks = Math.ceil(n / blockSize);
  if (threads === 1 || blocks === 1 || n * m * d < INLINE_WORK) {
    return runInline(queries, references, n, m, shape, preference, opts);
  }
  return runPool(queries, references, n, m, shape, preference, Math.min(threads, blocks), blockSize, opts);
}

async function runInline(
  queries: Uint8Array,
  references: Uint8Array,
  n: number,
  m: number,
  shape: KnnShape,
  preference: EnginePreference,
  opts: TopKOptions,
): Promise<TopKResult> {
  const arrays: KnnArrays = {
    queries,
    references,
    refNorms: new Int32Array(m),
    refSums: new Int32Array(m),
    indices: new Int32Array(n * shape.k),
    distances: new Int32Array(n * shape.k),
  };
  referenceStats(arrays, shape.dimension, 0, m);
  const engine = await createEngine(preference, shape.dimension);
  const block = MAX_BLOCK;
  const cancelled = () => opts.signal?.aborted ?? false;
  try {
    for (let q0 = 0; q0 < n; q0 += block) {
      const q1 = Math.min(n, q0 + block);
      if (!(await runQueryBlock(engine, arrays, shape, q0, q1, cancelled))) break;
      opts.onProgress?.(q1);
    }
  } finally {
    await engine.dispose();
  }
  opts.signal?.throwIfAborted();
  return { indices: arrays.indices, distances: arrays.distances, k: shape.k, engine: engine.name };
}

/** The bytes of `a` in a SharedArrayBuffer (a copy unless they already are). */
function shared(a: Uint8Array): SharedArrayBuffer {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a.buffer;
  const sab = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(sab).set(a);
  return sab;
}

async function runPool(
  queries: Uint8Array,
  references: Uint8Array,
  n: number,
  m: number,
  shape: KnnShape,
  preference: EnginePreference,
  workerCount: number,
  blockSize: number,
  opts: TopKOptions,
): Promise<TopKResult> {
  const init: WorkerInit = {
    ...shape,
    engine: preference,
    queryCount: n,
    blockSize,
    queries: shared(queries),
    references: shared(references),
    refNorms: new SharedArrayBuffer(4 * m),
    refSums: new SharedArrayBuffer(4 * m),
    indices: new SharedArrayBuffer(4 * n * shape.k),
    distances: new SharedArrayBuffer(4 * n * shape.k),
    control: new SharedArrayBuffer(8),
  };
  const control = new Int32Array(init.control);
  const workers: Worker[] = [];
  const onAbort = () => Atomics.store(control, 1, 1);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let engine = '';
  let done = 0;
  try {
    const phases = Array.from({ length: workerCount }, () => {
      const worker = new Worker(path.join(__dirname, 'worker-entry.cjs'), { workerData: init });
      workers.push(worker);
      return new WorkerChannel(worker);
    });
    for (const w of phases) engine = ((await w.next('ready')) as { engine: string }).engine;
    const per = Math.ceil(m / workerCount);
    phases.forEach((w, i) => w.send({ type: 'stats', from: Math.min(m, i * per), to: Math.min(m, (i + 1) * per) }));
    await Promise.all(phases.map((w) => w.next('stats-done')));
    for (const w of phases) {
      w.onBlock = (count) => {
        done += count;
        opts.onProgress?.(done);
      };
      w.send({ type: 'run' });
    }
    await Promise.all(phases.map((w) => w.next('done')));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  opts.signal?.throwIfAborted();
  return {
    indices: new Int32Array(init.indices).slice(),
    distances: new Int32Array(init.distances).slice(),
    k: shape.k,
    engine: engine as EngineName,
  };
}

/** Turns a worker's messages into awaited phases; a worker error or exit rejects the wait. */
class WorkerChannel {
  onBlock: (queries: number) => void = () => {};
  private waiting: { type: string; resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly inbox: FromWorker[] = [];

  constructor(private readonly worker: Worker) {
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'block') return this.onBlock(msg.queries);
      if (msg.type === 'error') return this.fail(new Error(`kNN worker failed: ${msg.message}`));
      this.inbox.push(msg);
      this.deliver();
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`kNN worker exited (code ${code})`)));
  }

  send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  next(type: FromWorker['type']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.waiting = { type, resolve, reject };
      this.deliver();
    });
  }

  private deliver(): void {
    const w = this.waiting;
    if (!w) return;
    const msg = this.inbox.shift();
    if (msg) {
      this.waiting = undefined;
      if (msg.type === w.type) w.resolve(msg);
      else w.reject(new Error(`kNN worker sent ${msg.type}, expected ${w.type}`));
    } else if (this.failure) {
      this.waiting = undefined;
      w.reject(this.failure);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.deliver();
  }
}

/**
 * Exact k-nearest-neighbour search between uint8 images by squared L2.
 *
 * Distances are ||q||² + ||r||² − 2·q·r in integers: the dot products come
 * from an engine (onnxruntime's MatMulInteger where it proves exact, else
 * WebAssembly SIMD, else plain JavaScript), references are streamed in tiles, and query blocks are
 * spread over worker threads.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { check } from '../errors';
import { referenceStats, runQueryBlock, type KnnArrays, type KnnShape } from './block';
import { createEngine, type EngineName, type EnginePreference } from './engines';
import type { FromWorker, ToWorker, WorkerJob } from './worker';

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
const TILE = 1024;
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
  const problem: KnnProblem = { queries, references, n, m, shape, preference, opts };
  const blocks = Math.ceil(n / blockSize);
  if (threads === 1 || blocks === 1 || n * m * d < INLINE_WORK) return runInline(problem);
  return runPool(problem, Math.min(threads, blocks), blockSize);
}

/** One validated call of `topKNeighbors`: n queries against m references. */
interface KnnProblem {
  queries: Uint8Array;
  references: Uint8Array;
  n: number;
  m: number;
  shape: KnnShape;
  preference: EnginePreference;
  opts: TopKOptions;
}

async function runInline({ queries, references, n, m, shape, preference, opts }: KnnProblem): Promise<TopKResult> {
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

/** References copied into shared memory with their statistics, reused while the caller's array is unchanged. */
interface SharedReferences {
  data: SharedArrayBuffer;
  norms: SharedArrayBuffer;
  sums: SharedArrayBuffer;
  ready: boolean;
}

const referenceCache = new WeakMap<Uint8Array, SharedReferences>();

/**
 * The shared copy of `references`: cached by array identity and reused only
 * if its bytes still equal the array's (a memcmp, ~10 ms for 60,000 images),
 * so repeated calls against CIFAR-10 skip the copy and the statistics.
 */
function sharedReferences(references: Uint8Array, m: number): SharedReferences {
  const cached = referenceCache.get(references);
  if (cached?.ready && Buffer.from(cached.data).equals(Buffer.from(references.buffer, references.byteOffset, references.byteLength))) {
    return cached;
  }
  const data = new SharedArrayBuffer(references.byteLength);
  new Uint8Array(data).set(references);
  const fresh = { data, norms: new SharedArrayBuffer(4 * m), sums: new SharedArrayBuffer(4 * m), ready: false };
  referenceCache.set(references, fresh);
  return fresh;
}

function sharedCopy(a: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(sab).set(a);
  return sab;
}

async function runPool(
  { queries, references, n, m, shape, preference, opts }: KnnProblem,
  workerCount: number,
  blockSize: number,
): Promise<TopKResult> {
  const pool = await KnnPool.get(workerCount, preference, shape.dimension);
  return pool.exclusive(async () => {
    const refs = sharedReferences(references, m);
    const job: WorkerJob = {
      ...shape,
      queryCount: n,
      blockSize,
      queries: sharedCopy(queries),
      references: refs.data,
      refNorms: refs.norms,
      refSums: refs.sums,
      indices: new SharedArrayBuffer(4 * n * shape.k),
      distances: new SharedArrayBuffer(4 * n * shape.k),
      control: new SharedArrayBuffer(8),
    };
    const control = new Int32Array(job.control);
    const onAbort = () => Atomics.store(control, 1, 1);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!refs.ready) {
        const per = Math.ceil(m / workerCount);
        await pool.all((w, i) => w.call({ type: 'stats', job, from: Math.min(m, i * per), to: Math.min(m, (i + 1) * per) }, 'stats-done'));
        refs.ready = true;
      }
      let done = 0;
      await pool.all((w) =>
        w.call({ type: 'run', job }, 'done', (count) => {
          done += count;
          opts.onProgress?.(done);
        }),
      );
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    opts.signal?.throwIfAborted();
    return {
      indices: new Int32Array(job.indices).slice(),
      distances: new Int32Array(job.distances).slice(),
      k: shape.k,
      engine: pool.engine,
    };
  });
}

/**
 * Worker threads kept between calls (starting one loads onnxruntime and
 * self-tests the engine, ~0.2 s). Unreferenced while idle, so they never
 * keep the process alive; one pool at a time.
 */
class KnnPool {
  private static current: { key: string; pool: Promise<KnnPool> } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private broken = false;

  private constructor(
    private readonly channels: WorkerChannel[],
    readonly engine: EngineName,
  ) {}

  static get(size: number, preference: EnginePreference, dimension: number): Promise<KnnPool> {
    const key = `${size}:${preference}:${dimension}`;
    const current = KnnPool.current;
    if (current?.key === key) return current.pool;
    // The old pool finishes the jobs it has queued, then stops.
    if (current) void current.pool.then((p) => p.exclusive(() => p.close()), () => {}).catch(() => {});
    const pool = KnnPool.start(size, preference, dimension);
    KnnPool.current = { key, pool };
    pool.catch(() => {
      if (KnnPool.current?.pool === pool) KnnPool.current = undefined;
    });
    return pool;
  }

  private static async start(size: number, preference: EnginePreference, dimension: number): Promise<KnnPool> {
    const channels = Array.from(
      { length: size },
      () => new WorkerChannel(new Worker(path.join(__dirname, 'worker-entry.cjs'), { workerData: { engine: preference, dimension } })),
    );
    try {
      const engines = await Promise.all(channels.map((c) => c.next('ready')));
      channels.forEach((c) => c.idle());
      return new KnnPool(channels, (engines[0] as { engine: EngineName }).engine);
    } catch (err) {
      await Promise.all(channels.map((c) => c.terminate()));
      throw err;
    }
  }

  /** Runs `fn` with the pool to itself; a failure inside discards the pool. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.broken) throw new Error('kNN worker pool was closed');
      this.channels.forEach((c) => c.busy());
      try {
        return await fn();
      } catch (err) {
        if (this.channels.some((c) => c.failed)) await this.close();
        throw err;
      } finally {
        this.channels.forEach((c) => c.idle());
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  all(fn: (channel: WorkerChannel, index: number) => Promise<unknown>): Promise<unknown[]> {
    return Promise.all(this.channels.map(fn));
  }

  async close(): Promise<void> {
    this.broken = true;
    if (KnnPool.current && (await KnnPool.current.pool.catch(() => undefined)) === this) KnnPool.current = undefined;
    await Promise.all(this.channels.map((c) => c.terminate()));
  }

  static async closeAll(): Promise<void> {
    const current = KnnPool.current;
    KnnPool.current = undefined;
    await current?.pool.then((p) => p.close(), () => {});
  }
}

/** Stops the kNN worker threads (they are otherwise kept, idle and unreferenced, for the next call). */
export function closeKnnWorkers(): Promise<void> {
  return KnnPool.closeAll();
}

/** Request/reply over a worker's messages; a worker error or exit rejects the pending call. */
class WorkerChannel {
  private waiting: { type: string; resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private onBlock: (queries: number) => void = () => {};
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

  get failed(): boolean {
    return this.failure !== undefined;
  }

  busy(): void {
    this.worker.ref();
  }

  idle(): void {
    this.worker.unref();
  }

  call(msg: ToWorker, reply: FromWorker['type'], onBlock: (queries: number) => void = () => {}): Promise<FromWorker> {
    this.onBlock = onBlock;
    this.worker.postMessage(msg);
    return this.next(reply);
  }

  next(type: FromWorker['type']): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.waiting = { type, resolve, reject };
      this.deliver();
    });
  }

  async terminate(): Promise<void> {
    this.fail(new Error('kNN worker pool was closed'));
    await this.worker.terminate();
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

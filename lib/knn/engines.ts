/**
 * Dot-product engines for the kNN kernel. Each computes, for a block of
 * queries fixed by `setQueries`, the integer dot products against a tile of
 * references. All are exact; `createEngine` proves it on adversarial values
 * before an engine is used, because onnxruntime's int8 path is only exact on
 * CPUs whose instructions do not saturate 16-bit intermediates (VNNI, AMX).
 */
import { reserve } from '../wasm';
import { instantiateDot, type DotExports } from './dot-wasm';
import { matMulIntegerModel } from './onnx-model';

export type EngineName = 'onnx-int8' | 'onnx-uint8' | 'wasm' | 'js';
export type EnginePreference = EngineName | 'auto';

/** Fastest first; `auto` takes the first that loads and proves exact. */
export const ENGINE_ORDER: readonly EngineName[] = ['onnx-int8', 'onnx-uint8', 'wasm', 'js'];

export interface DotEngine {
  readonly name: EngineName;
  /** dot(ref j, query i) = Y[j·queries + i] + refBias·sum(ref j). */
  readonly refBias: number;
  setQueries(queries: Uint8Array, count: number): Promise<void>;
  /** Y (refCount × queries, row-major); valid until the next call. */
  dots(refs: Uint8Array, refCount: number): Promise<Int32Array>;
  dispose(): Promise<void>;
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;

function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').then((m) => ((m as { default?: Ort }).default ?? m) as Ort);
  return ortModule;
}

/**
 * onnxruntime's MatMulInteger (MLAS): references as the uint8 left operand,
 * the query block as a constant right operand packed once per block. The
 * int8 variant stores queries as q − 128, hence refBias 128.
 */
class OnnxEngine implements DotEngine {
  readonly refBias: number;
  private session: import('onnxruntime-node').InferenceSession | undefined;
  private queryCount = 0;
  private tile = new Uint8Array(0);

  constructor(
    readonly name: 'onnx-int8' | 'onnx-uint8',
    private readonly ort: Ort,
    private readonly dimension: number,
  ) {
    this.refBias = name === 'onnx-int8' ? 128 : 0;
  }

  async setQueries(queries: Uint8Array, count: number): Promise<void> {
    const d = this.dimension;
    const signed = this.name === 'onnx-int8';
    const b = signed ? new Int8Array(d * count) : new Uint8Array(d * count);
    const shift = signed ? 128 : 0;
    for (let i = 0; i < count; i++) {
      const row = i * d;
      for (let t = 0; t < d; t++) b[t * count + i] = queries[row + t] - shift;
    }
    await this.session?.release();
    this.session = await this.ort.InferenceSession.create(matMulIntegerModel(b, d, count), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    this.queryCount = count;
  }

  async dots(refs: Uint8Array, refCount: number): Promise<Int32Array> {
    if (!this.session) throw new Error('setQueries first');
    const size = refCount * this.dimension;
    // onnxruntime-node rejects views of a SharedArrayBuffer: copy into a private tile.
    let input = refs.subarray(0, size);
    if (!(refs.buffer instanceof ArrayBuffer) || refs.byteOffset !== 0) {
      if (this.tile.length < size) this.tile = new Uint8Array(size);
      this.tile.set(input);
      input = this.tile.subarray(0, size);
    }
    const out = await this.session.run({ A: new this.ort.Tensor('uint8', input, [refCount, this.dimension]) });
    const y = out.Y.data as Int32Array;
    if (y.length !== refCount * this.queryCount) throw new Error(`onnxruntime returned ${y.length} values`);
    return y;
  }

  async dispose(): Promise<void> {
    await this.session?.release();
    this.session = undefined;
  }
}

/** Queries per pass of the WebAssembly kernel over a reference pair: 64 × 6 KB stays in L2. */
const WASM_QUERY_BLOCK = 64;

/**
 * WebAssembly SIMD (lib/knn/dot-wasm.ts): the fallback where onnxruntime is
 * unavailable. Memory: queries as i16 at 0, then the reference tile as i16,
 * a uint8 staging area, and the output.
 */
class WasmEngine implements DotEngine {
  readonly name = 'wasm';
  readonly refBias = 0;
  private readonly exports: DotExports;
  private count = 0;
  private refCapacity = 0;
  private refs = 0;
  private stage = 0;
  private out = 0;

  constructor(private readonly dimension: number) {
    if (dimension % 16 !== 0) throw new Error(`needs a dimension that is a multiple of 16, got ${dimension}`);
    this.exports = instantiateDot();
  }

  private layout(count: number, refCapacity: number): void {
    const row = 2 * this.dimension;
    this.refs = Math.ceil(count / 4) * 4 * row;
    this.stage = this.refs + (refCapacity + 1) * row;
    this.out = this.stage + Math.max(count, refCapacity) * this.dimension;
    reserve(this.exports.memory, this.out + 4 * count * refCapacity);
    this.count = count;
    this.refCapacity = refCapacity;
  }

  async setQueries(queries: Uint8Array, count: number): Promise<void> {
    this.layout(count, Math.max(this.refCapacity, 1024));
    const bytes = count * this.dimension;
    new Uint8Array(this.exports.memory.buffer, this.stage, bytes).set(queries.subarray(0, bytes));
    this.exports.widen(this.stage, bytes, 0);
  }

  async dots(refs: Uint8Array, refCount: number): Promise<Int32Array> {
    if (refCount > this.refCapacity) this.layout(this.count, refCount);
    const bytes = refCount * this.dimension;
    new Uint8Array(this.exports.memory.buffer, this.stage, bytes).set(refs.subarray(0, bytes));
    this.exports.widen(this.stage, bytes, this.refs);
    this.exports.dots(0, this.count, this.refs, refCount, this.dimension, this.out, WASM_QUERY_BLOCK);
    return new Int32Array(this.exports.memory.buffer, this.out, refCount * this.count);
  }

  async dispose(): Promise<void> {}
}

/** Plain JavaScript: the last resort, where WebAssembly SIMD is unavailable too. */
class JsEngine implements DotEngine {
  readonly name = 'js';
  readonly refBias = 0;
  private queries = new Uint8Array(0);
  private count = 0;
  private out = new Int32Array(0);

  constructor(private readonly dimension: number) {}

  async setQueries(queries: Uint8Array, count: number): Promise<void> {
    this.queries = queries.slice(0, count * this.dimension);
    this.count = count;
  }

  async dots(refs: Uint8Array, refCount: number): Promise<Int32Array> {
    const d = this.dimension;
    const n = this.count;
    const q = this.queries;
    if (this.out.length < refCount * n) this.out = new Int32Array(refCount * n);
    const out = this.out;
    for (let j = 0; j < refCount; j++) {
      const r = j * d;
      for (let i = 0; i < n; i++) {
        const o = i * d;
        let s0 = 0;
        let s1 = 0;
        let t = 0;
        for (; t + 1 < d; t += 2) {
          s0 += refs[r + t] * q[o + t];
          s1 += refs[r + t + 1] * q[o + t + 1];
        }
        if (t < d) s0 += refs[r + t] * q[o + t];
        out[j * n + i] = s0 + s1;
      }
    }
    return out.subarray(0, refCount * n);
  }

  async dispose(): Promise<void> {}
}

async function instantiate(name: EngineName, dimension: number): Promise<DotEngine> {
  if (name === 'js') return new JsEngine(dimension);
  if (name === 'wasm') return new WasmEngine(dimension);
  return new OnnxEngine(name, await loadOrt(), dimension);
}

/** Deterministic pseudo-random bytes (xorshift32), for the self-test. */
function testBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Checks an engine against exact arithmetic on the values that break
 * saturating kernels: all-255 rows against all-255, all-0 and alternating
 * rows, plus random ones.
 */
export async function selfTest(engine: DotEngine, dimension: number): Promise<boolean> {
  const d = dimension;
  const patterns = (seed: number): Uint8Array[] => [
    new Uint8Array(d).fill(255),
    new Uint8Array(d),
    Uint8Array.from({ length: d }, (_, t) => (t % 2 ? 255 : 0)),
    Uint8Array.from({ length: d }, (_, t) => (t % 4 < 2 ? 255 : 1)),
    testBytes(d, seed),
  ];
  const qs = patterns(7);
  const rs = patterns(11);
  const queries = new Uint8Array(qs.length * d);
  qs.forEach((q, i) => queries.set(q, i * d));
  const refs = new Uint8Array(rs.length * d);
  rs.forEach((r, j) => refs.set(r, j * d));
  await engine.setQueries(queries, qs.length);
  const y = await engine.dots(refs, rs.length);
  for (let j = 0; j < rs.length; j++) {
    let sum = 0;
    for (let t = 0; t < d; t++) sum += rs[j][t];
    for (let i = 0; i < qs.length; i++) {
      let exact = 0;
      for (let t = 0; t < d; t++) exact += rs[j][t] * qs[i][t];
      if (y[j * qs.length + i] + engine.refBias * sum !== exact) return false;
    }
  }
  return true;
}

/**
 * The requested engine, or with `auto` the fastest one that loads here and
 * passes the self-test. Throws if a named engine is unavailable or inexact.
 */
export async function createEngine(preference: EnginePreference, dimension: number): Promise<DotEngine> {
  const candidates = preference === 'auto' ? ENGINE_ORDER : [preference];
  const problems: string[] = [];
  for (const name of candidates) {
    let engine: DotEngine;
    try {
      engine = await instantiate(name, dimension);
      if (await selfTest(engine, dimension)) return engine;
      await engine.dispose();
      problems.push(`${name}: not exact on this CPU`);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no usable kNN engine (${problems.join('; ')})`);
}

import { afterEach, describe, expect, it, vi } from 'vitest';
import { assembleWat } from '../../bench/build-wasm';
import { reserve, wasmInstances, type WasmMemory } from '../../lib/wasm';

/** A module with one page of memory and a load and a store. */
const PROBE_WAT = `
(module
  (memory (export "memory") 1)
  (func (export "get") (param $at i32) (result i32) (i32.load (local.get $at)))
  (func (export "set") (param $at i32) (param $v i32) (i32.store (local.get $at) (local.get $v))))`;

interface Probe {
  memory: WasmMemory;
  get(at: number): number;
  set(at: number, v: number): void;
}

const PAGE = 65536;
/** The global WebAssembly object (the project's lib settings leave out its value type). */
const webAssembly = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('wasmInstances', () => {
  it('gives working instances, each with its own memory, from one compiled module', async () => {
    const compile = vi.spyOn(webAssembly, 'Module');
    const instances = wasmInstances<Probe>(await assembleWat(PROBE_WAT));
    expect(compile).not.toHaveBeenCalled(); // compiled on first use, not when made
    const a = instances();
    const b = instances();
    a.set(8, 12345);
    b.set(8, -7);
    expect(a.get(8)).toBe(12345);
    expect(b.get(8)).toBe(-7);
    expect(new Int32Array(a.memory.buffer, 8, 1)[0]).toBe(12345);
    expect(a.memory.buffer).not.toBe(b.memory.buffer);
    instances();
    expect(compile).toHaveBeenCalledTimes(1);
  });
});

describe('reserve', () => {
  const fresh = async () => wasmInstances<Probe>(await assembleWat(PROBE_WAT))().memory;

  it('leaves memory that is large enough alone', async () => {
    const memory = await fresh();
    const before = memory.buffer;
    reserve(memory, 0);
    reserve(memory, PAGE);
    expect(memory.buffer.byteLength).toBe(PAGE);
    expect(memory.buffer).toBe(before);
  });

  it('grows to the fewest whole pages that hold the bytes, keeping the contents', async () => {
    const memory = await fresh();
    new Uint8Array(memory.buffer)[PAGE - 1] = 42;
    reserve(memory, PAGE + 1);
    expect(memory.buffer.byteLength).toBe(2 * PAGE);
    reserve(memory, 200_000); // ceil(200000 / 65536) = 4 pages
    expect(memory.buffer.byteLength).toBe(4 * PAGE);
    reserve(memory, 4 * PAGE);
    expect(memory.buffer.byteLength).toBe(4 * PAGE);
    expect(new Uint8Array(memory.buffer)[PAGE - 1]).toBe(42);
  });
});

// The WebAssembly glue the SIMD kernels share (lib/knn/dot-wasm.ts, lib/dupsearch.ts).

// The project's lib settings (ES2022, no DOM) leave out WebAssembly's types: the little used here.
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/** A module's exported memory. */
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

/**
 * A maker of new instances (each with its own memory) of the module given in
 * base64; the module is compiled once per thread, on first use.
 */
export function wasmInstances<T>(base64: string): () => T {
  let module: object | undefined;
  return () => {
    module ??= new wasm.Module(Buffer.from(base64, 'base64'));
    return new wasm.Instance(module).exports as T;
  };
}

/** Grows `memory` to at least `bytes`. */
export function reserve(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}

/**
 * Assembles the WebAssembly text constants (`X_WAT`) of the files below with
 * wabt and writes each result, as base64, into the file's `X_WASM` constant
 * (`npx tsx bench/build-wasm.ts`). Deterministic: the same source gives the
 * same bytes, which the tests check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import wabt from 'wabt';

/** The module's bytes, as base64. */
export async function assembleWat(wat: string): Promise<string> {
  const tools = await wabt();
  const module = tools.parseWat('module.wat', wat, { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer).toString('base64');
  } finally {
    module.destroy();
  }
}

const FILES = ['lib/dupsearch.ts', 'lib/knn/dot-wasm.ts'];

async function main() {
  for (const relative of FILES) {
    const file = path.join(__dirname, '..', relative);
    const source = readFileSync(file, 'utf8');
    let next = source;
    for (const [, name, wat] of source.matchAll(/export const (\w+)_WAT = `([\s\S]*?)`;/g)) {
      const base64 = await assembleWat(wat);
      next = next.replace(new RegExp(`export const ${name}_WASM = '[^']*';`), `export const ${name}_WASM = '${base64}';`);
      process.stderr.write(`${relative}: ${name}_WASM ${Buffer.from(base64, 'base64').length} bytes\n`);
    }
    if (next !== source) writeFileSync(file, next);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

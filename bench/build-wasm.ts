/**
 * Assembles lib/dupsearch.ts's HASH_WAT with wabt and writes the result into
 * its HASH_WASM constant (`npx tsx bench/build-wasm.ts`). Deterministic: the
 * same source gives the same bytes, which tests/lib/dupsearch.test.ts checks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import wabt from 'wabt';

/** The module's bytes, as base64. */
export async function assembleHash(wat: string): Promise<string> {
  const tools = await wabt();
  const module = tools.parseWat('dupsearch-hash.wat', wat, { simd: true });
  try {
    module.validate();
    return Buffer.from(module.toBinary({}).buffer).toString('base64');
  } finally {
    module.destroy();
  }
}

async function main() {
  const file = path.join(__dirname, '..', 'lib', 'dupsearch.ts');
  const source = readFileSync(file, 'utf8');
  const wat = /export const HASH_WAT = `([\s\S]*?)`;/.exec(source)?.[1];
  if (!wat) throw new Error(`${file}: no HASH_WAT`);
  const base64 = await assembleHash(wat);
  const next = source.replace(/export const HASH_WASM = '[^']*';/, `export const HASH_WASM = '${base64}';`);
  writeFileSync(file, next);
  process.stderr.write(`${file}: HASH_WASM ${next === source ? 'unchanged' : 'updated'} (${Buffer.from(base64, 'base64').length} bytes)\n`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

import { readFile, readdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { parse, stringify } from 'yaml';
import { sha256 } from '../../lib/hash';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Points the project's client code at the test run's dev server. */
export function useTestServer(): string {
  const address = inject('temporalAddress');
  process.env.TEMPORAL_ADDRESS = address;
  return address;
}

/** A unique task queue (and so workflow IDs) for one test. */
export function uniqueQueue(name: string): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${name}`;
}

export async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `cifar101-${name}-`));
}

/**
 * Copies configs/v4.yaml and configs/v6.yaml into `dir` with changes applied
 * (a function of the parsed YAML per release), returning the new paths.
 */
export async function writeConfigs(dir: string, change: (release: 'v4' | 'v6', doc: Record<string, any>) => void = () => {}) {
  const out: Record<'v4' | 'v6', string> = { v4: '', v6: '' };
  for (const release of ['v4', 'v6'] as const) {
    const doc = parse(await readFile(path.join(ROOT, 'configs', `${release}.yaml`), 'utf8'));
    change(release, doc);
    out[release] = path.join(dir, `${release}.yaml`);
    await writeFile(out[release], stringify(doc));
  }
  return out;
}

/** SHA-256 of every file in a release folder, by name. */
export async function releaseHashes(dir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) hashes[name] = sha256(await readFile(path.join(dir, name)));
  return hashes;
}

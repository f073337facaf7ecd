import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../lib/hash';

/** Every file below `dir`, by path relative to it, sorted. */
export async function filesBelow(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
    const name = path.join(sub, entry.name);
    out.push(...(entry.isDirectory() ? await filesBelow(dir, name) : [name]));
  }
  return out.sort();
}

/** SHA-256 of every file below `dir`, by relative path: equal for byte-identical trees. */
export async function sha256s(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await filesBelow(dir)) out[name] = await sha256File(path.join(dir, name));
  return out;
}

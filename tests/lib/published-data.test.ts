import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File } from '../../lib/hash';
import { PUBLISHED_DIR } from '../../lib/published-data';

/** Every file under dir, relative, in byte order. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function sums(): Promise<Map<string, string>> {
  const text = await readFile(path.join(PUBLISHED_DIR, 'SHA256SUMS'), 'utf8');
  return new Map(text.trim().split('\n').map((line) => {
    const [hash, file] = line.split(/ {2}/);
    return [file, hash];
  }));
}

describe('the published CIFAR-10.1 files carried in data/cifar10.1', () => {
  it('are byte for byte the files listed in SHA256SUMS, and nothing else', async () => {
    const expected = await sums();
    expect(expected.size).toBe(103);
    expect(await listFiles(PUBLISHED_DIR)).toEqual([...expected.keys(), 'README.md', 'SHA256SUMS'].sort());
    for (const [file, hash] of expected) expect(await sha256File(path.join(PUBLISHED_DIR, file)), file).toBe(hash);
  });

  // CI has the reference copy beside the checkout; a clone on its own skips this.
  const beside = process.env.CIFAR101_SHARED ?? path.resolve(PUBLISHED_DIR, '..', '..', '..', 'shared', 'cifar10.1');
  it.runIf(existsSync(beside) && path.resolve(beside) !== PUBLISHED_DIR)('equal the reference copy beside the checkout', async () => {
    for (const [file, hash] of await sums()) expect(await sha256File(path.join(beside, file)), file).toBe(hash);
  });
});

import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lib/hash';
import { holdsExactly, publishFiles, replaceFolder } from '../../lib/publish';
import { type ArtifactRef, ArtifactStore } from '../../lib/store';
import { useTempDir } from '../helpers/temp';

const tmp = useTempDir('publish');
let folders = 0;
/** A fresh folder to publish into (not made), beside nothing else. */
const target = () => path.join(tmp(), `case-${++folders}`, 'releases', 'v4');
const storeAt = () => new ArtifactStore(path.join(tmp(), 'store'));

/** Stores `files` (name → content) as one stage entry and returns its refs. */
async function stored(store: ArtifactStore, key: string, files: Record<string, string>): Promise<Record<string, ArtifactRef>> {
  const out = await store.stage('exportRelease', key, async (dir) => {
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
    return { files: Object.keys(files), summary: {} };
  });
  return out.files;
}

/** Name → content of every file in `dir`. */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(path.join(dir, name), 'utf8');
  return out;
}

/** What else is in `target`'s folder besides it: temporary or old copies left behind. */
const siblings = async (dir: string) => (await readdir(path.dirname(dir))).filter((name) => name !== path.basename(dir));

const V4 = { 'cifar10.1_v4_labels.npy': 'labels v4', 'cifar10.1_v4_ti_indices.json': '[1, 2]', 'manifest.json': '{"v": 4}' };
const V4B = { 'cifar10.1_v4_labels.npy': 'labels v4, rebuilt', 'manifest.json': '{"v": "4b"}' };

describe('publishFiles', () => {

  it('copies the stored files into the folder, made if missing, and returns it', async () => {
    const dir = target();
    const refs = await stored(storeAt(), 'a', V4);
    expect(await publishFiles(storeAt(), refs, dir)).toBe(dir);
    expect(await contents(dir)).toEqual(V4);
    expect(await siblings(dir)).toEqual([]);
  });

  it('names the copies as `rename` says', async () => {
    const dir = target();
    const refs = await stored(storeAt(), 'a', V4);
    await publishFiles(storeAt(), refs, dir, (name) => `renamed-${name}`);
    expect(Object.keys(await contents(dir))).toEqual(Object.keys(V4).map((n) => `renamed-${n}`));
  });

  it('leaves a folder that already holds exactly these files alone', async () => {
    const dir = target();
    const refs = await stored(storeAt(), 'a', V4);
    await publishFiles(storeAt(), refs, dir);
    const before = await stat(dir);
    const file = await stat(path.join(dir, 'manifest.json'));
    await publishFiles(storeAt(), refs, dir);
    expect((await stat(dir)).ino).toBe(before.ino);
    expect((await stat(path.join(dir, 'manifest.json'))).mtimeMs).toBe(file.mtimeMs);
  });

  it('swaps the folder whole: a file the new release does not have is gone, and nothing is left beside it', async () => {
    const dir = target();
    await publishFiles(storeAt(), await stored(storeAt(), 'a', V4), dir);
    await writeFile(path.join(dir, 'notes.txt'), 'a user\'s file in the release folder');
    const before = (await stat(dir)).ino;
    await publishFiles(storeAt(), await stored(storeAt(), 'b', V4B), dir);
    expect(await contents(dir)).toEqual(V4B);
    expect((await stat(dir)).ino).not.toBe(before);
    expect(await siblings(dir)).toEqual([]);
  });

  it('publishes the same files again over an extra or a changed file', async () => {
    const refs = await stored(storeAt(), 'a', V4);
    for (const damage of [(dir: string) => writeFile(path.join(dir, 'extra'), 'x'), (dir: string) => writeFile(path.join(dir, 'manifest.json'), '{}')]) {
      const dir = target();
      await publishFiles(storeAt(), refs, dir);
      await damage(dir);
      await publishFiles(storeAt(), refs, dir);
      expect(await contents(dir)).toEqual(V4);
    }
  });

  it('keeps the old folder, whole, when a copy fails half-way, and leaves no temporary folder', async () => {
    const dir = target();
    await publishFiles(storeAt(), await stored(storeAt(), 'a', V4), dir);
    const before = (await stat(dir)).ino;
    const refs = await stored(storeAt(), 'c', { 'a.npy': 'first', 'b.npy': 'second' });
    await rm(storeAt().resolve(refs['b.npy']));
    await expect(publishFiles(storeAt(), refs, dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await contents(dir)).toEqual(V4);
    expect((await stat(dir)).ino).toBe(before);
    expect(await siblings(dir)).toEqual([]);
  });

  it('never shows a reader a half-copied folder: its listing is the whole old release or the whole new one', async () => {
    const dir = target();
    const store = storeAt();
    // Names of their own per release: a listing is one snapshot of the folder, where reading files one by one is not.
    const release = (tag: string) => Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${tag}-${String(i).padStart(2, '0')}.bin`, 'x'.repeat(20_000)]));
    await publishFiles(store, await stored(store, 'old', release('old')), dir);
    const refs = await stored(store, 'new', release('new'));
    const seen = new Set<string>();
    let done = false;
    const reader = (async () => {
      while (!done) {
        try {
          const names = await readdir(dir);
          seen.add(`${names.length} files of ${[...new Set(names.map((n) => n.split('-')[0]))].join('+')}`);
        } catch (err) {
          // Between the two renames of the swap there is, for a moment, no folder: never a partial one.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    })();
    await publishFiles(store, refs, dir);
    done = true;
    await reader;
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen].filter((s) => s !== '40 files of old' && s !== '40 files of new')).toEqual([]);
    expect(Object.keys(await contents(dir))).toEqual(Object.keys(release('new')));
  });
});

describe('replaceFolder', () => {
  it('shows the old folder until the new one is complete', async () => {
    const dir = target();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'old.txt'), 'old');
    const during: Array<Record<string, string>> = [];
    await replaceFolder(dir, async (fill) => {
      await writeFile(path.join(fill, 'new-1.txt'), 'one');
      during.push(await contents(dir));
      await writeFile(path.join(fill, 'new-2.txt'), 'two');
      during.push(await contents(dir));
    });
    expect(during).toEqual([{ 'old.txt': 'old' }, { 'old.txt': 'old' }]);
    expect(await contents(dir)).toEqual({ 'new-1.txt': 'one', 'new-2.txt': 'two' });
    expect(await siblings(dir)).toEqual([]);
  });

  it('passes a failing fill\'s error on and leaves the old folder and nothing else', async () => {
    const dir = target();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'old.txt'), 'old');
    const boom = new Error('disk full');
    await expect(replaceFolder(dir, async (fill) => {
      await writeFile(path.join(fill, 'half.txt'), 'half');
      throw boom;
    })).rejects.toBe(boom);
    expect(await contents(dir)).toEqual({ 'old.txt': 'old' });
    expect(await siblings(dir)).toEqual([]);
  });

  it('starts from an empty folder, whatever a killed earlier swap of this process left in its temporary one', async () => {
    const dir = target();
    await mkdir(`${dir}.tmp-${process.pid}`, { recursive: true });
    await writeFile(path.join(`${dir}.tmp-${process.pid}`, 'stale.txt'), 'from a killed run');
    await replaceFolder(dir, (fill) => writeFile(path.join(fill, 'new.txt'), 'new'));
    expect(await contents(dir)).toEqual({ 'new.txt': 'new' });
    expect(await siblings(dir)).toEqual([]);
  });

  it('publishes over a folder that a killed earlier swap of the same pid left as its old copy', async () => {
    const dir = target();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'current.txt'), 'current');
    await mkdir(`${dir}.old-${process.pid}`);
    await writeFile(path.join(`${dir}.old-${process.pid}`, 'stale.txt'), 'from a killed run');
    await replaceFolder(dir, (fill) => writeFile(path.join(fill, 'new.txt'), 'new'));
    expect(await contents(dir)).toEqual({ 'new.txt': 'new' });
    expect(await siblings(dir)).toEqual([]);
  });
});

describe('holdsExactly', () => {
  const files = { 'a.npy': 'alpha', 'b.json': '[1, 2]' };
  const shas = Object.fromEntries(Object.entries(files).map(([n, c]) => [n, sha256(c)]));
  const folder = async (content: Record<string, string>) => {
    const dir = target();
    await mkdir(dir, { recursive: true });
    for (const [name, c] of Object.entries(content)) await writeFile(path.join(dir, name), c);
    return dir;
  };

  it('is true for a folder of exactly these files and contents', async () => {
    expect(await holdsExactly(await folder(files), shas)).toBe(true);
    expect(await holdsExactly(await folder({}), {})).toBe(true);
  });

  it('is false for a missing folder, a missing file, an extra file, a changed file, or another name', async () => {
    expect(await holdsExactly(target(), shas)).toBe(false);
    expect(await holdsExactly(target(), {})).toBe(false);
    expect(await holdsExactly(await folder({ 'a.npy': 'alpha' }), shas)).toBe(false);
    expect(await holdsExactly(await folder({ ...files, 'notes.txt': '' }), shas)).toBe(false);
    expect(await holdsExactly(await folder({ ...files, 'b.json': '[1, 3]' }), shas)).toBe(false);
    expect(await holdsExactly(await folder({ 'a.npy': 'alpha', 'c.json': '[1, 2]' }), shas)).toBe(false);
  });
});

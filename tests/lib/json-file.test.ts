import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonFile } from '../../lib/json-file';

const schema = z.strictObject({ items: z.array(z.int()) });
let dir: string;
let file: string;
const open = (opts = {}) => new JsonFile(file, schema, () => ({ items: [] }), opts);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'json-file-'));
  file = path.join(dir, 'sub', 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JsonFile', () => {
  it('reads the empty value before the first write, then what was written', async () => {
    const f = open();
    expect(await f.read()).toEqual({ items: [] });
    expect(await f.update((v) => v.items.push(7))).toBe(1);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ items: [7] });
    expect(await open().read()).toEqual({ items: [7] });
  });

  it('serializes concurrent updates from two instances (two processes) on one file', async () => {
    const a = open();
    const b = open();
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).update(async (v) => {
      const before = v.items.length;
      await new Promise((r) => setTimeout(r, 1));
      v.items.push(before);
    })));
    expect((await a.read()).items).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });

  it('writes nothing when the change throws, and goes on with the next update', async () => {
    const f = open();
    await f.update((v) => v.items.push(1));
    await expect(f.update((v) => {
      v.items.push(2);
      throw new Error('no');
    })).rejects.toThrow('no');
    await f.update((v) => v.items.push(3));
    expect((await open().read()).items).toEqual([1, 3]);
  });

  it('refuses to write a value outside the schema', async () => {
    const f = open();
    await expect(f.update((v) => v.items.push(1.5))).rejects.toThrow();
    expect(await f.read()).toEqual({ items: [] });
  });

  it('sees a change written by another process at once', async () => {
    const f = open();
    await f.update((v) => v.items.push(1));
    expect((await f.read()).items).toEqual([1]);
    await open().update((v) => v.items.push(2));
    expect((await f.read()).items).toEqual([1, 2]);
  });

  it('waits for a held lock, then fails naming the lock file; takes over a stale one', async () => {
    const f = open({ lockTimeoutMs: 150, staleLockMs: 60_000 });
    await f.update(() => undefined);
    await writeFile(`${file}.lock`, '999999\n');
    await expect(f.update((v) => v.items.push(1))).rejects.toThrow(`${file}: locked by another process for 0 s (${file}.lock)`);
    const old = new Date(Date.now() - 120_000);
    await utimes(`${file}.lock`, old, old);
    await f.update((v) => v.items.push(2));
    expect((await f.read()).items).toEqual([2]);
    expect(await readdir(path.dirname(file))).toEqual(['state.json']);
  });
});

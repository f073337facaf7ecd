import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { inputFileSize, writeFileAtomic } from '../../../lib/formats/files';
import { useTempDir } from '../../helpers/temp';

const tmp = useTempDir('files');

describe('writeFileAtomic', () => {
  it('writes the chunks one after another', async () => {
    const file = path.join(tmp(), 'chunks.bin');
    await writeFileAtomic(file, Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Buffer.from('xyz'));
    expect([...(await readFile(file))]).toEqual([1, 2, 3, 0x78, 0x79, 0x7a]);
  });

  it('replaces a longer file whole, leaving no tail and no temp file', async () => {
    const dir = path.join(tmp(), 'replace');
    await mkdir(dir);
    const file = path.join(dir, 'a.json');
    await writeFile(file, '{"old": "a much longer previous content"}');
    await writeFileAtomic(file, Buffer.from('{}'));
    expect(await readFile(file, 'utf8')).toBe('{}');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('leaves the old file and no temp file when the write fails', async () => {
    const dir = path.join(tmp(), 'fail');
    await mkdir(dir);
    const file = path.join(dir, 'kept.txt');
    await writeFile(file, 'old');
    await expect(writeFileAtomic(file, Buffer.from('new'), null as unknown as Uint8Array)).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['kept.txt']);
  });

  it('leaves no temp file when the rename fails (the target is a folder)', async () => {
    const dir = path.join(tmp(), 'target-dir');
    await mkdir(path.join(dir, 'out', 'inside'), { recursive: true });
    await expect(writeFileAtomic(path.join(dir, 'out'), Buffer.from('x'))).rejects.toMatchObject({ code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/) });
    expect(await readdir(dir)).toEqual(['out']);
  });
});

describe('inputFileSize', () => {
  it('is the size in bytes', async () => {
    const file = path.join(tmp(), 'sized.bin');
    await writeFile(file, new Uint8Array(3072 * 5 + 1));
    expect(await inputFileSize(file)).toBe(15361);
  });

  it('names a missing file in an InputError', async () => {
    const missing = path.join(tmp(), 'nope', 'tiny_images.bin');
    const err = await inputFileSize(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${missing}: file not found`);
  });

  it('passes other failures through as they are (not bad input: may be transient)', async () => {
    const file = path.join(tmp(), 'plain.txt');
    await writeFile(file, 'x');
    const err = await inputFileSize(path.join(file, 'below')).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(InputError);
    expect(err).toMatchObject({ code: 'ENOTDIR' });
  });
});

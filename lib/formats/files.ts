import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors';

/**
 * Writes `parts` to `file` atomically: a temp file next to it, fsync, rename.
 * Readers see the old file or the complete new one, never a partial write.
 * A part may be a stream of chunks (an async iterable), written as it comes.
 */
export async function writeFileAtomic(file: string, ...parts: Array<Uint8Array | AsyncIterable<Uint8Array>>): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  try {
    try {
      for (const part of parts) {
        if (part instanceof Uint8Array) await fh.writeFile(part);
        else for await (const chunk of part) await fh.writeFile(chunk);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Size in bytes of an input file; a missing file is an InputError naming it. */
export async function inputFileSize(file: string): Promise<number> {
  return (await inputStat(file)).size;
}

/** stat of an input path; a missing one is an InputError naming it, with `missing` as the message. */
export async function inputStat(file: string, missing = 'file not found'): Promise<Stats> {
  try {
    return await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(missing, file);
    throw err;
  }
}

/**
 * What stands for the content of a file or a folder's files in a cache key,
 * without reading them (hashing 240 GB of TinyImages is out of the question):
 * each file's path, size and modification time, a folder's files in name
 * order, two levels deep. A missing path is an InputError naming it.
 */
export async function fileIdentity(target: string): Promise<Array<{ file: string; size: number; mtime: number }>> {
  const info = await inputStat(target);
  if (!info.isDirectory()) return [{ file: path.resolve(target), size: info.size, mtime: info.mtimeMs }];
  const out = [];
  for (const entry of (await readdir(target, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.isDirectory()) {
      for (const inner of (await readdir(path.join(target, entry.name))).sort()) {
        const s = await stat(path.join(target, entry.name, inner));
        if (s.isFile()) out.push({ file: path.resolve(target, entry.name, inner), size: s.size, mtime: s.mtimeMs });
      }
    } else if (entry.isFile()) {
      const s = await stat(path.join(target, entry.name));
      out.push({ file: path.resolve(target, entry.name), size: s.size, mtime: s.mtimeMs });
    }
  }
  return out;
}

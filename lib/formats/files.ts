import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
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

import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { InputError } from '../errors';
import { assembleCifar10, BINARY_LAYOUT, type Cifar10, type Cifar10Layout, type Cifar10Member, folderMembers } from './cifar10';
import { PYTHON_LAYOUT } from './cifar10-python';
import { inputStat } from './files';

const LAYOUTS = [BINARY_LAYOUT, PYTHON_LAYOUT];
const EXPECTED =
  'expected cifar-10-python.tar.gz, cifar-10-binary.tar.gz, or either one unpacked ' +
  '(a folder with data_batch_1 … data_batch_5, test_batch, batches.meta; or data_batch_1.bin … test_batch.bin, batches.meta.txt)';

/**
 * Reads CIFAR-10 as distributed: `cifar-10-python.tar.gz` or
 * `cifar-10-binary.tar.gz` (streamed, never unpacked to disk), or either one
 * unpacked (the `cifar-10-batches-py` / `cifar-10-batches-bin` folder, or the
 * folder holding it). What it is, is told by content: gzip or tar magic for an
 * archive, the member and file names inside.
 */
export async function readCifar10Source(source: string): Promise<Cifar10> {
  const info = await inputStat(source, `not found; ${EXPECTED}`);
  return info.isDirectory() ? readFolder(source) : readArchive(source);
}

async function readFolder(dir: string): Promise<Cifar10> {
  const names = new Set(await readdir(dir));
  const layout = LAYOUTS.find((l) => names.has(l.meta) || names.has(l.train[0]));
  if (layout) return assembleCifar10(layout, folderMembers(dir));
  const inner = LAYOUTS.filter((l) => names.has(l.folder));
  if (inner.length === 1) return readFolder(path.join(dir, inner[0].folder));
  throw new InputError(inner.length ? `holds both ${inner.map((l) => l.folder).join(' and ')}; name one of them` : `not a CIFAR-10 folder: ${EXPECTED}`, dir);
}

async function readArchive(file: string): Promise<Cifar10> {
  const members = await archiveMembers(file, await isGzip(file));
  const present = LAYOUTS.filter((l) => [l.meta, l.test, ...l.train].some((name) => members.has(name)));
  if (present.length !== 1) {
    throw new InputError(present.length ? 'holds both the python and the binary version' : `no CIFAR-10 batches inside: ${EXPECTED}`, file);
  }
  const layout = present[0];
  return assembleCifar10(layout, async (name) => {
    const member = members.get(name);
    if (!member) throw new InputError(`no member ${layout.folder}/${name}: a batch is missing`, file);
    members.delete(name); // decoded once; let its bytes go
    return member;
  });
}

/** Whether `file` is gzip-compressed; an InputError unless it is gzip or tar. */
async function isGzip(file: string): Promise<boolean> {
  const head = Buffer.alloc(512);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 512, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.toString('latin1', 257, 262) === 'ustar') return false;
  throw new InputError(`not a gzip or tar archive: ${EXPECTED}`, file);
}

/**
 * The members of a (gzipped) tar that a CIFAR-10 layout needs, by file name,
 * streamed from the archive; every other member is skipped unread. A
 * truncated or corrupt archive is an InputError naming the member being read.
 */
async function archiveMembers(file: string, gzipped: boolean): Promise<Map<string, Cifar10Member>> {
  const wanted = new Set(LAYOUTS.flatMap((l: Cifar10Layout) => [l.meta, l.test, ...l.train]));
  const members = new Map<string, Cifar10Member & { entry: string }>();
  const input = createReadStream(file);
  const gunzip = gzipped ? createGunzip() : undefined;
  const extract = tar.extract();
  const fail = (err: Error) => extract.destroy(err);
  input.on('error', fail);
  gunzip?.on('error', fail);
  (gunzip ? input.pipe(gunzip) : input).pipe(extract);
  let current: string | undefined;
  let last: string | undefined;
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      const base = path.posix.basename(name);
      if (entry.header.type !== 'file' || !wanted.has(base)) {
        entry.resume();
        continue;
      }
      const twin = members.get(base);
      if (twin) throw new InputError(`two members named ${base}: ${twin.entry} and ${name}`, file);
      current = name;
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      members.set(base, { subject: `${file}: member ${name}`, bytes: Buffer.concat(chunks), entry: name });
      [current, last] = [undefined, name];
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const where = current ? ` (in member ${current})` : last ? ` (after member ${last})` : '';
    throw new InputError(`truncated or corrupt archive${where}: ${(err as Error).message}`, file);
  } finally {
    input.destroy();
    gunzip?.destroy();
  }
  return members;
}

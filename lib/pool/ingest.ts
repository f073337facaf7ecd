import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { check, InputError } from '../errors';
import { writeFileAtomic } from '../formats/files';
import { TinyImagesWriter } from '../formats/tinyimages';
import { sha256, sha256File, sha256Json } from '../hash';
import { CorruptImage, type RenderedImage, renderImage, type ResizeSpec, UnsupportedFormat } from './render';
import type { PoolEntry, PoolProblem, ScannedPool } from './scan';

/** The files of a pool corpus, relative to its folder. */
export const CORPUS_FILES = {
  images: 'tinyimages/tiny_images.bin',
  metadata: 'tinyimages/tiny_metadata.bin',
  rows: 'pool_rows.jsonl',
  skipped: 'skipped.json',
} as const;

/** One line of pool_rows.jsonl: corpus row `row` (its TinyImages index) came from this file. */
export interface PoolRow {
  row: number;
  id: string;
  /** Relative to the pool root. */
  path: string;
  class: string;
  keyword: string;
  sha256: string;
  format: RenderedImage['format'];
  width: number;
  height: number;
  url?: string;
  license?: string;
}

/** One entry of skipped.json: a file (or folder) left out of the corpus, and why. */
export interface SkippedFile {
  path: string;
  kind: PoolProblem['kind'] | 'unreadable' | 'unsupported' | 'duplicate';
  reason: string;
  /** For a duplicate: the file kept. */
  duplicateOf?: string;
}

export interface IngestProgress {
  /** Files looked at, of `total`. */
  done: number;
  total: number;
  images: number;
  skipped: number;
}

export interface IngestOptions {
  resize: ResizeSpec;
  onProgress?: (progress: IngestProgress) => void;
  signal?: AbortSignal;
  /** Files read and decoded at once (default 4): enough to keep sharp's threads busy, few enough to bound memory. */
  concurrency?: number;
}

/** What ingestPool made. */
export interface PoolCorpusSummary {
  images: number;
  skipped: number;
  keywords: number;
  /** Images per configured class, in class order, zeros included. */
  perClass: Record<string, number>;
  resize: ResizeSpec;
}

/**
 * Converts a scanned pool into a corpus in the project's TinyImages layout in
 * `outDir`: `tinyimages/tiny_images.bin` and `tiny_metadata.bin` (the pool's
 * order: keywords sorted), `pool_rows.jsonl` (each row's file, id, class,
 * keyword and SHA-256) and `skipped.json` (the scan's problems, then every file
 * left out: unreadable, unsupported, or a byte-identical duplicate of a file
 * kept earlier in that order). Images stream through a few at a time, so
 * memory does not grow with the pool. Everything is written in a temporary
 * folder renamed to `outDir` when complete; `outDir` must not exist or be empty.
 */
export async function ingestPool(pool: ScannedPool, outDir: string, opts: IngestOptions): Promise<PoolCorpusSummary> {
  const present = await readdir(outDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  check(present.length === 0, outDir, 'already exists and is not empty');
  await mkdir(path.dirname(path.resolve(outDir)), { recursive: true });
  const tmp = `${path.resolve(outDir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp);
  let writer: TinyImagesWriter | undefined;
  let rows: FileHandle | undefined;
  try {
    writer = await TinyImagesWriter.create(path.join(tmp, 'tinyimages'));
    rows = await open(path.join(tmp, CORPUS_FILES.rows), 'wx');
    const summary = await convert(pool, writer, rows, opts);
    await writer.close();
    await rows.sync();
    await rows.close();
    await writeFileAtomic(path.join(tmp, CORPUS_FILES.skipped), Buffer.from(`${JSON.stringify(summary.skippedFiles, null, 1)}\n`));
    await rmdir(outDir).catch(() => undefined); // an empty outDir is replaced
    await rename(tmp, outDir);
    return summary.result;
  } catch (err) {
    await writer?.abort();
    await rows?.close().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

type Outcome = { entry: PoolEntry; sha256?: string; image?: RenderedImage; failure?: Omit<SkippedFile, 'path'> };

async function convert(pool: ScannedPool, writer: TinyImagesWriter, rows: FileHandle, opts: IngestOptions) {
  const { entries } = pool;
  const skippedFiles: SkippedFile[] = pool.problems.map((p) => ({ ...p }));
  const perClass = Object.fromEntries(pool.classes.map((c) => [c, 0]));
  const keywords = new Set<string>();
  const firstOf = new Map<string, string>(); // sha256 → path of the first file with those bytes
  let lines = '';
  let row = 0;
  let done = 0;
  // Decoding runs ahead; results are taken in pool order, so duplicates and rows come out the same every time.
  for await (const outcome of mapAhead(entries, opts.concurrency ?? 4, (entry) => load(entry, opts.resize))) {
    opts.signal?.throwIfAborted();
    const { entry } = outcome;
    const twin = outcome.sha256 === undefined ? undefined : firstOf.get(outcome.sha256);
    if (twin !== undefined) {
      skippedFiles.push({ path: entry.path, kind: 'duplicate', reason: `byte-identical duplicate of ${twin}`, duplicateOf: twin });
    } else if (outcome.failure) {
      skippedFiles.push({ path: entry.path, ...outcome.failure });
    } else {
      const image = outcome.image!;
      await writer.appendImage(image.pixels, entry.keyword);
      const line: PoolRow = {
        row: row++,
        id: entry.id,
        path: entry.path,
        class: entry.className,
        keyword: entry.keyword,
        sha256: outcome.sha256!,
        format: image.format,
        width: image.width,
        height: image.height,
        url: entry.url,
        license: entry.license,
      };
      lines += `${JSON.stringify(line)}\n`;
      if (lines.length > 1 << 16) {
        await rows.appendFile(lines);
        lines = '';
      }
      perClass[entry.className]++;
      keywords.add(entry.keyword);
    }
    if (outcome.sha256 !== undefined && twin === undefined) firstOf.set(outcome.sha256, entry.path);
    opts.onProgress?.({ done: ++done, total: entries.length, images: row, skipped: skippedFiles.length - pool.problems.length });
  }
  await rows.appendFile(lines);
  return { skippedFiles, result: { images: row, skipped: skippedFiles.length, keywords: keywords.size, perClass, resize: opts.resize } };
}

/** Reads, hashes and renders one file; a bad file is part of the outcome, not a rejection (only a fault of the machine rejects). */
async function load(entry: PoolEntry, resize: ResizeSpec): Promise<Outcome> {
  let bytes: Buffer;
  try {
    bytes = await readFile(entry.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { entry, failure: { kind: 'unreadable', reason: code === 'ENOENT' ? 'unreadable: file not found' : `unreadable: ${(err as Error).message}` } };
  }
  const hash = sha256(bytes);
  try {
    return { entry, sha256: hash, image: await renderImage(bytes, resize) };
  } catch (err) {
    if (err instanceof UnsupportedFormat) return { entry, sha256: hash, failure: { kind: 'unsupported', reason: `unsupported format: ${err.message}` } };
    if (err instanceof CorruptImage) return { entry, sha256: hash, failure: { kind: 'unreadable', reason: `unreadable image: ${err.message}` } };
    throw err;
  }
}

/**
 * A content identity of a pool, for caching its corpus: SHA-256 over every
 * entry (path, id, class, keyword, url, licence; the file's size and SHA-256)
 * and the scan's problems. Moving the pool folder keeps it; changing, adding,
 * renaming or re-filing any file changes it. A missing file counts as missing.
 */
export async function poolIdentity(pool: ScannedPool, opts: { signal?: AbortSignal } = {}): Promise<{ sha256: string; files: number; bytes: number }> {
  const files: unknown[] = [];
  let bytes = 0;
  const identify = async (e: PoolEntry) => {
    const size = await stat(e.file).then((s) => s.size, () => undefined);
    const hash = size === undefined ? undefined : await sha256File(e.file).catch(() => undefined);
    return { path: e.path, id: e.id, class: e.className, keyword: e.keyword, url: e.url, license: e.license, size, sha256: hash };
  };
  for await (const file of mapAhead(pool.entries, 8, identify)) {
    opts.signal?.throwIfAborted();
    bytes += file.size ?? 0;
    files.push(file);
  }
  return { sha256: sha256Json({ classes: pool.classes, files, problems: pool.problems }), files: files.length, bytes };
}

/**
 * `fn` over `items`, up to `window` calls at once, results yielded in item
 * order; a rejection surfaces when its turn comes. Leaving early (a throw in
 * the loop) waits for the calls in flight, so none outlives the caller's cleanup.
 */
async function* mapAhead<T, R>(items: T[], window: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const pending: Promise<R>[] = [];
  let next = 0;
  try {
    while (next < items.length || pending.length > 0) {
      while (pending.length < Math.max(1, window) && next < items.length) {
        const call = fn(items[next++]);
        call.catch(() => undefined); // handled when awaited in turn; not an unhandled rejection before then
        pending.push(call);
      }
      yield await pending.shift()!;
    }
  } finally {
    await Promise.allSettled(pending);
  }
}

/** Fails, naming every class with fewer than `minimum` images, unless all have enough. */
export function checkClassCounts(perClass: Record<string, number>, minimum: number, subject = 'pool'): void {
  const short = Object.entries(perClass).filter(([, n]) => n < minimum);
  if (short.length === 0) return;
  throw new InputError(`too few images: ${short.map(([c, n]) => `${c} ${n}`).join(', ')} (each class needs at least ${minimum}; see skipped.json for files left out)`, subject);
}

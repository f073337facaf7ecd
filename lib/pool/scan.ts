import { type Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { check, InputError } from '../errors';
import { inputStat } from '../formats/files';
import { checkKeyword } from '../formats/tinyimages';

/** One image of a pool, as listed: where it is and what it is filed under. */
export interface PoolEntry {
  /** Absolute path of the file. */
  file: string;
  /** Path relative to the pool root, '/'-separated: what reports and the corpus rows name. */
  path: string;
  keyword: string;
  className: string;
  /** The image's id: a manifest's `id`, else `path`. */
  id: string;
  url?: string;
  license?: string;
}

/** Something in a pool folder that is not read, and why; goes into the corpus's skipped.json. */
export interface PoolProblem {
  path: string;
  kind: 'empty-folder' | 'misplaced';
  reason: string;
}

/** A scanned pool: its entries in corpus order (keyword, then id, byte order) and what was passed over. */
export interface ScannedPool {
  /** The folder paths are relative to: the pool folder, or the manifest's folder. */
  root: string;
  /** The configured classes, in label order. */
  classes: string[];
  entries: PoolEntry[];
  problems: PoolProblem[];
}

export interface ScanOptions {
  /** The configured class names. */
  classes: string[];
  /**
   * keyword → class: makes a folder pool `<keyword>/<image>` (without it,
   * `<class>/<keyword>/<image>`), and gives the class of manifest lines that
   * have none.
   */
  keywordClasses?: Record<string, string>;
}

/**
 * Lists a pool's images. `source` is a folder `<class>/<keyword>/<image>`; a
 * folder `<keyword>/<image>` when `keywordClasses` is given; or a manifest
 * (`.csv` with a header, or `.jsonl`) with `path` and `keyword` and optional
 * `class`, `id`, `url`, `license`, its paths relative to its own folder and
 * never outside it. Bad names, unknown classes and keywords, and paths outside
 * are InputErrors naming the folder or the manifest line. An empty keyword
 * folder, or a file where no image belongs, is passed over and reported in
 * `problems`, not fatal: the build fails later only if a class ends up with
 * too few images. Files are not opened here; unreadable ones are reported by
 * ingestPool.
 */
export async function scanPool(source: string, opts: ScanOptions): Promise<ScannedPool> {
  const classes = opts.classes;
  for (const [keyword, className] of Object.entries(opts.keywordClasses ?? {})) {
    check(classes.includes(className), `keywordClasses.${keyword}`, `"${className}" is not a class (classes: ${classes.join(', ')})`);
  }
  const info = await inputStat(source, 'not found');
  const root = path.resolve(info.isDirectory() ? source : path.dirname(source));
  const problems: PoolProblem[] = [];
  let entries: PoolEntry[];
  if (info.isDirectory()) {
    const found = opts.keywordClasses
      ? await scanKeywordFolders(root, root, (k) => classOfKeyword(opts, k), problems)
      : await scanClassFolders(root, classes, problems);
    entries = found.map((e) => ({ ...e, id: e.path }));
  } else if (/\.(csv|jsonl)$/i.test(source)) {
    entries = await readManifest(path.resolve(source), root, opts);
  } else {
    throw new InputError('expected a pool folder, or a manifest ending in .csv or .jsonl', source);
  }
  entries.sort((a, b) => compare(a.keyword, b.keyword) || compare(a.id, b.id));
  problems.sort((a, b) => compare(a.path, b.path));
  return { root, classes, entries, problems };
}

type Found = Omit<PoolEntry, 'id'>;

/** `<class>/<keyword>/<image>`: class folders named as the configured classes. */
async function scanClassFolders(root: string, classes: string[], problems: PoolProblem[]): Promise<Found[]> {
  const found: Found[] = [];
  for (const entry of await listDir(root)) {
    if (!(await isDirectory(root, entry))) {
      problems.push({ path: entry.name, kind: 'misplaced', reason: 'a file outside <class>/<keyword>/ folders is not read' });
      continue;
    }
    check(
      classes.includes(entry.name),
      path.join(root, entry.name),
      `"${entry.name}" is not a class (classes: ${classes.join(', ')}); a pool folder holds <class>/<keyword>/<image>, or <keyword>/<image> with keywordClasses in the config`,
    );
    found.push(...(await scanKeywordFolders(root, path.join(root, entry.name), () => entry.name, problems)));
  }
  return found;
}

/** `<keyword>/<image>` folders under `dir`, each keyword's class from `classOf`. */
async function scanKeywordFolders(root: string, dir: string, classOf: (keyword: string) => string | undefined, problems: PoolProblem[]): Promise<Found[]> {
  const found: Found[] = [];
  for (const entry of await listDir(dir)) {
    const folder = path.join(dir, entry.name);
    const rel = relative(root, folder);
    if (!(await isDirectory(dir, entry))) {
      problems.push({ path: rel, kind: 'misplaced', reason: `a file directly in ${dir === root ? 'the pool folder' : 'a class folder'} is not read; images go in keyword folders` });
      continue;
    }
    const keyword = entry.name;
    checkKeyword(keyword, `${folder}: keyword "${keyword}"`);
    const className = classOf(keyword);
    check(className !== undefined, folder, `keyword "${keyword}" has no class in the config's keywordClasses`);
    let images = 0;
    for (const item of await listDir(folder)) {
      const file = path.join(folder, item.name);
      if (await isDirectory(folder, item)) {
        problems.push({ path: relative(root, file), kind: 'misplaced', reason: 'a folder inside a keyword folder is not read' });
        continue;
      }
      found.push({ file, path: relative(root, file), keyword, className });
      images++;
    }
    if (images === 0) problems.push({ path: rel, kind: 'empty-folder', reason: `keyword folder "${keyword}" holds no files` });
  }
  return found;
}

const manifestLine = z.strictObject({
  path: z.string().min(1),
  keyword: z.string(),
  class: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  url: z.string().optional(),
  license: z.string().optional(),
});
type ManifestLine = z.infer<typeof manifestLine>;
const COLUMNS = Object.keys(manifestLine.shape);

/** A manifest's lines as entries, every line checked; errors name the line. */
async function readManifest(file: string, root: string, opts: ScanOptions): Promise<PoolEntry[]> {
  const text = await readFile(file, 'utf8');
  const lines: { line: number; value: unknown }[] = file.toLowerCase().endsWith('.csv') ? csvLines(text, file) : jsonLines(text, file);
  const realRoot = await realpath(root);
  const ids = new Map<string, number>();
  const entries: PoolEntry[] = [];
  for (const { line, value } of lines) {
    const at = `${file}: line ${line}`;
    const parsed = manifestLine.safeParse(value);
    if (!parsed.success) throw new InputError(parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '), at);
    const row: ManifestLine = parsed.data;
    const target = path.resolve(root, row.path);
    check(isInside(root, target) && isInside(realRoot, await realpath(target).catch(() => target)), at, `path "${row.path}" is outside the manifest's folder ${root}; refused`);
    checkKeyword(row.keyword, `${at}: keyword "${row.keyword}"`);
    const className = row.class ?? classOfKeyword(opts, row.keyword);
    check(className !== undefined, at, `no class for keyword "${row.keyword}": give a class column, or the keyword in the config's keywordClasses`);
    check(opts.classes.includes(className), at, `unknown class "${className}" (classes: ${opts.classes.join(', ')})`);
    const rel = relative(root, target);
    const id = row.id ?? rel;
    const twin = ids.get(id);
    check(twin === undefined, at, `id "${id}" is already on line ${twin}`);
    ids.set(id, line);
    entries.push({ file: target, path: rel, keyword: row.keyword, className, id, url: row.url, license: row.license });
  }
  return entries;
}

function csvLines(text: string, file: string): { line: number; value: unknown }[] {
  try {
    const records = parseCsv(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        const unknown = header.filter((h) => !COLUMNS.includes(h));
        check(unknown.length === 0, `${file}: line 1`, `unknown column ${unknown.map((h) => `"${h}"`).join(', ')} (columns: ${COLUMNS.join(', ')})`);
        return header;
      },
    }) as { record: Record<string, string>; info: { lines: number } }[];
    // An empty cell is an absent value: optional columns may be left blank on some lines.
    return records.map(({ record, info }) => ({ line: info.lines, value: Object.fromEntries(Object.entries(record).filter(([, v]) => v !== '')) }));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`not a readable CSV manifest: ${(err as Error).message}`, file);
  }
}

function jsonLines(text: string, file: string): { line: number; value: unknown }[] {
  return text.split('\n').flatMap((raw, i) => {
    if (raw.trim() === '') return [];
    try {
      return [{ line: i + 1, value: JSON.parse(raw) as unknown }];
    } catch (err) {
      throw new InputError(`not JSON: ${(err as Error).message}`, `${file}: line ${i + 1}`);
    }
  });
}

/** A folder's entries in byte order of name, hidden ones (.DS_Store, .git) left out. */
async function listDir(dir: string): Promise<Dirent[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => compare(a.name, b.name));
}

/** Whether a folder entry is a folder, following a symbolic link. */
async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  return (await stat(path.join(dir, entry.name)).catch(() => undefined))?.isDirectory() ?? false;
}

function isInside(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/** The class the config maps `keyword` to (own keys only: a folder named "constructor" is no class). */
function classOfKeyword(opts: ScanOptions, keyword: string): string | undefined {
  return opts.keywordClasses && Object.hasOwn(opts.keywordClasses, keyword) ? opts.keywordClasses[keyword] : undefined;
}

/** Byte order for ASCII keywords, code-unit order otherwise: what keeps the corpus order the same everywhere. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

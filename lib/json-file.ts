// A small JSON state file in the artifact store (the labeling team, claims):
// validated on read, updated under a lock, replaced atomically.
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { InputError } from './errors';
import { writeFileAtomic } from './formats/files';

export interface JsonFileOptions {
  /** A lock file older than this is taken to be left by a crashed process and removed. */
  staleLockMs?: number;
  /** How long an update waits for another process's lock before failing. */
  lockTimeoutMs?: number;
}

/**
 * A JSON file holding one value of a zod schema. `read` revalidates only when
 * the file changed (its inode, size or mtime: every write is a rename, so a
 * new inode), so a server can read it on every request and still see what
 * another process (the CLI revoking someone) wrote a moment ago.
 *
 * `update` runs one read-modify-write at a time: in this process through a
 * promise queue, and across processes through `<file>.lock`, created with
 * O_EXCL. Without the lock a `cifar101 labelers revoke` racing the server's
 * session write could be lost (the last rename wins).
 */
export class JsonFile<T> {
  private cache: { key: string; value: T } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly staleLockMs: number;
  private readonly lockTimeoutMs: number;

  constructor(
    readonly file: string,
    private readonly schema: z.ZodType<T>,
    /** The value when the file does not exist yet. */
    private readonly empty: () => T,
    opts: JsonFileOptions = {},
  ) {
    this.staleLockMs = opts.staleLockMs ?? 10_000;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 5_000;
  }

  /** The current value; callers must not mutate it (it is shared with the next read). */
  async read(): Promise<T> {
    let key: string;
    try {
      const s = await stat(this.file);
      key = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.empty();
      throw err;
    }
    if (this.cache?.key === key) return this.cache.value;
    const value = parseJson(await readFile(this.file, 'utf8'), this.schema, this.file);
    this.cache = { key, value };
    return value;
  }

  /**
   * Applies `change` to a private copy of the value and writes the result, all
   * under the lock. If `change` throws, nothing is written and the error passes through.
   */
  update<R>(change: (value: T) => R | Promise<R>): Promise<R> {
    const run = this.queue.then(() => this.locked(async () => {
      const value = structuredClone(await this.read());
      const result = await change(value);
      // Validate what is written too: a bug must not leave a file the next read refuses.
      const checked = this.schema.parse(value);
      await writeFileAtomic(this.file, Buffer.from(JSON.stringify(checked, null, 2) + '\n'));
      return result;
    }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async locked<R>(fn: () => Promise<R>): Promise<R> {
    const lock = `${this.file}.lock`;
    await mkdir(path.dirname(this.file), { recursive: true });
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(`${process.pid}\n`);
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      // An update holds the lock for milliseconds; an old lock is a crashed writer's. Two processes
      // could both judge it stale and one remove the other's fresh lock: only after a crash, and rare.
      const held = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (held > this.staleLockMs) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() - start > this.lockTimeoutMs) {
        throw new Error(`${this.file}: locked by another process for ${Math.round(held / 1000)} s (${lock}); remove it if no cifar101 process is running`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 * 2 ** Math.min(attempt, 4)) + Math.random() * 5));
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

/**
 * Parses JSON Lines (an append-only log such as `decisions.jsonl`): one value of
 * `schema` a line, blank lines skipped. A bad line is an InputError naming the file and line.
 */
export function parseJsonLines<T>(text: string, schema: z.ZodType<T>, file: string): T[] {
  return text.split('\n').flatMap((line, i) => (line.trim() ? [parseJson(line, schema, `${file}:${i + 1}`)] : []));
}

/** One JSON value of `schema`; errors name `where` (a file, or file:line) and the keys at fault. */
function parseJson<T>(text: string, schema: z.ZodType<T>, where: string): T {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, where);
  }
  const result = schema.safeParse(doc);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new InputError(`unexpected content: ${issues.join('; ')}`, where);
  }
  return result.data;
}

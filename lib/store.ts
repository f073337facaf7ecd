import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors';
import { sha256File, sha256Json } from './hash';

/** A file in the artifact store: what passes between stages instead of data. */
export interface ArtifactRef {
  /** Path relative to the store root. */
  path: string;
  sha256: string;
  bytes: number;
}

/** What a stage leaves in the store: its files and a small JSON summary. */
export interface StageOutput<S = object> {
  stage: string;
  key: string;
  cached: boolean;
  files: Record<string, ArtifactRef>;
  summary: S;
}

/** The store's own record of an entry (a stage may write a file called manifest.json itself). */
const ENTRY = '.entry.json';
/** The file holding the store's identity, at its root. */
const STORE_ID = 'store-id';

interface Manifest<S> {
  stage: string;
  key: string;
  files: Record<string, ArtifactRef>;
  summary: S;
  /** What the key was made of (lib/stage-keys.ts), so that a later plan can say what changed. */
  made?: { version: number; parts: unknown };
}

/**
 * A content-addressed store of stage outputs under `<root>/cache/<stage>/<key>/`.
 * The key hashes everything that determines the output, so an existing entry
 * that verifies is reused as is. Entries appear atomically: a stage writes
 * into a temporary folder that is renamed into place only when complete.
 */
export class ArtifactStore {
  constructor(readonly root: string) {}

  /** The cache key of a stage: its name, code version and every input. */
  static key(stage: string, version: number, inputs: unknown): string {
    return sha256Json({ stage, version, inputs }).slice(0, 32);
  }

  /**
   * The store's identity: made on first use and kept in the folder, so every
   * worker that shares the folder (on any machine, under any mount path) has
   * the same one, and workers of different folders never do.
   */
  async id(): Promise<string> {
    const file = path.join(this.root, STORE_ID);
    const read = async () => (await readFile(file, 'utf8')).trim();
    try {
      return await read();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await mkdir(this.root, { recursive: true });
    // Written whole under a temporary name, then linked into place: a reader never sees it half-written, and of two workers racing the first link wins.
    const tmp = `${file}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, `${randomBytes(6).toString('hex')}\n`);
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp);
    }
    return read();
  }

  /** Absolute path of a stored file. */
  resolve(ref: ArtifactRef | string): string {
    return path.join(this.root, typeof ref === 'string' ? ref : ref.path);
  }

  /** The stored output of a stage, if present and intact (every file's size and SHA-256 match). */
  async lookup<S>(stage: string, key: string): Promise<StageOutput<S> | null> {
    const dir = this.entryDir(stage, key);
    let manifest: Manifest<S>;
    try {
      manifest = JSON.parse(await readFile(path.join(dir, ENTRY), 'utf8'));
    } catch {
      return null;
    }
    for (const ref of Object.values(manifest.files)) {
      if (!(await this.verify(ref))) {
        await rm(dir, { recursive: true, force: true });
        return null;
      }
    }
    const { made: _made, ...output } = manifest;
    return { ...output, cached: true };
  }

  /** Whether a stored file is there with its recorded size and SHA-256. */
  async verify(ref: ArtifactRef): Promise<boolean> {
    const file = this.resolve(ref);
    return (await stat(file).then((s) => s.size === ref.bytes, () => false)) && (await sha256File(file)) === ref.sha256;
  }

  /**
   * Returns the stored output of (stage, key), or runs `produce` to make it.
   * `produce` writes its files into the folder it is given and returns their
   * names with a summary; the folder becomes the entry only if it succeeds.
   */
  async stage<S>(
    stage: string,
    key: string,
    produce: (dir: string) => Promise<{ files: string[]; summary: S }>,
    keyParts?: { version: number; parts: unknown },
  ): Promise<StageOutput<S>> {
    if (!/^[A-Za-z0-9_-]+$/.test(stage)) throw new Error(`bad stage name "${stage}"`);
    const found = await this.lookup<S>(stage, key);
    if (found) return found;
    const final = this.entryDir(stage, key);
    const tmp = path.join(path.dirname(final), `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    try {
      const { files, summary } = await produce(tmp);
      const refs: Record<string, ArtifactRef> = {};
      for (const name of files) {
        const file = path.join(tmp, name);
        const { size } = await stat(file);
        refs[name] = {
          path: path.relative(this.root, path.join(final, name)).split(path.sep).join('/'),
          sha256: await sha256File(file),
          bytes: size,
        };
      }
      const manifest: Manifest<S> = { stage, key, files: refs, summary, ...(keyParts ? { made: keyParts } : {}) };
      await writeFile(path.join(tmp, ENTRY), JSON.stringify(manifest, null, 2));
      await syncDir(tmp);
      const { made: _made, ...output } = manifest;
      let made: StageOutput<S> = { ...output, cached: false };
      try {
        await rename(tmp, final);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        const kept = await this.lookup<S>(stage, key);
        if (kept) {
          // Another worker finished the same stage first: its entry stays, and is what we return (its bytes may differ from ours).
          await rm(tmp, { recursive: true, force: true });
          made = { ...kept, cached: false };
        } else {
          // What was in the way is no intact entry (no readable record, or damaged and just removed by lookup);
          // entries appear whole, so it is broken, not half-written: ours takes its place.
          await rm(final, { recursive: true, force: true });
          await rename(tmp, final);
        }
      }
      await rm(this.scratchDir(stage, key), { recursive: true, force: true });
      return made;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** The keys of a stage's entries (complete ones; temporary and scratch folders left out). */
  async entries(stage: string): Promise<string[]> {
    return (await readdir(path.join(this.root, 'cache', stage)).catch(() => [] as string[])).filter((e) => !e.startsWith('.'));
  }

  /** When an entry was made (its record's modification time, ms). */
  async entryTime(stage: string, key: string): Promise<number> {
    return stat(path.join(this.entryDir(stage, key), ENTRY)).then((s) => s.mtimeMs, () => 0);
  }

  /** stage() for a key made of named parts (lib/stage-keys.ts), which the entry keeps. */
  keyedStage<S>(keyed: { stage: string; key: string; version: number; parts: unknown }, produce: (dir: string) => Promise<{ files: string[]; summary: S }>): Promise<StageOutput<S>> {
    return this.stage(keyed.stage, keyed.key, produce, { version: keyed.version, parts: keyed.parts });
  }

  /** What an entry's key was made of, if it recorded it (entries made through keyedStage). */
  async madeOf(stage: string, key: string): Promise<{ version: number; parts: unknown } | null> {
    try {
      return (JSON.parse(await readFile(path.join(this.entryDir(stage, key), ENTRY), 'utf8')) as Manifest<unknown>).made ?? null;
    } catch {
      return null;
    }
  }

  /**
   * A folder that survives activity retries, for checkpoints of a stage in
   * progress (resume after a crash). Removed when the stage's entry is made.
   */
  async scratch(stage: string, key: string): Promise<string> {
    const dir = this.scratchDir(stage, key);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async readJson<T>(ref: ArtifactRef): Promise<T> {
    const file = this.resolve(ref);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as T;
    } catch (err) {
      throw new InputError(`unreadable JSON artifact (${(err as Error).message})`, file);
    }
  }

  /**
   * Removes temporary folders of stages that crashed (a killed worker cannot
   * clean up after itself). Only old ones: another worker may be writing a
   * recent one right now.
   */
  async removeStaleTemps(olderThanMs = 3_600_000): Promise<void> {
    const cache = path.join(this.root, 'cache');
    for (const stage of await readdir(cache).catch(() => [] as string[])) {
      for (const entry of await readdir(path.join(cache, stage)).catch(() => [] as string[])) {
        const dir = path.join(cache, stage, entry);
        const age = Date.now() - (await stat(dir).then((s) => s.mtimeMs, () => Date.now()));
        if (entry.startsWith('.tmp-') && age > olderThanMs) await rm(dir, { recursive: true, force: true });
      }
    }
  }

  private entryDir(stage: string, key: string): string {
    return path.join(this.root, 'cache', stage, key);
  }

  private scratchDir(stage: string, key: string): string {
    return path.join(this.root, 'cache', stage, `.partial-${key}`);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

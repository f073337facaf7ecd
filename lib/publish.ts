// Publishing stored files into a folder people use (the release, its
// evaluation): the folder is replaced whole, never left half-written.
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from './hash';
import type { ArtifactRef, ArtifactStore } from './store';

/**
 * Copies stored files into `target` (names relative to it), replacing the
 * folder whole, unless it already holds exactly these files.
 */
export async function publishFiles(store: ArtifactStore, files: Record<string, ArtifactRef>, target: string, rename_ = (name: string) => name): Promise<string> {
  if (await holdsExactly(target, Object.fromEntries(Object.entries(files).map(([name, ref]) => [rename_(name), ref.sha256])))) return target;
  await replaceFolder(target, async (tmp) => {
    for (const [name, ref] of Object.entries(files)) await copyFile(store.resolve(ref), path.join(tmp, rename_(name)));
  });
  return target;
}

/**
 * Fills a temporary folder beside `target` and swaps it in for `target`: a
 * reader sees the old folder or the new one, and a failure leaves the old one.
 */
export async function replaceFolder(target: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = `${target}.old-${process.pid}`;
  await rm(old, { recursive: true, force: true }); // left by a swap of the same pid that was killed
  await rename(target, old).catch(() => undefined);
  await rename(tmp, target);
  await rm(old, { recursive: true, force: true });
}

/** Whether folder `target` holds exactly these files (name → SHA-256), nothing more. */
export async function holdsExactly(target: string, files: Record<string, string>): Promise<boolean> {
  const names = await readdir(target).catch(() => null);
  if (!names || names.length !== Object.keys(files).length) return false;
  for (const [name, sha] of Object.entries(files)) {
    if ((await sha256File(path.join(target, name)).catch(() => null)) !== sha) return false;
  }
  return true;
}

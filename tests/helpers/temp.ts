import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A temporary folder for one test file, made before its tests and removed
 * after them; call the returned function for its path.
 */
export function useTempDir(name: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `cifar101-${name}-`));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return () => dir;
}

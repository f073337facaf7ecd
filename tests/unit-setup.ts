import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Global setup of `npm run test:unit`: no server and no browser, only one
 * folder for the run's temporary files, removed at the end (TMPDIR is
 * inherited by the test workers), so a test that leaves files litters nothing.
 */
export default async function setup() {
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-unit-run-'));
  process.env.TMPDIR = runDir;
  return () => rm(runDir, { recursive: true, force: true });
}

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startDevServer, stopDevServer } from '../worker/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUi: string;
  }
}

/**
 * One real Temporal dev server for the whole test run, on free ports (never
 * 7233/8233). The run's temporary files (demo builds are ~100 MB each) all go
 * under one folder, removed at the end: TMPDIR is inherited by the test workers.
 */
export default async function setup(project: TestProject) {
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-test-run-'));
  process.env.TMPDIR = runDir;
  const dir = path.join(runDir, 'temporal');
  const server = await startDevServer({
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    port: await freePort(),
    uiPort: await freePort(),
    detached: false,
  });
  project.provide('temporalAddress', server.address);
  project.provide('temporalUi', server.uiUrl);
  return async () => {
    await stopDevServer(server.pid);
    await rm(runDir, { recursive: true, force: true });
  };
}

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

/** One real Temporal dev server for the whole test run, on free ports (never 7233/8233). */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-temporal-'));
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
    await rm(dir, { recursive: true, force: true });
  };
}

import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../lib/errors';
import { sdkLogger } from './logs';
import { installRuntime } from './worker';

const { History } = temporal.api.history.v1;

/** Saves a build's event history (protobuf, gzipped) for replay tests. */
export async function recordHistory(client: Client, workflowId: string, runId: string | undefined, file: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  await writeFile(file, gzipSync(History.encode(history).finish(), { level: 9 }));
  return history.events?.length ?? 0;
}

/**
 * Replays recorded histories against the current workflow code. Protobuf
 * rather than the CLI's JSON: decoding JSON histories needs the SDK's
 * protobufjs instance, which npm may install twice.
 */
export async function replayHistories(files: string[]): Promise<string[]> {
  installRuntime();
  // Bundled once for all the histories (webpack takes a second or more).
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, '..', 'workflows', 'index.ts'), logger: sdkLogger });
  const lines = [];
  for (const file of files) {
    const raw = await readFile(file).catch((err) => {
      throw new InputError(`cannot read history (${err.code ?? err.message})`, file);
    });
    const history = History.decode(file.endsWith('.gz') ? gunzipSync(raw) : raw);
    await Worker.runReplayHistory({ workflowBundle }, history);
    lines.push(`${path.basename(file)}: ${history.events.length} events replayed`);
  }
  return lines;
}

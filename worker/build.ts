import { Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import cliProgress from 'cli-progress';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadReleaseConfig, type ReleaseConfig } from '../configs';
import { progress as progressQuery } from '../workflows/messages';
import { checkMayAttach, type BuildIdentity } from '../lib/build-identity';
import { innermostMessage } from '../lib/errors';
import type { VersionOverrides } from '../lib/stage-keys';
import { ArtifactStore } from '../lib/store';
import { buildRelease, buildWorkflowId, storeQueue, TASK_QUEUE } from '../workflows/build';
import type { BuildConfig, BuildInput, BuildResult, SourceSpec } from '../workflows/types';
import { connect, resolveTarget, workflowsUrl, workflowUrl, type Target } from './connection';
import { DEMO_SEED } from './defaults';
import { logToStore } from './logs';
import { CifarRelease } from './temporal-server';
import { createWorker } from './worker';


export interface BuildOptions {
  config: string;
  source?: SourceSpec;
  outDir?: string;
  predictionsDir?: string;
  originalLabels?: string;
  /** Run a worker in this process (default); off when workers run elsewhere. */
  worker?: boolean;
  /** Progress output; quiet for tests. */
  quiet?: boolean;
  /** Task queue (default `cifar101`); separate deployments on one server use their own. */
  taskQueue?: string;
  /** Stage code versions other than lib/stage-keys.ts's, for this process's worker (tests stand for a code change with them). */
  versions?: VersionOverrides;
}

/** The config as the workflow takes it: no file paths, base resolved. */
export function toBuildConfig(config: ReleaseConfig): BuildConfig {
  const { file: _file, base, ...rest } = config;
  return { ...rest, ...(base ? { base: toBuildConfig(base) } : {}) };
}

/**
 * Starts the build of a release, or attaches to the running one with the same
 * config, and waits for it; with a worker in this process unless told not to,
 * whose SDK log goes to the store's `logs/` folder (worker/logs.ts).
 */
export async function runBuild(opts: BuildOptions): Promise<{ result: BuildResult; workflowId: string; url: string | null; target: Target }> {
  const config = await loadReleaseConfig(opts.config); // bad configs fail here, before anything starts
  const outDir = path.resolve(opts.outDir ?? 'artifacts');
  const target = await resolveTarget(outDir, { start: true });
  const { connection, client } = await connect(target);
  const taskQueue = opts.taskQueue ?? TASK_QUEUE;
  // The in-process worker's SDK lines go to <out>/logs/: the terminal shows the progress, and a failure as one line.
  if (opts.worker !== false) logToStore(outDir);
  const local = opts.worker === false ? null : await createWorker({ address: target.address, namespace: target.namespace, artifactsDir: outDir, taskQueue, versions: opts.versions });
  const running = local?.run();
  try {
    // The published folder carries the models' predictions and the CIFAR-10 test labels: evaluate them unless told otherwise.
    if (opts.source?.kind === 'published') {
      const dir = opts.source.dir;
      opts = {
        ...opts,
        predictionsDir: opts.predictionsDir ?? (existsSync(path.join(dir, 'model_predictions')) ? path.join(dir, 'model_predictions') : undefined),
        originalLabels: opts.originalLabels ?? (existsSync(path.join(dir, 'cifar10', 'test_labels.npy')) ? path.join(dir, 'cifar10', 'test_labels.npy') : undefined),
      };
    }
    const input: BuildInput = {
      config: toBuildConfig(config),
      source: opts.source ?? { kind: 'demo', seed: DEMO_SEED },
      outDir,
      idPrefix: taskQueue,
      ...(workflowsUrl(target) ? { historyUrl: workflowsUrl(target)! } : {}),
      ...(opts.predictionsDir ? { predictionsDir: path.resolve(opts.predictionsDir) } : {}),
      ...(opts.originalLabels ? { originalLabels: path.resolve(opts.originalLabels) } : {}),
    };
    const workflowId = buildWorkflowId(config, taskQueue);
    // The build runs on its store's queue, where only workers of this folder (shared or not) poll.
    const queue = local?.taskQueue ?? storeQueue(taskQueue, await new ArtifactStore(outDir).id());
    const identity: BuildIdentity = { source: input.source, taskQueue: queue, outDir };
    const handle = await client.workflow.start(buildRelease, {
      args: [input],
      taskQueue: queue,
      workflowId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `CIFAR-10.1 ${config.release} (${config.file})`,
      memo: { build: identity },
      ...(target.searchAttributes ? { typedSearchAttributes: [{ key: CifarRelease, value: config.release }] } : {}),
    });
    checkMayAttach((await handle.describe()).memo, identity, `build ${workflowId}`);
    const url = workflowUrl(target, workflowId);
    if (!opts.quiet) console.log(`build ${config.release}: workflow ${workflowId}${url ? `\n  ${url}` : ''}`);
    const stopProgress = opts.quiet ? () => undefined : showProgress(client, workflowId);
    try {
      const result = await handle.result().catch((err) => {
        throw new Error(`build ${config.release} failed: ${innermostMessage(err)}`);
      });
      return { result, workflowId, url, target };
    } finally {
      await stopProgress();
    }
  } finally {
    local?.shutdown();
    await running;
    await local?.close();
    await connection.close();
  }
}

/** Prints each stage as it finishes, with a bar for the running stage fed by its activities' heartbeats. */
function showProgress(client: Client, workflowId: string): () => Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const tty = process.stdout.isTTY;
  const bar = tty ? new cliProgress.SingleBar({ format: '  {stage} [{bar}] {value}/{total}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  let printed = 0;
  let barStage = '';
  let stopped = false;
  const tick = async () => {
    const state = await handle.query(progressQuery).catch(() => null);
    if (!state) return;
    const stages = summarize(state.done);
    for (const line of stages.slice(printed, -1)) log(line);
    printed = Math.max(printed, stages.length - 1);
    if (!bar) return;
    const described = await handle.describe().catch(() => null);
    let done = 0;
    let total = 0;
    for (const a of described?.raw.pendingActivities ?? []) {
      const details = a.heartbeatDetails?.payloads?.[0];
      const p = details ? (defaultPayloadConverter.fromPayload(details) as { done?: number; total?: number } | undefined) : undefined;
      done += p?.done ?? 0;
      total += p?.total ?? 0;
    }
    if (total > 0) {
      if (barStage !== state.stage) {
        bar.stop();
        bar.start(total, done, { stage: state.stage });
        barStage = state.stage;
      }
      bar.setTotal(total);
      bar.update(done, { stage: state.stage });
    }
  };
  const log = (line: string) => {
    if (bar && barStage) {
      bar.stop();
      barStage = '';
    }
    console.log(line);
  };
  const loop = (async () => {
    while (!stopped) {
      await tick();
      await new Promise((r) => setTimeout(r, 500));
    }
    const final = await handle.query(progressQuery).catch(() => null);
    if (final) for (const line of summarize(final.done).slice(printed)) log(line);
    bar?.stop();
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

/** One line per stage (shards folded): "computeDistances x8 computed" / "cached". */
export function summarize(done: Array<{ stage: string; cached: boolean }>): string[] {
  const lines: Array<{ stage: string; count: number; cached: number }> = [];
  for (const d of done) {
    const last = lines[lines.length - 1];
    if (last && last.stage === d.stage) {
      last.count++;
      last.cached += d.cached ? 1 : 0;
    } else lines.push({ stage: d.stage, count: 1, cached: d.cached ? 1 : 0 });
  }
  return lines.map((l) => `  ${l.stage}${l.count > 1 ? ` x${l.count}` : ''}: ${l.cached === l.count ? 'cached' : l.cached ? `${l.count - l.cached} computed, ${l.cached} cached` : 'computed'}`);
}

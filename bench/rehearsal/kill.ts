// A worker SIGKILLed in the middle of computeDistances: when the stage's child
// workflow has finished enough shards and a shard is part-way through, its
// worker is killed and a new one started; afterwards, how much of the stage's
// work was done twice.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../lib/hash';
import { shardStageName } from '../../lib/sharding';
import type { Cluster, WorkerProcess } from './cluster';
import type { ActivityRow } from './histories';

interface ShardProgress {
  activityId: string;
  attempt: number;
  /** Candidates of the shard done, as its last heartbeat told the server. */
  done: number;
  total: number;
  resumed: number;
}

export interface KillObservation {
  childWorkflowId: string;
  killedAt: number;
  killedPid: number;
  shards: number;
  /** Activity IDs of the shards complete before the kill. */
  completedBefore: string[];
  /** The shards running on the killed worker, as the server saw them. */
  pending: ShardProgress[];
  /** Candidates per checkpoint (from the checkpoint files' offsets), and checkpoint files on disk at the kill. */
  chunk: number | null;
  checkpointFiles: number;
  secondsIntoStage: number;
  newWorkerPid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Offsets of the checkpointed chunks of the shards in progress, per shard scratch folder. */
async function checkpoints(store: string): Promise<number[][]> {
  const dir = path.join(store, 'cache', shardStageName('computeDistances'));
  const out: number[][] = [];
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!entry.startsWith('.partial-')) continue;
    const files = await readdir(path.join(dir, entry)).catch(() => [] as string[]);
    out.push(files.map((f) => /^chunk-(\d+)\.bin$/.exec(f)?.[1]).filter((x): x is string => x !== undefined).map(Number).sort((a, b) => a - b));
  }
  return out;
}

/**
 * Waits until the stage's child workflow has completed at least
 * max(1, killAt × shards) shards and a running shard has heartbeated a
 * quarter of its candidates or more, short of its end (or, 15 s later,
 * any shard running: shards of one chunk never show part-way progress), then
 * SIGKILLs `worker` and starts a new worker on the same store and queue.
 */
export async function killMidStage(
  client: Client,
  cluster: Cluster,
  worker: WorkerProcess,
  childWorkflowId: string,
  opts: { killAt: number; store: string; queue: string; name: string; chunkDelayMs?: number },
): Promise<{ observation: KillObservation; replacement: WorkerProcess }> {
  const handle = client.workflow.getHandle(childWorkflowId);
  let readySince: number | undefined;
  for (;;) {
    await sleep(250);
    const described = await handle.describe().catch(() => null);
    if (!described) continue;
    if (described.status.name !== 'RUNNING') throw new Error(`${childWorkflowId} ended (${described.status.name}) before a kill could land mid-shard`);
    const history = await handle.fetchHistory();
    const types = new Map<string, string>();
    let shards = 0;
    const completed: string[] = [];
    for (const e of history.events ?? []) {
      const input = e.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      if (input) shards = (defaultPayloadConverter.fromPayload(input) as { shards: unknown[] }).shards.length;
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) types.set(String(e.eventId), `${scheduled.activityType?.name}:${scheduled.activityId}`);
      const done = e.activityTaskCompletedEventAttributes;
      const [type, id] = (types.get(String(done?.scheduledEventId)) ?? '').split(':');
      if (done && type === 'computeDistances') completed.push(id);
    }
    const pending: ShardProgress[] = (described.raw.pendingActivities ?? [])
      // Started ones only: shards still waiting for a slot were not on the killed worker.
      .filter((a) => a.activityType?.name === 'computeDistances' && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
      .map((a) => {
        const payload = a.heartbeatDetails?.payloads?.[0];
        const p = (payload ? defaultPayloadConverter.fromPayload(payload) : undefined) as { done?: number; total?: number; resumed?: number } | undefined;
        return { activityId: String(a.activityId), attempt: a.attempt ?? 1, done: p?.done ?? 0, total: p?.total ?? 0, resumed: p?.resumed ?? 0 };
      });
    if (completed.length < Math.max(1, Math.floor(opts.killAt * shards))) continue;
    readySince ??= Date.now();
    if (process.env.REHEARSAL_DEBUG) process.stderr.write(`kill poll: ${completed.length}/${shards} done, running ${JSON.stringify(pending)}\n`);
    // A shard part-way: a quarter done or more, not finished; after 15 s of shards too small to show that (one chunk each), any running one.
    const partWay = pending.some((p) => p.total > 0 && p.done >= p.total / 4 && p.done < p.total);
    if (!partWay && !(Date.now() - readySince > 15_000 && pending.some((p) => p.done < p.total || p.total === 0))) continue;

    const saved = await checkpoints(opts.store);
    const gaps = saved.flatMap((offsets) => offsets.slice(1).map((o, i) => o - offsets[i]));
    const killedAt = Date.now();
    await cluster.stopWorker(worker, 'SIGKILL');
    const replacement = await cluster.startWorker(opts.name, opts.store, opts.queue, { chunkDelayMs: opts.chunkDelayMs });
    const startTime = described.raw.workflowExecutionInfo?.startTime;
    const started = startTime?.seconds ? Number(startTime.seconds) * 1000 + (startTime.nanos ?? 0) / 1e6 : killedAt;
    return {
      observation: {
        childWorkflowId,
        killedAt,
        killedPid: worker.pid,
        shards,
        completedBefore: completed,
        pending,
        // From the checkpoints' offsets, or (one checkpoint a shard) the smallest progress heartbeated.
        chunk: gaps.length ? Math.min(...gaps) : Math.min(...pending.map((p) => p.done).filter((d) => d > 0), Infinity) || null,
        checkpointFiles: saved.reduce((n, o) => n + o.length, 0),
        secondsIntoStage: (killedAt - started) / 1000,
        newWorkerPid: replacement.pid,
      },
      replacement,
    };
  }
}

export interface RedoneWork {
  /** Candidates of the stage, and those its shards computed (the rest were in the store: v4's shards, in v6). */
  stageCandidates: number;
  computedCandidates: number;
  /** Per killed shard: its progress at the kill and what its retry took from the checkpoints. */
  shards: Array<{ activityId: string; total: number; doneAtKill: number; resumed: number | null; retryAttempt: number; retryStartedSecondsAfterKill: number | null }>;
  /** Candidates computed twice: at least (heartbeated progress not resumed), at most (plus the chunk in flight of each killed shard). */
  redoneLower: number;
  redoneUpper: number;
  redoneFraction: number;
  redoneFractionLower: number;
  /** Shards complete before the kill that ran again (should be none). */
  rerunCompleted: number;
}

/**
 * What the kill cost in work, from the killed shards' heartbeats at the kill
 * and what their retries resumed (ShardResult.resumed): a killed shard had
 * computed at least `done` candidates (each heartbeat follows a written
 * checkpoint) and at most its checkpoints plus the chunk in flight; the retry
 * took `resumed` from the checkpoints and computed the rest again.
 */
export function redoneWork(obs: KillObservation, rows: ActivityRow[]): RedoneWork {
  const shardRows = rows.filter((r) => r.workflowId === obs.childWorkflowId && r.type === 'computeDistances');
  const size = (r: ActivityRow) => {
    const res = r.result as { start?: number; end?: number } | undefined;
    return (res?.end ?? 0) - (res?.start ?? 0);
  };
  const stageCandidates = shardRows.reduce((n, r) => n + size(r), 0);
  const computedCandidates = shardRows.filter((r) => (r.result as { cached?: boolean } | undefined)?.cached === false).reduce((n, r) => n + size(r), 0);
  const chunk = obs.chunk ?? Math.max(1, ...obs.pending.map((p) => p.done));
  let lower = 0;
  let upper = 0;
  const shards = obs.pending.map((p) => {
    const row = shardRows.find((r) => r.activityId === p.activityId);
    const result = row?.result as { start?: number; end?: number; resumed?: number } | undefined;
    const resumed = result?.resumed ?? null;
    // A shard that had not heartbeated yet has no total in its details: its range says it.
    const total = p.total || (result?.end ?? 0) - (result?.start ?? 0);
    const kept = resumed ?? 0;
    const checkpointed = Math.max(p.done, kept);
    lower += Math.max(0, p.done - kept);
    upper += checkpointed - kept + Math.min(chunk, Math.max(0, total - checkpointed));
    return {
      activityId: p.activityId,
      total,
      doneAtKill: p.done,
      resumed,
      retryAttempt: row?.attempt ?? 0,
      retryStartedSecondsAfterKill: row?.startedAt ? (row.startedAt - obs.killedAt) / 1000 : null,
    };
  });
  const rerunCompleted = shardRows.filter((r) => obs.completedBefore.includes(r.activityId) && r.attempt > 1).length;
  return {
    stageCandidates,
    computedCandidates,
    shards,
    redoneLower: lower,
    redoneUpper: upper,
    // Of the stage's work: the candidates it computed.
    redoneFraction: computedCandidates ? upper / computedCandidates : 0,
    redoneFractionLower: computedCandidates ? lower / computedCandidates : 0,
    rerunCompleted,
  };
}

/** SHA-256 of every file of a release folder (manifest.json included), by name. */
export async function releaseDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await sha256File(path.join(dir, name));
  return out;
}

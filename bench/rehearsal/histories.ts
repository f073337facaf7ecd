// Event histories of the rehearsal's builds: exported as the Temporal CLI
// writes them (`temporal workflow show -o json`), then read back for what
// each stage cost and how each workflow stands against Temporal's limits.
import type { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { releaseOfWorkflowId } from '../../workflows/build';
import { temporalCli } from '../../worker/temporal-server';

const run = promisify(execFile);
/** The shared tool that checks an exported history against Temporal's limits. */
const HISTORY_BUDGET = process.env.HISTORY_BUDGET ?? '/work/shared/tools/history-budget';

/** One event as `temporal workflow show -o json` writes it. */
type HistoryEvent = { eventId: string; eventTime: string; eventType: string; [attributes: string]: any };

export interface HistoryFile {
  workflowId: string;
  runId: string;
  /** Path of the exported JSON. */
  file: string;
  events: HistoryEvent[];
  /** The server's own count of the history's size (describe: HistorySize). */
  serverBytes: number;
}

/** One activity call (however many attempts), as its workflow's history records it. */
export interface ActivityRow {
  workflowId: string;
  /** The build (root) workflow it belongs to. */
  build: string;
  release: string;
  stage: string;
  activityId: string;
  type: string;
  summary: string;
  scheduledAt: number;
  /** Start of the attempt that ended it (the history keeps only the last attempt's start). */
  startedAt: number | null;
  endedAt: number | null;
  attempt: number;
  state: 'completed' | 'failed' | 'timed out' | 'canceled' | 'pending';
  identity: string | null;
  result: unknown;
  /** Why the attempt before the last one ended (a retried activity). */
  lastFailure: string | null;
  /** Largest payload of its events (input, result, failure details), bytes. */
  largestPayload: number;
}

export interface WorkflowStats {
  workflowId: string;
  runId: string;
  file: string;
  build: string;
  release: string;
  stage: string;
  events: number;
  /** The events as compact JSON. */
  jsonBytes: number;
  serverBytes: number;
  largestPayload: { bytes: number; eventId: number; eventType: string; stage: string };
  workflowTasks: number;
  maxWorkflowTaskSeconds: number;
  /** Workflow tasks that timed out or failed (a worker too busy to answer within 10 s, or killed). */
  workflowTaskTimeouts: number;
  /** history-budget's verdict on the exported file. */
  budget: { ok: boolean | null; output: string };
  startedAt: number;
  closedAt: number;
}

/** The file name of a workflow's exported history: its ID with `/` (child workflows) as `%2F`, i.e. encodeURIComponent. */
export function historyFileName(workflowId: string, runId?: string): string {
  return `${encodeURIComponent(workflowId)}${runId ? `@${runId}` : ''}.json`;
}

/**
 * Exports the histories of every workflow on the server whose ID starts with
 * `prefix` into `dir`, one file each: `historyFileName(id)` for the latest
 * run of an ID, with `@<runId>` for earlier runs (continue-as-new).
 */
export async function exportHistories(client: Client, address: string, dir: string, prefix: string): Promise<HistoryFile[]> {
  await mkdir(dir, { recursive: true });
  const runs: Array<{ workflowId: string; runId: string; start: number }> = [];
  for await (const wf of client.workflow.list()) {
    if (wf.workflowId.startsWith(prefix)) runs.push({ workflowId: wf.workflowId, runId: wf.runId, start: wf.startTime.getTime() });
  }
  runs.sort((a, b) => a.workflowId.localeCompare(b.workflowId) || b.start - a.start);
  const out: HistoryFile[] = [];
  for (const [i, r] of runs.entries()) {
    const latest = i === 0 || runs[i - 1].workflowId !== r.workflowId;
    const file = path.join(dir, historyFileName(r.workflowId, latest ? undefined : r.runId));
    const { stdout } = await run(temporalCli(), ['workflow', 'show', '-w', r.workflowId, '-r', r.runId, '-o', 'json', '--address', address], { maxBuffer: 1 << 30 });
    await writeFile(file, stdout);
    const described = await client.workflow.getHandle(r.workflowId, r.runId).describe();
    const serverBytes = Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
    out.push({ workflowId: r.workflowId, runId: r.runId, file, events: JSON.parse(stdout).events, serverBytes });
  }
  return out;
}

/** Runs history-budget on an exported history: exit 0 is within the limits. */
export async function budgetVerdict(file: string): Promise<WorkflowStats['budget']> {
  if (!existsSync(HISTORY_BUDGET)) return { ok: null, output: `${HISTORY_BUDGET} not found` };
  try {
    const { stdout } = await run('python3', [HISTORY_BUDGET, '--file', file], { maxBuffer: 1 << 26 });
    return { ok: true, output: stdout.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; message: string };
    return { ok: e.code === 1 ? false : null, output: (e.stdout ?? e.message).trim() };
  }
}

const time = (iso: string) => Date.parse(iso);
const attributes = (e: HistoryEvent): Record<string, any> => Object.entries(e).find(([k]) => k.endsWith('EventAttributes'))?.[1] ?? {};

/** A payload's value (json/plain), or undefined. */
export function decodePayload(p: { metadata?: Record<string, string>; data?: string } | undefined): unknown {
  if (!p?.data || Buffer.from(p.metadata?.encoding ?? '', 'base64').toString() !== 'json/plain') return undefined;
  try {
    return JSON.parse(Buffer.from(p.data, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Sizes of every payload in an event (any object with `data` and `metadata`, as history-budget counts them). */
function payloadBytes(o: unknown, out: number[] = []): number[] {
  if (Array.isArray(o)) for (const v of o) payloadBytes(v, out);
  else if (o && typeof o === 'object') {
    const rec = o as Record<string, unknown>;
    if (typeof rec.data === 'string' && rec.metadata && typeof rec.metadata === 'object') out.push(Buffer.from(rec.data, 'base64').length);
    for (const v of Object.values(rec)) payloadBytes(v, out);
  }
  return out;
}

/**
 * The stage an activity or workflow belongs to, named as the build's progress
 * names it: a sharded stage's child workflow and its plan are that stage, a
 * labeling round's child is labelCandidates (round 1) or confirmCandidates
 * (round 2), the base release's build is baseRelease; anything else is its
 * activity type.
 */
export function stageOf(workflowId: string, activityType?: string, summary = ''): string {
  const part = workflowId.split('/')[1];
  if (part === 'round1') return 'labelCandidates';
  if (part === 'round2') return 'confirmCandidates';
  if (part) return part;
  if (activityType === 'planShards') return summary.split(':')[0];
  return activityType ?? 'buildRelease';
}

/** The activities of one history, and its figures against Temporal's limits. */
export function readHistory(h: HistoryFile): { rows: ActivityRow[]; stats: Omit<WorkflowStats, 'budget'>; payloads: Map<string, number> } {
  const build = h.workflowId.split('/')[0];
  const release = releaseOfWorkflowId(build);
  const rows = new Map<string, ActivityRow>();
  const taskStarts = new Map<string, number>();
  let largest = { bytes: 0, eventId: 0, eventType: '', stage: '' };
  /** Largest payload per stage. */
  const payloads = new Map<string, number>();
  let maxTask = 0;
  let tasks = 0;
  let taskTimeouts = 0;
  const ownStage = stageOf(h.workflowId);
  for (const e of h.events) {
    const a = attributes(e);
    let row: ActivityRow | undefined;
    let stage = ownStage;
    if (e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED') {
      const type = a.activityType?.name ?? '?';
      const summary = String(decodePayload(e.userMetadata?.summary) ?? '');
      row = {
        workflowId: h.workflowId, build, release, stage: stageOf(h.workflowId, type, summary), activityId: a.activityId, type, summary,
        scheduledAt: time(e.eventTime), startedAt: null, endedAt: null, attempt: 1, state: 'pending', identity: null, result: undefined, lastFailure: null, largestPayload: 0,
      };
      rows.set(e.eventId, row);
    } else if (a.scheduledEventId && e.eventType.startsWith('EVENT_TYPE_ACTIVITY_TASK_')) {
      row = rows.get(String(a.scheduledEventId));
      if (row && e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED') Object.assign(row, { startedAt: time(e.eventTime), attempt: a.attempt ?? 1, identity: a.identity ?? null, lastFailure: a.lastFailure?.message ?? null });
      else if (row) {
        row.endedAt = time(e.eventTime);
        row.state = ({ COMPLETED: 'completed', FAILED: 'failed', TIMED_OUT: 'timed out', CANCELED: 'canceled' } as const)[e.eventType.slice('EVENT_TYPE_ACTIVITY_TASK_'.length) as 'COMPLETED'] ?? 'failed';
        if (e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') row.result = decodePayload(a.result?.payloads?.[0]);
      }
    } else if (e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_STARTED') {
      taskStarts.set(e.eventId, time(e.eventTime));
    } else if (e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT' || e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_FAILED') {
      taskTimeouts++;
    } else if (e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED') {
      tasks++;
      const started = taskStarts.get(String(a.startedEventId));
      if (started !== undefined) maxTask = Math.max(maxTask, (time(e.eventTime) - started) / 1000);
    } else if (a.workflowId && a.workflowType?.name) {
      // A child workflow's start in the parent: its payloads count to the child's stage (the base release's build: baseRelease).
      stage = a.workflowType.name === 'buildRelease' ? 'baseRelease' : stageOf(a.workflowId);
    } else if (a.workflowExecution?.workflowId) {
      stage = stageOf(a.workflowExecution.workflowId) === 'buildRelease' ? 'baseRelease' : stageOf(a.workflowExecution.workflowId);
    }
    const bytes = Math.max(0, ...payloadBytes(a), ...payloadBytes(e.userMetadata));
    if (row) {
      row.largestPayload = Math.max(row.largestPayload, bytes);
      stage = row.stage;
    }
    payloads.set(stage, Math.max(payloads.get(stage) ?? 0, bytes));
    if (bytes > largest.bytes) largest = { bytes, eventId: Number(e.eventId), eventType: e.eventType.replace('EVENT_TYPE_', '').toLowerCase(), stage };
  }
  return {
    rows: [...rows.values()],
    payloads,
    stats: {
      workflowId: h.workflowId, runId: h.runId, file: h.file, build, release, stage: ownStage,
      events: h.events.length, jsonBytes: Buffer.byteLength(JSON.stringify(h.events)), serverBytes: h.serverBytes,
      largestPayload: largest, workflowTasks: tasks, maxWorkflowTaskSeconds: maxTask, workflowTaskTimeouts: taskTimeouts,
      startedAt: time(h.events[0].eventTime), closedAt: time(h.events[h.events.length - 1].eventTime),
    },
  };
}

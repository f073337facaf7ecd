import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export interface StageRow {
  /** `<workflow id>:<scheduling event id>`: one row per activity call, however many attempts. */
  id: string;
  activity: string;
  summary: string;
  state: 'scheduled' | 'running' | 'completed' | 'failed' | 'timed out' | 'canceled';
  attempt: number;
  startedAt: Date | null;
  seconds: number | null;
  cached: boolean | null;
  /** The worker that ran the (last) attempt. */
  worker: string | null;
  /** The task queue the activity was scheduled on: its build's store queue. */
  taskQueue: string;
  failure?: string;
}

const toDate = (t?: temporal.api.common.v1.IPayload | { seconds?: unknown; nanos?: number | null } | null): Date | null => {
  const ts = t as { seconds?: { toNumber?: () => number } | number; nanos?: number } | null | undefined;
  if (!ts?.seconds) return null;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber!();
  return new Date(seconds * 1000 + (ts.nanos ?? 0) / 1e6);
};

const decode = (payload?: temporal.api.common.v1.IPayload | null): unknown => {
  try {
    return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Every stage activity of a build, from its Temporal event history and those
 * of its child workflows (sharded stages, labeling rounds; not the base
 * release's build, which has a history of its own), in the order they began.
 */
export async function stageHistory(client: Client, workflowId: string, runId?: string): Promise<StageRow[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const rows = new Map<string, StageRow>();
  for (const event of history.events ?? []) {
    const id = `${workflowId}:${event.eventId}`;
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowType?.name && child.workflowType.name !== 'buildRelease' && child.workflowId) {
      for (const row of await stageHistory(client, child.workflowId).catch(() => [])) rows.set(row.id, row);
      continue;
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      rows.set(id, {
        id,
        activity: scheduled.activityType?.name ?? '?',
        summary: String(decode(event.userMetadata?.summary) ?? ''),
        state: 'scheduled',
        attempt: 1,
        startedAt: null,
        seconds: null,
        cached: null,
        worker: null,
        taskQueue: scheduled.taskQueue?.name ?? '',
      });
      continue;
    }
    const rowOf = (scheduledEventId: unknown) => rows.get(`${workflowId}:${scheduledEventId}`);
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const row = rowOf(started.scheduledEventId);
      if (row) Object.assign(row, { state: 'running', attempt: started.attempt ?? 1, startedAt: toDate(event.eventTime), worker: started.identity ?? null });
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
    const row = rowOf((completed ?? failed)?.scheduledEventId);
    if (!row) continue;
    const end = toDate(event.eventTime);
    row.seconds = row.startedAt && end ? (end.getTime() - row.startedAt.getTime()) / 1000 : null;
    if (completed) {
      row.state = 'completed';
      const result = decode(completed.result?.payloads?.[0]) as { cached?: boolean } | undefined;
      row.cached = typeof result?.cached === 'boolean' ? result.cached : null;
    } else {
      row.state = event.activityTaskFailedEventAttributes ? 'failed' : event.activityTaskTimedOutEventAttributes ? 'timed out' : 'canceled';
      row.failure = (event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes)?.failure?.message ?? undefined;
    }
  }
  return [...rows.values()];
}

/** Fixed-width table of stage rows for the terminal. */
export function formatHistory(rows: StageRow[]): string {
  const lines = rows.map((r) => [
    r.activity,
    r.state,
    r.attempt > 1 ? `attempt ${r.attempt}` : '',
    r.seconds === null ? '' : `${r.seconds.toFixed(2)}s`,
    r.cached === null ? '' : r.cached ? 'cached' : 'computed',
    r.worker ?? '',
    r.summary + (r.failure ? ` (${r.failure})` : ''),
  ]);
  const widths = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...lines.map((l) => l[i].length), 0));
  return lines.map((l) => l.map((cell, i) => (i < 6 ? cell.padEnd(widths[i]) : cell)).join('  ').trimEnd()).join('\n');
}

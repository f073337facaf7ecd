// What the running builds wait for, as the labeling page lists it.
import type { Client } from '@temporalio/client';
import { innermostMessage } from '../lib/errors';
import { releaseOfWorkflowId } from '../workflows/ids';
import { pendingWork, roundPending } from '../workflows/messages';
import type { PendingWork, RoundPending } from '../workflows/types';

/** A running build and what it waits for; `error` when it did not answer the query. */
export interface BuildPending {
  workflowId: string;
  release: string;
  stage: string;
  pending: PendingWork | null;
  /** The labeling round it waits for (a child workflow of its own), with its pending pages. */
  round: (RoundPending & { workflowId: string }) | null;
  error?: string;
}

/** How long one build may take to answer a query (a build whose workers are all down never answers). */
const QUERY_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${QUERY_TIMEOUT_MS / 1000} s: is a worker running?`)), QUERY_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The running `buildRelease` workflows of one artifact store and their pending
 * work, oldest first: a build runs on its store's queue (`<name>-store-<id>`),
 * and its pages and images are in that store only. Only those of `release`
 * when given (by the workflow ID `<task queue>-<release>-<hash>`, then by the
 * build's own answer).
 */
export async function runningBuilds(client: Client, storeId: string, release?: string): Promise<BuildPending[]> {
  const ids: Array<{ workflowId: string; start: number }> = [];
  for await (const wf of client.workflow.list({ query: "WorkflowType = 'buildRelease' AND ExecutionStatus = 'Running'" })) {
    if (!wf.taskQueue.endsWith(`-store-${storeId}`)) continue;
    if (release && !wf.workflowId.includes(`-${release}-`)) continue;
    ids.push({ workflowId: wf.workflowId, start: wf.startTime.getTime() });
  }
  ids.sort((a, b) => a.start - b.start || a.workflowId.localeCompare(b.workflowId));
  const builds = await Promise.all(ids.map(({ workflowId }) => queryPending(client, workflowId)));
  return builds.filter((b) => !release || b.release === release || b.pending === null);
}

/** The pending work of one build, and of the labeling round it waits for. */
export async function queryPending(client: Client, workflowId: string): Promise<BuildPending> {
  try {
    const pending = await withTimeout(client.workflow.getHandle(workflowId).query(pendingWork));
    const round = pending.round
      ? { ...(await withTimeout(client.workflow.getHandle(pending.round.workflowId).query(roundPending))), workflowId: pending.round.workflowId }
      : null;
    return { workflowId, release: pending.release, stage: pending.stage, pending, round };
  } catch (err) {
    return { workflowId, release: releaseOfWorkflowId(workflowId), stage: '?', pending: null, round: null, error: innermostMessage(err) };
  }
}

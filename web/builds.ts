// What the running builds wait for, as the labeling page lists it.
import type { Client } from '@temporalio/client';
import { innermostMessage } from '../lib/errors';
import { releaseOfWorkflowId } from '../workflows/build';
import { pendingWork } from '../workflows/messages';
import type { PendingWork } from '../workflows/types';

/** A running build and what it waits for; `error` when it did not answer the query. */
export interface BuildPending {
  workflowId: string;
  release: string;
  stage: string;
  pending: PendingWork | null;
  error?: string;
}

/** How long one build may take to answer `pendingWork` (a build whose workers are all down never answers). */
const QUERY_TIMEOUT_MS = 5_000;

/**
 * The running `buildRelease` workflows and their pending work, oldest first;
 * only those of `release` when given (by the workflow ID
 * `<task queue>-<release>-<hash>`, then by the build's own answer).
 */
export async function runningBuilds(client: Client, release?: string): Promise<BuildPending[]> {
  const ids: Array<{ workflowId: string; start: number }> = [];
  for await (const wf of client.workflow.list({ query: "WorkflowType = 'buildRelease' AND ExecutionStatus = 'Running'" })) {
    if (release && !wf.workflowId.includes(`-${release}-`)) continue;
    ids.push({ workflowId: wf.workflowId, start: wf.startTime.getTime() });
  }
  ids.sort((a, b) => a.start - b.start || a.workflowId.localeCompare(b.workflowId));
  const builds = await Promise.all(ids.map(({ workflowId }) => queryPending(client, workflowId)));
  return builds.filter((b) => !release || b.release === release || b.pending === null);
}

/** The pending work of one build. */
export async function queryPending(client: Client, workflowId: string): Promise<BuildPending> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const pending = await Promise.race([
      client.workflow.getHandle(workflowId).query(pendingWork),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${QUERY_TIMEOUT_MS / 1000} s: is a worker running?`)), QUERY_TIMEOUT_MS);
      }),
    ]);
    return { workflowId, release: pending.release, stage: pending.stage, pending };
  } catch (err) {
    return { workflowId, release: releaseOfWorkflowId(workflowId), stage: '?', pending: null, error: innermostMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

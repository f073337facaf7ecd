// `cifar101 status`: the builds on the server, the latest run of each, and where it stands.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { queryPending } from '../web/builds';
import { releaseOfWorkflowId } from '../workflows/build';
import { stageHistory } from './history';
import { CifarRelease, CifarStage } from './temporal-server';

export interface BuildStatus {
  workflowId: string;
  runId: string;
  release: string;
  /** RUNNING, COMPLETED, FAILED, TERMINATED, ... */
  state: string;
  startedAt: Date;
  closedAt: Date | null;
  /** The stage the build is in (running) or ended in. */
  stage: string | null;
  /** Stage activities that finished, by whether they computed their output or found it in the store. */
  computed: number;
  cached: number;
  /** What a running build waits for from people, if anything. */
  waiting: string | null;
  /** The last failed stage attempt: activity and message. */
  failure: string | null;
  /** Older runs under the same workflow ID (a build started again, or a v6 build reusing v4). */
  earlierRuns: number;
}

/** The latest run of every build on the server, newest first. */
export async function buildStatuses(client: Client): Promise<BuildStatus[]> {
  const latest = new Map<string, { info: WorkflowExecutionInfo; runs: number }>();
  for await (const wf of client.workflow.list({ query: "WorkflowType = 'buildRelease'" })) {
    const seen = latest.get(wf.workflowId);
    if (!seen) latest.set(wf.workflowId, { info: wf, runs: 1 });
    else {
      seen.runs++;
      if (wf.startTime > seen.info.startTime) seen.info = wf;
    }
  }
  const builds = [...latest.values()].sort((a, b) => b.info.startTime.getTime() - a.info.startTime.getTime());
  return Promise.all(builds.map(async ({ info, runs }) => {
    const rows = await stageHistory(client, info.workflowId, info.runId);
    const finished = rows.filter((r) => r.state === 'completed');
    const failed = rows.filter((r) => r.state === 'failed' || r.state === 'timed out').at(-1);
    const running = info.status.name === 'RUNNING';
    const pending = running ? await queryPending(client, info.workflowId) : null;
    return {
      workflowId: info.workflowId,
      runId: info.runId,
      release: info.typedSearchAttributes.get(CifarRelease) ?? pending?.release ?? releaseOfWorkflowId(info.workflowId),
      state: info.status.name,
      startedAt: info.startTime,
      closedAt: info.closeTime ?? null,
      stage: info.typedSearchAttributes.get(CifarStage) ?? (pending?.pending ? pending.stage : rows.at(-1)?.activity ?? null),
      computed: finished.filter((r) => r.cached === false).length,
      cached: finished.filter((r) => r.cached === true).length,
      waiting: pending ? waitingFor(pending) : null,
      failure: failed ? `${failed.activity}: ${failed.failure ?? failed.state}` : null,
      earlierRuns: runs - 1,
    };
  }));
}

function waitingFor(build: Awaited<ReturnType<typeof queryPending>>): string | null {
  if (!build.pending) return build.error ? `no answer (${build.error})` : null;
  const { duplicates } = build.pending;
  const pages = build.round?.pending.length ?? 0;
  if (pages) return `${pages} page${pages === 1 ? '' : 's'} wait for labels (round ${build.round!.round}): cifar101 label`;
  if (duplicates) return `${duplicates.count} near-duplicate pairs wait for review (round ${duplicates.round}): cifar101 label`;
  return null;
}

const seconds = (s: number) => (s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

/** One block per build: a line of state, then what it did or waits for. */
export function formatStatus(builds: BuildStatus[], now = new Date()): string {
  if (!builds.length) return 'No builds on this server yet: start one with `cifar101 build configs/v4.yaml`.';
  return builds.map((b) => {
    const end = b.closedAt ?? now;
    const took = seconds((end.getTime() - b.startedAt.getTime()) / 1000);
    const head = `${b.workflowId}  ${b.release}  ${b.state}  started ${b.startedAt.toISOString()}, ${b.closedAt ? `took ${took}` : `running for ${took}`}`;
    const lines = [head];
    const stages = `${b.computed + b.cached} stages done (${b.computed} computed, ${b.cached} cached)`;
    lines.push(`  ${b.state === 'RUNNING' && b.stage ? `at ${b.stage}; ` : ''}${stages}${b.earlierRuns ? `; ${b.earlierRuns} earlier run${b.earlierRuns === 1 ? '' : 's'}` : ''}`);
    if (b.waiting) lines.push(`  waiting: ${b.waiting}`);
    if (b.failure) lines.push(`  failed: ${b.failure}`);
    return lines.join('\n');
  }).join('\n');
}

// How a workflow calls its stages and keeps track of them: activity proxies
// with a summary for the event history, and the build's progress (the stage
// it is in, the stages done) that the CLI's progress bars and `status` query.
import { type ActivityOptions, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { CifarRelease, CifarStage } from './search-attributes';
import type { StageDone } from './types';

export type Activities = ReturnType<typeof createActivities>;
export type Input<K extends keyof Activities> = Parameters<Activities[K]>[0];
export type Output<K extends keyof Activities> = Awaited<ReturnType<Activities[K]>>;

const defaults: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  // Every activity heartbeats at least every few seconds; a killed worker is
  // noticed after this long and the activity is retried on another one.
  heartbeatTimeout: '10 seconds',
  // Bad input and oversized results fail at once (non-retryable, see
  // activities/support/context.ts); what is left is transient trouble.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
};

/** One stage activity, called with a summary that the Temporal UI's event history shows. */
export function activity<K extends keyof Activities>(name: K, summary: string, options: ActivityOptions = {}): Activities[K] {
  return proxyActivities<Activities>({ ...defaults, ...options, summary })[name];
}

/** Where a build stands: the stage it is in, and the stages done (shards folded into their stage). */
export class Progress {
  stage = 'starting';
  readonly done: StageDone[] = [];

  /**
   * `buildId`: the build's workflow ID as its input determines it (buildWorkflowId), the
   * parent of its child workflows' IDs. From the input, not workflowInfo(): a replay of a
   * recorded history must compute the same IDs.
   */
  constructor(readonly buildId: string) {}

  /** Enters a stage: shown by the progress query and, where the server has it, the CifarStage search attribute. */
  enter(stage: string): void {
    this.stage = stage;
    if (workflowInfo().typedSearchAttributes.get(CifarRelease)) upsertSearchAttributes([{ key: CifarStage, value: stage }]);
  }

  /** Records a finished stage and passes its output on. */
  record<T extends { stage: string; cached: boolean; key?: string }>(out: T, shards?: StageDone['shards']): T {
    this.done.push({ stage: out.stage, cached: out.cached, ...(out.key ? { key: out.key } : {}), ...(shards ? { shards } : {}) });
    return out;
  }

  /** Enters a stage, runs its activity and records it. */
  async run<K extends keyof Activities>(name: K, summary: string, input: Input<K>): Promise<Output<K>> {
    this.enter(name);
    const out = await (activity(name, summary) as (input: Input<K>) => Promise<Output<K>>)(input);
    return this.record(out as Output<K> & { stage: string; cached: boolean });
  }
}

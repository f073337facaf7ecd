// Stages split into shards (the keyword search over every TinyImages image,
// the distances of every candidate). The shards run in a child workflow of
// their own, a bounded number at a time, so the build's history holds one
// child per stage however many shards there are, and no execution ever has
// more than MAX_IN_FLIGHT activities pending (Temporal allows 2,000). The
// merged output is keyed by the data, not by the split: a rebuild finds it in
// the store whatever number of workers planned the shards.
import { executeChild } from '@temporalio/workflow';
import { childWorkflowId } from './ids';
import { activity, type Progress } from './stages';
import type { ShardedWork, ShardResult, StageOutput } from './types';

/** Shard activities scheduled at once: enough to keep many workers busy, far below Temporal's 2,000 pending. */
const MAX_IN_FLIGHT = 64;

/** Runs a sharded stage: its merged output from the store, or its shards in a child workflow, then merged. */
export async function shardedStage(progress: Progress, work: ShardedWork): Promise<StageOutput> {
  progress.enter(work.stage);
  const plan = await activity('planShards', `${work.stage}: found in the store, or split by data size and workers`)(work);
  if (plan.merged) return progress.record(plan.merged);
  const out = await executeChild(runShards, {
    args: [{ work, shards: plan.shards }],
    workflowId: childWorkflowId(progress.buildId, work.stage),
    staticSummary: `${work.stage}: ${plan.shards.length} shards for ${plan.workers} worker(s)`,
  });
  return progress.record(out.merged, out.shards);
}

/** Runs the shards of a stage, MAX_IN_FLIGHT at a time, then merges them into the stage's output. */
export async function runShards(input: { work: ShardedWork; shards: Array<[number, number]> }): Promise<{ merged: StageOutput; shards: { computed: number; cached: number } }> {
  const { work, shards } = input;
  const results: ShardResult[] = [];
  let next = 0;
  const lane = async () => {
    while (next < shards.length) {
      const i = next++;
      const [start, end] = shards[i];
      const run = activity(work.stage, `${work.stage} shard ${i + 1}/${shards.length}: ${end - start} ${work.stage === 'computeDistances' ? 'candidates' : 'TinyImages images'} from ${start}`) as (input: ShardedWork & { start: number; end: number }) => Promise<ShardResult>;
      results[i] = await run({ ...work, start, end });
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_IN_FLIGHT, shards.length) }, lane));
  const merged = await activity('mergeShards', `${work.stage}: merge ${shards.length} shards`)({ work, shards });
  const cached = results.filter((r) => r.cached).length;
  return { merged, shards: { computed: results.length - cached, cached } };
}

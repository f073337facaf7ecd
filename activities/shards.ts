import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { writeNpyChunks } from '../lib/formats/npy';
import type { Match } from '../lib/keywords';
import { candidatesDigest, keywordRuns, mergedKey, planKeywordRanges, planRanges, SHARD_BOUNDS, shardKey, shardStageName } from '../lib/sharding';
import type { VersionOverrides } from '../lib/stage-keys';
import { loadImageRows, loadInts } from '../lib/stage-files';
import type { SubsetEntry } from '../lib/subsets';
import type { ArtifactStore, StageOutput } from '../lib/store';
import type { ShardedWork, ShardPlan } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

/** Activity slots assumed per worker (`cifar101 worker` runs as many as the machine has cores, at least 2). */
const SLOTS_PER_WORKER = 2;

/** How many items a sharded stage runs over: TinyImages images, or candidates. */
function totalOf(work: ShardedWork): number {
  return work.stage === 'findCifar10Keywords' ? work.extract.summary.tinyCount : work.subsets.summary.queries;
}

/**
 * A sharded stage's plan: its merged output when the store has it; otherwise
 * its shards, as many as the data size and the workers polling the store's
 * queue call for.
 */
export function planShards({ store, client, versions }: ActivityDeps) {
  return async function planShards(work: ShardedWork): Promise<ShardPlan> {
    return runStage(async (_heartbeat, context) => {
      const merged = await store.lookup<object>(work.stage, mergedKey(work, versions).key);
      let workers = 1;
      if (client) {
        const { pollers } = await client.workflowService.describeTaskQueue({
          namespace: context.info.workflowNamespace,
          taskQueue: { name: context.info.taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        });
        workers = Math.max(1, new Set((pollers ?? []).map((p) => p.identity)).size);
      }
      if (merged) return { merged, shards: [], workers };
      const lanes = workers * SLOTS_PER_WORKER;
      if (work.stage === 'findCifar10Keywords') return { merged: null, shards: planRanges(totalOf(work), SHARD_BOUNDS[work.stage], lanes), workers };
      const runs = keywordRuns(await store.readJson<SubsetEntry[]>(work.subsets.files['subsets.json'])) ?? [];
      return { merged: null, shards: planKeywordRanges(totalOf(work), runs, SHARD_BOUNDS[work.stage], lanes), workers };
    });
  };
}

/** The stored output of one shard (just made by its activity); a distances shard is found by its candidates' pixels. */
async function shardOutput(store: ArtifactStore, work: ShardedWork, [start, end]: [number, number], versions?: VersionOverrides): Promise<StageOutput> {
  const shard = work.stage === 'findCifar10Keywords'
    ? { start, end }
    : { candidates: candidatesDigest(await loadImageRows(store, work.subsets, 'candidate_images.npy', start, end)) };
  const out = await store.lookup<object>(shardStageName(work.stage), shardKey(work, shard, versions).key);
  // A shard that vanished between its activity and the merge (a cleaned store) cannot come back by retrying the merge.
  if (!out) throw new InputError(`shard ${start}..${end - 1} is not in the store (removed while the build ran?): run the build again`, work.stage);
  return out;
}

/** Merges a sharded stage's shards into its output: all matches in one file, or all neighbours in one N×k array. */
export function mergeShards({ store, versions }: ActivityDeps) {
  return async function mergeShards(input: { work: ShardedWork; shards: Array<[number, number]> }): Promise<StageOutput> {
    const { work, shards } = input;
    shards.forEach(([start, end], i) => {
      if (start !== (i === 0 ? 0 : shards[i - 1][1]) || end <= start) throw new RangeError(`shards must cover 0..${totalOf(work)} in order; shard ${i} is ${start}..${end}`);
    });
    if ((shards.at(-1)?.[1] ?? 0) !== totalOf(work)) throw new RangeError(`shards end at ${shards.at(-1)?.[1] ?? 0}, the stage covers ${totalOf(work)}`);
    return runStage(() => store.keyedStage<object>(mergedKey(work, versions), async (dir) => {
      if (work.stage === 'findCifar10Keywords') {
        const matches: Match[] = [];
        for (const range of shards) matches.push(...await store.readJson<Match[]>((await shardOutput(store, work, range, versions)).files['matches.json']));
        await writeFileAtomic(path.join(dir, 'matches.json'), Buffer.from(JSON.stringify(matches)));
        return { files: ['matches.json'], summary: { images: totalOf(work), shards: shards.length, matches: matches.length } };
      }
      const total = totalOf(work);
      const outputs: StageOutput[] = [];
      for (const range of shards) outputs.push(await shardOutput(store, work, range, versions));
      for (const name of ['neighbors.npy', 'distances.npy']) {
        await writeNpyChunks(path.join(dir, name), 'int32', [total, work.k], (async function* () {
          for (const out of outputs) {
            const part = await loadInts(store, out, name);
            yield new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
          }
        })());
      }
      return { files: ['neighbors.npy', 'distances.npy'], summary: { candidates: total, k: work.k, shards: shards.length } };
    }));
  };
}

// How a sharded stage is split and keyed. The split follows from the data size
// and the workers present, never from a number the user tunes; the merged
// output's key depends only on the data, so a rebuild finds it in the store
// whatever split was used.
import { type Keyed, stageKeys, type VersionOverrides } from './stage-keys';

type Ref = { sha256: string };

/** The inputs that determine a sharded stage's output (structural: what the workflow passes). */
export type ShardedStageInputs =
  | { stage: 'findCifar10Keywords'; extract: { key: string }; maxDistance: number }
  | { stage: 'computeDistances'; extract: { files: Record<string, Ref> }; subsets: { files: Record<string, Ref> }; k: number };

/** Store stage name of a sharded stage's shards (the merged output is under the stage's own name). */
export function shardStageName(stage: ShardedStageInputs['stage']): string {
  return `${stage}-shards`;
}

/** Cache key of one shard [start, end) of a stage. */
export function shardKey(work: ShardedStageInputs, start: number, end: number, versions?: VersionOverrides): Keyed {
  return work.stage === 'findCifar10Keywords'
    ? stageKeys.findCifar10KeywordsShard(work.extract, work.maxDistance, start, end, versions)
    : stageKeys.computeDistancesShard(work.extract, work.subsets, work.k, start, end, versions);
}

/** Cache key of a stage's merged output: independent of how it was split. */
export function mergedKey(work: ShardedStageInputs, versions?: VersionOverrides): Keyed {
  return work.stage === 'findCifar10Keywords'
    ? stageKeys.findCifar10Keywords(work.extract, work.maxDistance, versions)
    : stageKeys.computeDistances(work.extract, work.subsets, work.k, versions);
}

/** Bounds on a shard of each stage, in items (TinyImages images, candidates). */
export const SHARD_BOUNDS = {
  // ~200 MB to 3 GB of TinyImages per shard: a streaming pass of seconds to a minute.
  findCifar10Keywords: { min: 65_536, max: 1_048_576 },
  // 256 to 4,096 candidates against all of CIFAR-10: up to a few seconds of kernel time, checkpointed in chunks.
  computeDistances: { min: 256, max: 4_096 },
} as const;

/** At most this many shards: a shard child workflow's history stays a few thousand events. */
export const MAX_SHARDS = 512;

/**
 * Splits [0, total) into shards: enough to keep every activity slot of the
 * workers present busy (`parallelism`), none larger than `max` items, none
 * smaller than `min` unless the whole range is, and at most MAX_SHARDS.
 */
export function planRanges(total: number, bounds: { min: number; max: number }, parallelism: number): Array<[number, number]> {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a non-negative integer, got ${total}`);
  if (total === 0) return [];
  const lanes = Math.max(1, Math.floor(parallelism));
  let count = Math.ceil(total / bounds.max);
  // Round up to whole waves of the lanes, but never below `min` items a shard.
  count = Math.max(count, Math.min(lanes, Math.floor(total / bounds.min)));
  if (count > lanes) count = Math.ceil(count / lanes) * lanes;
  count = Math.min(Math.max(1, count), MAX_SHARDS, total);
  const size = Math.ceil(total / count);
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < total; start += size) ranges.push([start, Math.min(total, start + size)]);
  return ranges;
}

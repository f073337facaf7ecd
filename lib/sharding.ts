// How a sharded stage is split and keyed. The split follows from the data size
// and the workers present, never from a number the user tunes; the merged
// output's key depends only on the data, so a rebuild finds it in the store
// whatever split was used.
import { sha256 } from './hash';
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

/**
 * Cache key of one shard: images [start, end) of the keyword search, or the
 * candidates of a distances shard by the SHA-256 of their pixels
 * (`candidatesDigest`), wherever they sit in the candidate array.
 */
export function shardKey(work: ShardedStageInputs, shard: { start: number; end: number } | { candidates: string }, versions?: VersionOverrides): Keyed {
  if (work.stage === 'findCifar10Keywords') {
    if (!('start' in shard)) throw new TypeError('a keyword-search shard is keyed by its range');
    return stageKeys.findCifar10KeywordsShard(work.extract, work.maxDistance, shard.start, shard.end, versions);
  }
  if (!('candidates' in shard)) throw new TypeError('a distances shard is keyed by its candidates\' pixels');
  return stageKeys.computeDistancesShard(work.extract, work.k, shard.candidates, versions);
}

/** The digest a distances shard is keyed by: SHA-256 of its candidates' pixels. */
export function candidatesDigest(pixels: Uint8Array): string {
  return sha256(pixels);
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

/**
 * Splits the candidates into distances shards along their keywords: each
 * keyword's rows (`runs`, contiguous and in order) into pieces of at most
 * `max`, cut the same way whatever else the candidate array holds. v6's
 * candidates are v4's keywords and more, so every shard v4 computed is one
 * of v6's too (its key is its pixels). Falls back to `planRanges` when the
 * runs do not tile [0, total) or would need more than MAX_SHARDS pieces.
 */
export function planKeywordRanges(total: number, runs: Array<[number, number]>, bounds: { min: number; max: number }, parallelism: number): Array<[number, number]> {
  const tiles = runs.every(([start, end], i) => end > start && start === (i === 0 ? 0 : runs[i - 1][1])) && (runs.at(-1)?.[1] ?? 0) === total;
  if (!tiles) return planRanges(total, bounds, parallelism);
  const ranges: Array<[number, number]> = [];
  for (const [start, end] of runs) {
    const pieces = Math.ceil((end - start) / bounds.max);
    const size = Math.ceil((end - start) / pieces);
    for (let at = start; at < end; at += size) ranges.push([at, Math.min(end, at + size)]);
  }
  return ranges.length <= MAX_SHARDS ? ranges : planRanges(total, bounds, parallelism);
}

/**
 * The runs of candidate rows of each keyword, in row order: one per keyword
 * however many classes list it. Null when a keyword's rows are not one run.
 */
export function keywordRuns(entries: Array<{ rows: number[] }>): Array<[number, number]> | null {
  const runs = new Map<number, number>();
  for (const { rows } of entries) {
    if (rows.length === 0) continue;
    for (let i = 1; i < rows.length; i++) if (rows[i] !== rows[i - 1] + 1) return null;
    const end = rows[0] + rows.length;
    if ((runs.get(rows[0]) ?? end) !== end) return null;
    runs.set(rows[0], end);
  }
  return [...runs].sort((a, b) => a[0] - b[0]);
}

import { describe, expect, it } from 'vitest';
import { MAX_SHARDS, mergedKey, planRanges, SHARD_BOUNDS, shardKey } from '../../lib/sharding';

const covers = (ranges: Array<[number, number]>, total: number) =>
  ranges.every(([start, end], i) => start === (i === 0 ? 0 : ranges[i - 1][1]) && end > start) && (ranges.at(-1)?.[1] ?? 0) === total;

describe('planRanges', () => {
  it('covers the whole range in order, without gaps or overlaps', () => {
    for (const bounds of Object.values(SHARD_BOUNDS)) {
      for (const [total, lanes] of [[1, 1], [255, 4], [4540, 2], [589_711, 2], [589_711, 16], [79_302_017, 2], [5_000_000, 200]]) {
        expect(covers(planRanges(total, bounds, lanes), total), `${total} over ${lanes}`).toBe(true);
      }
    }
    expect(planRanges(0, SHARD_BOUNDS.computeDistances, 4)).toEqual([]);
  });

  it('keeps every lane busy on a small stage, but never shards below the minimum size', () => {
    expect(planRanges(4540, SHARD_BOUNDS.computeDistances, 2)).toEqual([[0, 2270], [2270, 4540]]);
    expect(planRanges(4540, SHARD_BOUNDS.computeDistances, 6)).toHaveLength(6);
    // 600 candidates are two minimum-size shards at most, however many workers there are
    expect(planRanges(600, SHARD_BOUNDS.computeDistances, 8)).toHaveLength(2);
    expect(planRanges(100, SHARD_BOUNDS.computeDistances, 8)).toEqual([[0, 100]]);
  });

  it('sizes full-scale stages by the data: shards no larger than the maximum, in whole waves of the lanes', () => {
    const distances = planRanges(589_711, SHARD_BOUNDS.computeDistances, 2);
    expect(distances.length).toBe(144);
    expect(Math.max(...distances.map(([a, b]) => b - a))).toBeLessThanOrEqual(SHARD_BOUNDS.computeDistances.max);
    const keywords = planRanges(79_302_017, SHARD_BOUNDS.findCifar10Keywords, 2);
    expect(keywords.length).toBe(76);
    expect(Math.max(...keywords.map(([a, b]) => b - a))).toBeLessThanOrEqual(SHARD_BOUNDS.findCifar10Keywords.max);
    expect(planRanges(5_000_000, SHARD_BOUNDS.findCifar10Keywords, 2)).toHaveLength(6);
  });

  it('never plans more than MAX_SHARDS, however many lanes', () => {
    expect(planRanges(10_000_000, SHARD_BOUNDS.computeDistances, 10_000).length).toBe(MAX_SHARDS);
  });

  it('refuses a total that is not a non-negative integer', () => {
    expect(() => planRanges(-1, SHARD_BOUNDS.computeDistances, 1)).toThrow('non-negative integer');
    expect(() => planRanges(1.5, SHARD_BOUNDS.computeDistances, 1)).toThrow('non-negative integer');
  });
});

describe('keys', () => {
  const ref = (sha: string) => ({ sha256: sha });
  const distances = (cifar: string, candidates: string, k = 10) =>
    ({ stage: 'computeDistances' as const, extract: { files: { 'cifar10_images.npy': ref(cifar) } }, subsets: { files: { 'candidate_images.npy': ref(candidates) } }, k });

  it('keys the merged output by the data only, and each shard by its range too', () => {
    const merged = (...args: Parameters<typeof distances>) => mergedKey(distances(...args)).key;
    expect(merged('a', 'b')).toBe(merged('a', 'b'));
    expect(merged('a', 'b')).not.toBe(merged('a', 'c'));
    expect(merged('a', 'b')).not.toBe(merged('a', 'b', 5));
    expect(shardKey(distances('a', 'b'), 0, 10).key).not.toBe(shardKey(distances('a', 'b'), 0, 11).key);
    expect(shardKey(distances('a', 'b'), 0, 10).key).not.toBe(merged('a', 'b'));
    expect(shardKey(distances('a', 'b'), 0, 10).stage).toBe('computeDistances-shards');
    const keywords = (key: string, maxDistance = 1) => ({ stage: 'findCifar10Keywords' as const, extract: { key }, maxDistance });
    expect(mergedKey(keywords('e1')).key).not.toBe(mergedKey(keywords('e2')).key);
    expect(mergedKey(keywords('e1')).key).not.toBe(mergedKey(keywords('e1', 2)).key);
    expect(mergedKey(keywords('e1'), { findCifar10Keywords: 99 }).key).not.toBe(mergedKey(keywords('e1')).key);
  });
});

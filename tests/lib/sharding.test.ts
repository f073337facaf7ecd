import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { candidatesDigest, keywordRuns, MAX_SHARDS, mergedKey, planKeywordRanges, planRanges, SHARD_BOUNDS, shardKey } from '../../lib/sharding';

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

describe('planKeywordRanges', () => {
  const bounds = { min: 2, max: 4 };
  const covers = (ranges: Array<[number, number]>, total: number) => ranges.every(([s, e], i) => e > s && s === (i ? ranges[i - 1][1] : 0)) && (ranges.at(-1)?.[1] ?? 0) === total;

  it('cuts each keyword\'s run into pieces of at most max, evenly, never across keywords', () => {
    expect(planKeywordRanges(12, [[0, 3], [3, 12]], bounds, 2)).toEqual([[0, 3], [3, 6], [6, 9], [9, 12]]);
    expect(planKeywordRanges(5, [[0, 5]], bounds, 8)).toEqual([[0, 3], [3, 5]]);
  });

  it('cuts a keyword the same way whatever other keywords the candidates hold (v4\'s shards are v6\'s)', () => {
    const v4 = planKeywordRanges(10, [[0, 7], [7, 10]], bounds, 2);
    const v6 = planKeywordRanges(16, [[0, 2], [2, 9], [9, 13], [13, 16]], bounds, 2);
    const lengths = (ranges: Array<[number, number]>, from: number, to: number) => ranges.filter(([s, e]) => s >= from && e <= to).map(([s, e]) => [s - from, e - from]);
    expect(lengths(v6, 2, 9)).toEqual(lengths(v4, 0, 7));
    expect(lengths(v6, 13, 16)).toEqual(lengths(v4, 7, 10));
  });

  it('falls back to even ranges when the runs do not tile the candidates, or would be too many shards', () => {
    expect(planKeywordRanges(10, [[0, 4], [5, 10]], bounds, 2)).toEqual(planRanges(10, bounds, 2));
    expect(planKeywordRanges(10, [[0, 4]], bounds, 2)).toEqual(planRanges(10, bounds, 2));
    expect(planKeywordRanges(10, [], bounds, 2)).toEqual(planRanges(10, bounds, 2));
    const many = Array.from({ length: MAX_SHARDS + 1 }, (_, i) => [i, i + 1] as [number, number]);
    expect(planKeywordRanges(MAX_SHARDS + 1, many, bounds, 2)).toEqual(planRanges(MAX_SHARDS + 1, bounds, 2));
    expect(covers(planKeywordRanges(MAX_SHARDS + 1, many, bounds, 2), MAX_SHARDS + 1)).toBe(true);
  });
});

describe('keywordRuns', () => {
  it('gives each keyword\'s rows as one run, in row order, once for a keyword two classes list', () => {
    expect(keywordRuns([{ rows: [3, 4] }, { rows: [0, 1, 2] }, { rows: [3, 4] }, { rows: [] }])).toEqual([[0, 3], [3, 5]]);
  });

  it('is null when a keyword\'s rows are not one run, or two keywords start at one row', () => {
    expect(keywordRuns([{ rows: [0, 2] }])).toBeNull();
    expect(keywordRuns([{ rows: [0, 1] }, { rows: [0, 1, 2] }])).toBeNull();
  });
});

describe('keys', () => {
  const ref = (sha: string) => ({ sha256: sha });
  const distances = (cifar: string, candidates: string, k = 10) =>
    ({ stage: 'computeDistances' as const, extract: { files: { 'cifar10_images.npy': ref(cifar) } }, subsets: { files: { 'candidate_images.npy': ref(candidates) } }, k });

  it('keys the merged output by the data only, a keyword-search shard by its range too, a distances shard by its candidates\' pixels', () => {
    const merged = (...args: Parameters<typeof distances>) => mergedKey(distances(...args)).key;
    expect(merged('a', 'b')).toBe(merged('a', 'b'));
    expect(merged('a', 'b')).not.toBe(merged('a', 'c'));
    expect(merged('a', 'b')).not.toBe(merged('a', 'b', 5));
    const pixels = candidatesDigest(new Uint8Array([1, 2, 3]));
    expect(pixels).toBe(createHash('sha256').update(new Uint8Array([1, 2, 3])).digest('hex'));
    // The same pixels in another build's candidate array (another candidates file) give the same shard.
    expect(shardKey(distances('a', 'b'), { candidates: pixels }).key).toBe(shardKey(distances('a', 'c'), { candidates: pixels }).key);
    expect(shardKey(distances('a', 'b'), { candidates: pixels }).key).not.toBe(shardKey(distances('a2', 'b'), { candidates: pixels }).key);
    expect(shardKey(distances('a', 'b'), { candidates: pixels }).key).not.toBe(shardKey(distances('a', 'b', 5), { candidates: pixels }).key);
    expect(shardKey(distances('a', 'b'), { candidates: pixels }).key).not.toBe(shardKey(distances('a', 'b'), { candidates: candidatesDigest(new Uint8Array([1, 2, 4])) }).key);
    expect(shardKey(distances('a', 'b'), { candidates: pixels }).key).not.toBe(merged('a', 'b'));
    expect(shardKey(distances('a', 'b'), { candidates: pixels }).stage).toBe('computeDistances-shards');
    expect(() => shardKey(distances('a', 'b'), { start: 0, end: 10 })).toThrow(TypeError);
    const keywords = (key: string, maxDistance = 1) => ({ stage: 'findCifar10Keywords' as const, extract: { key }, maxDistance });
    expect(shardKey(keywords('e1'), { start: 0, end: 10 }).key).not.toBe(shardKey(keywords('e1'), { start: 0, end: 11 }).key);
    expect(() => shardKey(keywords('e1'), { candidates: pixels })).toThrow(TypeError);
    expect(mergedKey(keywords('e1')).key).not.toBe(mergedKey(keywords('e2')).key);
    expect(mergedKey(keywords('e1')).key).not.toBe(mergedKey(keywords('e1', 2)).key);
    expect(mergedKey(keywords('e1'), { findCifar10Keywords: 99 }).key).not.toBe(mergedKey(keywords('e1')).key);
  });
});

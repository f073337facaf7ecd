import { describe, expect, it } from 'vitest';
import { type DecisionInfo, type DescribeInputs, exclusionCounts, exclusionRows, provenanceRows } from '../../lib/provenance';

const decision = (page: string, labeler: string): DecisionInfo => ({ page, labeler, at: '2026-11-29T10:00:00Z', via: 'page' });
const far = { split: 'train' as const, index: 0, distance: 5000 };

/**
 * A hand-made build of two classes. cat: kitten (images 10..19; 10 is a CIFAR-10 image), tabby (20..24);
 * dog: beagle (50, excluded), pug (30..34), lab (40..41: in the top 2 once beagle is excluded), corgi (60..61: not).
 */
function inputs(): DescribeInputs {
  return {
    classes: ['cat', 'dog'],
    topK: 2,
    excluded: ['beagle'],
    keywords: [
      { className: 'cat', keyword: 'kitten', rank: 0, count: 9, start: 10, end: 20 },
      { className: 'cat', keyword: 'tabby', rank: 1, count: 1, start: 20, end: 25 },
      { className: 'dog', keyword: 'beagle', rank: 0, count: 7, start: 50, end: 51 },
      { className: 'dog', keyword: 'pug', rank: 1, count: 6, start: 30, end: 35 },
      { className: 'dog', keyword: 'lab', rank: 2, count: 2, start: 40, end: 42 },
      { className: 'dog', keyword: 'corgi', rank: 3, count: 1, start: 60, end: 62 },
    ],
    sources: new Set([10]),
    quotaOf: (c, k) => (k === 'tabby' ? 0 : c === 'cat' ? 2 : 1),
    round1: {
      offered: { cat: { kitten: [11, 12, 13, 14, 15, 16, 17, 18, 19] }, dog: { pug: [30, 31, 32, 33, 34], lab: [40, 41] } },
      accepted: { cat: { kitten: [11, 12, 13, 14, 15, 16] }, dog: { pug: [30, 31, 32], lab: [] } },
      decisionOf: (_ti, c) => decision(`r1/${c}`, 'ada'),
    },
    round2: {
      offered: { cat: { kitten: [11, 12, 13, 14, 15] }, dog: { pug: [30, 31, 32] } },
      accepted: { cat: { kitten: [11, 12, 13, 14] }, dog: { pug: [30, 31] } },
      decisionOf: (_ti, c) => decision(`r2/${c}`, 'bob'),
    },
    nearestCifar: (ti) => ({ split: 'test', index: ti * 2, distance: 500 }),
    thresholds: { minCifarDistance: 1000, withinThreshold: 2000, cifarThreshold: 2000 },
    blacklisted: new Map([[12, { round: 1, kind: 'within' as const, other: 11, distance: 900 }]]),
    sample: { tiIndices: [11, 13, 30], labels: [0, 0, 1], perKeyword: [{ class: 'cat', keyword: 'kitten', indices: [11, 13] }, { class: 'dog', keyword: 'pug', indices: [30] }] },
    sampleRounds: [
      { tiIndices: [11, 12, 30], labels: [0, 0, 1], perKeyword: [] },
      { tiIndices: [11, 13, 30], labels: [0, 0, 1], perKeyword: [] },
    ],
    basePerKeyword: { pug: [30] },
    nearest: [0, 1, 2].map((p) => ({ train: far, test: { ...far, split: 'test' as const }, inRelease: { position: (p + 1) % 3, index: 0, distance: 3000 } })),
  };
}

describe('provenanceRows', () => {
  it('gives each release image its class, keyword, decisions, sampling round and draw, in release order', () => {
    const rows = provenanceRows(inputs());
    expect(rows.map((r) => [r.position, r.source.index, r.class, r.label, r.keyword])).toEqual([[0, 11, 'cat', 0, 'kitten'], [1, 13, 'cat', 0, 'kitten'], [2, 30, 'dog', 1, 'pug']]);
    expect(rows.map((r) => r.sampling)).toEqual([{ round: 1, draw: 0, from: 'drawn' }, { round: 2, draw: 1, from: 'drawn' }, { round: 1, draw: 0, from: 'base' }]);
    expect(rows[0].round1).toEqual(decision('r1/cat', 'ada'));
    expect(rows[2].round2).toEqual(decision('r2/dog', 'bob'));
    expect(rows[1].checks).toEqual({ minCifarDistance: 1000, withinThreshold: 2000, cifarThreshold: 2000 });
  });

  it('names a pool image by its id and path', () => {
    const rows = provenanceRows({ ...inputs(), poolIds: (i) => ({ id: `img${i}`, path: `cat/kitten/${i}.png` }) });
    expect(rows[0].source).toEqual({ index: 11, id: 'img11', path: 'cat/kitten/11.png' });
  });
});

describe('exclusionRows', () => {
  const rows = [...exclusionRows(inputs())];
  const reasonOf = new Map(rows.map((r) => [r.index, r.reason]));

  it('accounts for every candidate but the release and the CIFAR-10 images, each once', () => {
    const candidates = [...Array.from({ length: 9 }, (_, i) => 11 + i), 20, 21, 22, 23, 24, 30, 31, 32, 33, 34, 40, 41, 50, 60, 61];
    expect(rows.map((r) => r.index).sort((a, b) => a - b)).toEqual(candidates.filter((ti) => ![11, 13, 30].includes(ti)));
    expect(rows.length + 3).toBe(candidates.length);
  });

  it('gives the first step each image did not pass, with its evidence', () => {
    expect(Object.fromEntries(reasonOf)).toEqual({
      12: 'blacklisted', 14: 'not-drawn', 15: 'rejected-round2', 16: 'too-close-to-cifar10', 17: 'rejected-round1', 18: 'rejected-round1', 19: 'rejected-round1',
      20: 'no-quota', 21: 'no-quota', 22: 'no-quota', 23: 'no-quota', 24: 'no-quota',
      31: 'not-drawn', 32: 'rejected-round2', 33: 'rejected-round1', 34: 'rejected-round1',
      40: 'rejected-round1', 41: 'rejected-round1', 50: 'keyword-excluded', 60: 'keyword-not-in-top-k', 61: 'keyword-not-in-top-k',
    });
    const row = (ti: number) => rows.find((r) => r.index === ti)!;
    expect(row(12).evidence).toEqual({ round: 1, kind: 'within', other: 11, distance: 900 });
    expect(row(14).evidence).toEqual({ quota: 2, drawn: 2, confirmed: 4 });
    expect(row(16).evidence).toEqual({ split: 'test', index: 32, distance: 500, threshold: 1000 });
    expect(row(17).evidence).toEqual(decision('r1/cat', 'ada'));
    expect(row(60).evidence).toEqual({ rank: 3, topK: 2, count: 1 });
    expect(row(20).evidence).toEqual({ count: 1, quota: 0 });
  });

  it('counts the reasons, every reason present', () => {
    expect(exclusionCounts(rows)).toEqual({
      'keyword-excluded': 1, 'keyword-not-in-top-k': 2, 'no-quota': 5, 'rejected-round1': 7, 'too-close-to-cifar10': 1, 'rejected-round2': 2, blacklisted: 1, 'not-drawn': 2,
    });
  });
});

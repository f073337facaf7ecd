import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { balancedQuotas, computeQuotas, perKeywordQuotas, quotaOf } from '../../lib/quotas';
import { runPython } from '../helpers/python';
import { mulberry32 } from '../helpers/random';
import { SHARED } from '../helpers/shared';

const otherData = <T>(name: string): T => JSON.parse(readFileSync(path.join(SHARED, 'other_data', name), 'utf8'));

describe('perKeywordQuotas (v4: ceil(count / 30), none below half an image)', () => {
  it('rounds up, drops keywords below minFraction (the boundary itself is kept) and keeps the input order', () => {
    const counts: Array<[string, number]> = [['b', 59], ['a', 15], ['c', 14], ['d', 0], ['e', 30], ['f', 31], ['g', 90]];
    expect(perKeywordQuotas(counts, 30, 0.5)).toEqual([['b', 2], ['a', 1], ['c', 0], ['d', 0], ['e', 1], ['f', 2], ['g', 3]]);
  });

  it('takes other ratios and thresholds', () => {
    expect(perKeywordQuotas([['x', 10], ['y', 9], ['z', 25]], 10, 1)).toEqual([['x', 1], ['y', 0], ['z', 3]]);
    expect(perKeywordQuotas([['x', 1], ['y', 0]], 30, 0)).toEqual([['x', 1], ['y', 0]]);
  });

  it("gives the published v4 release's image count for every keyword but the eight where the release departs from its own rule", () => {
    const counts = otherData<Record<string, number>>('keyword_counts_v4.json');
    const order = otherData<string[]>('keywords_v4.json');
    const release = otherData<Record<string, number[]>>('cifar10.1_v4_ti_indices_per_keyword.json');
    const quotas = perKeywordQuotas(order.map((k) => [k, counts[k]]), 30, 0.5);
    expect(quotas.map(([k]) => k)).toEqual(order);
    const differ = quotas.filter(([k, n]) => n !== (release[k]?.length ?? 0)).map(([k, n]) => [k, n, release[k]?.length ?? 0]);
    // Five car keywords the release left empty, two drawn one over, and `gray` (14 CIFAR-10 images) given one image.
    expect(differ).toEqual([
      ['cruiser', 2, 3], ['sport_car', 1, 0], ['door', 1, 0], ['ford', 1, 0], ['opel', 1, 0], ['sports_car', 1, 0], ['gray', 0, 1], ['cavalier', 1, 2],
    ]);
    // The threshold, in the data: the smallest counts the release follows the rule on, 12 to 17, give nothing up to 14 and one image from 16.
    const small = quotas.filter(([k]) => counts[k] <= 17 && !differ.some(([d]) => d === k)).map(([k, q]) => [counts[k], q]);
    expect(small.sort((a, b) => a[0] - b[0])).toEqual([[12, 0], [13, 0], [13, 0], [14, 0], [16, 1], [17, 1]]);
  });
});

describe('balancedQuotas (v6: a fixed total in proportion to the counts)', () => {
  it('gives exact proportions when they are whole', () => {
    expect(balancedQuotas([['a', 2], ['b', 3]], 10)).toEqual([['a', 4], ['b', 6]]);
    expect(balancedQuotas([['a', 5], ['b', 5], ['c', 10]], 200)).toEqual([['a', 50], ['b', 50], ['c', 100]]);
  });

  it('hands the images left after the floors to the largest remainders', () => {
    // 2·1/3 = 0.67 and 2·2/3 = 1.33: floors 0 and 1, and the larger remainder (a's) takes the last image.
    expect(balancedQuotas([['a', 1], ['b', 2]], 2)).toEqual([['a', 1], ['b', 1]]);
    // 10 · (6, 3, 1) / 10 = 6, 3, 1 exactly; 11 · the same = 6.6, 3.3, 1.1: floors 6, 3, 1 and the .6 wins.
    expect(balancedQuotas([['a', 6], ['b', 3], ['c', 1]], 11)).toEqual([['a', 7], ['b', 3], ['c', 1]]);
  });

  it('breaks equal remainders for the earlier keyword', () => {
    // 10 · (3, 1) / 4 = 7.5, 2.5: one image left, both remainders .5.
    expect(balancedQuotas([['a', 3], ['b', 1]], 10)).toEqual([['a', 8], ['b', 2]]);
    expect(balancedQuotas([['b', 1], ['a', 3]], 10)).toEqual([['b', 3], ['a', 7]]);
    // Three equal counts, 200 images: 66.67 each, the first two get 67.
    expect(balancedQuotas([['x', 1], ['y', 1], ['z', 1]], 200)).toEqual([['x', 67], ['y', 67], ['z', 66]]);
  });

  it('decides a tie in exact arithmetic where floating point would not', () => {
    // 7 · (1, 2, 32) / 35 = 0.2, 0.4, 6.4; in float64 6.4's fraction is 0.40000000000000036 > 0.4, which would give c the image.
    expect((7 * 32) / 35 % 1).toBeGreaterThan((7 * 2) / 35 % 1);
    expect(balancedQuotas([['a', 1], ['b', 2], ['c', 32]], 7)).toEqual([['b', 1], ['c', 6]]);
  });

  it('leaves out keywords with a zero quota, and gives nothing for no counts', () => {
    expect(balancedQuotas([['a', 1], ['b', 1], ['c', 1]], 2)).toEqual([['a', 1], ['b', 1]]);
    expect(balancedQuotas([['a', 0], ['b', 4]], 3)).toEqual([['b', 3]]);
    expect(balancedQuotas([['a', 0], ['b', 0]], 200)).toEqual([]);
    expect(balancedQuotas([], 200)).toEqual([]);
    expect(balancedQuotas([['a', 3]], 0)).toEqual([]);
  });

  it('matches a Fraction-based largest-remainder reference on random counts, always summing to the total', () => {
    const rng = mulberry32(41);
    const cases = Array.from({ length: 300 }, () => {
      const n = 1 + Math.floor(rng() * 40);
      const counts = Array.from({ length: n }, (_, i): [string, number] => [`k${i}`, rng() < 0.1 ? 0 : Math.floor(rng() ** 3 * 1500)]);
      return { counts, total: Math.floor(rng() * 400) };
    });
    const reference: Array<Array<[string, number]>> = JSON.parse(
      runPython(
        `import json, sys
from fractions import Fraction
out = []
for case in json.load(sys.stdin):
    counts, total = case['counts'], case['total']
    s = sum(c for _, c in counts)
    if s == 0:
        out.append([]); continue
    exact = [Fraction(total * c, s) for _, c in counts]
    quota = [int(e) for e in exact]
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - quota[i]), i))
    for i in order[:total - sum(quota)]:
        quota[i] += 1
    out.append([[k, q] for (k, _), q in zip(counts, quota) if q > 0])
print(json.dumps(out))`,
        JSON.stringify(cases),
      ),
    );
    cases.forEach(({ counts, total }, i) => {
      const got = balancedQuotas(counts, total);
      expect(got, JSON.stringify({ counts, total })).toEqual(reference[i]);
      if (counts.some(([, c]) => c > 0)) expect(got.reduce((s, [, q]) => s + q, 0)).toBe(total);
    });
  });

  it("reproduces the published v6 quotas of `cat` from its keywords' CIFAR-10 counts", () => {
    // Only for cat are all of the class's v6 keywords in keyword_counts_v4.json with their counts in the v6 file's
    // (most frequent first) order, i.e. the counts v6 was computed from; the other classes have keywords past v4's top 25.
    const counts = otherData<Record<string, number>>('keyword_counts_v4.json');
    const v6 = otherData<Record<string, Record<string, number>>>('keyword_counts_v6.json');
    const keywords = Object.keys(v6.cat);
    const catCounts = keywords.map((k): [string, number] => [k, counts[k]]);
    expect(catCounts.every(([, c], i) => i === 0 || c <= catCounts[i - 1][1])).toBe(true);
    expect(balancedQuotas(catCounts, 200)).toEqual(Object.entries(v6.cat));
  });

  it('leaves every published v6 class table as it is (200 per class, already proportional to itself)', () => {
    const v6 = otherData<Record<string, Record<string, number>>>('keyword_counts_v6.json');
    for (const [cls, table] of Object.entries(v6)) expect(balancedQuotas(Object.entries(table), 200), cls).toEqual(Object.entries(table));
  });
});

describe('computeQuotas', () => {
  const perKeyword = { method: 'per-keyword', imagesPerCount: 30, minFraction: 0.5 } as const;

  it('per keyword: ceil(count / 30) each, in class then rank order, keywords without a quota left out', () => {
    // cat: tabby 59 → 2, kitten 14/30 < 0.5 → 0, siamese 30 → 1; dog: pug 90 → 3, beagle 15/30 = 0.5 → 1.
    const byClass: Array<Array<[string, number]>> = [[['tabby', 59], ['kitten', 14], ['siamese', 30]], [['pug', 90], ['beagle', 15]]];
    const { quotas, perClass, table } = computeQuotas(byClass, ['cat', 'dog'], perKeyword);
    expect(quotas).toEqual({ method: 'per-keyword', perKeyword: { tabby: 2, siamese: 1, pug: 3, beagle: 1 }, order: ['tabby', 'siamese', 'pug', 'beagle'] });
    expect(perClass).toEqual([3, 4]);
    expect(table).toEqual({ tabby: 2, siamese: 1, pug: 3, beagle: 1 });
  });

  it('per keyword: takes a keyword of two classes where only one gives it a quota', () => {
    // cruiser: 10/30 < 0.5 under cat, ceil(60/30) = 2 under dog.
    const { quotas, perClass } = computeQuotas([[['cruiser', 10]], [['cruiser', 60]]], ['cat', 'dog'], perKeyword);
    expect(quotas).toEqual({ method: 'per-keyword', perKeyword: { cruiser: 2 }, order: ['cruiser'] });
    expect(perClass).toEqual([0, 2]);
  });

  it('per keyword: refuses a keyword with a quota in two classes, naming it', () => {
    const both: Array<Array<[string, number]>> = [[['sedan', 40], ['cruiser', 60]], [['cruiser', 31]]];
    expect(() => computeQuotas(both, ['automobile', 'ship'], perKeyword)).toThrow(
      new InputError('keyword is in two classes; per-keyword sampling needs one class per keyword', 'cruiser'),
    );
    expect(() => computeQuotas(both, ['automobile', 'ship'], perKeyword)).toThrow(InputError);
  });

  it('balanced: perClass images in each class by largest remainders, a keyword of two classes counted in each', () => {
    // cat: 10·(1, 2)/3 = 3.33, 6.67 → 3, 6 and b's larger remainder takes the last: 3, 7.
    // dog: 10·(3, 1)/4 = 7.5, 2.5 → 7, 2, equal remainders, the earlier keyword takes it: 8, 2.
    // bird: cruiser and sedan 10·(1, 1)/2 = 5 each; ship: cruiser all 10. frog: no keywords, nothing.
    const byClass: Array<Array<[string, number]>> = [[['a', 1], ['b', 2]], [['c', 3], ['d', 1]], [['cruiser', 1], ['sedan', 1]], [['cruiser', 3]], []];
    const classes = ['cat', 'dog', 'bird', 'ship', 'frog'];
    const { quotas, perClass, table } = computeQuotas(byClass, classes, { method: 'balanced', perClass: 10 });
    const expected = { cat: { a: 3, b: 7 }, dog: { c: 8, d: 2 }, bird: { cruiser: 5, sedan: 5 }, ship: { cruiser: 10 }, frog: {} };
    expect(quotas).toEqual({ method: 'balanced', perClass: expected });
    expect(perClass).toEqual([10, 10, 10, 10, 0]);
    expect(table).toEqual(expected);
  });

  it('treats keywords named like Object.prototype members as any other', () => {
    const { quotas } = computeQuotas([[['constructor', 60]], [['pug', 30]]], ['cat', 'dog'], perKeyword);
    expect(quotaOf(quotas, 'cat', 'constructor')).toBe(2);
    expect(quotaOf(quotas, 'dog', 'toString')).toBe(0);
  });
});

describe('quotaOf', () => {
  const perKeyword = computeQuotas([[['tabby', 59], ['kitten', 14]], [['pug', 90]]], ['cat', 'dog'], { method: 'per-keyword', imagesPerCount: 30, minFraction: 0.5 }).quotas;
  const balanced = computeQuotas([[['tabby', 3], ['kitten', 1]], [['pug', 1]]], ['cat', 'dog'], { method: 'balanced', perClass: 8 }).quotas;

  it('per keyword: the keyword\'s quota, whichever class asks (a keyword is in one class), 0 without one', () => {
    expect(quotaOf(perKeyword, 'cat', 'tabby')).toBe(2);
    expect(quotaOf(perKeyword, 'dog', 'pug')).toBe(3);
    expect(quotaOf(perKeyword, 'dog', 'tabby')).toBe(2);
    expect(quotaOf(perKeyword, 'cat', 'kitten')).toBe(0);
    expect(quotaOf(perKeyword, 'cat', 'siamese')).toBe(0);
  });

  it('balanced: the quota of the keyword in that class, 0 in another class or an unknown one', () => {
    // cat: 8·(3, 1)/4 = 6, 2; dog: pug 8.
    expect([quotaOf(balanced, 'cat', 'tabby'), quotaOf(balanced, 'cat', 'kitten'), quotaOf(balanced, 'dog', 'pug')]).toEqual([6, 2, 8]);
    expect(quotaOf(balanced, 'dog', 'tabby')).toBe(0);
    expect(quotaOf(balanced, 'bird', 'tabby')).toBe(0);
  });

  it('reads quotas as stored (JSON) the same way', () => {
    const stored = JSON.parse(JSON.stringify(balanced));
    expect(quotaOf(stored, 'cat', 'tabby')).toBe(6);
    expect(quotaOf(JSON.parse(JSON.stringify(perKeyword)), 'cat', 'tabby')).toBe(2);
  });
});

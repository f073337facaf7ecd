import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { balancedQuotas, perKeywordQuotas } from '../../../lib/quotas';
import { REAL_KEYWORDS, SCALE_DESIGN } from '../../../lib/scale-corpus/design';
import { fullCounts, type KeywordPlan, planScaleCorpus, resolveOptions, type ScalePlan } from '../../../lib/scale-corpus/plan';

const d = SCALE_DESIGN;
const DEFAULTS = { images: d.defaults.images, candidates: d.defaults.candidates };
const SMALL = { images: 40_000, candidates: 5_000, cifarTrain: 5_000, cifarTest: 1_000 };
const planted = (p: KeywordPlan) => p.planted['cifar-close'] + p.planted['cifar-near'] + p.planted.pair;
const nonCifar = (p: KeywordPlan) => p.good + p.ambiguous + p.offTopic + planted(p);

/** The top-k keywords of each class as the pipeline ranks them: count desc, then keyword asc. */
function topK(plan: ScalePlan, k: number): KeywordPlan[][] {
  return d.classes.map((_, c) =>
    plan.keywords
      .filter((p) => p.classIndex === c && p.cifar > 0)
      .sort((a, b) => b.cifar - a.cifar || (a.keyword < b.keyword ? -1 : 1))
      .slice(0, k),
  );
}

describe.each([
  ['defaults', DEFAULTS],
  ['small', SMALL],
  ['1/16', { images: 312_500, candidates: 36_857, cifarTrain: 50_000, cifarTest: 10_000 }],
])('plan (%s)', (_name, opts) => {
  const plan = planScaleCorpus(opts);
  const o = resolveOptions(opts);
  const perClass = (o.cifarTrain + o.cifarTest) / 10;

  it('files every image under one keyword, in byte order, contiguously, with valid names', () => {
    let next = 0;
    plan.keywords.forEach((p, i) => {
      expect(p.start).toBe(next);
      expect(p.size).toBeGreaterThan(0);
      expect(p.size).toBeLessThanOrEqual(d.maxKeywordImages);
      expect(p.size).toBe(p.cifar + p.copies + nonCifar(p) + p.filler);
      expect(p.keyword).toMatch(/^[\x21-\x7e]([\x20-\x7e]{0,78}[\x21-\x7e])?$/);
      if (i > 0) expect(Buffer.compare(Buffer.from(plan.keywords[i - 1].keyword), Buffer.from(p.keyword))).toBe(-1);
      next += p.size;
    });
    expect(next).toBe(o.images);
    expect(plan.counts.tinyImages).toBe(o.images);
  });

  it('gives each class its CIFAR-10 images, ranked as the pipeline ranks them', () => {
    const top = topK(plan, Infinity);
    d.classes.forEach((_, c) => {
      expect(top[c].reduce((s, p) => s + p.cifar, 0)).toBe(perClass);
      expect(top[c].map((p) => p.keyword)).toEqual(plan.ranked[c]);
      top[c].forEach((p, i) => expect(p.rank).toBe(i + 1));
    });
  });

  it('puts the candidates in the top-50 keywords of the classes', () => {
    const top50 = topK(plan, d.topK.v6).flat();
    expect(new Set(top50.map((p) => p.keyword))).toEqual(new Set(plan.keywords.filter((p) => p.candidate).map((p) => p.keyword)));
    const candidates = top50.reduce((s, p) => s + nonCifar(p), 0);
    expect(Math.abs(candidates - o.candidates) / o.candidates).toBeLessThan(0.01);
    expect(plan.counts.candidates).toBe(candidates);
  });

  it('holds enough plain good candidates in each top keyword for the v4 and v6 quotas', () => {
    const { imagesPerCount, minFraction } = d.quotas.v4;
    topK(plan, d.topK.v6).forEach((top50) => {
      const v4 = new Map(perKeywordQuotas(top50.slice(0, d.topK.v4).map((p) => [p.keyword, p.cifar]), imagesPerCount, minFraction));
      const v6 = new Map(balancedQuotas(top50.map((p) => [p.keyword, p.cifar]), d.quotas.v6.perClass));
      for (const p of top50) {
        const quota = Math.max(v4.get(p.keyword) ?? 0, v6.get(p.keyword) ?? 0);
        // What survives round 2 and every blacklisting: plain good candidates that are not pair originals.
        expect(p.good - p.planted.pair, p.keyword).toBeGreaterThanOrEqual(quota > 0 ? Math.ceil(d.goodFactor * quota) + d.goodExtra : 0);
      }
    });
  });

  it('plants near-duplicates in the first keywords of each class, and files copies below v4\'s top 25', () => {
    const top = topK(plan, Infinity);
    for (const list of top) {
      list.forEach((p, i) => expect(p.planted, p.keyword).toEqual(i < d.plantedKeywords ? d.plantedPerKeyword : { 'cifar-close': 0, 'cifar-near': 0, pair: 0 }));
    }
    const byName = new Map(plan.keywords.map((p) => [p.keyword, p]));
    expect(plan.copies).toHaveLength(10 * Math.round(d.duplicateFraction * perClass));
    for (const c of plan.copies) {
      const [from, into] = [byName.get(c.from)!, byName.get(c.into)!];
      expect(from.classIndex).toBe(into.classIndex);
      expect(from.rank).toBeLessThanOrEqual(d.duplicateSourceRanks);
      expect(into.rank === 0 || into.rank > d.topK.v4).toBe(true);
      // The pipeline keeps the source's keyword only if it has more matches in the class than the copy's.
      expect(into.cifar + into.copies).toBeLessThan(from.cifar);
    }
  });

  it('splits candidates into good, ambiguous and off-topic by the design fractions', () => {
    const cands = plan.keywords.filter((p) => p.candidate);
    for (const p of cands) {
      const m = nonCifar(p);
      expect(p.offTopic).toBe(Math.round(d.offTopicFraction * m));
      expect(p.ambiguous).toBe(Math.round(d.ambiguousFraction * (m - p.offTopic)));
    }
    expect(plan.counts.good + plan.counts.offTopic).toBe(plan.counts.candidates);
    expect(plan.counts.nearDuplicates).toEqual({
      'cifar-close': 10 * d.plantedKeywords * d.plantedPerKeyword['cifar-close'],
      'cifar-near': 10 * d.plantedKeywords * d.plantedPerKeyword['cifar-near'],
      pair: 10 * d.plantedKeywords * d.plantedPerKeyword.pair,
    });
  });
});

describe('plan at the defaults', () => {
  const plan = planScaleCorpus(DEFAULTS);

  it('is long-tailed: every class has more than 50 keywords, candidate counts vary widely', () => {
    for (const names of plan.ranked) expect(names.length).toBeGreaterThan(d.topK.v6);
    const sizes = plan.keywords.filter((p) => p.candidate).map(nonCifar).sort((a, b) => a - b);
    expect(sizes[0]).toBeLessThan(300);
    expect(sizes[sizes.length - 1]).toBeGreaterThan(2500);
    // Some keywords hold thousands of candidates, so labeling pages split them.
    expect(sizes.filter((n) => n >= 2000).length).toBeGreaterThan(20);
    expect(plan.counts.keywords.filler).toBeGreaterThan(4000);
  });

  it('keeps the real keyword names and their v4 counts where the class has room, and about 95% of CIFAR-10 in the top 25', () => {
    const byName = new Map(plan.keywords.map((p) => [p.keyword, p]));
    d.classes.forEach((cls, c) => {
      for (const [keyword] of REAL_KEYWORDS.keywords[cls]) expect(byName.get(keyword)?.classIndex, keyword).toBe(c);
      const counted = REAL_KEYWORDS.keywords[cls].filter(([, count]) => count !== null);
      if (counted.reduce((s, [, n]) => s + n!, 0) <= d.topShareMax * d.fullPerClass) {
        for (const [keyword, count] of counted) expect(byName.get(keyword)!.cifar, keyword).toBe(count);
      }
      expect(plan.ranked[c].slice(0, d.topK.v4).sort()).toEqual(counted.map(([k]) => k).sort());
    });
    const top25 = topK(plan, d.topK.v4).flat().reduce((s, p) => s + p.cifar, 0);
    expect(top25 / 60_000).toBeGreaterThan(0.9);
    expect(top25 / 60_000).toBeLessThanOrEqual(d.topShareMax);
  });

  it('needs about 2,000 images per quota round: the v4 and v6 quotas as the published releases', () => {
    const v4 = plan.keywords.reduce((s, p) => s + p.quota.v4, 0);
    expect(v4).toBeGreaterThan(1900);
    expect(v4).toBeLessThan(2100);
    expect(plan.keywords.reduce((s, p) => s + p.quota.v6, 0)).toBe(10 * d.quotas.v6.perClass);
  });

  it('is a function of the options without the seed', () => {
    expect(planScaleCorpus({ ...DEFAULTS, seed: 7 }).keywords).toEqual(plan.keywords);
  });

  it('gives each class fullPerClass images at full size', () => {
    for (const cls of d.classes) expect(fullCounts(cls).reduce((s, k) => s + k.count, 0)).toBe(d.fullPerClass);
  });
});

describe('bad options', () => {
  const bad: [string, object, string, RegExp][] = [
    ['images not an integer', { images: 1.5, candidates: 10 }, 'images', /must be a positive integer/],
    ['candidates above images', { images: 40_000, candidates: 50_000, cifarTrain: 5000, cifarTest: 1000 }, 'candidates', /more than the 40000 images/],
    ['too few candidates for the quotas', { images: 40_000, candidates: 1_000, cifarTrain: 5000, cifarTest: 1000 }, 'candidates', /too few: the quotas of the top-50 keywords need at least \d+/],
    ['too many candidates for the keywords', { images: 5_000_000, candidates: 4_000_000 }, 'candidates', /too many: the top-50 keywords hold at most \d+/],
    ['too few images for the CIFAR-10 copies', { images: 50_000, candidates: 5_000 }, 'images', /cannot hold the 60000 CIFAR-10 images/],
    ['too few images for the class keywords', { images: 11_500, candidates: 5_000, cifarTrain: 5000, cifarTest: 1000 }, 'images', /too few: the CIFAR-10 sources, copies, candidates and other class-keyword images alone are \d+/],
    ['training split not by ten', { images: 40_000, candidates: 5_000, cifarTrain: 5005, cifarTest: 1000 }, 'cifarTrain', /does not split into 10 equal classes/],
    ['too small a CIFAR-10', { images: 40_000, candidates: 5_000, cifarTrain: 500, cifarTest: 100 }, 'cifarTrain', new RegExp(`per class; the design needs at least ${d.minPerClass}`)],
    ['negative seed', { images: 40_000, candidates: 5_000, cifarTrain: 5000, cifarTest: 1000, seed: -1 }, 'seed', /must be an integer in 0\.\.2\^32-1/],
  ];
  it.each(bad)('%s', (_name, opts, subject, message) => {
    let error: unknown;
    try {
      planScaleCorpus(opts as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).subject).toBe(subject);
    expect((error as Error).message).toMatch(message);
  });
});

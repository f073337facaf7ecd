import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReleaseConfig } from '../../../configs';
import { DEMO_DESIGN, keywordPlan } from '../../../lib/demo/design';
import { balancedQuotas, perKeywordQuotas } from '../../../lib/quotas';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const positions = [0, 1, 2, 3, 4, 5];

describe('keywordPlan', () => {
  it('gives each keyword position the numbers worked out by hand', () => {
    // weights 200 140 100 80 50 30 of 600; quota = ceil(200·w/600); good = ceil(1.5·quota) + 12;
    // off-topic = round(0.2·good); ambiguous = round(0.05·good); planted near-duplicates in the first three.
    expect(positions.map(keywordPlan)).toEqual([
      { cifar: 200, quota: 67, good: 113, offTopic: 23, ambiguous: 6, cifarClose: 2, cifarNear: 1, pairs: 1 },
      { cifar: 140, quota: 47, good: 83, offTopic: 17, ambiguous: 4, cifarClose: 2, cifarNear: 1, pairs: 1 },
      { cifar: 100, quota: 34, good: 63, offTopic: 13, ambiguous: 3, cifarClose: 2, cifarNear: 1, pairs: 1 },
      { cifar: 80, quota: 27, good: 53, offTopic: 11, ambiguous: 3, cifarClose: 2, cifarNear: 0, pairs: 0 },
      { cifar: 50, quota: 17, good: 38, offTopic: 8, ambiguous: 2, cifarClose: 2, cifarNear: 0, pairs: 0 },
      { cifar: 30, quota: 10, good: 27, offTopic: 5, ambiguous: 1, cifarClose: 2, cifarNear: 0, pairs: 0 },
    ]);
  });
});

describe('DEMO_DESIGN', () => {
  it('has six keywords per class, none shared between classes or with the filler keywords', () => {
    const all = [...Object.values(DEMO_DESIGN.keywords).flat(), ...DEMO_DESIGN.fillerKeywords];
    expect(Object.keys(DEMO_DESIGN.keywords)).toEqual([...DEMO_DESIGN.classes]);
    for (const cls of DEMO_DESIGN.classes) expect(DEMO_DESIGN.keywords[cls]).toHaveLength(DEMO_DESIGN.keywordWeights.length);
    expect(new Set(all).size).toBe(10 * 6 + DEMO_DESIGN.fillerKeywords.length);
  });

  it("splits each class's keyword images exactly into CIFAR-10 train and test", () => {
    const perClass = DEMO_DESIGN.keywordWeights.reduce((a, b) => a + b, 0);
    expect(perClass).toBe(DEMO_DESIGN.trainPerClass + DEMO_DESIGN.testPerClass);
    // Keywords are the most frequent first, as the pipeline's top-k keyword order expects.
    expect([...DEMO_DESIGN.keywordWeights].sort((a, b) => b - a)).toEqual([...DEMO_DESIGN.keywordWeights]);
  });

  it('supplies every keyword with enough clean candidates for both releases', async () => {
    const v4 = await loadReleaseConfig(path.join(ROOT, 'configs', 'v4.yaml'));
    const v6 = await loadReleaseConfig(path.join(ROOT, 'configs', 'v6.yaml'));
    if (v4.sampling.method !== 'per-keyword' || v6.sampling.method !== 'balanced') throw new Error('v4 samples per keyword, v6 balanced');
    const weights = positions.map((p): [string, number] => [`k${p}`, keywordPlan(p).cifar]);
    const v4Quotas = perKeywordQuotas(weights, v4.sampling.imagesPerCount, v4.sampling.minFraction);
    const v6Quotas = balancedQuotas(weights, v6.sampling.perClass);
    expect(v6Quotas.reduce((s, [, q]) => s + q, 0)).toBe(DEMO_DESIGN.releasePerClass);
    positions.forEach((p) => {
      const plan = keywordPlan(p);
      // What the second labeler confirms, less every planted near-duplicate (they are blacklisted).
      const clean = plan.good - plan.ambiguous - plan.cifarClose - plan.cifarNear - 2 * plan.pairs;
      expect(clean, `position ${p}`).toBeGreaterThanOrEqual(v6Quotas[p][1]);
      expect(clean, `position ${p}`).toBeGreaterThanOrEqual(v4Quotas[p][1]);
      expect(plan.quota).toBeGreaterThanOrEqual(v6Quotas[p][1]);
    });
  });

  it('plants near-duplicates the configured checks catch, and keeps distinct images clear of them', async () => {
    for (const release of ['v4', 'v6']) {
      const { nearDuplicates } = await loadReleaseConfig(path.join(ROOT, 'configs', `${release}.yaml`));
      for (const { band } of Object.values(DEMO_DESIGN.planted)) {
        expect(band[1]).toBeLessThan(Math.min(nearDuplicates.cifarThreshold, nearDuplicates.withinThreshold));
      }
      expect(DEMO_DESIGN.minDistance).toBeGreaterThan(Math.max(nearDuplicates.cifarThreshold, nearDuplicates.withinThreshold));
    }
  });

  it("sets each planted kind's shift so the L2 it gives lands inside its band", () => {
    // Every byte moved by a step uniform over [lo, hi]: L2 ≈ sqrt(3072 · E[step²]) before clipping.
    for (const [kind, { shift: [lo, hi], band }] of Object.entries(DEMO_DESIGN.planted)) {
      const steps = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
      const l2 = Math.sqrt((3072 * steps.reduce((s, v) => s + v * v, 0)) / steps.length);
      expect(l2, kind).toBeGreaterThan(band[0]);
      expect(l2, kind).toBeLessThan(band[1]);
    }
  });
});

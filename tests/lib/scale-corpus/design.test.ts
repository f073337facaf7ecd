import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReleaseConfig } from '../../../configs';
import { DEMO_DESIGN } from '../../../lib/demo/design';
import { checkKeyword } from '../../../lib/formats/tinyimages';
import { NAME_PARTS, REAL_KEYWORDS, SCALE_DESIGN } from '../../../lib/scale-corpus/design';
import { mulberry32 } from '../../helpers/random';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const d = SCALE_DESIGN;
const configs = async () => {
  const v4 = await loadReleaseConfig(path.join(ROOT, 'configs', 'v4.yaml'));
  const v6 = await loadReleaseConfig(path.join(ROOT, 'configs', 'v6.yaml'));
  if (v4.sampling.method !== 'per-keyword' || v6.sampling.method !== 'balanced') throw new Error('v4 samples per keyword, v6 balanced');
  return { v4, v6, sampling: { v4: v4.sampling, v6: v6.sampling } };
};

describe('SCALE_DESIGN', () => {
  it('has the demo\'s ten classes and the real CIFAR-10\'s sizes at its defaults', () => {
    expect(d.classes).toEqual(DEMO_DESIGN.classes);
    expect(d.defaults.cifarTrain + d.defaults.cifarTest).toBe(10 * d.fullPerClass);
    expect(d.defaults).toEqual({ images: 5_000_000, candidates: 589_711, cifarTrain: 50_000, cifarTest: 10_000, seed: 101 });
  });

  it('takes its keyword lists and quotas from configs/v4.yaml and configs/v6.yaml', async () => {
    const { v4, v6, sampling } = await configs();
    expect(d.topK).toEqual({ v4: v4.keywords.topK, v6: v6.keywords.topK });
    expect(d.quotas).toEqual({
      v4: { imagesPerCount: sampling.v4.imagesPerCount, minFraction: sampling.v4.minFraction },
      v6: { perClass: sampling.v6.perClass },
    });
  });

  it('plants each kind of near-duplicate the demo plants, in bands the pipeline\'s checks sort as designed', async () => {
    const { v4, v6 } = await configs();
    expect(Object.keys(d.plantedPerKeyword).sort()).toEqual(Object.keys(d.planted).sort());
    expect(d.planted).toBe(DEMO_DESIGN.planted);
    for (const config of [v4, v6]) {
      const { minCifarDistance } = config.labeling;
      const { withinThreshold, cifarThreshold } = config.nearDuplicates;
      // Close copies of CIFAR-10 are dropped in round 2; near ones pass it and are caught by the near-duplicate check; pairs too.
      expect(d.planted['cifar-close'].band[1]).toBeLessThan(minCifarDistance);
      expect(d.planted['cifar-near'].band[0]).toBeGreaterThan(minCifarDistance);
      expect(d.planted['cifar-near'].band[1]).toBeLessThan(cifarThreshold);
      expect(d.planted.pair.band[1]).toBeLessThan(withinThreshold);
    }
  });

  it('keeps two distinct images about sqrt(3072 · 2 · grain² / 3) ≈ 2,715 apart, well above the 2,000 thresholds', async () => {
    const expected = Math.sqrt((3072 * 2 * d.grain ** 2) / 3);
    expect(expected).toBeCloseTo(2715.3, 1);
    // Two images' independent noise, uniform in [-grain, grain] per byte, by another generator.
    const rng = mulberry32(5);
    const byte = () => Math.round((rng() * 2 - 1) * d.grain);
    const distances = Array.from({ length: 200 }, () => Math.sqrt(Array.from({ length: 3072 }, () => (byte() - byte()) ** 2).reduce((a, b) => a + b, 0)));
    const mean = distances.reduce((a, b) => a + b, 0) / distances.length;
    expect(Math.abs(mean - expected) / expected).toBeLessThan(0.02);
    expect(Math.min(...distances)).toBeGreaterThan(2500);
    const { v4 } = await configs();
    expect(Math.min(...distances)).toBeGreaterThan(Math.max(v4.nearDuplicates.withinThreshold, v4.nearDuplicates.cifarThreshold));
  });

  it('sizes filler keywords at about 1,000 images, as 79,302,017 TinyImages images over 75,062 keywords', () => {
    // E[1 + floor(max · u²)] = 1 + max / 3 − about one half.
    const mean = 1 + d.maxKeywordImages / (d.fillerSizeExponent + 1) - 0.5;
    expect(mean).toBeCloseTo(1000.5, 5);
    expect(Math.abs(mean - 79_302_017 / 75_062) / mean).toBeLessThan(0.06);
  });

  it('orders its ranges low to high', () => {
    for (const [lo, hi] of [d.candidateWeight, d.tailKeywordImages]) expect(lo).toBeLessThan(hi);
    expect(d.tailKeywordImages[1]).toBeLessThanOrEqual(d.maxKeywordImages);
    for (const share of [d.topShareMax, d.quotedShareMax, d.tailFirstShare, d.offTopicFraction, d.ambiguousFraction, d.duplicateFraction]) {
      expect(share > 0 && share < 1).toBe(true);
    }
  });
});

describe('REAL_KEYWORDS', () => {
  it('is the committed real-keywords.json, for the design\'s classes', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'lib', 'scale-corpus', 'real-keywords.json'), 'utf8'));
    expect(REAL_KEYWORDS).toEqual(committed);
    expect(REAL_KEYWORDS.classes).toEqual([...d.classes]);
    expect(Object.keys(REAL_KEYWORDS.keywords)).toEqual([...d.classes]);
  });

  it('needs the top-share cap: the real top 25 held 57,148 of 60,000 (95.2 %), more than 6,000 in some classes', () => {
    const counted = Object.fromEntries(Object.entries(REAL_KEYWORDS.keywords).map(([c, list]) => [c, list.reduce((s, [, n]) => s + (n ?? 0), 0)]));
    const total = Object.values(counted).reduce((a, b) => a + b, 0);
    expect(total).toBe(57_148);
    expect(total / (10 * d.fullPerClass)).toBeCloseTo(0.952, 3);
    expect(total / (10 * d.fullPerClass)).toBeLessThan(d.topShareMax);
    expect(Object.keys(counted).filter((c) => counted[c] > d.fullPerClass)).toEqual(['automobile', 'cat', 'dog']);
  });
});

describe('NAME_PARTS', () => {
  it('gives every class nouns of its own, and modifiers and syllables without repeats', () => {
    expect(Object.keys(NAME_PARTS.nouns)).toEqual([...d.classes]);
    const nouns = Object.values(NAME_PARTS.nouns).flat();
    expect(new Set(nouns).size).toBe(nouns.length);
    expect(new Set(NAME_PARTS.modifiers).size).toBe(NAME_PARTS.modifiers.length);
    expect(new Set(NAME_PARTS.syllables).size).toBe(NAME_PARTS.syllables.length);
  });

  it('makes valid TinyImages keywords: every modifier_noun and syllable is lowercase ASCII', () => {
    for (const noun of Object.values(NAME_PARTS.nouns).flat()) {
      for (const modifier of NAME_PARTS.modifiers) expect(() => checkKeyword(`${modifier}_${noun}`)).not.toThrow();
    }
    for (const part of [...NAME_PARTS.modifiers, ...NAME_PARTS.syllables, ...Object.values(NAME_PARTS.nouns).flat()]) expect(part).toMatch(/^[a-z]+$/);
    // Four syllables of the longest kind, twice, are still far below TinyImages' 80 characters.
    expect(2 * 4 * Math.max(...NAME_PARTS.syllables.map((s) => s.length)) + 1).toBeLessThanOrEqual(80);
  });
});

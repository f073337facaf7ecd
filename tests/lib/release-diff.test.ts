import { describe, expect, it } from 'vitest';
import type { ExclusionRow } from '../../lib/provenance';
import { type DiffSide, diffReleases, flattenConfig, formatDiff } from '../../lib/release-diff';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const rejected = (index: number): ExclusionRow => ({ index, class: 'dog', keyword: 'pug', reason: 'rejected-round1', evidence: null });
const notDrawn: ExclusionRow = { index: 21, class: 'cat', keyword: 'tabby', reason: 'not-drawn', evidence: { quota: 2, drawn: 2, confirmed: 5 } };
const blacklisted: ExclusionRow = { index: 10, class: 'cat', keyword: 'tabby', reason: 'blacklisted', evidence: { round: 1, kind: 'within', other: 11, distance: 812.5 } };

/** v4: images 10–13; cat, cat, dog, ship. */
const v4: DiffSide = {
  name: 'v4',
  config: { release: 'v4', hash: 'h4', file: '/c/v4.yaml', seed: 1, keywords: { topK: 25, excluded: [] }, sampling: { method: 'per-keyword', imagesPerCount: 30 } },
  stages: [
    { stage: 'extractSources', key: 'e1' }, { stage: 'buildKeywordSubsets', key: 's1' },
    { stage: 'checkNearDuplicates', key: 'n1' }, { stage: 'checkNearDuplicates', key: 'n1b' },
    { stage: 'exportRelease', key: 'x4' }, { stage: 'publishRelease' },
  ],
  images: [10, 11, 12, 13],
  labels: [3, 3, 5, 8],
  classes: CLASSES,
  perKeyword: { tabby: [10, 11], pug: [12], liner: [13] },
  exclusions: new Map([[20, rejected(20)], [21, notDrawn], [23, rejected(23)]]),
  accuracy: { resnet: { original: 95, release: 87.5 }, vgg: { original: 93, release: 85 }, 'only-in-v4': { original: 90, release: 80 } },
};

/** v6: keeps 11 and 12, adds 20–23; cat, dog, dog, cat, airplane, cat. */
const v6: DiffSide = {
  name: 'v6',
  config: {
    release: 'v6', hash: 'h6', file: '/c/v6.yaml', seed: 1, keywords: { topK: 50, excluded: [] }, sampling: { method: 'balanced', perClass: 200 },
    base: { release: 'v4', seed: 1, hash: 'h4' },
  },
  stages: [
    { stage: 'extractSources', key: 'e1' }, { stage: 'buildKeywordSubsets', key: 's2' },
    { stage: 'checkNearDuplicates', key: 'n1' }, { stage: 'checkNearDuplicates', key: 'n2' },
    { stage: 'exportRelease', key: 'x6' }, { stage: 'evaluateModels', key: 'm6' },
  ],
  images: [11, 12, 20, 21, 22, 23],
  labels: [3, 5, 5, 3, 0, 3],
  classes: CLASSES,
  perKeyword: { tabby: [11, 21], pug: [12, 20, 22], siamese: [23] },
  exclusions: new Map([[10, blacklisted]]),
  accuracy: { vgg: { original: 93, release: 86 }, resnet: { original: 95, release: 86 }, 'only-in-v6': { original: 91, release: 81 } },
};

describe('flattenConfig', () => {
  it('names every leaf by its path, keeps arrays and nulls as values, and has nothing for an empty object', () => {
    expect(flattenConfig({ release: 'v6', keywords: { topK: 50, excluded: ['pug'] }, sampling: { base: { nested: null } }, empty: {} })).toEqual({
      release: 'v6', 'keywords.topK': 50, 'keywords.excluded': ['pug'], 'sampling.base.nested': null,
    });
    expect(flattenConfig(null)).toEqual({});
    expect(flattenConfig({})).toEqual({});
  });
});

describe('diffReleases', () => {
  const d = diffReleases(v4, v6);

  it('lists the config keys whose values differ, leaving out the file, its hash and the base release\'s config', () => {
    expect(d.config).toEqual([
      { key: 'release', a: 'v4', b: 'v6' },
      { key: 'keywords.topK', a: 25, b: 50 },
      { key: 'sampling.method', a: 'per-keyword', b: 'balanced' },
      { key: 'sampling.imagesPerCount', a: 30, b: undefined },
      { key: 'sampling.perClass', a: undefined, b: 200 },
    ]);
  });

  it('lists the stages whose keys differ, by each stage\'s first key, and a stage only one side ran', () => {
    expect(d.stages).toEqual([
      { stage: 'buildKeywordSubsets', a: 's1', b: 's2' },
      { stage: 'exportRelease', a: 'x4', b: 'x6' },
      { stage: 'evaluateModels', a: null, b: 'm6' },
    ]);
  });

  it('gives each added image the reason the first side left it out, and each removed one the second side\'s', () => {
    expect(d.added).toEqual([
      { index: 20, why: 'rejected-round1', exclusion: rejected(20) },
      { index: 21, why: 'not-drawn', exclusion: notDrawn },
      { index: 22, why: 'not a candidate of v4' },
      { index: 23, why: 'rejected-round1', exclusion: rejected(23) },
    ]);
    expect(d.removed).toEqual([
      { index: 10, why: 'blacklisted', exclusion: blacklisted },
      { index: 13, why: 'not a candidate of v6' },
    ]);
  });

  it('counts the images of every class and keyword on both sides', () => {
    expect(d.perClass.filter((c) => c.a || c.b)).toEqual([
      { className: 'airplane', a: 0, b: 1 }, { className: 'cat', a: 2, b: 3 }, { className: 'dog', a: 1, b: 2 }, { className: 'ship', a: 1, b: 0 },
    ]);
    expect(d.perClass.map((c) => c.className)).toEqual(CLASSES);
    expect(d.perKeyword).toEqual([
      { keyword: 'liner', a: 1, b: 0 }, { keyword: 'pug', a: 1, b: 3 }, { keyword: 'siamese', a: 0, b: 1 }, { keyword: 'tabby', a: 2, b: 2 },
    ]);
  });

  it('compares the accuracy of the models both sides evaluated, by name, with the change in points', () => {
    expect(d.accuracy).toEqual([
      { model: 'resnet', original: 95, a: 87.5, b: 86, change: -1.5 },
      { model: 'vgg', original: 93, a: 85, b: 86, change: 1 },
    ]);
  });

  it('says a side did not record it (null) rather than guess', () => {
    const bare: DiffSide = { name: 'v7.yaml', config: null, stages: null, images: null, labels: null, classes: ['cat', 'dog'], perKeyword: null, exclusions: null, accuracy: null };
    const half = diffReleases(v4, bare);
    expect(half).toMatchObject({ a: 'v4', b: 'v7.yaml', config: null, stages: null, added: null, removed: null, accuracy: null });
    expect(half.perClass).toHaveLength(10);
    expect(half.perClass.find((c) => c.className === 'cat')).toEqual({ className: 'cat', a: 2, b: 0 });
    expect(half.perKeyword).toEqual([{ keyword: 'liner', a: 1, b: 0 }, { keyword: 'pug', a: 1, b: 0 }, { keyword: 'tabby', a: 2, b: 0 }]);
    // Built from the published files: images, but no exclusions to tell why.
    const published = diffReleases({ ...v4, exclusions: null }, v6);
    expect(published.added!.map((x) => x.why)).toEqual(Array(4).fill('v4 has no exclusions to tell (built without an audit, or from the published files)'));
    expect(published.added![0]).not.toHaveProperty('exclusion');
  });

  it('finds nothing between a side and itself', () => {
    const same = diffReleases(v4, { ...v4, name: 'v4 again' });
    expect(same).toMatchObject({ config: [], stages: [], added: [], removed: [] });
    expect(same.accuracy!.every((m) => m.change === 0)).toBe(true);
  });
});

describe('formatDiff', () => {
  const text = formatDiff(diffReleases(v4, v6));
  const lines = text.split('\n');

  it('heads the text with the two sides and says each config change, absent values as such', () => {
    expect(lines[0]).toBe('v4 → v6');
    for (const line of ['  release: "v4" → "v6"', '  keywords.topK: 25 → 50', '  sampling.method: "per-keyword" → "balanced"', '  sampling.imagesPerCount: 30 → (absent)', '  sampling.perClass: (absent) → 200']) {
      expect(lines).toContain(line);
    }
  });

  it('names the rebuilt stages and counts the reasons of added and removed images, most frequent first', () => {
    expect(lines).toContain('stages whose cache keys differ (rebuilt): buildKeywordSubsets, exportRelease, evaluateModels');
    expect(lines).toContain('images added in v6: 4 (why v4 had not: 2 rejected-round1, 1 not-drawn, 1 not a candidate of v4)');
    expect(lines).toContain('images removed in v6: 2 (why v6 has not: 1 blacklisted, 1 not a candidate of v6)');
  });

  it('shows every class, the changed keywords only, and each model\'s accuracy change', () => {
    expect(text).toMatch(/^per class:\n {2}airplane +0 → +1\n {2}automobile +0 → +0\n/m);
    expect(text).toMatch(/^ {2}cat +2 → +3$/m);
    expect(text).toMatch(/^ {2}truck +0 → +0$/m);
    expect(text).toMatch(/^per keyword: 3 of 4 changed\n {2}liner +1 → +0\n {2}pug +1 → +3\n {2}siamese +0 → +1$/m);
    expect(text).not.toMatch(/^ {2}tabby /m);
    expect(text).toMatch(/^accuracy on the release \(%\):\n {2}resnet +87\.5 → 86\.0 \(-1\.5; CIFAR-10 95\.0\)\n {2}vgg +85\.0 → 86\.0 \(\+1\.0; CIFAR-10 93\.0\)$/m);
  });

  it('says what a side lacks, and when nothing differs', () => {
    const bare: DiffSide = { name: 'v7', config: null, stages: null, images: null, labels: null, classes: CLASSES, perKeyword: null, exclusions: null, accuracy: null };
    const lacking = formatDiff(diffReleases(v4, bare)).split('\n');
    expect(lacking).toContain('config: not recorded by both builds');
    expect(lacking).toContain('stages whose cache keys differ (rebuilt): a side has no recorded build (cifar101 plan tells what it would rebuild)');
    expect(lacking).toContain('images: a side has no release yet');
    expect(lacking).toContain('accuracy: not evaluated on both sides');
    const same = formatDiff(diffReleases(v4, { ...v4, name: 'v4 again' })).split('\n');
    expect(same).toContain('config: the same');
    expect(same).toContain('stages whose cache keys differ (rebuilt): none');
    expect(same).toContain('images added in v4 again: 0');
    expect(same).toContain('images removed in v4 again: 0');
    expect(same).toContain('per keyword: 0 of 3 changed');
  });
});

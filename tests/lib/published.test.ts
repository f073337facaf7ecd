import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { writeNpy } from '../../lib/formats/npy';
import { Published, verifyPublishedSample } from '../../lib/published';
import { runPython } from '../helpers/python';
import { SHARED } from '../helpers/shared';
import { useTempDir } from '../helpers/temp';

const tmp = useTempDir('published');
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const V4_RULE = { imagesPerCount: 30, minFraction: 0.5 };

describe('the published files in data/cifar10.1', () => {
  /** What numpy and plain json make of the same files. */
  let reference: { perClass: number[]; ruleTotal: number; keywords: number; confirmed: Record<string, number>; perKeyword: Record<string, number[]>; labels: number[] };
  let verified: Awaited<ReturnType<typeof verifyPublishedSample>>;

  beforeAll(async () => {
    reference = JSON.parse(runPython(`
import json, math, os
import numpy as np
d = ${JSON.stringify(SHARED)}
other = lambda n: json.load(open(os.path.join(d, 'other_data', n)))
labels = np.load(os.path.join(d, 'datasets', 'cifar10.1_v4_labels.npy'))
counts, order = other('keyword_counts_v4.json'), other('keywords_v4.json')
per_keyword = other('cifar10.1_v4_ti_indices_per_keyword.json')
# A keyword is placed by the v6 quotas, or by the labels of its images in the v4 release (none for an empty list).
keywords = {k for k, v in per_keyword.items() if v} | {k for kws in other('keyword_counts_v6.json').values() for k in kws}
print(json.dumps({
  'perClass': np.bincount(labels, minlength=10).tolist(),
  'ruleTotal': sum(math.ceil(counts[k] / 30) for k in order if counts[k] / 30 >= 0.5),
  'keywords': len(keywords),
  'confirmed': {k: len(v) for k, v in other('tinyimage_good_indices_subselected_v4.json').items()},
  'perKeyword': per_keyword,
  'labels': labels.tolist(),
}))`));
    verified = await verifyPublishedSample(new Published(SHARED), 'v4', CLASSES, V4_RULE);
  });

  it('takes the v4 release as published: 2,021 images, the per-keyword lists in file order, with their labels', () => {
    expect(verified.sample.tiIndices).toHaveLength(2021);
    expect(verified.sample.tiIndices).toEqual(Object.values(reference.perKeyword).flat());
    expect(verified.sample.labels).toEqual(reference.labels);
    expect(verified.sample.perKeyword.map((d) => [d.keyword, d.indices])).toEqual(Object.entries(reference.perKeyword));
    // Each keyword's images have one label in the release; its draw carries that class.
    let at = 0;
    for (const draw of verified.sample.perKeyword) {
      const labels = new Set(reference.labels.slice(at, at += draw.indices.length));
      if (draw.indices.length) expect([...labels].map((l) => CLASSES[l]), draw.keyword).toEqual([draw.class]);
    }
  });

  it('gives a keyword listed without images no class taken from the next keyword\'s images', () => {
    const empty = verified.sample.perKeyword.filter((d) => d.indices.length === 0);
    expect(empty.map((d) => d.keyword)).toEqual(['bedspread', 'siamese_cat', 'kitty-cat', 'tortoiseshell']);
    expect(empty.map((d) => d.class)).toEqual(['', '', '', '']);
  });

  it('passes the size, confirmed-pool, blacklist and histogram checks, and counts by numpy\'s histogram', () => {
    const { checks } = verified.report;
    expect(checks.size).toEqual({ rule: reference.ruleTotal, found: 2021, labels: 2021, ok: true });
    expect(checks.confirmedPool).toEqual({ outside: 0, ok: true });
    expect(checks.blacklist).toEqual({ blacklisted: 0, ok: true });
    expect(checks.classHistogram).toEqual({ perClass: reference.perClass, ok: true });
    expect(verified.report.outsidePool).toEqual([]);
    expect(verified.report.blacklisted).toEqual([]);
  });

  it('names the eight keywords where the release departs from ceil(count / 30), each with its reason', () => {
    expect(verified.report.checks.countRule).toEqual({ keywords: 250, differ: 8, ok: false });
    const no = 'no confirmed images for this keyword';
    const differs = 'differs from the rule as published';
    const expected: Array<[string, number, number, string]> = [
      ['cruiser', 2, 3, differs], ['sport_car', 1, 0, no], ['door', 1, 0, no], ['ford', 1, 0, no], ['opel', 1, 0, no], ['sports_car', 1, 0, no],
      ['gray', 0, 1, differs], ['cavalier', 1, 2, differs],
    ];
    expect(verified.report.countDifferences).toEqual(expected.map(([keyword, rule, published, why]) => ({ keyword, rule, published, confirmed: reference.confirmed[keyword] ?? 0, why })));
  });

  it('places each keyword in its classes: cruiser in two, the others in one', async () => {
    const owners = await new Published(SHARED).keywordClasses(CLASSES);
    expect(owners.size).toBe(reference.keywords);
    expect([...owners].filter(([, classes]) => classes.length > 1)).toEqual([['cruiser', ['automobile', 'ship']]]);
    expect(owners.get('leopard_frog')).toEqual(['frog']);
  });
});

describe('a hand-made published folder', () => {
  let dir: string;
  let cases = 0;
  const put = async (name: string, value: unknown) => {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  };
  const labels = (values: number[]) => writeNpy(path.join(dir, 'datasets', 'cifar10.1_v9_labels.npy'), { dtype: 'int32', shape: [values.length], data: Int32Array.from(values) });

  beforeEach(async () => {
    dir = path.join(tmp(), `pub-${++cases}`);
    // rule 30/0.5: tabby ceil(59/30) = 2, kitten 14/30 < 0.5 so 0, pug 2, rare 16/30 ≥ 0.5 so 1, siamese 3: 8 in all.
    await put('other_data/keywords_v9.json', ['tabby', 'kitten', 'pug', 'rare', 'siamese']);
    await put('other_data/keyword_counts_v9.json', { tabby: 59, kitten: 14, pug: 31, rare: 16, siamese: 90 });
    await put('other_data/cifar10.1_v9_ti_indices_per_keyword.json', { tabby: [10, 11], pug: [20, 21, 99], kitten: [30], siamese: [40] });
    await put('other_data/tinyimage_good_indices_subselected_v9.json', { tabby: [10, 11, 12], pug: [20, 21], kitten: [30], siamese: [40] });
    await put('other_data/blacklist_v9.json', [11, 500]);
    await mkdir(path.join(dir, 'datasets'), { recursive: true });
    await labels([3, 3, 5, 5, 5, 3, 3]);
  });

  it('verifies a sample as worked out by hand', async () => {
    const { sample, report } = await verifyPublishedSample(new Published(dir), 'v9', CLASSES, V4_RULE);
    expect(sample).toEqual({
      tiIndices: [10, 11, 20, 21, 99, 30, 40],
      labels: [3, 3, 5, 5, 5, 3, 3],
      perKeyword: [
        { class: 'cat', keyword: 'tabby', indices: [10, 11] },
        { class: 'dog', keyword: 'pug', indices: [20, 21, 99] },
        { class: 'cat', keyword: 'kitten', indices: [30] },
        { class: 'cat', keyword: 'siamese', indices: [40] },
      ],
    });
    expect(report).toEqual({
      checks: {
        size: { rule: 8, found: 7, labels: 7, ok: true },
        countRule: { keywords: 5, differ: 4, ok: false },
        confirmedPool: { outside: 1, ok: false },
        blacklist: { blacklisted: 1, ok: false },
        classHistogram: { perClass: [0, 0, 0, 4, 0, 3, 0, 0, 0, 0], ok: true },
      },
      countDifferences: [
        { keyword: 'kitten', rule: 0, published: 1, confirmed: 1, why: 'differs from the rule as published' },
        { keyword: 'pug', rule: 2, published: 3, confirmed: 2, why: 'differs from the rule as published' },
        { keyword: 'rare', rule: 1, published: 0, confirmed: 0, why: 'no confirmed images for this keyword' },
        { keyword: 'siamese', rule: 3, published: 1, confirmed: 1, why: 'fewer confirmed images than the rule asks for' },
      ],
      outsidePool: [{ keyword: 'pug', index: 99 }],
      blacklisted: [11],
    });
  });

  it('fails the size check when the labels do not match the images', async () => {
    await labels([3, 3, 5]);
    const { report } = await verifyPublishedSample(new Published(dir), 'v9', CLASSES, V4_RULE);
    expect(report.checks.size).toEqual({ rule: 8, found: 7, labels: 3, ok: false });
  });

  it('places keywords by the v6 quotas and by the v4 release\'s labels, each class once', async () => {
    await put('other_data/keyword_counts_v6.json', { cat: { tabby: 2, kitten: 1 }, dog: { pug: 3 } });
    await put('other_data/cifar10.1_v4_ti_indices_per_keyword.json', { tabby: [1], cruiser: [2, 3], pug: [4] });
    await writeNpy(path.join(dir, 'datasets', 'cifar10.1_v4_labels.npy'), { dtype: 'int32', shape: [4], data: Int32Array.from([3, 1, 8, 5]) });
    const owners = await new Published(dir).keywordClasses(CLASSES);
    expect([...owners]).toEqual([['tabby', ['cat']], ['kitten', ['cat']], ['pug', ['dog']], ['cruiser', ['automobile', 'ship']]]);
  });

  it('reads each file once', async () => {
    const pub = new Published(dir);
    const first = await pub.json('other_data/keywords_v9.json', 'array');
    await put('other_data/keywords_v9.json', ['changed']);
    expect(await pub.json('other_data/keywords_v9.json', 'array')).toEqual(first);
    expect(await new Published(dir).json('other_data/keywords_v9.json', 'array')).toEqual(['changed']);
  });

  describe('a missing or malformed file is an InputError naming it', () => {
    const file = (name: string) => path.join(dir, 'other_data', name);
    const verify = () => verifyPublishedSample(new Published(dir), 'v9', CLASSES, V4_RULE);

    it('a missing file', async () => {
      await rm(file('keywords_v9.json'));
      await expect(verify()).rejects.toThrow(new InputError('published file missing or unreadable (ENOENT)', file('keywords_v9.json')));
    });

    it('a file that is not JSON', async () => {
      await put('other_data/blacklist_v9.json', '[11, 500');
      await expect(verify()).rejects.toThrow(InputError);
      await expect(verify()).rejects.toThrow(new RegExp(`^${file('blacklist_v9.json')}: not valid JSON \\(`));
    });

    it.each([
      ['keywords_v9.json', { tabby: 1 }, 'expected a JSON array'],
      ['keyword_counts_v9.json', ['tabby'], 'expected a JSON object'],
      ['keyword_counts_v9.json', null, 'expected a JSON object'],
      ['blacklist_v9.json', 11, 'expected a JSON array'],
    ])('%s holding %j', async (name, value, message) => {
      await put(`other_data/${name}`, value);
      await expect(verify()).rejects.toThrow(new InputError(message, file(name)));
    });

    it.each([
      ['a string', { tabby: [10, 'x'] }],
      ['a negative index', { tabby: [-1] }],
      ['a fraction', { tabby: [1.5] }],
      ['not a list', { tabby: 10 }],
    ])('an index list with %s', async (_what, lists) => {
      await put('other_data/cifar10.1_v9_ti_indices_per_keyword.json', lists);
      await expect(verify()).rejects.toThrow(new InputError('"tabby" is not a list of TinyImages indices', file('cifar10.1_v9_ti_indices_per_keyword.json')));
    });

    it('a labels file that is not .npy', async () => {
      const labelsFile = path.join(dir, 'datasets', 'cifar10.1_v9_labels.npy');
      await writeFile(labelsFile, (await readFile(labelsFile)).subarray(3));
      await expect(verify()).rejects.toThrow(new InputError('not a .npy file (bad magic)', labelsFile));
    });
  });
});

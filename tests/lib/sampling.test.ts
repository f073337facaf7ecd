import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { createRng } from '../../lib/rng';
import { sampleV4, sampleV6, type V6Inputs } from '../../lib/sampling';
import { runPython } from '../helpers/python';
import { SHARED } from '../helpers/shared';

const shared = SHARED;
const readJson = (...parts: string[]) => JSON.parse(fs.readFileSync(path.join(shared, ...parts), 'utf8'));
const otherData = (file: string) => readJson('other_data', file);

/** int32 little-endian data of a numpy 1.0 .npy file (a test-local reader; lib/formats has the real one). */
function readInt32Npy(file: string): Int32Array {
  const buf = fs.readFileSync(path.join(shared, file));
  expect(buf.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
  const headerLen = buf.readUInt16LE(8);
  expect(buf.subarray(10, 10 + headerLen).toString('latin1')).toMatch(/'descr': '<i4'.*'fortran_order': False/);
  const data = buf.subarray(10 + headerLen);
  return new Int32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

const quotas: Record<string, Record<string, number>> = otherData('keyword_counts_v6.json');
const v6Inputs: V6Inputs = {
  classes: Object.keys(quotas),
  quotas,
  confirmed: otherData('tinyimage_good_indices_subselected_v6.json'),
  blacklist: otherData('blacklist_v6.json'),
  v4PerKeyword: otherData('cifar10.1_v4_ti_indices_per_keyword.json'),
  splitKeywords: { cruiser: otherData('cruiser_good_indices.json') },
};
const cpython = (setRule: '3.6' | '3.11', seed = 670725112) => createRng({ kind: 'cpython', seed, setRule });

/** The notebook's procedure (README "How the v6 release was sampled"), run by python3 with its own set order. */
const NOTEBOOK = `
import json, os, random, sys
d = os.path.join(sys.argv[1], 'other_data')
load = lambda f: json.load(open(os.path.join(d, f)))
counts, good, v4 = load('keyword_counts_v6.json'), load('tinyimage_good_indices_subselected_v6.json'), load('cifar10.1_v4_ti_indices_per_keyword.json')
blacklist, cruiser = set(load('blacklist_v6.json')), load('cruiser_good_indices.json')
good = {k: [i for i in l if i not in blacklist] for k, l in good.items()}
random.seed(670725112)
release = []
for cls, keywords in counts.items():
    for kw, quota in keywords.items():
        confirmed = cruiser[cls] if kw == 'cruiser' else good[kw]
        existing = [i for i in v4.get(kw, []) if kw != 'cruiser' or i in cruiser[cls]]
        if quota < len(existing):
            dropped = random.sample(existing, len(existing) - quota)
            existing = [i for i in existing if i not in dropped]
        elif quota > len(existing):
            pool = list(set(confirmed) - set(existing)) if existing else confirmed
            existing = existing + random.sample(pool, quota - len(existing))
        release += existing
print(json.dumps(release))
`;

describe('sampleV6 on the published CIFAR-10.1 files', () => {
  const v6 = sampleV6(v6Inputs, cpython('3.6'));

  it('gives 2,000 distinct, non-blacklisted images, 200 per class, each keyword at its quota', () => {
    expect(v6.tiIndices).toHaveLength(2000);
    expect(new Set(v6.tiIndices).size).toBe(2000);
    const blacklist = new Set(v6Inputs.blacklist);
    expect(v6.tiIndices.filter((i) => blacklist.has(i))).toEqual([]);
    expect(v6Inputs.classes.map((_, c) => v6.labels.filter((l) => l === c).length)).toEqual(new Array(10).fill(200));
    expect(v6.perKeyword.map((k) => k.indices.length)).toEqual(
      Object.values(quotas).flatMap((kw) => Object.values(kw)),
    );
  });

  it('labels, as int32, equal the published cifar10.1_v6_labels.npy', () => {
    expect(Int32Array.from(v6.labels)).toEqual(readInt32Npy('datasets/cifar10.1_v6_labels.npy'));
  });

  it("keeps min(v4 count, quota) of each keyword's v4 images and takes every image from its confirmed (or split) list", () => {
    for (const { class: cls, keyword, indices } of v6.perKeyword) {
      const v4 = v6Inputs.v4PerKeyword[keyword] ?? [];
      const allowed = new Set(keyword === 'cruiser' ? v6Inputs.splitKeywords!.cruiser[cls] : v6Inputs.confirmed[keyword]);
      expect(indices.every((i) => allowed.has(i))).toBe(true);
      const kept = indices.filter((i) => v4.includes(i)).length;
      const v4Here = keyword === 'cruiser' ? v4.filter((i) => allowed.has(i)).length : v4.length;
      expect(kept).toBe(Math.min(v4Here, quotas[cls][keyword]));
    }
  });

  /**
   * The published v6 index list is not in shared/, but the 30 models'
   * predictions on v4 and v6 are. A model predicts the same class for the same
   * image, so wherever the replay puts a v4 image, the v6 predictions at that
   * position must equal the v4 predictions for that image. This checks which
   * v4 images each surplus draw dropped, and where every kept one landed.
   */
  describe('against the published model predictions', () => {
    const models = fs.readdirSync(path.join(shared, 'model_predictions', 'v6_predictions')).sort();
    const rows = (release: 'v4' | 'v6') => {
      const perModel: number[][] = models.map((m) => readJson('model_predictions', `${release}_predictions`, m));
      return perModel[0].map((_, i) => perModel.map((p) => p[i]).join());
    };
    const v4Rows = rows('v4');
    const v6Rows = rows('v6');
    // The v4 release is the per-keyword file concatenated in file order (its labels confirm it).
    const v4Position = new Map(Object.values(v6Inputs.v4PerKeyword).flat().map((ti, i) => [ti, i]));
    const check = (tiIndices: number[]) => {
      const kept = tiIndices.map((ti, pos) => [ti, pos]).filter(([ti]) => v4Position.has(ti));
      return { kept: kept.length, mismatched: kept.filter(([ti, pos]) => v4Rows[v4Position.get(ti)!] !== v6Rows[pos]).length };
    };

    it('all 30 models agree at each of the 1,874 positions that hold a v4 image', () => {
      expect(models).toHaveLength(30);
      expect(v4Rows).toHaveLength(2021);
      expect(check(v6.tiIndices)).toEqual({ kept: 1874, mismatched: 0 });
    });

    it('the check has teeth: another seed leaves hundreds of positions disagreeing', () => {
      expect(check(sampleV6(v6Inputs, cpython('3.6', 670725113)).tiIndices).mismatched).toBeGreaterThan(100);
    });
  });

  describe('set order: 3.6 vs the python3 here (3.11)', () => {
    let python: number[];
    beforeAll(() => {
      python = JSON.parse(runPython(NOTEBOOK.replace('sys.argv[1]', JSON.stringify(shared))));
    });

    it("with the 3.11 rule, equals python3's own run of the notebook procedure, index for index", () => {
      expect(sampleV6(v6Inputs, cpython('3.11')).tiIndices).toEqual(python);
    });

    it('3.6 and 3.11 differ in exactly one draw: the passenger_ship image drawn from a 19-element set difference', () => {
      const v311 = sampleV6(v6Inputs, cpython('3.11'));
      const differing = v6.tiIndices.map((ti, pos) => ({ pos, v36: ti, v311: v311.tiIndices[pos] })).filter((d) => d.v36 !== d.v311);
      expect(differing).toEqual([{ pos: 1616, v36: 51548469, v311: 51548377 }]);
      const start = v6.perKeyword.findIndex((k) => k.keyword === 'passenger_ship');
      const before = v6.perKeyword.slice(0, start).reduce((n, k) => n + k.indices.length, 0);
      expect(v6.perKeyword[start].class).toBe('ship');
      expect(1616 - before).toBe(16); // the 17th ship/passenger_ship image, after its 16 v4 ones

      // Its pool, list(set(confirmed) - set(v4)), has 19 elements: 32 slots under 3.6, 128 under 3.11.
      // boat's has 16, in 32 slots under both, so its draw agrees.
      const pool = (keyword: string, rule: '3.6' | '3.11') => {
        const banned = new Set(v6Inputs.blacklist);
        const confirmed = v6Inputs.confirmed[keyword].filter((i) => !banned.has(i));
        return cpython(rule).setDifference(confirmed, v6Inputs.v4PerKeyword[keyword]);
      };
      expect(pool('passenger_ship', '3.6')).toHaveLength(19);
      expect(pool('passenger_ship', '3.6')).not.toEqual(pool('passenger_ship', '3.11'));
      expect(pool('boat', '3.6')).toHaveLength(16);
      expect(pool('boat', '3.6')).toEqual(pool('boat', '3.11'));
    });
  });
});

describe('sampleV6 input checks', () => {
  const small = (over: Partial<V6Inputs>): V6Inputs => ({
    classes: ['airplane', 'ship'],
    quotas: { airplane: { jet: 2 }, ship: { boat: 1 } },
    confirmed: { jet: [1, 2, 3], boat: [10, 11] },
    blacklist: [],
    v4PerKeyword: {},
    ...over,
  });
  const run = (inputs: V6Inputs) => () => sampleV6(inputs, cpython('3.6'));

  it('names the keyword whose pool is too small, counting the blacklist', () => {
    expect(run(small({ blacklist: [1, 2] }))).toThrow(InputError);
    expect(run(small({ blacklist: [1, 2] }))).toThrow(/^jet: airplane needs 2 more images but only 1 confirmed ones are left$/);
  });

  it('refuses integer-like keywords, whose JSON order a JS object would not keep', () => {
    expect(run(small({ quotas: { airplane: { jet: 1, '747': 1 }, ship: { boat: 1 } }, confirmed: { jet: [1], 747: [5], boat: [10] } }))).toThrow(
      /keyword_counts_v6.json: 747: an integer-like key/,
    );
  });

  it('refuses a split keyword v4 image claimed by two classes, and an image drawn twice', () => {
    const split = { cruiser: { airplane: [1, 2], ship: [2, 3] } };
    expect(run(small({ quotas: { airplane: { cruiser: 1 }, ship: { cruiser: 1 } }, splitKeywords: split, v4PerKeyword: { cruiser: [2] } }))).toThrow(
      /cruiser v4 index 2: is in 2 of the split class lists/,
    );
    expect(run(small({ confirmed: { jet: [7, 8], boat: [7, 8] }, quotas: { airplane: { jet: 2 }, ship: { boat: 2 } } }))).toThrow(
      /TinyImages index \d: drawn for both jet and boat/,
    );
  });
});

describe('sampleV4', () => {
  const classes: string[] = Object.keys(quotas);
  const keywords: string[] = otherData('keywords_v4.json');
  const confirmed: Record<string, number[]> = otherData('tinyimage_good_indices_subselected_v4.json');
  const blacklist: number[] = otherData('blacklist_v4.json');
  const v4: Record<string, number[]> = v6Inputs.v4PerKeyword;
  // Class of each keyword: from the v6 quotas, else 0 (only keywords with no v4 images lack one).
  const keywordClass = Object.fromEntries(keywords.map((k) => [k, Math.max(0, classes.findIndex((c) => k in quotas[c]))]));

  it('draws, per keyword in order, what random.sample draws from the non-blacklisted confirmed list', () => {
    const counts = Object.fromEntries(keywords.map((k) => [k, (v4[k] ?? []).length]));
    const python: number[][] = JSON.parse(
      runPython(
        `import json, random, sys\nkeywords, counts, confirmed, blacklist = json.load(sys.stdin)\nbl = set(blacklist)\nrandom.seed(12345)\n` +
          `print(json.dumps([random.sample([i for i in confirmed.get(k, []) if i not in bl], counts[k]) for k in keywords]))`,
        JSON.stringify([keywords, counts, confirmed, blacklist]),
      ),
    );
    const v4Sample = sampleV4({ classes, keywordClass, keywords, counts, confirmed, blacklist }, createRng({ kind: 'cpython', seed: 12345 }));
    expect(v4Sample.perKeyword.map((k) => k.indices)).toEqual(python);
    expect(v4Sample.tiIndices).toHaveLength(2021);
    expect(v4Sample.labels).toEqual(keywords.flatMap((k) => new Array(counts[k]).fill(keywordClass[k])));
  });

  it("names the first keyword the README's ceil(count/30) rule cannot fill from the published lists", () => {
    const cifarCounts: Record<string, number> = otherData('keyword_counts_v4.json');
    const counts = Object.fromEntries(keywords.map((k) => [k, cifarCounts[k] / 30 < 0.5 ? 0 : Math.ceil(cifarCounts[k] / 30)]));
    expect(() => sampleV4({ classes, keywordClass, keywords, counts, confirmed, blacklist }, createRng({ kind: 'cpython', seed: 1 }))).toThrow(
      /^(sport_car|door|ford|opel|sports_car): needs 1 images but only 0 confirmed ones are left$/,
    );
  });
});

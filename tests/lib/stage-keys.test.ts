import { describe, expect, it } from 'vitest';
import { digest, keyed, type Keyed, type KeyParts, recordedResult, STAGE_VERSIONS, stageKeys, type VersionedStage, type VersionOverrides } from '../../lib/stage-keys';
import { runPython } from '../helpers/python';

const ref = (key: string) => ({ key });
/** A stage output as computeDistances reads it: the SHA-256 of the CIFAR-10 and candidate images. */
const images = (cifar: string, candidates: string) => ({
  files: { 'cifar10_images.npy': { sha256: cifar }, 'candidate_images.npy': { sha256: candidates } },
});

/** The parts two keys differ in, as `cifar101 plan` names them: `config: keywords.topK`, `upstream: extractSources`, `data: cifar`. */
function changedParts(a: KeyParts, b: KeyParts): string[] {
  const out: string[] = [];
  for (const section of ['config', 'upstream', 'data'] as const) {
    const names = new Set([...Object.keys(a[section] ?? {}), ...Object.keys(b[section] ?? {})]);
    for (const name of names) if (JSON.stringify(a[section]?.[name]) !== JSON.stringify(b[section]?.[name])) out.push(`${section}: ${name}`);
  }
  return out;
}

/**
 * Every stage key: how it is made from its inputs (`make`, with version
 * overrides), and one change of each input with the part it must show up in.
 */
interface KeyCase {
  name: string;
  versionOf: VersionedStage;
  make: (v?: VersionOverrides) => Keyed;
  changes: Array<[part: string, make: () => Keyed]>;
}

const subsetsArgs = ['e1', 'kw1', 25, [] as string[], ['cat', 'dog']] as const;
const sampling = { method: 'balanced', perClass: 200 };
const sampleConfig = { seed: 670725112, rng: { kind: 'cpython', setRule: '3.6' }, classes: ['cat', 'dog'] };

const CASES: KeyCase[] = [
  {
    name: 'extractSources', versionOf: 'extractSources',
    make: (v) => stageKeys.extractSources({ demo: 101 }, v),
    changes: [['data: source', () => stageKeys.extractSources({ demo: 102 })]],
  },
  {
    name: 'ingestPool', versionOf: 'ingestPool',
    make: (v) => stageKeys.ingestPool('pool-a', { fit: 'cover' }, { sharp: '0.35.5' }, ['cat', 'dog'], v),
    changes: [
      ['data: pool', () => stageKeys.ingestPool('pool-b', { fit: 'cover' }, { sharp: '0.35.5' }, ['cat', 'dog'])],
      ['config: pool.resize', () => stageKeys.ingestPool('pool-a', { fit: 'contain' }, { sharp: '0.35.5' }, ['cat', 'dog'])],
      ['data: engine', () => stageKeys.ingestPool('pool-a', { fit: 'cover' }, { sharp: '0.36.0' }, ['cat', 'dog'])],
      ['config: classes', () => stageKeys.ingestPool('pool-a', { fit: 'cover' }, { sharp: '0.35.5' }, ['dog', 'cat'])],
    ],
  },
  {
    name: 'findCifar10Keywords', versionOf: 'findCifar10Keywords',
    make: (v) => stageKeys.findCifar10Keywords(ref('e1'), 1, v),
    changes: [
      ['upstream: extractSources', () => stageKeys.findCifar10Keywords(ref('e2'), 1)],
      ['config: keywords.matchMaxDistance', () => stageKeys.findCifar10Keywords(ref('e1'), 1.5)],
    ],
  },
  {
    name: 'findCifar10Keywords-shards', versionOf: 'findCifar10Keywords-shards',
    make: (v) => stageKeys.findCifar10KeywordsShard(ref('e1'), 1, 0, 1000, v),
    changes: [
      ['upstream: extractSources', () => stageKeys.findCifar10KeywordsShard(ref('e2'), 1, 0, 1000)],
      ['config: keywords.matchMaxDistance', () => stageKeys.findCifar10KeywordsShard(ref('e1'), 2, 0, 1000)],
      ['data: start', () => stageKeys.findCifar10KeywordsShard(ref('e1'), 1, 1, 1000)],
      ['data: end', () => stageKeys.findCifar10KeywordsShard(ref('e1'), 1, 0, 999)],
    ],
  },
  {
    name: 'assignKeywords', versionOf: 'assignKeywords',
    make: (v) => stageKeys.assignKeywords(ref('e1'), ref('m1'), v),
    changes: [
      ['upstream: extractSources', () => stageKeys.assignKeywords(ref('e2'), ref('m1'))],
      ['upstream: findCifar10Keywords', () => stageKeys.assignKeywords(ref('e1'), ref('m2'))],
    ],
  },
  {
    name: 'poolKeywords', versionOf: 'poolKeywords',
    make: (v) => stageKeys.poolKeywords(ref('e1'), ref('p1'), v),
    changes: [
      ['upstream: extractSources', () => stageKeys.poolKeywords(ref('e2'), ref('p1'))],
      ['upstream: ingestPool', () => stageKeys.poolKeywords(ref('e1'), ref('p2'))],
    ],
  },
  {
    name: 'buildKeywordSubsets', versionOf: 'buildKeywordSubsets',
    make: (v) => stageKeys.buildKeywordSubsets(ref(subsetsArgs[0]), ref(subsetsArgs[1]), subsetsArgs[2], [...subsetsArgs[3]], [...subsetsArgs[4]], v),
    changes: [
      ['upstream: extractSources', () => stageKeys.buildKeywordSubsets(ref('e2'), ref('kw1'), 25, [], ['cat', 'dog'])],
      ['upstream: keywords', () => stageKeys.buildKeywordSubsets(ref('e1'), ref('kw2'), 25, [], ['cat', 'dog'])],
      ['config: keywords.topK', () => stageKeys.buildKeywordSubsets(ref('e1'), ref('kw1'), 50, [], ['cat', 'dog'])],
      ['config: keywords.excluded', () => stageKeys.buildKeywordSubsets(ref('e1'), ref('kw1'), 25, ['pug'], ['cat', 'dog'])],
      ['config: classes', () => stageKeys.buildKeywordSubsets(ref('e1'), ref('kw1'), 25, [], ['cat'])],
    ],
  },
  {
    name: 'computeDistances', versionOf: 'computeDistances',
    make: (v) => stageKeys.computeDistances(images('c1', 'x'), images('y', 'n1'), 10, v),
    changes: [
      ['data: cifar', () => stageKeys.computeDistances(images('c2', 'x'), images('y', 'n1'), 10)],
      ['data: candidates', () => stageKeys.computeDistances(images('c1', 'x'), images('y', 'n2'), 10)],
      ['config: distances.neighbors', () => stageKeys.computeDistances(images('c1', 'x'), images('y', 'n1'), 5)],
    ],
  },
  {
    name: 'computeDistances-shards', versionOf: 'computeDistances-shards',
    make: (v) => stageKeys.computeDistancesShard(images('c1', 'x'), 10, 'p1', v),
    changes: [
      ['data: cifar', () => stageKeys.computeDistancesShard(images('c2', 'x'), 10, 'p1')],
      ['data: candidates', () => stageKeys.computeDistancesShard(images('c1', 'x'), 10, 'p2')],
      ['config: distances.neighbors', () => stageKeys.computeDistancesShard(images('c1', 'x'), 11, 'p1')],
    ],
  },
  {
    name: 'computeKeywordCounts', versionOf: 'computeKeywordCounts',
    make: (v) => stageKeys.computeKeywordCounts(ref('s1'), sampling, ['cat', 'dog'], [], null, v),
    changes: [
      ['upstream: buildKeywordSubsets', () => stageKeys.computeKeywordCounts(ref('s2'), sampling, ['cat', 'dog'], [], null)],
      ['config: sampling', () => stageKeys.computeKeywordCounts(ref('s1'), { ...sampling, perClass: 201 }, ['cat', 'dog'], [], null)],
      ['config: classes', () => stageKeys.computeKeywordCounts(ref('s1'), sampling, ['dog', 'cat'], [], null)],
      ['config: keywords.excluded', () => stageKeys.computeKeywordCounts(ref('s1'), sampling, ['cat', 'dog'], ['pug'], null)],
      ['data: published', () => stageKeys.computeKeywordCounts(ref('s1'), sampling, ['cat', 'dog'], [], { cat: { tabby: 2 } })],
    ],
  },
  {
    name: 'labelCandidates', versionOf: 'labelCandidates',
    make: (v) => stageKeys.roundPages('labelCandidates', [['r1/cat/tabby', 'd1']], 'i1', 'c1', v),
    changes: [
      ['data: pages', () => stageKeys.roundPages('labelCandidates', [['r1/cat/tabby', 'd2']], 'i1', 'c1')],
      ['data: pages,data: count', () => stageKeys.roundPages('labelCandidates', [['r1/cat/tabby', 'd1'], ['r1/cat/kitten', 'd3']], 'i1', 'c1')],
      ['data: images', () => stageKeys.roundPages('labelCandidates', [['r1/cat/tabby', 'd1']], 'i2', 'c1')],
      ['data: cifar', () => stageKeys.roundPages('labelCandidates', [['r1/cat/tabby', 'd1']], 'i1', 'c2')],
    ],
  },
  {
    name: 'labels-round1', versionOf: 'labels',
    make: (v) => stageKeys.labels(1, { cat: { tabby: [1, 2] } }, { cat: { tabby: [1, 2, 3] } }, v),
    changes: [
      ['data: accepted', () => stageKeys.labels(1, { cat: { tabby: [1] } }, { cat: { tabby: [1, 2, 3] } })],
      ['data: offered', () => stageKeys.labels(1, { cat: { tabby: [1, 2] } }, { cat: { tabby: [1, 2, 4] } })],
    ],
  },
  {
    name: 'sampleRelease', versionOf: 'sampleRelease',
    make: (v) => stageKeys.sampleRelease(sampleConfig, ref('q1'), ref('l1'), 'b1', undefined, v),
    changes: [
      ['config: seed', () => stageKeys.sampleRelease({ ...sampleConfig, seed: 1 }, ref('q1'), ref('l1'), 'b1', undefined)],
      ['config: rng', () => stageKeys.sampleRelease({ ...sampleConfig, rng: { kind: 'seedrandom' } }, ref('q1'), ref('l1'), 'b1', undefined)],
      ['config: classes', () => stageKeys.sampleRelease({ ...sampleConfig, classes: ['cat'] }, ref('q1'), ref('l1'), 'b1', undefined)],
      ['upstream: computeKeywordCounts', () => stageKeys.sampleRelease(sampleConfig, ref('q2'), ref('l1'), 'b1', undefined)],
      ['upstream: labels-round2', () => stageKeys.sampleRelease(sampleConfig, ref('q1'), ref('l2'), 'b1', undefined)],
      ['data: blacklist', () => stageKeys.sampleRelease(sampleConfig, ref('q1'), ref('l1'), 'b2', undefined)],
      ['data: base', () => stageKeys.sampleRelease(sampleConfig, ref('q1'), ref('l1'), 'b1', 'v4-release')],
    ],
  },
  {
    name: 'checkNearDuplicates', versionOf: 'checkNearDuplicates',
    make: (v) => stageKeys.checkNearDuplicates(ref('s1'), ref('k1'), ref('d1'), 2000, 2000, v),
    changes: [
      ['upstream: sampleRelease', () => stageKeys.checkNearDuplicates(ref('s2'), ref('k1'), ref('d1'), 2000, 2000)],
      ['upstream: buildKeywordSubsets', () => stageKeys.checkNearDuplicates(ref('s1'), ref('k2'), ref('d1'), 2000, 2000)],
      ['upstream: computeDistances', () => stageKeys.checkNearDuplicates(ref('s1'), ref('k1'), ref('d2'), 2000, 2000)],
      ['config: nearDuplicates.withinThreshold', () => stageKeys.checkNearDuplicates(ref('s1'), ref('k1'), ref('d1'), 1500, 2000)],
      ['config: nearDuplicates.cifarThreshold', () => stageKeys.checkNearDuplicates(ref('s1'), ref('k1'), ref('d1'), 2000, 1500)],
    ],
  },
  {
    name: 'updateBlacklist', versionOf: 'updateBlacklist',
    make: (v) => stageKeys.updateBlacklist([3, 9, 27], v),
    changes: [
      ['data: list', () => stageKeys.updateBlacklist([3, 9, 28])],
      ['data: list,data: size', () => stageKeys.updateBlacklist([3, 9, 27, 81])],
    ],
  },
  {
    name: 'exportRelease', versionOf: 'exportRelease',
    make: (v) => stageKeys.exportRelease('v4', ref('s1'), ref('e1'), 40, undefined, v),
    changes: [
      ['config: release', () => stageKeys.exportRelease('v6', ref('s1'), ref('e1'), 40, undefined)],
      ['upstream: sampleRelease', () => stageKeys.exportRelease('v4', ref('s2'), ref('e1'), 40, undefined)],
      ['upstream: extractSources', () => stageKeys.exportRelease('v4', ref('s1'), ref('e2'), 40, undefined)],
      ['config: export.contactSheetColumns', () => stageKeys.exportRelease('v4', ref('s1'), ref('e1'), 20, undefined)],
      ['upstream: ingestPool', () => stageKeys.exportRelease('v4', ref('s1'), ref('e1'), 40, ref('p1'))],
    ],
  },
  {
    name: 'evaluateModels', versionOf: 'evaluateModels',
    make: (v) => stageKeys.evaluateModels('v4', ref('x1'), ref('e1'), { dir: 'p1' }, 'l1', 'c1', v),
    changes: [
      ['config: release', () => stageKeys.evaluateModels('v6', ref('x1'), ref('e1'), { dir: 'p1' }, 'l1', 'c1')],
      ['upstream: exportRelease', () => stageKeys.evaluateModels('v4', ref('x2'), ref('e1'), { dir: 'p1' }, 'l1', 'c1')],
      ['upstream: extractSources', () => stageKeys.evaluateModels('v4', ref('x1'), ref('e2'), { dir: 'p1' }, 'l1', 'c1')],
      ['data: predictions', () => stageKeys.evaluateModels('v4', ref('x1'), ref('e1'), { dir: 'p2' }, 'l1', 'c1')],
      ['upstream: labels-round1', () => stageKeys.evaluateModels('v4', ref('x1'), ref('e1'), { dir: 'p1' }, 'l2', 'c1')],
      ['upstream: labels-round2', () => stageKeys.evaluateModels('v4', ref('x1'), ref('e1'), { dir: 'p1' }, 'l1', undefined)],
    ],
  },
  {
    name: 'describeRelease', versionOf: 'describeRelease',
    make: (v) => stageKeys.describeRelease({ release: 'v4' }, { sampleRelease: 's1' }, { audit: 1 }, v),
    changes: [
      ['config: release', () => stageKeys.describeRelease({ release: 'v6' }, { sampleRelease: 's1' }, { audit: 1 })],
      ['upstream: sampleRelease', () => stageKeys.describeRelease({ release: 'v4' }, { sampleRelease: 's2' }, { audit: 1 })],
      ['data: audit', () => stageKeys.describeRelease({ release: 'v4' }, { sampleRelease: 's1' }, { audit: 2 })],
    ],
  },
  {
    name: 'recordRelease', versionOf: 'recordRelease',
    make: (v) => stageKeys.recordRelease('v4', 'h1', { demo: 101 }, { images: 2021 }, v),
    changes: [
      ['config: release', () => stageKeys.recordRelease('v6', 'h1', { demo: 101 }, { images: 2021 })],
      ['config: configHash', () => stageKeys.recordRelease('v4', 'h2', { demo: 101 }, { images: 2021 })],
      ['data: source', () => stageKeys.recordRelease('v4', 'h1', { demo: 102 }, { images: 2021 })],
      ['data: made', () => stageKeys.recordRelease('v4', 'h1', { demo: 101 }, { images: 2000 })],
    ],
  },
];

describe('keyed', () => {
  it('keys a stage by ArtifactStore.key of its store name, its code version and its parts, as Python computes it', () => {
    const parts: KeyParts = { config: { 'keywords.topK': 25, classes: ['cat', 'dog'] }, upstream: { extractSources: 'e1' }, data: { n: 3 } };
    const python = runPython(
      `import hashlib, json, sys
parts = json.load(sys.stdin)
print(hashlib.sha256(json.dumps({'stage': 'buildKeywordSubsets', 'version': ${STAGE_VERSIONS.buildKeywordSubsets}, 'inputs': parts}, sort_keys=True, separators=(',', ':')).encode()).hexdigest()[:32])`,
      JSON.stringify(parts),
    ).trim();
    expect(keyed('buildKeywordSubsets', 'buildKeywordSubsets', parts)).toEqual({ stage: 'buildKeywordSubsets', key: python, version: STAGE_VERSIONS.buildKeywordSubsets, parts });
  });

  it('records the overridden version, and keys by it', () => {
    const parts: KeyParts = { data: { n: 1 } };
    const base = keyed('s', 'labels', parts);
    const bumped = keyed('s', 'labels', parts, { labels: 9 });
    expect(base.version).toBe(STAGE_VERSIONS.labels);
    expect(bumped).toMatchObject({ stage: 's', version: 9, parts });
    expect(bumped.key).not.toBe(base.key);
    // An override of another stage changes nothing here.
    expect(keyed('s', 'labels', parts, { sampleRelease: 9 })).toEqual(base);
  });

  it('keys two stages of one version row apart by their store names', () => {
    expect(keyed('labels-round1', 'labels', {}).key).not.toBe(keyed('labels-round2', 'labels', {}).key);
  });
});

describe('stageKeys', () => {
  describe.each(CASES)('$name', ({ name, versionOf, make, changes }) => {
    it('is the same for the same parts, under the store name and version of its row', () => {
      const once = make();
      expect(make()).toEqual(once);
      expect(once.stage).toBe(name);
      expect(once.version).toBe(STAGE_VERSIONS[versionOf]);
      expect(once.key).toMatch(/^[0-9a-f]{32}$/);
    });

    it.each(changes)('changes with %s, and names that part', (part, change) => {
      const base = make();
      const changed = change();
      expect(changed.key).not.toBe(base.key);
      expect(changedParts(base.parts, changed.parts).join(',')).toBe(part);
    });

    it('changes with a version override of its own row only', () => {
      const base = make();
      const bumped = make({ [versionOf]: STAGE_VERSIONS[versionOf] + 1 });
      expect(bumped.version).toBe(STAGE_VERSIONS[versionOf] + 1);
      expect(bumped.key).not.toBe(base.key);
      expect(bumped.parts).toEqual(base.parts);
      const other: VersionedStage = versionOf === 'recordRelease' ? 'extractSources' : 'recordRelease';
      expect(make({ [other]: 99 })).toEqual(base);
    });
  });

  it('keys computeDistances by the images, so two builds whose stages differ share it when their images do not', () => {
    const v4 = stageKeys.computeDistances({ files: { ...images('c1', '').files, 'other.npy': { sha256: 'v4' } } }, images('', 'n1'), 10);
    const v6 = stageKeys.computeDistances(images('c1', 'unused'), { files: { ...images('unused', 'n1').files, 'subsets.json': { sha256: 'v6' } } }, 10);
    expect(v6.key).toBe(v4.key);
    expect(v4.parts).toEqual({ config: { 'distances.neighbors': 10 }, data: { cifar: 'c1', candidates: 'n1' } });
  });

  it('leaves sampling.base out of computeKeywordCounts, and the published counts out when there are none', () => {
    const plain = stageKeys.computeKeywordCounts(ref('s1'), sampling, ['cat'], [], null);
    expect(stageKeys.computeKeywordCounts(ref('s1'), { ...sampling, base: './v4.yaml' }, ['cat'], [], null)).toEqual(plain);
    expect(plain.parts.data).toBeUndefined();
    const published = { cat: { tabby: 2 } };
    expect(stageKeys.computeKeywordCounts(ref('s1'), sampling, ['cat'], [], published).parts.data).toEqual({ published: digest(published) });
  });

  it('keys the two rounds\' pages under their own stage and version rows', () => {
    const pages: Array<[string, string]> = [['r1/cat/tabby', 'd1']];
    const label = stageKeys.roundPages('labelCandidates', pages, 'i1', 'c1');
    const confirm = stageKeys.roundPages('confirmCandidates', pages, 'i1', 'c1');
    expect(confirm).toMatchObject({ stage: 'confirmCandidates', version: STAGE_VERSIONS.confirmCandidates, parts: label.parts });
    expect(confirm.key).not.toBe(label.key);
    expect(label.parts.data).toEqual({ pages: digest(pages), count: 1, images: 'i1', cifar: 'c1' });
  });

  it('keys each round\'s labels under its own store name', () => {
    const a = stageKeys.labels(1, {}, {});
    const b = stageKeys.labels(2, {}, {});
    expect([a.stage, b.stage]).toEqual(['labels-round1', 'labels-round2']);
    expect(a.key).not.toBe(b.key);
  });

  it('keys who decided a round apart from its labels, at version 2 whatever the overrides', () => {
    const who = stageKeys.roundDecisions(1, { 'r1/cat/tabby': 'ana' }, { 'r1/cat/tabby': '2026-11-30T09:00:00Z' });
    expect(who).toMatchObject({ stage: 'labelers-round1', version: 2, parts: { data: { labelers: { 'r1/cat/tabby': 'ana' }, decided: { 'r1/cat/tabby': '2026-11-30T09:00:00Z' } } } });
    expect(stageKeys.roundDecisions(1, { 'r1/cat/tabby': 'ben' }, { 'r1/cat/tabby': '2026-11-30T09:00:00Z' }).key).not.toBe(who.key);
    expect(stageKeys.roundDecisions(1, { 'r1/cat/tabby': 'ana' }, { 'r1/cat/tabby': '2026-12-01T09:00:00Z' }).key).not.toBe(who.key);
    expect(stageKeys.roundDecisions(2, { 'r1/cat/tabby': 'ana' }, { 'r1/cat/tabby': '2026-11-30T09:00:00Z' }).stage).toBe('labelers-round2');
  });

  it('keys the report apart from the audit though both take the describeRelease version', () => {
    const report = stageKeys.reportRelease({ release: 'v4' }, { a: 'k' }, { n: 1 });
    const describe_ = stageKeys.describeRelease({ release: 'v4' }, { a: 'k' }, { n: 1 });
    expect(report).toMatchObject({ stage: 'reportRelease', version: STAGE_VERSIONS.describeRelease, parts: describe_.parts });
    expect(report.key).not.toBe(describe_.key);
    expect(stageKeys.reportRelease({ release: 'v4' }, { a: 'k' }, { n: 2 }).key).not.toBe(report.key);
  });

  it('keeps a large input in its key by digest, so the parts an entry records stay small', () => {
    const list = Array.from({ length: 5000 }, (_, i) => i * 7);
    expect(stageKeys.updateBlacklist(list).parts).toEqual({ data: { list: digest(list), size: 5000 } });
    expect(stageKeys.updateBlacklist([...list].reverse()).key).not.toBe(stageKeys.updateBlacklist(list).key);
  });
});

describe('digest', () => {
  it('is the first 32 hex digits of SHA-256 over the sorted-key JSON, as Python computes it', () => {
    const value = { b: [3, 1, { z: 1, y: 2 }], a: 'tabby', n: null };
    const python = runPython(
      `import hashlib, json, sys
print(hashlib.sha256(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(',', ':')).encode()).hexdigest()[:32])`,
      JSON.stringify(value),
    ).trim();
    expect(digest(value)).toBe(python);
  });

  it('is stable: the same for equal values whatever their key order, different for another value', () => {
    expect(digest({ a: 1, b: { c: [1, 2] } })).toBe(digest({ b: { c: [1, 2] }, a: 1 }));
    expect(digest({ a: 1, b: { c: [1, 2] } })).not.toBe(digest({ a: 1, b: { c: [2, 1] } }));
    expect(digest([1, 2])).not.toBe(digest('[1,2]'));
  });
});

describe('recordedResult', () => {
  it('drops only the top-level stages', () => {
    const result = { release: 'v4', images: 2021, stages: [{ stage: 'extractSources', cached: true }], manifest: { stages: 'kept' } };
    expect(recordedResult(result)).toEqual({ release: 'v4', images: 2021, manifest: { stages: 'kept' } });
    expect(recordedResult({ release: 'v4' })).toEqual({ release: 'v4' });
    // A rebuild from the store (every stage cached) records the same as the first build.
    expect(digest(recordedResult({ ...result, stages: [{ stage: 'extractSources', cached: false }] }))).toBe(digest(recordedResult(result)));
    expect(result.stages).toHaveLength(1); // the result itself is left as it was
  });
});

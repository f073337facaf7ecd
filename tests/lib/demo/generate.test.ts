import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import seedrandom from 'seedrandom';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReleaseConfig } from '../../../configs';
import { InputError } from '../../../lib/errors';
import { DEMO_DESIGN, keywordPlan } from '../../../lib/demo/design';
import { type DemoCorpusInfo, ensureDemoCorpus, generateDemoCorpus, type GroundTruth } from '../../../lib/demo/generate';
import { readCifar10 } from '../../../lib/formats/cifar10';
import { TinyImages } from '../../../lib/formats/tinyimages';
import { sha256s } from '../../helpers/files';
import { keepScreenshot } from '../../helpers/screenshots';

const SEED = 7;
const ROOT = path.resolve(__dirname, '..', '..', '..');
const image = (all: Uint8Array, i: number) => all.subarray(i * 3072, (i + 1) * 3072);

const CLASSES = DEMO_DESIGN.classes.length;
const plans = DEMO_DESIGN.keywordWeights.map((_, position) => keywordPlan(position));
/** A keyword plan's number summed over the keywords of every class. */
const perKeyword = (of: (plan: ReturnType<typeof keywordPlan>) => number) => CLASSES * plans.reduce((s, plan) => s + of(plan), 0);
/** The corpus's counts, worked out from the design alone. */
const DESIGNED = {
  tinyImages:
    perKeyword((p) => p.cifar + p.good + p.offTopic) + CLASSES * DEMO_DESIGN.duplicatesPerClass + DEMO_DESIGN.fillerKeywords.length * DEMO_DESIGN.fillerPerKeyword,
  cifarTrain: CLASSES * DEMO_DESIGN.trainPerClass,
  cifarTest: CLASSES * DEMO_DESIGN.testPerClass,
  cifarDuplicates: CLASSES * DEMO_DESIGN.duplicatesPerClass,
  good: perKeyword((p) => p.good),
  ambiguous: perKeyword((p) => p.ambiguous),
  offTopic: perKeyword((p) => p.offTopic),
  filler: DEMO_DESIGN.fillerKeywords.length * DEMO_DESIGN.fillerPerKeyword,
  nearDuplicates: { 'cifar-close': perKeyword((p) => p.cifarClose), 'cifar-near': perKeyword((p) => p.cifarNear), pair: perKeyword((p) => p.pairs) },
};

function distance(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 3072; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

describe('demo corpus', () => {
  let root: string;
  let info: DemoCorpusInfo;
  let truth: GroundTruth;
  let ti: Uint8Array;
  let keywords: string[];
  /** Second copies of CIFAR-10 images: [original TinyImages index, copy]. */
  let copies: [number, number][];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'demo-'));
    info = await generateDemoCorpus(path.join(root, 'a'), { seed: SEED });
    truth = JSON.parse(await readFile(info.groundTruthFile, 'utf8'));
    const tiny = await TinyImages.open(info.tinyImagesDir);
    try {
      ti = await tiny.readHWC(0, tiny.count);
      keywords = await Promise.all(Array.from({ length: tiny.count }, (_, i) => tiny.keyword(i)));
    } finally {
      await tiny.close();
    }
    const sources = new Set(truth.cifarSource);
    copies = [...contentGroups(ti, keywords.length).values()]
      .filter((group) => group.length > 1)
      .map(([a, b]) => (sources.has(a) ? [a, b] : [b, a]));
  });

  afterAll(() => rm(root, { recursive: true, force: true }));

  it('is byte-identical for the same seed and leaves no temp folders', async () => {
    const again = await generateDemoCorpus(path.join(root, 'b'), { seed: SEED });
    expect(await sha256s(again.dir)).toEqual(await sha256s(info.dir));
    expect((await readdir(root)).sort()).toEqual(['a', 'b']);
  });

  it('has the designed counts', () => {
    expect(info.counts).toEqual(DESIGNED);
    expect(truth.counts).toEqual(info.counts);
    expect(truth.classOf).toHaveLength(DESIGNED.tinyImages);
    expect(truth.cifarSource).toHaveLength(DESIGNED.cifarTrain + DESIGNED.cifarTest);
    expect(truth.ambiguous).toHaveLength(DESIGNED.ambiguous);
    const planted = truth.nearDuplicates.map((d) => d.kind);
    for (const [kind, n] of Object.entries(DESIGNED.nearDuplicates)) expect(planted.filter((k) => k === kind), kind).toHaveLength(n);
  });

  it('files TinyImages by keyword in byte order, with the designed images per keyword', () => {
    expect(keywords.every((k, i) => i === 0 || keywords[i - 1] <= k)).toBe(true);
    const perKeyword = new Map<string, number>();
    for (const k of keywords) perKeyword.set(k, (perKeyword.get(k) ?? 0) + 1);
    const duplicatesIn = new Map<string, number>();
    for (const [, copy] of copies) duplicatesIn.set(keywords[copy], (duplicatesIn.get(keywords[copy]) ?? 0) + 1);
    DEMO_DESIGN.classes.forEach((cls) => {
      DEMO_DESIGN.keywords[cls].forEach((keyword, position) => {
        const plan = keywordPlan(position);
        const expected = plan.cifar + plan.good + plan.offTopic;
        expect(perKeyword.get(keyword)! - (duplicatesIn.get(keyword) ?? 0), keyword).toBe(expected);
      });
    });
    for (const keyword of DEMO_DESIGN.fillerKeywords) expect(perKeyword.get(keyword)).toBe(DEMO_DESIGN.fillerPerKeyword);
  });

  it('makes every CIFAR-10 image an exact copy of a TinyImages image of its class', async () => {
    const cifar = await readCifar10(info.cifar10Dir);
    expect(cifar.classNames).toEqual([...DEMO_DESIGN.classes]);
    const labels = [...cifar.train.labels, ...cifar.test.labels];
    const images = [cifar.train.images, cifar.test.images];
    for (let label = 0; label < CLASSES; label++) {
      expect(cifar.train.labels.filter((l) => l === label)).toHaveLength(DEMO_DESIGN.trainPerClass);
      expect(cifar.test.labels.filter((l) => l === label)).toHaveLength(DEMO_DESIGN.testPerClass);
    }
    const trainSize = DESIGNED.cifarTrain;
    truth.cifarSource.forEach((source, g) => {
      const own = g < trainSize ? image(images[0], g) : image(images[1], g - trainSize);
      expect(Buffer.compare(own, image(ti, source)), `cifar ${g}`).toBe(0);
      expect(truth.keywordClass[keywords[source]]).toBe(labels[g]);
      expect(truth.classOf[source]).toBe(labels[g]);
    });
    // Batches are shuffled across classes, as in the real CIFAR-10.
    expect(new Set(cifar.train.labels.subarray(0, 30)).size).toBeGreaterThan(5);
  });

  it(`files ${DEMO_DESIGN.duplicatesPerClass} CIFAR-10 images per class a second time, under a less frequent keyword of the same class`, () => {
    expect(copies).toHaveLength(DESIGNED.cifarDuplicates);
    const copiesPerClass = new Map<number, number>();
    for (const [original] of copies) copiesPerClass.set(truth.classOf[original], (copiesPerClass.get(truth.classOf[original]) ?? 0) + 1);
    expect([...copiesPerClass.values()]).toEqual(new Array(CLASSES).fill(DEMO_DESIGN.duplicatesPerClass));
    const sources = new Set(truth.cifarSource);
    const position = new Map(Object.values(DEMO_DESIGN.keywords).flatMap((list) => list.map((k, i) => [k as string, i])));
    for (const [original, copy] of copies) {
      expect(sources.has(original) && !sources.has(copy)).toBe(true);
      expect(truth.keywordClass[keywords[copy]]).toBe(truth.keywordClass[keywords[original]]);
      expect(position.get(keywords[copy])).toBeGreaterThan(position.get(keywords[original])!);
    }
  });

  it('labels candidates: off-topic and filler show no class, ambiguous ones show their keyword class', () => {
    const byClass = new Map<number, number>();
    truth.classOf.forEach((c, i) => {
      const keywordClass = truth.keywordClass[keywords[i]];
      if (keywordClass === undefined) expect(c, keywords[i]).toBe(-1);
      else expect([keywordClass, -1]).toContain(c);
      byClass.set(c, (byClass.get(c) ?? 0) + 1);
    });
    expect(byClass.get(-1)).toBe(DESIGNED.offTopic + DESIGNED.filler);
    for (const i of truth.ambiguous) expect(truth.classOf[i]).toBe(truth.keywordClass[keywords[i]]);
  });

  it('plants near-duplicates at their recorded distances, inside their bands', () => {
    const kinds = Object.keys(DEMO_DESIGN.planted) as (keyof typeof DEMO_DESIGN.planted)[];
    for (const d of truth.nearDuplicates) {
      const partner = 'ti' in d.partner ? d.partner.ti : truth.cifarSource[d.partner.cifar];
      const measured = distance(image(ti, d.ti), image(ti, partner));
      expect(measured).toBeCloseTo(d.distance, 6);
      const [lo, hi] = DEMO_DESIGN.planted[d.kind].band;
      expect(measured).toBeGreaterThanOrEqual(lo);
      expect(measured).toBeLessThanOrEqual(hi);
      expect(keywords[partner]).toBe(keywords[d.ti]);
      expect(truth.classOf[d.ti]).toBe(truth.keywordClass[keywords[d.ti]]);
      expect(truth.ambiguous).not.toContain(d.ti);
    }
    for (const kind of kinds) {
      const ds = truth.nearDuplicates.filter((d) => d.kind === kind).map((d) => d.distance);
      console.log(`${kind}: ${ds.length}, L2 ${Math.min(...ds).toFixed(0)}..${Math.max(...ds).toFixed(0)}`);
    }
  });

  it(`keeps distinct images of a class ${DEMO_DESIGN.minDistance} apart, and all images clear of the configs' near-duplicate threshold`, async () => {
    const { nearDuplicates } = await loadReleaseConfig(path.join(ROOT, 'configs', 'v6.yaml'));
    const threshold = Math.max(nearDuplicates.cifarThreshold, nearDuplicates.withinThreshold);
    const min = DEMO_DESIGN.minDistance;
    const n = keywords.length;
    const content = new Int32Array(n);
    [...contentGroups(ti, n).values()].forEach((group, id) => group.forEach((i) => (content[i] = id)));
    const partner = (d: GroundTruth['nearDuplicates'][number]) => ('ti' in d.partner ? d.partner.ti : truth.cifarSource[d.partner.cifar]);
    const planted = new Set(truth.nearDuplicates.map((d) => pairKey(content[d.ti], content[partner(d)])));
    // 4×4-block means bound L2 from below (16·Σ Δmean² <= ‖a−b‖²), so only close-looking pairs need all 3072 bytes.
    const means = Array.from({ length: n }, (_, i) => {
      const m = new Float64Array(192);
      const img = image(ti, i);
      for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) m[((p >> 7) * 8 + ((p & 31) >> 2)) * 3 + ch] += img[p * 3 + ch] / 16;
      return m;
    });
    /** L2 distance of a pair, or Infinity when it is at least `min` or a planted pair or exact copy. */
    const near = (a: number, b: number) => {
      if (content[a] === content[b] || planted.has(pairKey(content[a], content[b]))) return Infinity;
      let bound = 0;
      for (let k = 0; k < 192 && bound < min ** 2; k++) bound += 16 * (means[a][k] - means[b][k]) ** 2;
      const d = bound < min ** 2 ? distance(image(ti, a), image(ti, b)) : Infinity;
      return d < min ? d : Infinity;
    };

    // Every pair filed under one class (its six keywords, CIFAR-10 and candidates alike) or under the filler keywords.
    const groups = new Map<number, number[]>();
    keywords.forEach((k, i) => {
      const group = truth.keywordClass[k] ?? -1;
      groups.set(group, [...(groups.get(group) ?? []), i]);
    });
    let sameClass = Infinity;
    for (const members of groups.values()) {
      for (let x = 0; x < members.length; x++) for (let y = 0; y < x; y++) sameClass = Math.min(sameClass, near(members[x], members[y]));
    }
    expect(sameClass).toBe(Infinity);

    // Across classes nothing is enforced; a random sample shows how rare pairs below minDistance are (about 4 in a million).
    const rng = seedrandom('pairs');
    const sample = Array.from({ length: 300_000 }, () => near(Math.floor(rng() * n), Math.floor(rng() * n))).filter((d) => d < Infinity);
    console.log(`cross-class sample: ${sample.length} of 300000 pairs below ${min}, closest ${Math.min(...sample).toFixed(0)}`);
    expect(sample.length).toBeLessThan(10);
    expect(Math.min(...sample)).toBeGreaterThanOrEqual(threshold);
  });

  it('draws a contact sheet of the first image of every keyword, each cell the image it shows', async () => {
    const firsts = [...new Set(keywords)].map((k) => keywords.indexOf(k));
    const [cols, cell, zoom] = [12, 34, 3];
    const rows = Math.ceil(firsts.length / cols);
    const [width, height] = [cols * cell, rows * cell];
    const sheet = Buffer.alloc(width * height * 3, 255);
    firsts.forEach((idx, n) => {
      const [x0, y0] = [(n % cols) * cell + 1, Math.floor(n / cols) * cell + 1];
      for (let r = 0; r < 32; r++) sheet.set(image(ti, idx).subarray(r * 96, r * 96 + 96), ((y0 + r) * width + x0) * 3);
    });
    const file = path.join(root, 'demo-grid.png');
    await sharp(sheet, { raw: { width, height, channels: 3 } }).resize(width * zoom, height * zoom, { kernel: 'nearest' }).png().toFile(file);
    await keepScreenshot(file);

    // Read back: every pixel of every image is a zoom × zoom square of the PNG, and the gaps between cells are white.
    const { data, info: png } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect([png.width, png.height, png.channels]).toEqual([width * zoom, height * zoom, 3]);
    const at = (x: number, y: number) => [...data.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3)];
    firsts.forEach((idx, n) => {
      const [x0, y0] = [(n % cols) * cell + 1, Math.floor(n / cols) * cell + 1];
      const shown = Buffer.alloc(3072);
      const corners = Buffer.alloc(3072);
      for (let r = 0; r < 32; r++) {
        for (let c = 0; c < 32; c++) {
          shown.set(at((x0 + c) * zoom + 1, (y0 + r) * zoom + 1), (r * 32 + c) * 3);
          corners.set(at((x0 + c) * zoom + zoom - 1, (y0 + r) * zoom), (r * 32 + c) * 3);
        }
      }
      expect(shown.equals(image(ti, idx)), `cell ${n}: ${keywords[idx]}`).toBe(true);
      expect(corners.equals(image(ti, idx)), `cell ${n}: ${keywords[idx]}`).toBe(true);
      expect(at((x0 - 1) * zoom, (y0 - 1) * zoom)).toEqual([255, 255, 255]);
    });
  });

  describe('ensureDemoCorpus', () => {
    it('reuses a generated corpus', async () => {
      const before = (await stat(path.join(info.tinyImagesDir, 'tiny_images.bin'))).mtimeMs;
      expect(await ensureDemoCorpus(info.dir, SEED)).toEqual(info);
      expect((await stat(path.join(info.tinyImagesDir, 'tiny_images.bin'))).mtimeMs).toBe(before);
    });

    it('refuses a corpus made with another seed', async () => {
      await expect(ensureDemoCorpus(info.dir, SEED + 1)).rejects.toThrow(`${info.groundTruthFile}: the corpus was generated with seed ${SEED}, not ${SEED + 1}`);
    });

    it('will not overwrite a folder that holds something else', async () => {
      const dir = path.join(root, 'busy');
      await mkdir(dir);
      await writeFile(path.join(dir, 'notes.txt'), 'mine');
      await expect(generateDemoCorpus(dir, { seed: SEED })).rejects.toThrow(InputError);
      expect(await readdir(dir)).toEqual(['notes.txt']);
      expect((await readdir(root)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    });
  });
});

/** TinyImages indices grouped by identical bytes. */
function contentGroups(all: Uint8Array, n: number): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = createHash('sha1').update(image(all, i)).digest('hex');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  return groups;
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

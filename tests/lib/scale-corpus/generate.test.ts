import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateIndex, searchFile } from '../../../lib/dupsearch';
import { InputError } from '../../../lib/errors';
import { readCifar10 } from '../../../lib/formats/cifar10';
import { readNpy } from '../../../lib/formats/npy';
import { hwcToTiny, KEYWORD_BYTES, METADATA_BYTES, TinyImages } from '../../../lib/formats/tinyimages';
import type { GroundTruthV2 } from '../../../lib/ground-truth';
import { squaredL2 } from '../../../lib/knn';
import { SCALE_DESIGN } from '../../../lib/scale-corpus/design';
import { ensureScaleCorpus, type ScaleCorpusInfo, scaleCorpusBytes } from '../../../lib/scale-corpus/generate';
import { planScaleCorpus, type ScalePlan } from '../../../lib/scale-corpus/plan';
import { filesBelow, sha256s } from '../../helpers/files';

const d = SCALE_DESIGN;
const OPTS = { images: 40_000, candidates: 5_000, cifarTrain: 5_000, cifarTest: 1_000, seed: 3 };
const image = (all: Uint8Array, i: number) => all.subarray(i * 3072, (i + 1) * 3072);
const l2 = (a: Uint8Array, b: Uint8Array) => Math.sqrt(squaredL2(a, b));

async function mtimes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await filesBelow(dir)) out[name] = (await stat(path.join(dir, name))).mtimeMs;
  return out;
}

describe('scale corpus (small)', () => {
  let root: string;
  let info: ScaleCorpusInfo;
  let plan: ScalePlan;
  let truth: GroundTruthV2;
  let ti: Uint8Array;
  let keywords: string[];
  let classOf: Int8Array;
  let cifarSource: Int32Array;
  let cifarImages: Uint8Array;
  let cifarLabels: Uint8Array;
  let seconds: number;
  const progress: [number, number][] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'scale-corpus-'));
    const t0 = performance.now();
    info = await ensureScaleCorpus(path.join(root, 'a'), OPTS, { onProgress: (done, total) => progress.push([done, total]) });
    seconds = (performance.now() - t0) / 1000;
    plan = planScaleCorpus(OPTS);
    truth = JSON.parse(await readFile(info.groundTruthFile, 'utf8'));
    const tiny = await TinyImages.open(info.tinyImagesDir);
    try {
      ti = await tiny.readHWC(0, tiny.count);
    } finally {
      await tiny.close();
    }
    const metadata = await readFile(path.join(info.tinyImagesDir, 'tiny_metadata.bin'));
    keywords = Array.from({ length: OPTS.images }, (_, i) => metadata.toString('latin1', i * METADATA_BYTES, i * METADATA_BYTES + KEYWORD_BYTES).trimEnd());
    const npy = (name: string) => readNpy(path.join(info.dir, name));
    classOf = (await npy(truth.files.classOf)).data as Int8Array;
    cifarSource = (await npy(truth.files.cifarSource)).data as Int32Array;
    const cifar = await readCifar10(info.cifar10Dir);
    cifarImages = Buffer.concat([cifar.train.images, cifar.test.images]);
    cifarLabels = Buffer.concat([cifar.train.labels, cifar.test.labels]);
  }, 120_000);

  afterAll(() => rm(root, { recursive: true, force: true }));

  it('generates in a few seconds, reporting progress up to every image', () => {
    expect(seconds).toBeLessThan(30);
    expect(progress.at(-1)).toEqual([OPTS.images, OPTS.images]);
    expect(progress.every(([done], i) => i === 0 || done > progress[i - 1][0])).toBe(true);
  });

  it('writes the TinyImages and CIFAR-10 formats at the planned sizes', async () => {
    expect(ti.length).toBe(OPTS.images * 3072);
    expect((await stat(path.join(info.tinyImagesDir, 'tiny_metadata.bin'))).size).toBe(OPTS.images * METADATA_BYTES);
    expect(cifarLabels.length).toBe(OPTS.cifarTrain + OPTS.cifarTest);
    for (let c = 0; c < 10; c++) {
      expect(cifarLabels.subarray(0, OPTS.cifarTrain).filter((l) => l === c)).toHaveLength(OPTS.cifarTrain / 10);
      expect(cifarLabels.subarray(OPTS.cifarTrain).filter((l) => l === c)).toHaveLength(OPTS.cifarTest / 10);
    }
    // Shuffled across classes, as the real batches are.
    expect(new Set(cifarLabels.subarray(0, 30)).size).toBeGreaterThan(5);
    expect(classOf).toHaveLength(OPTS.images);
    expect(info.counts).toEqual(plan.counts);
    expect(info.bytes).toBeLessThanOrEqual(scaleCorpusBytes(OPTS));
    expect(scaleCorpusBytes(OPTS) - info.bytes).toBeLessThan(256 << 10);
  });

  it('files the images by keyword in byte order, each keyword holding what the plan says', () => {
    for (let i = 1; i < keywords.length; i++) if (keywords[i - 1] > keywords[i]) throw new Error(`unsorted at ${i}`);
    const sizes = new Map<string, number>();
    for (const k of keywords) sizes.set(k, (sizes.get(k) ?? 0) + 1);
    expect(Object.fromEntries(sizes)).toEqual(Object.fromEntries(plan.keywords.map((p) => [p.keyword, p.size])));
    expect(truth.keywordClass).toEqual(Object.fromEntries(plan.keywords.filter((p) => p.classIndex >= 0).map((p) => [p.keyword, p.classIndex])));
  });

  it('makes every CIFAR-10 image an exact copy of the TinyImages image the ground truth names, under a keyword of its class', () => {
    expect(cifarSource).toHaveLength(cifarLabels.length);
    cifarSource.forEach((source, g) => {
      if (Buffer.compare(image(cifarImages, g), image(ti, source)) !== 0) throw new Error(`cifar ${g} differs from ti ${source}`);
      expect(truth.keywordClass[keywords[source]]).toBe(cifarLabels[g]);
      expect(classOf[source]).toBe(cifarLabels[g]);
    });
    for (const { ti: copy, cifar } of truth.cifarCopies) {
      expect(Buffer.compare(image(cifarImages, cifar), image(ti, copy))).toBe(0);
      expect(truth.keywordClass[keywords[copy]]).toBe(cifarLabels[cifar]);
    }
    expect(truth.cifarCopies).toHaveLength(plan.counts.cifarDuplicates);
  });

  describe('as the pipeline sees it', () => {
    /** Stage 1 as the pipeline runs it: exact search (L2 ≤ 1) of all TinyImages against CIFAR-10, then one keyword per CIFAR-10 image. */
    let matches: { reference: number; candidate: number }[];
    let counts: Map<string, number>[];

    beforeAll(async () => {
      const refs = hwcToTiny(cifarImages, new Uint8Array(cifarImages.length), cifarLabels.length);
      matches = await searchFile(new DuplicateIndex(refs), path.join(info.tinyImagesDir, 'tiny_images.bin'), 0, OPTS.images);
      const keywordsOf = Array.from({ length: cifarLabels.length }, () => new Set<string>());
      for (const m of matches) keywordsOf[m.reference].add(keywords[m.candidate]);
      const all = d.classes.map(() => new Map<string, number>());
      keywordsOf.forEach((set, g) => set.forEach((k) => all[cifarLabels[g]].set(k, (all[cifarLabels[g]].get(k) ?? 0) + 1)));
      counts = d.classes.map(() => new Map<string, number>());
      keywordsOf.forEach((set, g) => {
        const best = [...set].sort().reduce((a, b) => (all[cifarLabels[g]].get(b)! > all[cifarLabels[g]].get(a)! ? b : a));
        counts[cifarLabels[g]].set(best, (counts[cifarLabels[g]].get(best) ?? 0) + 1);
      });
    }, 60_000);

    it('finds exactly the CIFAR-10 sources and their planted copies, no filler or candidate by accident', () => {
      const expected = [...[...cifarSource].map((t, g) => `${g}:${t}`), ...truth.cifarCopies.map((c) => `${c.cifar}:${c.ti}`)].sort();
      expect(matches.map((m) => `${m.reference}:${m.candidate}`).sort()).toEqual(expected);
    });

    it('counts the keywords per class as designed', () => {
      d.classes.forEach((_, c) => {
        const ranked = [...counts[c]].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
        expect(ranked.map(([k]) => k)).toEqual(plan.ranked[c]);
        for (const [k, n] of ranked) expect(n, k).toBe(plan.keywords.find((p) => p.keyword === k)!.cifar);
      });
    });

    it('holds the planned candidates (non-CIFAR images) in the top-50 keywords, within 1%', () => {
      const sources = new Set(matches.map((m) => m.candidate));
      const top50 = new Set(counts.flatMap((m) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, d.topK.v6).map(([k]) => k)));
      let candidates = 0;
      let good = 0;
      keywords.forEach((k, i) => {
        if (!top50.has(k) || sources.has(i)) return;
        candidates++;
        if (classOf[i] === truth.keywordClass[k]) good++;
      });
      expect(Math.abs(candidates - OPTS.candidates) / OPTS.candidates).toBeLessThan(0.01);
      expect(candidates).toBe(plan.counts.candidates);
      expect(good).toBe(plan.counts.good);
    });
  });

  it('labels filler as no class, class-keyword images as their class or off-topic, as planned', () => {
    const byKeyword = new Map(plan.keywords.map((p) => [p.keyword, p]));
    let offTopic = 0;
    keywords.forEach((k, i) => {
      const p = byKeyword.get(k)!;
      if (p.classIndex < 0) {
        if (classOf[i] !== -1) throw new Error(`filler ${i} shows ${classOf[i]}`);
      } else if (classOf[i] !== p.classIndex) {
        offTopic++;
        if (classOf[i] < -1 || classOf[i] > 9) throw new Error(`${i} shows ${classOf[i]}`);
      }
    });
    expect(offTopic).toBe(plan.keywords.reduce((s, p) => s + p.offTopic, 0));
    expect(new Set(classOf)).toEqual(new Set([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it('marks ambiguous only good candidates of top-50 keywords, as many as planned', async () => {
    const ambiguous = (await readNpy(path.join(info.dir, truth.files.ambiguous))).data as Int32Array;
    expect(ambiguous).toHaveLength(plan.counts.ambiguous);
    const byKeyword = new Map(plan.keywords.map((p) => [p.keyword, p]));
    for (const i of ambiguous) {
      expect(byKeyword.get(keywords[i])!.candidate).toBe(true);
      expect(classOf[i]).toBe(truth.keywordClass[keywords[i]]);
    }
  });

  it('plants near-duplicates at their recorded distances, inside the bands the pipeline checks', () => {
    expect(truth.nearDuplicates.map((n) => n.kind).sort()).toEqual(
      Object.entries(plan.counts.nearDuplicates).flatMap(([kind, n]) => Array<string>(n).fill(kind)).sort(),
    );
    for (const n of truth.nearDuplicates) {
      const partner = 'ti' in n.partner ? image(ti, n.partner.ti) : image(cifarImages, n.partner.cifar);
      const measured = l2(image(ti, n.ti), partner);
      expect(measured).toBeCloseTo(n.distance, 6);
      const [lo, hi] = d.planted[n.kind].band;
      expect(measured).toBeGreaterThanOrEqual(lo);
      expect(measured).toBeLessThanOrEqual(hi);
      // Round 2 drops what is within 1,000 of CIFAR-10; the near-duplicate check catches what is within 2,000.
      if (n.kind === 'cifar-close') expect(measured).toBeLessThan(1000);
      else expect(measured).toBeLessThan(2000);
      if (n.kind === 'cifar-near') expect(measured).toBeGreaterThan(1000);
      expect(truth.keywordClass[keywords[n.ti]]).toBe(classOf[n.ti]);
    }
  });

  it('keeps distinct images far apart: a sample of candidates, CIFAR-10 and filler is never within 2,000', () => {
    const planted = new Set(truth.nearDuplicates.flatMap((n) => [n.ti, 'ti' in n.partner ? n.partner.ti : -1]));
    const sources = new Set([...cifarSource, ...truth.cifarCopies.map((c) => c.ti)]);
    const byKeyword = new Map(plan.keywords.map((p) => [p.keyword, p]));
    const pool = { candidate: [] as number[], filler: [] as number[] };
    keywords.forEach((k, i) => {
      if (planted.has(i) || sources.has(i)) return;
      if (byKeyword.get(k)!.candidate) pool.candidate.push(i);
      else if (byKeyword.get(k)!.classIndex < 0) pool.filler.push(i);
    });
    // Candidates of the same few keywords (the closest pictures), and a spread of others.
    const firstKeyword = plan.ranked[0][0];
    const same = pool.candidate.filter((i) => keywords[i] === firstKeyword).slice(0, 60);
    const spread = pool.candidate.filter((_, j) => j % 23 === 0).slice(0, 200);
    const fill = pool.filler.filter((_, j) => j % 97 === 0).slice(0, 60);
    const cifar = Array.from({ length: 300 }, (_, j) => j * 19);
    let nearest = Infinity;
    const sample = [...new Set([...same, ...spread, ...fill])].map((i) => image(ti, i));
    sample.forEach((a, x) => {
      for (let y = x + 1; y < sample.length; y++) nearest = Math.min(nearest, l2(a, sample[y]));
      for (const g of cifar) nearest = Math.min(nearest, l2(a, image(cifarImages, g)));
    });
    expect(nearest).toBeGreaterThan(2300);
  });

  it('is byte-identical for the same options and seed, different for another seed', async () => {
    const again = await ensureScaleCorpus(path.join(root, 'b'), OPTS);
    const first = await sha256s(info.dir);
    expect(Object.keys(first).sort()).toEqual([
      'cifar10/batches.meta.txt', ...[1, 2, 3, 4, 5].map((i) => `cifar10/data_batch_${i}.bin`), 'cifar10/test_batch.bin',
      'ground_truth.json', 'ground_truth_ambiguous.npy', 'ground_truth_cifar_source.npy', 'ground_truth_class.npy',
      'tinyimages/tiny_images.bin', 'tinyimages/tiny_metadata.bin',
    ].sort());
    expect(await sha256s(again.dir)).toEqual(first);
    const other = await ensureScaleCorpus(path.join(root, 'c'), { ...OPTS, seed: 4 });
    const third = await sha256s(other.dir);
    expect(third['tinyimages/tiny_metadata.bin']).toBe(first['tinyimages/tiny_metadata.bin']);
    expect(third['tinyimages/tiny_images.bin']).not.toBe(first['tinyimages/tiny_images.bin']);
    await rm(again.dir, { recursive: true });
    await rm(other.dir, { recursive: true });
    expect((await readdir(root)).sort()).toEqual(['a']);
  }, 60_000);

  it('is cached: a second call returns at once and rewrites nothing', async () => {
    const before = await mtimes(info.dir);
    const t0 = performance.now();
    const again = await ensureScaleCorpus(info.dir, OPTS);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(again).toEqual(info);
    expect(await mtimes(info.dir)).toEqual(before);
  });

  it('refuses a folder holding a corpus of other options, or something else', async () => {
    await expect(ensureScaleCorpus(info.dir, { ...OPTS, seed: 4 })).rejects.toThrow(/holds a corpus of other options .*remove it or pick another folder/);
    await expect(ensureScaleCorpus(info.dir, { ...OPTS, seed: 4 })).rejects.toBeInstanceOf(InputError);
    const other = path.join(root, 'not-a-corpus');
    await mkdir(other);
    await writeFile(path.join(other, 'notes.txt'), 'mine');
    await expect(ensureScaleCorpus(other, OPTS)).rejects.toThrow(/exists and is not a scale corpus/);
    expect(await readdir(other)).toEqual(['notes.txt']);
    await rm(other, { recursive: true });
  });

  it('removes a killed run\'s temp folder, and leaves none when aborted', async () => {
    // A pid that has certainly exited: a process that ran and was waited for.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const dir = path.join(root, 'd');
    const stale = `${dir}.tmp-${dead}-0badf00d`;
    await mkdir(path.join(stale, 'tinyimages'), { recursive: true });
    const controller = new AbortController();
    const run = ensureScaleCorpus(dir, OPTS, { signal: controller.signal, onProgress: (done) => done > 1000 && controller.abort(new Error('stop')) });
    await expect(run).rejects.toThrow('stop');
    expect((await readdir(root)).sort()).toEqual(['a']);
  });
});

// The audit trail of the demo builds: every v6 image has a provenance row that agrees with the
// data, every other candidate an exclusion row, `explain` tells of a kept and a rejected image,
// and `diff v4 v6` gives what the two ti_indices files give.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readCifar10 } from '../../lib/formats/cifar10';
import { readNpy } from '../../lib/formats/npy';
import { sha256 } from '../../lib/hash';
import { TinyImages } from '../../lib/formats/tinyimages';
import type { ExclusionRow, ProvenanceRow } from '../../lib/provenance';
import { runBuild } from '../../worker/build';
import { diff } from '../../worker/diff';
import { explain, readJsonLines } from '../../worker/explain';
import { tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';
import { mulberry32 } from '../helpers/random';

const squared = (a: Uint8Array, b: Uint8Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
};

describe('the audit trail of the demo v6 build', () => {
  let outDir: string;
  let provenance: ProvenanceRow[];
  let exclusions: ExclusionRow[];
  let demo: string;

  beforeAll(async () => {
    useTestServer();
    outDir = await tempDir('audit');
    await runBuild({ config: (await writeConfigs(outDir)).v6, outDir, quiet: true, taskQueue: uniqueQueue('audit') });
    const dir = path.join(outDir, 'releases', 'v6');
    provenance = await readJsonLines(path.join(dir, 'cifar10.1_v6_provenance.jsonl'));
    exclusions = await readJsonLines(path.join(dir, 'cifar10.1_v6_exclusions.jsonl'));
    demo = path.join(outDir, 'demo', (await readdir(path.join(outDir, 'demo')))[0]);
  }, 600_000);

  test('every release image has a row, in release order, whose class, keyword and source agree with the release files', async () => {
    const dir = path.join(outDir, 'releases', 'v6');
    const indices: number[] = JSON.parse(await readFile(path.join(dir, 'cifar10.1_v6_ti_indices.json'), 'utf8'));
    const labels = (await readNpy(path.join(dir, 'cifar10.1_v6_labels.npy'))).data as Int32Array;
    expect(provenance.map((r) => r.position)).toEqual(indices.map((_, i) => i));
    expect(provenance.map((r) => r.source.index)).toEqual(indices);
    expect(provenance.map((r) => r.label)).toEqual(Array.from(labels));
    const tiny = await TinyImages.open(path.join(demo, 'tinyimages'));
    try {
      for (const row of provenance.filter((_, i) => i % 97 === 0)) expect(await tiny.keyword(row.source.index)).toBe(row.keyword);
    } finally {
      await tiny.close();
    }
    for (const row of provenance) {
      expect(row.round1?.via).toBe('simulated');
      expect(row.round2?.labeler).toBe('simulated labeler 2');
      expect(row.sampling.round).toBeGreaterThanOrEqual(1);
    }
  });

  test('the nearest CIFAR-10 train and test images of a sample of rows are those a brute force finds', async () => {
    const cifar = await readNpy(path.join(demo, '..', '..', 'cache', 'extractSources', (await readdir(path.join(outDir, 'cache', 'extractSources'))).find((e) => !e.startsWith('.'))!, 'cifar10_images.npy'));
    const data = (await readNpy(path.join(outDir, 'releases', 'v6', 'cifar10.1_v6_data.npy'))).data as Uint8Array;
    const pixels = cifar.data as Uint8Array;
    const n = cifar.shape[0];
    const train = n - 1000; // the demo: 5,000 training and 1,000 test images
    const random = mulberry32(3);
    for (let s = 0; s < 40; s++) {
      const row = provenance[Math.floor(random() * provenance.length)];
      const image = data.subarray(row.position * 3072, (row.position + 1) * 3072);
      let best = { train: Infinity, test: Infinity };
      for (let j = 0; j < n; j++) {
        const d = squared(image, pixels.subarray(j * 3072, (j + 1) * 3072));
        if (j < train) best = { ...best, train: Math.min(best.train, d) };
        else best = { ...best, test: Math.min(best.test, d) };
      }
      expect(row.nearestCifar!.train.distance).toBeCloseTo(Math.sqrt(best.train), 6);
      expect(row.nearestCifar!.test.distance).toBeCloseTo(Math.sqrt(best.test), 6);
      const j = row.nearestCifar!.train.index;
      expect(squared(image, pixels.subarray(j * 3072, (j + 1) * 3072))).toBe(best.train);
    }
  }, 120_000);

  test('release rows plus exclusion rows are the candidates exactly, each once', async () => {
    // The candidates: every image filed under a class keyword that is not a copy of a CIFAR-10 image.
    const truth = JSON.parse(await readFile(path.join(demo, 'ground_truth.json'), 'utf8'));
    const cifar = await readCifar10(path.join(demo, 'cifar10'));
    const copies = new Set<string>();
    for (const split of [cifar.train, cifar.test]) for (let i = 0; i < split.labels.length; i++) copies.add(sha256(split.images.subarray(i * 3072, (i + 1) * 3072)));
    const tiny = await TinyImages.open(path.join(demo, 'tinyimages'));
    const candidates: number[] = [];
    try {
      for (const kw of Object.keys(truth.keywordClass)) {
        const [start, end] = await tiny.keywordRange(kw);
        const images = await tiny.readHWC(start, end - start);
        for (let ti = start; ti < end; ti++) if (!copies.has(sha256(images.subarray((ti - start) * 3072, (ti - start + 1) * 3072)))) candidates.push(ti);
      }
    } finally {
      await tiny.close();
    }
    const accounted = [...provenance.map((r) => r.source.index), ...exclusions.map((r) => r.index)];
    expect(new Set(accounted).size).toBe(accounted.length);
    expect(accounted.sort((a, b) => a - b)).toEqual([...new Set(candidates)].sort((a, b) => a - b));
    const reasons = new Set(exclusions.map((r) => r.reason));
    for (const reason of ['rejected-round1', 'too-close-to-cifar10', 'rejected-round2', 'not-drawn']) expect(reasons).toContain(reason);
  });

  test('explain tells of a kept image and of a rejected one, and draws it beside its nearest CIFAR-10 images', async () => {
    const kept = await explain(outDir, 'v6', '7');
    expect(kept).toMatchObject({ kept: true, provenance: provenance[7] });
    expect(kept.neighbours).toHaveLength(10);
    expect((await readFile(kept.picture!)).subarray(1, 4).toString()).toBe('PNG');
    const rejected = exclusions.find((r) => r.reason === 'rejected-round1')!;
    const told = await explain(outDir, 'v6', `ti:${rejected.index}`);
    expect(told).toMatchObject({ kept: false, exclusion: rejected });
    expect(told.picture).toMatch(/cifar10\.1_v6-\d+\.png$/);
    await expect(explain(outDir, 'v6', 'ti:999999999')).rejects.toThrow('not a candidate of the build of v6');
  });

  test('diff v4 v6 adds and removes what the two ti_indices files say, each with a reason', async () => {
    const read = async (r: string) => JSON.parse(await readFile(path.join(outDir, 'releases', r, `cifar10.1_${r}_ti_indices.json`), 'utf8')) as number[];
    const [v4, v6] = [new Set(await read('v4')), new Set(await read('v6'))];
    const d = await diff(outDir, 'v4', 'v6');
    expect(d.added!.map((x) => x.index).sort((a, b) => a - b)).toEqual([...v6].filter((i) => !v4.has(i)).sort((a, b) => a - b));
    expect(d.removed!.map((x) => x.index).sort((a, b) => a - b)).toEqual([...v4].filter((i) => !v6.has(i)).sort((a, b) => a - b));
    for (const x of [...d.added!, ...d.removed!]) expect(x.exclusion?.reason ?? x.why).toBeTruthy();
    expect(d.config!.map((c) => c.key)).toEqual(expect.arrayContaining(['release', 'keywords.topK', 'sampling.method']));
    expect(d.perClass.every((c) => c.b === 200)).toBe(true);
    expect(d.accuracy!.length).toBeGreaterThan(0);
  });
});

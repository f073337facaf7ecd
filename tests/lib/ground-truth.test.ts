import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoCorpus, type GroundTruth } from '../../lib/demo/generate';
import { readNpy } from '../../lib/formats/npy';
import { type GroundTruthV2, loadGroundTruth } from '../../lib/ground-truth';
import { ensureScaleCorpus } from '../../lib/scale-corpus/generate';

describe('loadGroundTruth', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ground-truth-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('reads the demo corpus (version 1, inline arrays)', async () => {
    const info = await generateDemoCorpus(path.join(root, 'demo'), { seed: 5 });
    const truth = JSON.parse(await readFile(info.groundTruthFile, 'utf8')) as GroundTruth;
    const view = await loadGroundTruth(info.groundTruthFile);
    expect(view.classes).toEqual(truth.classes);
    expect(view.tinyImages).toBe(truth.classOf.length);
    expect(Array.from({ length: view.tinyImages }, (_, i) => view.classOf(i))).toEqual(truth.classOf);
    const ambiguous = new Set(truth.ambiguous);
    expect(ambiguous.size).toBeGreaterThan(0);
    for (let i = 0; i < view.tinyImages; i++) expect(view.isAmbiguous(i)).toBe(ambiguous.has(i));
    expect([...view.cifarSource]).toEqual(truth.cifarSource);
    expect(view.nearDuplicates).toEqual(truth.nearDuplicates);
  }, 120_000);

  it('reads the scale corpus (version 2, .npy sidecars)', async () => {
    const info = await ensureScaleCorpus(path.join(root, 'scale'), { images: 40_000, candidates: 5_000, cifarTrain: 5_000, cifarTest: 1_000 });
    const truth = JSON.parse(await readFile(info.groundTruthFile, 'utf8')) as GroundTruthV2;
    const sidecar = async (name: string) => (await readNpy(path.join(info.dir, name))).data;
    const classOf = (await sidecar(truth.files.classOf)) as Int8Array;
    const ambiguous = new Set((await sidecar(truth.files.ambiguous)) as Int32Array);
    const view = await loadGroundTruth(info.groundTruthFile);
    expect(view.classes).toEqual(truth.classes);
    expect(view.tinyImages).toBe(40_000);
    expect(ambiguous.size).toBe(info.counts.ambiguous);
    for (let i = 0; i < view.tinyImages; i++) {
      if (view.classOf(i) !== classOf[i] || view.isAmbiguous(i) !== ambiguous.has(i)) throw new Error(`image ${i} differs`);
    }
    expect(view.cifarSource).toEqual(await sidecar(truth.files.cifarSource));
    expect(view.nearDuplicates).toEqual(truth.nearDuplicates);
    expect(() => view.classOf(40_000)).toThrow(RangeError);
  }, 120_000);

  it('names the file of an unknown version or a bad sidecar', async () => {
    const file = path.join(root, 'v3.json');
    await writeFile(file, JSON.stringify({ version: 3 }));
    await expect(loadGroundTruth(file)).rejects.toThrow(`${file}: unknown ground truth version 3`);
    const scale = path.join(root, 'scale', 'ground_truth.json');
    const truth = JSON.parse(await readFile(scale, 'utf8')) as GroundTruthV2;
    const wrong = path.join(root, 'scale', 'wrong.json');
    await writeFile(wrong, JSON.stringify({ ...truth, files: { ...truth.files, classOf: truth.files.cifarSource } }));
    await expect(loadGroundTruth(wrong)).rejects.toThrow(/ground_truth_cifar_source\.npy: expected a uint8 or int8 array, found int32/);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { CLASSES, evaluatePredictions, type EvaluationResult } from '../../../lib/evaluation';
import { runPython } from '../../helpers/python';
import { SHARED } from '../../helpers/shared';
import { useTempDir } from '../../helpers/temp';

const tmp = useTempDir('evaluation');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('evaluatePredictions on the published predictions', () => {
  let out: string;
  let result: EvaluationResult;

  beforeAll(async () => {
    out = path.join(tmp(), 'published');
    result = await evaluatePredictions({
      predictionsDir: path.join(SHARED, 'model_predictions'),
      originalLabels: path.join(SHARED, 'cifar10', 'test_labels.npy'),
      releaseLabelsDir: path.join(SHARED, 'datasets'),
      outDir: out,
    });
  });

  it('evaluates both releases and writes exactly the report files', async () => {
    expect(result.releases.map((r) => [r.release, r.originalSize, r.newSize, r.rows.length])).toEqual([['v4', 10000, 2021, 30], ['v6', 10000, 2000, 30]]);
    expect(result.releasesWithoutLabels).toEqual([]);
    expect((await readdir(out)).sort()).toEqual([
      'accuracy.csv', 'accuracy.json', 'accuracy.md', 'per_class.json',
      'scatter_v4.png', 'scatter_v4.svg', 'scatter_v6.png', 'scatter_v6.svg',
    ]);
  });

  it('accuracy.json has the agreed shape and the paper numbers', async () => {
    const json = JSON.parse(await readFile(path.join(out, 'accuracy.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['v4', 'v6']);
    for (const rows of Object.values(json) as Record<string, unknown>[][]) {
      expect(rows).toHaveLength(30);
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(['model', 'originalAccuracy', 'newAccuracy', 'gap', 'originalCI', 'newCI', 'errorRatio']);
        expect(row.originalCI).toHaveLength(2);
        expect(row.newCI).toHaveLength(2);
      }
    }
    // Recht et al. 2018, Table 1 (v4): shake_shake_64d_cutout 97.1 [96.8, 97.4] → 93.0 [91.8, 94.0].
    const best = json.v4[0];
    expect(best.model).toBe('shake_shake_26_2x64d_SSI_cutout16');
    expect(best.originalAccuracy).toBeCloseTo(97.11, 10);
    expect([best.newAccuracy, ...best.originalCI, ...best.newCI].map((v: number) => v.toFixed(1))).toEqual([
      '93.0', '96.8', '97.4', '91.8', '94.0',
    ]);
    expect(json.v6.find((r: { model: string }) => r.model === 'wrn_28_10')).toMatchObject({ originalAccuracy: 95.93, newAccuracy: 90.15 });
  });

  it('per_class.json gives ten named classes per model and release', async () => {
    const json = JSON.parse(await readFile(path.join(out, 'per_class.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['v4', 'v6']);
    expect(json.v6).toHaveLength(30);
    expect(Object.keys(json.v6[0].new)).toEqual([...CLASSES]);
    // v6 is balanced, 200 images per class: every per-class accuracy is a multiple of 0.5%.
    for (const row of json.v6) for (const v of Object.values(row.new) as number[]) expect((v * 2) % 1).toBeCloseTo(0, 9);
  });

  it('accuracy.md has the paper row and the linear fit', async () => {
    const md = await readFile(path.join(out, 'accuracy.md'), 'utf8');
    expect(md).toContain('| shake_shake_26_2x64d_SSI_cutout16 | 97.1 | [96.8, 97.4] | 93.0 | [91.8, 94.0] | 4.1 | 2.43 |');
    const fit = result.releases.find((r) => r.release === 'v6')!.fit!;
    expect(md).toContain(`Linear fit: new = ${fit.slope.toFixed(3)} × original − ${Math.abs(fit.intercept).toFixed(2)}`);
  });
});

describe('evaluatePredictions on small inputs', () => {
  let root: string;
  let preds: string;
  let labels: string;
  const originalLabels = () => path.join(labels, 'test_labels.npy');

  // Labels are written by numpy, as the pipeline's real inputs are.
  function saveLabels(file: string, values: unknown, dtype: string): void {
    runPython(`import json, sys, numpy as np\nnp.save(${JSON.stringify(file)}, np.array(json.load(sys.stdin), dtype='${dtype}'))`, JSON.stringify(values));
  }
  async function savePredictions(release: string, model: string, values: unknown): Promise<string> {
    const dir = path.join(preds, `${release}_predictions`);
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${model}_predictions.json`);
    await writeFile(file, JSON.stringify(values));
    return file;
  }
  const cycle = (n: number, shift = 0) => Array.from({ length: n }, (_, i) => (i + shift) % 10);

  beforeAll(async () => {
    root = path.join(tmp(), 'small');
    preds = path.join(root, 'predictions');
    labels = path.join(root, 'labels');
    await mkdir(labels, { recursive: true });
    saveLabels(originalLabels(), cycle(50), 'uint16');
    saveLabels(path.join(labels, 'cifar10.1_v4_labels.npy'), cycle(20), 'int32');
    for (const model of ['m1', 'm2', 'onlyOriginal']) await savePredictions('original', model, cycle(50, model === 'm1' ? 0 : 1));
    for (const model of ['m1', 'm2', 'onlyV4']) await savePredictions('v4', model, cycle(20));
    await savePredictions('v9', 'm1', cycle(20)); // no labels for v9
  });

  const run = (outDir: string, extra = {}) =>
    evaluatePredictions({ predictionsDir: preds, originalLabels: originalLabels(), releaseLabelsDir: labels, outDir, ...extra });

  it('reports models missing from one folder and releases without labels', async () => {
    const outDir = path.join(root, 'out-ok');
    const result = await run(outDir);
    expect(result.releasesWithoutLabels).toEqual(['v9']);
    expect(result.releases.map((r) => r.release)).toEqual(['v4']);
    const [v4] = result.releases;
    expect(v4.rows.map((r) => [r.model, r.originalAccuracy, r.newAccuracy])).toEqual([['m1', 100, 100], ['m2', 0, 100]]);
    expect([v4.onlyOriginal, v4.onlyNew]).toEqual([['onlyOriginal'], ['onlyV4']]);
    const md = await readFile(path.join(outDir, 'accuracy.md'), 'utf8');
    expect(md).toContain('Models without v4 predictions: onlyOriginal.');
    expect(md).toContain('Models without original predictions: onlyV4.');
    expect(md).toContain('Skipped (no labels file): v9.');
    expect(Object.keys(JSON.parse(await readFile(path.join(outDir, 'accuracy.json'), 'utf8')))).toEqual(['v4']);
  });

  it('takes release labels from an explicit map', async () => {
    const result = await run(path.join(root, 'out-map'), {
      releaseLabelsDir: undefined,
      releaseLabels: { v9: path.join(labels, 'cifar10.1_v4_labels.npy') },
    });
    expect(result.releases.map((r) => r.release)).toEqual(['v9']);
    expect(result.releasesWithoutLabels).toEqual(['v4']);
  });

  async function expectInputError(outName: string, message: RegExp, extra = {}) {
    const outDir = path.join(root, outName);
    const error = await run(outDir, extra).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect(existsSync(outDir), 'nothing written on failure').toBe(false);
  }

  // What each input file may not be is tested in inputs.test.ts; here, that any bad file stops the report.
  it('writes nothing when a predictions file is bad, and names it', async () => {
    const file = await savePredictions('v4', 'short', cycle(19));
    try {
      await expectInputError('out-short', new RegExp(`^${escape(file)}: 19 predictions, but the labels have 20`));
    } finally {
      await rm(file);
    }
  });

  it('writes nothing when a labels file is missing or bad, and names it', async () => {
    const missing = path.join(labels, 'nope.npy');
    await expectInputError('out-nolabels', new RegExp(`^${escape(missing)}: file not found`), { originalLabels: missing });
    await expectInputError('out-nolabels2', new RegExp(`^${escape(missing)}: file not found`), { releaseLabels: { v4: missing } });
    const bad = path.join(labels, 'bad.npy');
    saveLabels(bad, [...cycle(19), 12], 'int64');
    await expectInputError('out-badlabels', new RegExp(`^${escape(bad)}: entry 19 is 12`), { releaseLabels: { v4: bad } });
    await expectInputError('out-norelease', /v5_predictions: no predictions folder/, { releaseLabels: { v5: bad } });
  });

  it('rejects a predictions folder with no release to evaluate', async () => {
    await expectInputError('out-none', /no release has both predictions and a labels file/, { releaseLabelsDir: root });
  });
});

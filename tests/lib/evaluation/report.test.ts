import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AccuracyRow, ReleaseEvaluation } from '../../../lib/evaluation/accuracy';
import { writeEvaluationReport, type EvaluationResult } from '../../../lib/evaluation/report';
import { runPython } from '../../helpers/python';
import { useTempDir } from '../../helpers/temp';

const tmp = useTempDir('evaluation-report');

const wrn: AccuracyRow = {
  model: 'wrn_28_10', originalAccuracy: 95.93, newAccuracy: 89.6, gap: 6.33, originalCI: [95.52, 96.31], newCI: [88.24, 90.87], errorRatio: 2.55,
};
/** A name with a comma and quotes, which CSV must quote. */
const resnet: AccuracyRow = {
  model: 'resnet, "v2"', originalAccuracy: 93, newAccuracy: 84.5, gap: 8.5, originalCI: [92.49, 93.49], newCI: [82.87, 86.03], errorRatio: 2.2142857142857144,
};
const tenths = (start: number) => Array.from({ length: 10 }, (_, c) => (c === 2 ? null : start - c));
const v4: ReleaseEvaluation = {
  release: 'v4',
  originalSize: 10000,
  newSize: 2021,
  rows: [wrn, resnet],
  perClass: [
    { model: 'wrn_28_10', original: tenths(99), new: tenths(90) },
    { model: 'resnet, "v2"', original: tenths(95), new: tenths(80) },
  ],
  fit: { slope: 1.7411, intercept: -77.428, r2: 1 },
  onlyOriginal: ['old_model'],
  onlyNew: [],
};
const v6: ReleaseEvaluation = {
  release: 'v6', originalSize: 10000, newSize: 2000, rows: [wrn], perClass: [{ model: 'wrn_28_10', original: tenths(99), new: tenths(91) }],
  fit: null, onlyOriginal: [], onlyNew: ['new_model'],
};
const result: EvaluationResult = { releases: [v4, v6], releasesWithoutLabels: ['v9'] };

describe('writeEvaluationReport', () => {
  let out: string;
  let written: string[];
  beforeAll(async () => {
    out = path.join(tmp(), 'report');
    written = await writeEvaluationReport(result, out);
  });

  it('writes the report files, returns their paths and leaves no temp files', async () => {
    const names = ['accuracy.json', 'per_class.json', 'accuracy.csv', 'accuracy.md', 'scatter_v4.svg', 'scatter_v4.png', 'scatter_v6.svg', 'scatter_v6.png'];
    expect(written).toEqual(names.map((n) => path.join(out, n)));
    expect((await readdir(out)).sort()).toEqual([...names].sort());
    expect((await readFile(path.join(out, 'scatter_v6.svg'), 'utf8')).startsWith('<svg')).toBe(true);
    expect((await sharp(path.join(out, 'scatter_v6.png')).metadata()).format).toBe('png');
  });

  it('accuracy.json: the rows of each release as given', async () => {
    const text = await readFile(path.join(out, 'accuracy.json'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ v4: [wrn, resnet], v6: [wrn] });
  });

  it('per_class.json: each accuracy under its class name, null for a class with no images', async () => {
    const json = JSON.parse(await readFile(path.join(out, 'per_class.json'), 'utf8'));
    expect(json.v6).toEqual([
      {
        model: 'wrn_28_10',
        original: { airplane: 99, automobile: 98, bird: null, cat: 96, deer: 95, dog: 94, frog: 93, horse: 92, ship: 91, truck: 90 },
        new: { airplane: 91, automobile: 90, bird: null, cat: 88, deer: 87, dog: 86, frog: 85, horse: 84, ship: 83, truck: 82 },
      },
    ]);
    expect(json.v4.map((r: { model: string }) => r.model)).toEqual(['wrn_28_10', 'resnet, "v2"']);
  });

  it('accuracy.csv: a header and one row per model and release, that a CSV reader reads back', async () => {
    const text = await readFile(path.join(out, 'accuracy.csv'), 'utf8');
    expect(text.split('\n')[2]).toBe('v4,"resnet, ""v2""",93,84.5,8.5,92.49,93.49,82.87,86.03,2.2142857142857144');
    const rows = JSON.parse(runPython('import csv, json, sys\nprint(json.dumps(list(csv.reader(sys.stdin))))', text));
    expect(rows).toEqual([
      ['release', 'model', 'original_accuracy', 'new_accuracy', 'gap', 'original_ci_low', 'original_ci_high', 'new_ci_low', 'new_ci_high', 'error_ratio'],
      ['v4', 'wrn_28_10', '95.93', '89.6', '6.33', '95.52', '96.31', '88.24', '90.87', '2.55'],
      ['v4', 'resnet, "v2"', '93', '84.5', '8.5', '92.49', '93.49', '82.87', '86.03', '2.2142857142857144'],
      ['v6', 'wrn_28_10', '95.93', '89.6', '6.33', '95.52', '96.31', '88.24', '90.87', '2.55'],
    ]);
  });

  it('accuracy.md: a table per release, the fit or why there is none, and what was left out', async () => {
    expect(await readFile(path.join(out, 'accuracy.md'), 'utf8')).toBe(
      [
        '# Model accuracy: CIFAR-10 test vs CIFAR-10.1',
        '',
        '## v4',
        '',
        '2 models; original test set 10000 images, new test set 2021 images. Accuracies in %, with 95% Clopper-Pearson intervals.',
        '',
        '| Model | Original | Original 95% CI | New | New 95% CI | Gap | Error ratio |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| wrn_28_10 | 95.9 | [95.5, 96.3] | 89.6 | [88.2, 90.9] | 6.3 | 2.55 |',
        '| resnet, "v2" | 93.0 | [92.5, 93.5] | 84.5 | [82.9, 86.0] | 8.5 | 2.21 |',
        '',
        'Linear fit: new = 1.741 × original − 77.43 (r² = 1.000).',
        '',
        'Models without v4 predictions: old_model.',
        '',
        '## v6',
        '',
        '1 models; original test set 10000 images, new test set 2000 images. Accuracies in %, with 95% Clopper-Pearson intervals.',
        '',
        '| Model | Original | Original 95% CI | New | New 95% CI | Gap | Error ratio |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| wrn_28_10 | 95.9 | [95.5, 96.3] | 89.6 | [88.2, 90.9] | 6.3 | 2.55 |',
        '',
        'Too few models for a linear fit.',
        '',
        'Models without original predictions: new_model.',
        '',
        'Skipped (no labels file): v9.',
        '',
      ].join('\n'),
    );
  });

  it('writes a positive intercept with a plus sign', async () => {
    const dir = path.join(tmp(), 'plus');
    await writeEvaluationReport({ releases: [{ ...v4, fit: { slope: 0.5, intercept: 3.456, r2: 0.25 } }], releasesWithoutLabels: [] }, dir);
    expect(await readFile(path.join(dir, 'accuracy.md'), 'utf8')).toContain('Linear fit: new = 0.500 × original + 3.46 (r² = 0.250).');
  });

  it('leaves no temp files behind when a file cannot be put in place', async () => {
    const dir = path.join(tmp(), 'blocked');
    await mkdir(path.join(dir, 'accuracy.md'), { recursive: true });
    await writeFile(path.join(dir, 'accuracy.md', 'keep'), 'a folder in the way');
    await expect(writeEvaluationReport(result, dir)).rejects.toThrow();
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(path.join(dir, 'accuracy.md'))).toEqual(['keep']);
  });
});

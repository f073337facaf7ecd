import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracyTable, evaluateRelease, perClassAccuracy, type PredictionSet } from '../../../lib/evaluation/accuracy';
import { loadLabels, loadPredictionSet } from '../../../lib/evaluation/inputs';
import { runPython } from '../../helpers/python';
import { SHARED } from '../../helpers/shared';

const shared = SHARED;
const predictionsDir = path.join(shared, 'model_predictions');

/** The published table computed independently with numpy / scipy from the same files. */
const REFERENCE = `import glob, json, os, sys
import numpy as np
from scipy.stats import beta
shared, release = sys.argv[1:]
orig_labels = np.load(os.path.join(shared, 'cifar10', 'test_labels.npy')).astype(np.int64)
new_labels = np.load(os.path.join(shared, 'datasets', 'cifar10.1_%s_labels.npy' % release)).astype(np.int64)
def ci(x, n):
    lo = 0.0 if x == 0 else beta.ppf(0.025, x, n - x + 1)
    hi = 1.0 if x == n else beta.ppf(0.975, x + 1, n - x)
    return [100 * lo, 100 * hi]
out = {}
for f in sorted(glob.glob(os.path.join(shared, 'model_predictions', release + '_predictions', '*_predictions.json'))):
    name = os.path.basename(f)[:-len('_predictions.json')]
    p_new = np.array(json.load(open(f)))
    p_orig = np.array(json.load(open(os.path.join(shared, 'model_predictions', 'original_predictions', os.path.basename(f)))))
    x_orig, x_new = int((p_orig == orig_labels).sum()), int((p_new == new_labels).sum())
    out[name] = {
        'original': 100 * np.mean(p_orig == orig_labels), 'new': 100 * np.mean(p_new == new_labels),
        'originalCI': ci(x_orig, len(orig_labels)), 'newCI': ci(x_new, len(new_labels)),
        'originalPerClass': [100 * np.mean(p_orig[orig_labels == c] == c) for c in range(10)],
        'newPerClass': [100 * np.mean(p_new[new_labels == c] == c) for c in range(10)],
    }
print(json.dumps(out))`;

interface Reference {
  original: number;
  new: number;
  originalCI: [number, number];
  newCI: [number, number];
  originalPerClass: number[];
  newPerClass: number[];
}

describe.each(['v4', 'v6'])('CIFAR-10.1 %s, all published models', (release) => {
  let original: PredictionSet;
  let fresh: PredictionSet;
  let reference: Record<string, Reference>;

  beforeAll(async () => {
    original = await loadPredictionSet(
      path.join(predictionsDir, 'original_predictions'),
      await loadLabels(path.join(shared, 'cifar10', 'test_labels.npy')),
    );
    fresh = await loadPredictionSet(
      path.join(predictionsDir, `${release}_predictions`),
      await loadLabels(path.join(shared, 'datasets', `cifar10.1_${release}_labels.npy`)),
    );
    reference = JSON.parse(runPython(`import sys; sys.argv = ['ref', ${JSON.stringify(shared)}, '${release}']\n${REFERENCE}`));
  });

  it('agrees with numpy on accuracies (0.01 points) and with scipy on the CIs (1e-6)', () => {
    const rows = accuracyTable(original, fresh);
    expect(rows.map((r) => r.model).sort()).toEqual(Object.keys(reference).sort());
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      const ref = reference[r.model];
      expect(Math.abs(r.originalAccuracy - ref.original), r.model).toBeLessThan(0.01);
      expect(Math.abs(r.newAccuracy - ref.new), r.model).toBeLessThan(0.01);
      expect(Math.abs(r.gap - (ref.original - ref.new)), r.model).toBeLessThan(0.01);
      expect(Math.abs(r.errorRatio - (100 - ref.new) / (100 - ref.original)), r.model).toBeLessThan(1e-9);
      for (const i of [0, 1]) {
        expect(Math.abs(r.originalCI[i] - ref.originalCI[i]), r.model).toBeLessThan(1e-6);
        expect(Math.abs(r.newCI[i] - ref.newCI[i]), r.model).toBeLessThan(1e-6);
      }
    }
  });

  it('sorts by original accuracy, best first', () => {
    const accuracies = accuracyTable(original, fresh).map((r) => r.originalAccuracy);
    expect(accuracies).toEqual([...accuracies].sort((a, b) => b - a));
  });

  it('agrees with numpy on per-class accuracies', () => {
    for (const [model, ref] of Object.entries(reference)) {
      const perClass = perClassAccuracy(fresh.labels, fresh.predictions[model]);
      perClass.forEach((v, c) => expect(Math.abs(v! - ref.newPerClass[c]), `${model} class ${c}`).toBeLessThan(1e-9));
      const perClassOriginal = perClassAccuracy(original.labels, original.predictions[model]);
      perClassOriginal.forEach((v, c) => expect(Math.abs(v! - ref.originalPerClass[c])).toBeLessThan(1e-9));
    }
  });
});

describe('evaluateRelease', () => {
  const labels = [0, 1, 2, 3];
  const original: PredictionSet = {
    labels,
    predictions: { a: [0, 1, 2, 3], b: [0, 1, 2, 0], c: [1, 1, 1, 1], onlyHere: [0, 0, 0, 0] },
  };
  const fresh: PredictionSet = {
    labels: [0, 0, 1, 1],
    predictions: { a: [0, 0, 1, 0], b: [0, 1, 0, 1], c: [0, 0, 0, 0], onlyThere: [0, 0, 0, 0] },
  };

  it('tabulates common models, reports the others, fits a line', () => {
    const ev = evaluateRelease('vX', original, fresh);
    expect(ev.rows.map((r) => [r.model, r.originalAccuracy, r.newAccuracy, r.gap, r.errorRatio])).toEqual([
      ['a', 100, 75, 25, Infinity],
      ['b', 75, 50, 25, 2],
      ['c', 25, 50, -25, 2 / 3],
    ]);
    expect(ev.rows[0].originalCI[1]).toBe(100);
    expect(ev.onlyOriginal).toEqual(['onlyHere']);
    expect(ev.onlyNew).toEqual(['onlyThere']);
    expect(ev.perClass[1]).toEqual({ model: 'b', original: [100, 100, 100, 0, null, null, null, null, null, null], new: [50, 50, null, null, null, null, null, null, null, null] });
    expect(ev.fit!.slope).toBeCloseTo(2 / 7, 12);
    expect(ev.fit!.intercept).toBeCloseTo(825 / 21, 10);
  });
});

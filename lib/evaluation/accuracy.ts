import { check } from '../errors';
import { clopperPearson, linearFit, type LinearFit } from './stats';

/** CIFAR-10 class names in label order. */
export const CLASSES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
] as const;

/** True labels of one test set and each model's predicted classes on it. */
export interface PredictionSet {
  labels: ArrayLike<number>;
  predictions: Record<string, ArrayLike<number>>;
}

/** One row of the paper's table; all numbers are percentages except errorRatio. */
export interface AccuracyRow {
  model: string;
  originalAccuracy: number;
  newAccuracy: number;
  /** originalAccuracy − newAccuracy. */
  gap: number;
  /** 95% Clopper-Pearson interval. */
  originalCI: [number, number];
  newCI: [number, number];
  /** (100 − new) / (100 − original): how many times more errors on the new set. */
  errorRatio: number;
}

/** Accuracy (%) restricted to each true class, in class order; null for a class with no images. */
export interface PerClassRow {
  model: string;
  original: (number | null)[];
  new: (number | null)[];
}

export interface ReleaseEvaluation {
  release: string;
  /** Test-set sizes. */
  originalSize: number;
  newSize: number;
  /** Sorted by original accuracy, best first. */
  rows: AccuracyRow[];
  perClass: PerClassRow[];
  /** newAccuracy ≈ slope · originalAccuracy + intercept over the models; null with fewer than two. */
  fit: LinearFit | null;
  /** Models with predictions on only one of the two test sets (left out of the table). */
  onlyOriginal: string[];
  onlyNew: string[];
}

/** Accuracy table of the models that have predictions on both test sets, best original accuracy first. */
export function accuracyTable(original: PredictionSet, fresh: PredictionSet, alpha = 0.05): AccuracyRow[] {
  const rows = commonModels(original, fresh).map((model): AccuracyRow => {
    const o = correct(original.labels, original.predictions[model], model);
    const n = correct(fresh.labels, fresh.predictions[model], model);
    const originalAccuracy = percent(o, original.labels.length);
    const newAccuracy = percent(n, fresh.labels.length);
    return {
      model,
      originalAccuracy,
      newAccuracy,
      gap: originalAccuracy - newAccuracy,
      originalCI: percentCI(o, original.labels.length, alpha),
      newCI: percentCI(n, fresh.labels.length, alpha),
      errorRatio: (100 - newAccuracy) / (100 - originalAccuracy),
    };
  });
  return rows.sort((a, b) => b.originalAccuracy - a.originalAccuracy || a.model.localeCompare(b.model));
}

/** Accuracy (%) on each true class; null where the class has no images. */
export function perClassAccuracy(labels: ArrayLike<number>, predictions: ArrayLike<number>): (number | null)[] {
  check(predictions.length === labels.length, 'predictions', `${predictions.length} predictions for ${labels.length} labels`);
  const total = new Array<number>(CLASSES.length).fill(0);
  const hits = new Array<number>(CLASSES.length).fill(0);
  for (let i = 0; i < labels.length; i++) {
    total[labels[i]]++;
    if (predictions[i] === labels[i]) hits[labels[i]]++;
  }
  return total.map((t, c) => (t === 0 ? null : percent(hits[c], t)));
}

/** Table, per-class accuracies, linear fit and unmatched models of one release. */
export function evaluateRelease(release: string, original: PredictionSet, fresh: PredictionSet): ReleaseEvaluation {
  const rows = accuracyTable(original, fresh);
  const inOriginal = Object.keys(original.predictions);
  const inNew = Object.keys(fresh.predictions);
  return {
    release,
    originalSize: original.labels.length,
    newSize: fresh.labels.length,
    rows,
    perClass: rows.map(({ model }) => ({
      model,
      original: perClassAccuracy(original.labels, original.predictions[model]),
      new: perClassAccuracy(fresh.labels, fresh.predictions[model]),
    })),
    fit: rows.length >= 2 ? linearFit(rows.map((r) => r.originalAccuracy), rows.map((r) => r.newAccuracy)) : null,
    onlyOriginal: inOriginal.filter((m) => !Object.hasOwn(fresh.predictions, m)).sort(),
    onlyNew: inNew.filter((m) => !Object.hasOwn(original.predictions, m)).sort(),
  };
}

function commonModels(a: PredictionSet, b: PredictionSet): string[] {
  return Object.keys(a.predictions).filter((m) => Object.hasOwn(b.predictions, m));
}

function correct(labels: ArrayLike<number>, predictions: ArrayLike<number>, model: string): number {
  check(predictions.length === labels.length, model, `${predictions.length} predictions for ${labels.length} labels`);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) hits++;
  return hits;
}

function percent(hits: number, n: number): number {
  return (100 * hits) / n;
}

function percentCI(hits: number, n: number, alpha: number): [number, number] {
  const [lo, hi] = clopperPearson(hits, n, alpha);
  return [100 * lo, 100 * hi];
}

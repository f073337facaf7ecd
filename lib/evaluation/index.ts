import { access } from 'node:fs/promises';
import path from 'node:path';
import { check } from '../errors';
import { evaluateRelease, type ReleaseEvaluation } from './accuracy';
import { findReleases, loadLabels, loadPredictionSet } from './inputs';
import { writeEvaluationReport, type EvaluationResult } from './report';

export * from './accuracy';
export { clopperPearson, linearFit, type LinearFit } from './stats';
export { loadLabels, loadPredictions } from './inputs';
export { scatterSpec, scatterSvg, svgToPng, PNG_SCALE } from './plot';
export { writeEvaluationReport, type EvaluationResult } from './report';

export interface EvaluateOptions {
  /** Folder with `original_predictions/` and `<release>_predictions/` of `<model>_predictions.json`. */
  predictionsDir: string;
  /** CIFAR-10 test labels (.npy). */
  originalLabels: string;
  /** Folder with `cifar10.1_<release>_labels.npy`. */
  releaseLabelsDir?: string;
  /** Release → labels .npy (e.g. from a fresh build); wins over releaseLabelsDir. */
  releaseLabels?: Record<string, string>;
  outDir: string;
}

/**
 * Evaluates every model on CIFAR-10 test vs each CIFAR-10.1 release that has
 * both predictions and labels, and writes the report to `outDir` (nothing is
 * written unless all inputs are valid).
 */
export async function evaluatePredictions(opts: EvaluateOptions): Promise<EvaluationResult> {
  const available = await findReleases(opts.predictionsDir);
  const labelFiles = new Map<string, string>();
  const releasesWithoutLabels: string[] = [];
  for (const release of available) {
    const file = opts.releaseLabels?.[release] ?? (await releaseLabelsIn(opts.releaseLabelsDir, release));
    if (file) labelFiles.set(release, file);
    else releasesWithoutLabels.push(release);
  }
  for (const release of Object.keys(opts.releaseLabels ?? {})) {
    check(available.includes(release), path.join(opts.predictionsDir, `${release}_predictions`), 'no predictions folder for this release');
  }
  check(labelFiles.size > 0, opts.predictionsDir, 'no release has both predictions and a labels file');

  const original = await loadPredictionSet(
    path.join(opts.predictionsDir, 'original_predictions'),
    await loadLabels(opts.originalLabels),
  );
  const releases: ReleaseEvaluation[] = [];
  for (const [release, file] of labelFiles) {
    const fresh = await loadPredictionSet(path.join(opts.predictionsDir, `${release}_predictions`), await loadLabels(file));
    releases.push(evaluateRelease(release, original, fresh));
  }
  const result = { releases, releasesWithoutLabels };
  await writeEvaluationReport(result, opts.outDir);
  return result;
}

async function releaseLabelsIn(dir: string | undefined, release: string): Promise<string | undefined> {
  if (!dir) return undefined;
  const file = path.join(dir, `cifar10.1_${release}_labels.npy`);
  return access(file).then(
    () => file,
    () => undefined,
  );
}

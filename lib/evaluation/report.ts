import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLASSES, type ReleaseEvaluation } from './accuracy';
import { scatterSvg, svgToPng } from './plot';

/** Result of evaluatePredictions: one entry per evaluated release, in name order. */
export interface EvaluationResult {
  releases: ReleaseEvaluation[];
  /** `<release>_predictions` folders skipped because no labels file was found for them. */
  releasesWithoutLabels: string[];
}

/**
 * Writes accuracy.json, per_class.json, accuracy.csv, accuracy.md and
 * scatter_<release>.svg/.png to `outDir`. Everything is rendered first; each
 * file is then written to a temp name and renamed, so a failure leaves no
 * partial files.
 */
export async function writeEvaluationReport(result: EvaluationResult, outDir: string): Promise<string[]> {
  const files = new Map<string, string | Buffer>([
    ['accuracy.json', json(Object.fromEntries(result.releases.map((ev) => [ev.release, ev.rows])))],
    ['per_class.json', json(Object.fromEntries(result.releases.map((ev) => [ev.release, perClassJson(ev)])))],
    ['accuracy.csv', csv(result)],
    ['accuracy.md', markdown(result)],
  ]);
  for (const ev of result.releases) {
    const svg = await scatterSvg(ev);
    files.set(`scatter_${ev.release}.svg`, svg);
    files.set(`scatter_${ev.release}.png`, await svgToPng(svg));
  }
  await mkdir(outDir, { recursive: true });
  const temp = (name: string) => path.join(outDir, `.${name}.${process.pid}.tmp`);
  try {
    await Promise.all([...files].map(([name, data]) => writeFile(temp(name), data)));
    for (const name of files.keys()) await rename(temp(name), path.join(outDir, name));
  } finally {
    await Promise.all([...files.keys()].map((name) => rm(temp(name), { force: true })));
  }
  return [...files.keys()].map((name) => path.join(outDir, name));
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function perClassJson(ev: ReleaseEvaluation) {
  const byClass = (acc: (number | null)[]) => Object.fromEntries(CLASSES.map((c, i) => [c, acc[i]]));
  return ev.perClass.map((r) => ({ model: r.model, original: byClass(r.original), new: byClass(r.new) }));
}

const CSV_HEADER = [
  'release', 'model', 'original_accuracy', 'new_accuracy', 'gap',
  'original_ci_low', 'original_ci_high', 'new_ci_low', 'new_ci_high', 'error_ratio',
];

function csv(result: EvaluationResult): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = result.releases.flatMap((ev) =>
    ev.rows.map((r) =>
      [ev.release, r.model, r.originalAccuracy, r.newAccuracy, r.gap, ...r.originalCI, ...r.newCI, r.errorRatio]
        .map((v) => quote(String(v)))
        .join(','),
    ),
  );
  return [CSV_HEADER.join(','), ...lines].map((l) => `${l}\n`).join('');
}

function markdown(result: EvaluationResult): string {
  const pct = (v: number) => v.toFixed(1);
  const ci = ([lo, hi]: [number, number]) => `[${pct(lo)}, ${pct(hi)}]`;
  const out = ['# Model accuracy: CIFAR-10 test vs CIFAR-10.1', ''];
  for (const ev of result.releases) {
    out.push(
      `## ${ev.release}`,
      '',
      `${ev.rows.length} models; original test set ${ev.originalSize} images, new test set ${ev.newSize} images. ` +
        'Accuracies in %, with 95% Clopper-Pearson intervals.',
      '',
      '| Model | Original | Original 95% CI | New | New 95% CI | Gap | Error ratio |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...ev.rows.map(
        (r) =>
          `| ${r.model} | ${pct(r.originalAccuracy)} | ${ci(r.originalCI)} | ${pct(r.newAccuracy)} | ${ci(r.newCI)} | ` +
          `${pct(r.gap)} | ${r.errorRatio.toFixed(2)} |`,
      ),
      '',
      ev.fit
        ? `Linear fit: new = ${ev.fit.slope.toFixed(3)} × original ${ev.fit.intercept < 0 ? '−' : '+'} ` +
            `${Math.abs(ev.fit.intercept).toFixed(2)} (r² = ${ev.fit.r2.toFixed(3)}).`
        : 'Too few models for a linear fit.',
      '',
    );
    if (ev.onlyOriginal.length) out.push(`Models without ${ev.release} predictions: ${ev.onlyOriginal.join(', ')}.`, '');
    if (ev.onlyNew.length) out.push(`Models without original predictions: ${ev.onlyNew.join(', ')}.`, '');
  }
  if (result.releasesWithoutLabels.length) {
    out.push(`Skipped (no labels file): ${result.releasesWithoutLabels.join(', ')}.`, '');
  }
  return out.join('\n');
}

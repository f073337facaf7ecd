// The rehearsal's corpus: the full-shape generator (lib/scale-corpus), cached
// in a folder per size, with the time its generation took kept beside it (a
// cached corpus reports the generation that made it).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
// The generator: its only import.
import { ensureScaleCorpus, scaleCorpusBytes, type ScaleCorpusInfo, type ScaleCorpusOptions } from '../../lib/scale-corpus';

export { scaleCorpusBytes, type ScaleCorpusOptions };

export interface CorpusRun {
  info: ScaleCorpusInfo;
  /** Seconds the generation took (measured now, or when the cached corpus was made). */
  generateSeconds: number | null;
  cached: boolean;
  loadAverageAtStart: number[];
}

/** The folder of the corpus of these options under `root`. */
function corpusDir(root: string, opts: ScaleCorpusOptions): string {
  return path.join(root, `corpus-${opts.images}-${opts.candidates}`);
}

/** The corpus of these options under `root`: generated (timed) unless already there. */
export async function ensureCorpus(root: string, opts: ScaleCorpusOptions, log: (msg: string) => void): Promise<CorpusRun> {
  const dir = corpusDir(root, opts);
  const timing = `${dir}.timing.json`;
  const cached = existsSync(path.join(dir, 'ground_truth.json'));
  const loadAverageAtStart = os.loadavg();
  const started = performance.now();
  let next = 0;
  const info = await ensureScaleCorpus(dir, opts, {
    onProgress: (done, total) => {
      if (performance.now() < next) return;
      next = performance.now() + 30_000;
      log(`corpus: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} images (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    },
  });
  if (!cached) {
    const generateSeconds = (performance.now() - started) / 1000;
    await writeFile(timing, JSON.stringify({ generateSeconds, loadAverageAtStart }));
    return { info, generateSeconds, cached, loadAverageAtStart };
  }
  const recorded = await readFile(timing, 'utf8').then((t) => JSON.parse(t) as { generateSeconds: number; loadAverageAtStart: number[] }, () => null);
  return { info, generateSeconds: recorded?.generateSeconds ?? null, cached, loadAverageAtStart: recorded?.loadAverageAtStart ?? loadAverageAtStart };
}

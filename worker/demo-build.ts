import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runBuild } from './build';

const root = path.resolve(__dirname, '..');

/**
 * Builds the demo v4 and v6 releases into `outDir` (what `npm start` does),
 * from an empty cache when `cold`. The benchmark times it.
 */
export async function runDemoBuild(opts: { outDir: string; cold: boolean; taskQueue?: string }): Promise<void> {
  if (opts.cold) {
    for (const name of ['cache', 'demo', 'releases', 'evaluation', 'bundles', 'decisions.jsonl']) {
      await rm(path.join(opts.outDir, name), { recursive: true, force: true });
    }
  }
  for (const release of ['v4', 'v6']) {
    await runBuild({ config: path.join(root, 'configs', `${release}.yaml`), outDir: opts.outDir, quiet: true, taskQueue: opts.taskQueue });
  }
}

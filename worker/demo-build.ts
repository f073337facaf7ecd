import { rm } from 'node:fs/promises';
import path from 'node:path';
import { runBuild } from './build';

const root = path.resolve(__dirname, '..');

/**
 * Builds the demo v4 and v6 releases into `outDir`, from an empty cache when
 * `cold`: one v6 build, whose workflow builds v4 first as its child. The
 * benchmark times it.
 */
export async function runDemoBuild(opts: { outDir: string; cold: boolean; taskQueue?: string }): Promise<void> {
  if (opts.cold) {
    for (const name of ['cache', 'demo', 'releases', 'evaluation', 'bundles', 'decisions.jsonl']) {
      await rm(path.join(opts.outDir, name), { recursive: true, force: true });
    }
  }
  await runBuild({ config: path.join(root, 'configs', 'v6.yaml'), outDir: opts.outDir, quiet: true, taskQueue: opts.taskQueue });
}

import path from 'node:path';
import { holdsExactly, publishFiles } from '../lib/publish';
import type { ArtifactRef } from '../lib/store';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

/**
 * The last step of a release: its files (the data with their manifest, and
 * the audit files beside them: provenance, exclusions, the report) copied
 * from the store into `<outDir>/releases/<release>/`, the folder swapped in
 * whole, unless it already holds exactly these files.
 */
export function publishRelease({ store }: ActivityDeps) {
  return async function publishRelease(input: { release: string; outDir: string; files: Record<string, ArtifactRef> }) {
    return runStage(async () => {
      const files = Object.fromEntries(Object.entries(input.files).map(([name, ref]) => [name, ref.sha256]));
      const target = path.join(input.outDir, 'releases', input.release);
      // Cached: the folder holds exactly these files already (publishFiles leaves it alone then).
      const cached = await holdsExactly(target, files);
      const releaseDir = await publishFiles(store, input.files, target);
      return { stage: 'publishRelease', cached, releaseDir, files };
    });
  };
}

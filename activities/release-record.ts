import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { holdsExactly } from '../lib/publish';
import { stageKeys } from '../lib/stage-keys';
import type { ArtifactRef } from '../lib/store';
import type { BuildResult, SourceSpec } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/** Which finished build a record is of: its release, config and source (the store is the one it is kept in). */
export interface ReleaseKey {
  release: string;
  configHash: string;
  source: SourceSpec;
}

const keyOf = ({ release, configHash, source }: ReleaseKey) => stageKeys.recordRelease(release, configHash, source);

/**
 * The last stage of a build: its result, kept in the store, so that a release
 * grown from this one (v6 from v4) starts from it instead of running its
 * build again.
 */
export function recordRelease({ store }: ActivityDeps) {
  return async function recordRelease(input: ReleaseKey & { result: BuildResult }) {
    return runStage(() => store.keyedStage(keyOf(input), async (dir) => {
      await writeFile(path.join(dir, 'result.json'), JSON.stringify(input.result, null, 2));
      return { files: ['result.json'], summary: { release: input.result.release, images: input.result.images, releaseDir: input.result.releaseDir } };
    }));
  };
}

/**
 * The recorded result of a finished build of this release, config and
 * source, if it and everything it points to are intact: the stored files it
 * names and the release folder as its manifest lists it. Null (with the
 * reason) when it has to be built.
 */
export function findRelease({ store }: ActivityDeps) {
  return async function findRelease(input: ReleaseKey): Promise<{ result: BuildResult | null; reason: string }> {
    return runStage(async () => {
      const entry = await store.lookup<object>('recordRelease', keyOf(input).key);
      if (!entry) return { result: null, reason: 'not built in this store yet' };
      const result = await store.readJson<BuildResult>(entry.files['result.json']);
      const refs = [result.manifest, result.perKeyword, result.blacklist].filter((r): r is ArtifactRef => Boolean(r));
      for (const ref of refs) {
        if (!(await store.verify(ref))) return { result: null, reason: `${ref.path} is gone or changed` };
      }
      const manifest = await store.readJson<{ files: Record<string, string> }>(result.manifest);
      if (!(await holdsExactly(result.releaseDir, { ...manifest.files, 'manifest.json': result.manifest.sha256, ...result.extras }))) {
        return { result: null, reason: `${result.releaseDir} no longer holds the release its manifest lists` };
      }
      return { result, reason: `built before: ${result.releaseDir}` };
    });
  };
}

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { holdsExactly } from '../lib/publish';
import { digest, recordedResult, stageKeys } from '../lib/stage-keys';
import type { ArtifactRef, ArtifactStore, StageOutput } from '../lib/store';
import type { BuildResult, SourceSpec } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/** Which finished build a record is of: its release, config and source (the store is the one it is kept in). */
export interface ReleaseKey {
  release: string;
  configHash: string;
  source: SourceSpec;
}

/** What a record says of itself, to be found again by release, config and source. */
interface RecordSummary {
  release: string;
  configHash: string;
  source: string;
  images: number;
  releaseDir: string;
}

/**
 * The last stage of a build: its result, kept in the store, so that a release
 * grown from this one (v6 from v4) starts from it instead of running its
 * build again.
 */
export function recordRelease({ store, versions }: ActivityDeps) {
  return async function recordRelease(input: ReleaseKey & { result: BuildResult; config?: unknown }) {
    const keyed = stageKeys.recordRelease(input.release, input.configHash, input.source, recordedResult(input.result as unknown as Record<string, unknown>), versions);
    return runStage(() => store.keyedStage<RecordSummary>(keyed, async (dir) => {
      await writeFile(path.join(dir, 'result.json'), JSON.stringify(input.result, null, 2));
      // The config as the build read it: what `cifar101 diff` compares between two releases.
      if (input.config) await writeFile(path.join(dir, 'config.json'), JSON.stringify(input.config, null, 2));
      return {
        files: ['result.json', ...(input.config ? ['config.json'] : [])],
        summary: { release: input.release, configHash: input.configHash, source: digest(input.source), images: input.result.images, releaseDir: input.result.releaseDir },
      };
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
      const entry = await latestRecord(store, input);
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

/** The newest record of a build of this release, config and source in the store (a new code version records anew). */
export async function latestRecord(store: ArtifactStore, which: ReleaseKey): Promise<StageOutput<RecordSummary> | null> {
  let newest: { entry: StageOutput<RecordSummary>; time: number } | null = null;
  for (const key of await store.entries('recordRelease')) {
    const entry = await store.lookup<RecordSummary>('recordRelease', key);
    const s = entry?.summary;
    if (!entry || s?.release !== which.release || s.configHash !== which.configHash || s.source !== digest(which.source)) continue;
    const time = await store.entryTime('recordRelease', key);
    if (!newest || time > newest.time) newest = { entry, time };
  }
  return newest?.entry ?? null;
}

// `cifar101 diff <A> <B>`: loads each side (a release by name, a release
// folder, or a config) from the artifact store, then lib/release-diff.ts.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadReleaseConfig } from '../configs';
import { InputError } from '../lib/errors';
import { readNpy } from '../lib/formats/npy';
import type { ExclusionRow } from '../lib/provenance';
import { type DiffSide, diffReleases, type ReleaseDiff } from '../lib/release-diff';
import { ArtifactStore } from '../lib/store';
import type { BuildResult } from '../workflows/types';
import { readJsonLines } from './explain';
import { toBuildConfig } from './build';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The builds recorded in the store, newest first: their result and config. */
async function records(store: ArtifactStore): Promise<Array<{ result: BuildResult; config: Record<string, unknown> | null; configHash: string }>> {
  const found = [];
  for (const key of await store.entries('recordRelease')) {
    const entry = await store.lookup<{ configHash: string }>('recordRelease', key);
    if (!entry) continue;
    found.push({
      result: await store.readJson<BuildResult>(entry.files['result.json']),
      config: entry.files['config.json'] ? await store.readJson<Record<string, unknown>>(entry.files['config.json']) : null,
      configHash: entry.summary.configHash,
      time: await store.entryTime('recordRelease', key),
    });
  }
  return found.sort((x, y) => y.time - x.time);
}

const readJson = async <T>(file: string): Promise<T | null> => JSON.parse(await readFile(file, 'utf8').catch(() => 'null')) as T | null;

/** One side: `ref` is a release name, a release folder, or a config file. */
async function loadSide(store: ArtifactStore, ref: string): Promise<DiffSide> {
  const recorded = await records(store);
  let record: (typeof recorded)[number] | undefined;
  let dir: string | null;
  let name: string;
  let config: Record<string, unknown> | null = null;
  if (/\.ya?ml$/.test(ref)) {
    const loaded = await loadReleaseConfig(ref);
    config = toBuildConfig(loaded) as unknown as Record<string, unknown>;
    record = recorded.find((r) => r.configHash === loaded.hash);
    name = `${loaded.release} (${path.basename(ref)})`;
    dir = record?.result.releaseDir ?? null;
  } else if (ref.includes('/') || ref.includes(path.sep)) {
    dir = path.resolve(ref);
    record = recorded.find((r) => r.result.releaseDir === dir);
    name = path.basename(dir);
  } else {
    record = recorded.find((r) => r.result.release === ref);
    dir = record?.result.releaseDir ?? path.join(store.root, 'releases', ref);
    name = ref;
  }
  const release = record?.result.release ?? path.basename(dir ?? name);
  const prefix = `cifar10.1_${release}`;
  const images = dir ? await readJson<number[]>(path.join(dir, `${prefix}_ti_indices.json`)) : null;
  if (!images && !config) throw new InputError(`no release there (no ${prefix}_ti_indices.json), and no build of it in ${store.root}`, ref);
  const labels = dir && images ? Array.from((await readNpy(path.join(dir, `${prefix}_labels.npy`))).data as ArrayLike<number>, Number) : null;
  const exclusionsFile = dir ? path.join(dir, `${prefix}_exclusions.jsonl`) : null;
  const exclusions = exclusionsFile && (await readFile(exclusionsFile).then(() => true, () => false))
    ? new Map((await readJsonLines<ExclusionRow>(exclusionsFile)).map((row) => [row.index, row])) : null;
  const evaluation = await readJson<Record<string, Array<{ model: string; originalAccuracy: number; newAccuracy: number }>>>(path.join(store.root, 'evaluation', release, 'accuracy.json'));
  const rows = evaluation?.[release];
  return {
    name,
    config: config ?? record?.config ?? null,
    stages: record?.result.stages ?? null,
    images,
    labels,
    classes: (config?.classes as string[] | undefined) ?? (record?.config?.classes as string[] | undefined) ?? CLASSES,
    perKeyword: dir ? await readJson<Record<string, number[]>>(path.join(dir, `${prefix}_ti_indices_per_keyword.json`)) : null,
    exclusions,
    accuracy: rows ? Object.fromEntries(rows.map((r) => [r.model, { original: r.originalAccuracy, release: r.newAccuracy }])) : null,
  };
}

/** The diff of two releases (or configs) of the store at `outDir`. */
export async function diff(outDir: string, a: string, b: string): Promise<ReleaseDiff> {
  const store = new ArtifactStore(path.resolve(outDir));
  return diffReleases(await loadSide(store, a), await loadSide(store, b));
}

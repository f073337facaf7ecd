import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import type { Quotas } from '../lib/quotas';
import { createRng } from '../lib/rng';
import { type ReleaseSample, sampleV4, sampleV6 } from '../lib/sampling';
import { stageKeys } from '../lib/stage-keys';
import type { ArtifactRef, StageOutput } from '../lib/store';
import type { BuildConfig } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


export interface SampleSummary {
  images: number;
  perClass: number[];
}

/**
 * Stage 7: seeded sampling as the published notebooks did. v4 draws each
 * keyword's quota from its confirmed images; v6 grows from the v4 release to
 * 200 images per class. Blacklisted images are never drawn.
 */
export function sampleRelease({ store, versions }: ActivityDeps) {
  return async function sampleRelease(input: {
    release: string;
    seed: number;
    rng: BuildConfig['rng'];
    sampling: BuildConfig['sampling'];
    classes: string[];
    counts: StageOutput;
    confirmed: StageOutput;
    blacklist?: ArtifactRef;
    /** The release this one grows from, per keyword (v6: the v4 release). */
    basePerKeyword?: ArtifactRef;
  }) {
    return runStage(async () => {
      const { seed, rng: rngConfig, classes, counts, confirmed, blacklist, basePerKeyword } = input;
      const keyed = stageKeys.sampleRelease({ seed, rng: rngConfig, classes }, counts, confirmed, blacklist?.sha256, basePerKeyword?.sha256, versions);
      return store.keyedStage<SampleSummary>(keyed, async (dir) => {
        const quotas = await store.readJson<Quotas>(counts.files['quotas.json']);
        const accepted = await store.readJson<Record<string, Record<string, number[]>>>(confirmed.files['accepted.json']);
        const black = blacklist ? await store.readJson<number[]>(blacklist) : [];
        const rng = createRng({ kind: rngConfig.kind, seed, setRule: rngConfig.setRule });
        // Published layout: one list per keyword; a keyword of several classes (the real `cruiser`) is split by class.
        const confirmedPerKeyword: Record<string, number[]> = {};
        const splitKeywords: Record<string, Record<string, number[]>> = {};
        const classesOf = new Map<string, string[]>();
        for (const [cls, kws] of Object.entries(accepted)) for (const kw of Object.keys(kws)) classesOf.set(kw, [...(classesOf.get(kw) ?? []), cls]);
        for (const [kw, owners] of classesOf) {
          if (owners.length === 1) confirmedPerKeyword[kw] = accepted[owners[0]][kw];
          else splitKeywords[kw] = Object.fromEntries(owners.map((cls) => [cls, accepted[cls][kw]]));
        }
        let sample: ReleaseSample;
        if (quotas.method === 'per-keyword') {
          const keywordClass: Record<string, number> = {};
          for (const [kw, owners] of classesOf) keywordClass[kw] = classes.indexOf(owners[0]);
          sample = sampleV4({ classes, keywordClass, keywords: quotas.order, counts: quotas.perKeyword, confirmed: confirmedPerKeyword, blacklist: black }, rng);
        } else {
          const v4PerKeyword = basePerKeyword ? await store.readJson<Record<string, number[]>>(basePerKeyword) : {};
          for (const kw of Object.keys(splitKeywords)) confirmedPerKeyword[kw] = Object.values(splitKeywords[kw]).flat();
          sample = sampleV6({ classes, quotas: quotas.perClass, confirmed: confirmedPerKeyword, blacklist: black, v4PerKeyword, splitKeywords }, rng);
        }
        const perKeyword: Record<string, number[]> = {};
        for (const p of sample.perKeyword) perKeyword[p.keyword] = [...(perKeyword[p.keyword] ?? []), ...p.indices];
        await writeFileAtomic(path.join(dir, 'sample.json'), Buffer.from(JSON.stringify(sample)));
        await writeFileAtomic(path.join(dir, 'ti_indices_per_keyword.json'), Buffer.from(JSON.stringify(perKeyword, null, 2)));
        const perClass = classes.map((_, c) => sample.labels.filter((l) => l === c).length);
        return { files: ['sample.json', 'ti_indices_per_keyword.json'], summary: { images: sample.tiIndices.length, perClass } };
      });
    });
  };
}

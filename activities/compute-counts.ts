import path from 'node:path';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { balancedQuotas, perKeywordQuotas } from '../lib/quotas';
import { ArtifactStore, type StageOutput } from '../lib/store';
import type { BuildConfig } from '../workflows/types';
import type { ActivityDeps, SubsetEntry } from './common';
import { runStage } from './context';

const VERSION = 1;

/** Quotas in the published layout: v4 `{keyword: n}` in sampling order, v6 `{class: {keyword: n}}`. */
export type Quotas = { method: 'per-keyword'; perKeyword: Record<string, number>; order: string[] } | { method: 'balanced'; perClass: Record<string, Record<string, number>> };

/** Stage 4: how many new images each keyword contributes to the release. */
export function computeKeywordCounts({ store }: ActivityDeps) {
  return async function computeKeywordCounts(input: {
    keywords: StageOutput;
    subsets: StageOutput;
    sampling: BuildConfig['sampling'];
    classes: string[];
    excluded: string[];
  }) {
    return runStage(async () => {
      const { subsets, sampling, classes, excluded } = input;
      const key = ArtifactStore.key('computeKeywordCounts', VERSION, { subsets: subsets.key, sampling: { ...sampling, base: undefined }, classes, excluded });
      return store.stage('computeKeywordCounts', key, async (dir) => {
        const entries = await store.readJson<SubsetEntry[]>(subsets.files['subsets.json']);
        const skip = new Set(excluded);
        const byClass = classes.map((name) => entries.filter((e) => e.className === name && !skip.has(e.keyword)).map((e): [string, number] => [e.keyword, e.cifarCount]));
        let quotas: Quotas;
        let perClass: number[];
        if (sampling.method === 'per-keyword') {
          const perKeyword: Record<string, number> = {};
          const order: string[] = [];
          perClass = byClass.map((counts) => {
            let n = 0;
            for (const [keyword, quota] of perKeywordQuotas(counts, sampling.imagesPerCount, sampling.minFraction)) {
              if (quota === 0) continue;
              if (keyword in perKeyword) throw new InputError(`keyword is in two classes; per-keyword sampling needs one class per keyword`, keyword);
              perKeyword[keyword] = quota;
              order.push(keyword);
              n += quota;
            }
            return n;
          });
          quotas = { method: 'per-keyword', perKeyword, order };
          await writeFileAtomic(path.join(dir, 'keyword_counts.json'), Buffer.from(JSON.stringify(perKeyword, null, 2)));
        } else {
          const table: Record<string, Record<string, number>> = {};
          perClass = byClass.map((counts, c) => {
            table[classes[c]] = Object.fromEntries(balancedQuotas(counts, sampling.perClass));
            return Object.values(table[classes[c]]).reduce((a, b) => a + b, 0);
          });
          quotas = { method: 'balanced', perClass: table };
          await writeFileAtomic(path.join(dir, 'keyword_counts.json'), Buffer.from(JSON.stringify(table, null, 2)));
        }
        await writeFileAtomic(path.join(dir, 'quotas.json'), Buffer.from(JSON.stringify(quotas)));
        return { files: ['keyword_counts.json', 'quotas.json'], summary: { total: perClass.reduce((a, b) => a + b, 0), perClass } };
      });
    });
  };
}

/** The quota of one keyword in one class. */
export function quotaOf(quotas: Quotas, className: string, keyword: string): number {
  return quotas.method === 'per-keyword' ? quotas.perKeyword[keyword] ?? 0 : quotas.perClass[className]?.[keyword] ?? 0;
}

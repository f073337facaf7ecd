import path from 'node:path';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { Published } from '../lib/published';
import { PUBLISHED_DIR } from '../lib/published-data';
import { computeQuotas, type QuotaRule, type Quotas } from '../lib/quotas';
import { stageKeys } from '../lib/stage-keys';
import type { StageOutput } from '../lib/store';
import type { SubsetEntry } from '../lib/subsets';
import type { BuildConfig } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/** The published CIFAR-10.1 counts: v4's per keyword (the per-keyword rule's input), v6's quotas per class. */
const PUBLISHED_COUNTS = { 'per-keyword': 'other_data/keyword_counts_v4.json', balanced: 'other_data/keyword_counts_v6.json' } as const;

/**
 * Stage 4: how many new images each keyword contributes to the release, from
 * each keyword's count (sampling.counts: CIFAR-10 images filed under it, its
 * images in the pool, the same for all, or the published CIFAR-10.1 counts).
 */
export function computeKeywordCounts({ store, versions }: ActivityDeps) {
  return async function computeKeywordCounts(input: {
    subsets: StageOutput;
    sampling: QuotaRule & { counts?: BuildConfig['sampling']['counts']; base?: string };
    classes: string[];
    excluded: string[];
    /** A build from a pool: no CIFAR-10 image is filed under its keywords. */
    fromPool?: boolean;
  }) {
    return runStage(async () => {
      const { subsets, sampling, classes, excluded } = input;
      const counts = sampling.counts ?? 'cifar10-match';
      if (counts === 'cifar10-match' && input.fromPool) {
        throw new InputError('cifar10-match counts CIFAR-10 images filed under each keyword, and a pool has none: use pool, uniform or published', 'sampling.counts');
      }
      const published = counts === 'published' ? await new Published(PUBLISHED_DIR).json<Record<string, unknown>>(PUBLISHED_COUNTS[sampling.method], 'object') : null;
      return store.keyedStage(stageKeys.computeKeywordCounts(subsets, { ...sampling, counts }, classes, excluded, published, versions), async (dir) => {
        const entries = await store.readJson<SubsetEntry[]>(subsets.files['subsets.json']);
        const skip = new Set(excluded);
        const countOf = (e: SubsetEntry): number => {
          switch (counts) {
            case 'cifar10-match': return e.cifarCount;
            case 'pool': return e.end - e.start;
            case 'uniform': return 1;
            case 'published': return Number((published as Record<string, number>)[e.keyword] ?? 0);
          }
        };
        let quotas: Quotas;
        let perClass: number[];
        let table: unknown;
        if (counts === 'published' && sampling.method === 'balanced') {
          // The published v6 quotas are the table itself ({class: {keyword: quota}}).
          const byClass = published as Record<string, Record<string, number>>;
          quotas = { method: 'balanced', perClass: Object.fromEntries(classes.map((c) => [c, byClass[c] ?? {}])) };
          perClass = classes.map((c) => Object.values(byClass[c] ?? {}).reduce((a, b) => a + b, 0));
          table = quotas.perClass;
        } else {
          const byClass = classes.map((name) => entries.filter((e) => e.className === name && !skip.has(e.keyword)).map((e): [string, number] => [e.keyword, countOf(e)]));
          ({ quotas, perClass, table } = computeQuotas(byClass, classes, sampling));
        }
        await writeFileAtomic(path.join(dir, 'keyword_counts.json'), Buffer.from(JSON.stringify(table, null, 2)));
        await writeFileAtomic(path.join(dir, 'quotas.json'), Buffer.from(JSON.stringify(quotas)));
        return { files: ['keyword_counts.json', 'quotas.json'], summary: { total: perClass.reduce((a, b) => a + b, 0), perClass, counts } };
      });
    });
  };
}

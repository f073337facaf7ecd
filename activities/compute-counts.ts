import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { computeQuotas, type QuotaRule } from '../lib/quotas';
import { ArtifactStore, type StageOutput } from '../lib/store';
import type { SubsetEntry } from '../lib/subsets';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

const VERSION = 1;

/** Stage 4: how many new images each keyword contributes to the release. */
export function computeKeywordCounts({ store }: ActivityDeps) {
  return async function computeKeywordCounts(input: {
    subsets: StageOutput;
    sampling: QuotaRule & { base?: string };
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
        const { quotas, perClass, table } = computeQuotas(byClass, classes, sampling);
        await writeFileAtomic(path.join(dir, 'keyword_counts.json'), Buffer.from(JSON.stringify(table, null, 2)));
        await writeFileAtomic(path.join(dir, 'quotas.json'), Buffer.from(JSON.stringify(quotas)));
        return { files: ['keyword_counts.json', 'quotas.json'], summary: { total: perClass.reduce((a, b) => a + b, 0), perClass } };
      });
    });
  };
}

import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { CORPUS_FILES, poolKeywordCounts, readPoolRows } from '../lib/pool';
import { stageKeys } from '../lib/stage-keys';
import type { StageOutput } from '../lib/store';
import type { ExtractSummary } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/**
 * Stage 1 of a build from a pool: the keywords of each class and their images,
 * from the pool itself (its folders, manifest or the config's map), where a
 * TinyImages build finds them by matching CIFAR-10 in the corpus. The files
 * are those of assignKeywords, so the stages after it run unchanged: no
 * CIFAR-10 image is a pool image.
 */
export function poolKeywords({ store, versions }: ActivityDeps) {
  return async function poolKeywords(input: { extract: StageOutput<ExtractSummary>; pool: StageOutput }) {
    return runStage(async () => {
      return store.keyedStage(stageKeys.poolKeywords(input.extract, input.pool, versions), async (dir) => {
        const rows = await readPoolRows(store.resolve(input.pool.files[`corpus/${CORPUS_FILES.rows}`]));
        const byClass = poolKeywordCounts(rows, input.extract.summary.classes);
        const write = (name: string, value: unknown) => writeFileAtomic(path.join(dir, name), Buffer.from(JSON.stringify(value, null, 2)));
        await write('cifar_keywords.json', []);
        await write('keyword_counts_by_class.json', byClass);
        await write('cifar_sources.json', []);
        return {
          files: ['cifar_keywords.json', 'keyword_counts_by_class.json', 'cifar_sources.json'],
          summary: { images: rows.length, keywords: Object.values(byClass).reduce((n, kws) => n + Object.keys(kws).length, 0) },
        };
      });
    });
  };
}

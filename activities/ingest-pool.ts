import path from 'node:path';
import { InputError } from '../lib/errors';
import { checkClassCounts, CORPUS_FILES, ingestPool as ingest, type PoolConfig, poolIdentity, RENDER_ENGINE, scanPool } from '../lib/pool';
import { poolConfigSchema } from '../lib/pool/config';
import { stageKeys } from '../lib/stage-keys';
import type { PoolSummary, SourceSpec } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/** The files of a pool corpus in its store entry. */
export const POOL_FILES = ['corpus/tinyimages/tiny_images.bin', 'corpus/tinyimages/tiny_metadata.bin', `corpus/${CORPUS_FILES.rows}`, `corpus/${CORPUS_FILES.skipped}`];

/**
 * Stage 0 of a build from one's own images: the pool (folders or a manifest)
 * converted once into a corpus in the TinyImages layout, keyed by every
 * file's content and the resize method. Unreadable, unsupported and
 * duplicate files are skipped and listed; a class left with too few images
 * fails the build.
 */
export function ingestPool({ store, versions }: ActivityDeps) {
  return async function ingestPool(input: { source: Extract<SourceSpec, { kind: 'pool' }>; classes: string[]; pool?: PoolConfig }) {
    return runStage(async (heartbeat, context) => {
      const config = input.pool ?? poolConfigSchema.parse({});
      const scanned = await scanPool(input.source.pool, { classes: input.classes, keywordClasses: config.keywordClasses });
      const identity = await poolIdentity(scanned, { signal: context.cancellationSignal });
      const out = await store.keyedStage<PoolSummary>(stageKeys.ingestPool(identity.sha256, config.resize, RENDER_ENGINE, input.classes, versions), async (dir) => {
        const summary = await ingest(scanned, path.join(dir, 'corpus'), {
          resize: config.resize,
          signal: context.cancellationSignal,
          onProgress: (p) => heartbeat.update({ done: p.done, total: p.total }),
        });
        return { files: POOL_FILES, summary: { ...summary, engine: RENDER_ENGINE } };
      });
      // Checked on the stored corpus, so that its report of skipped files is there to read.
      const report = store.resolve(out.files[`corpus/${CORPUS_FILES.skipped}`]);
      if (out.summary.images === 0) throw new InputError(`no image in the pool could be read (see ${report})`, input.source.pool);
      checkClassCounts(out.summary.perClass, config.minImagesPerClass, `${input.source.pool} (files left out: ${report})`);
      return out;
    });
  };
}

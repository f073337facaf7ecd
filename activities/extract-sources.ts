import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ensureDemoCorpus } from '../lib/demo/generate';
import { InputError } from '../lib/errors';
import { readCifar10Source } from '../lib/formats/cifar10-archive';
import { writeNpy } from '../lib/formats/npy';
import { TinyImages } from '../lib/formats/tinyimages';
import { stageKeys, type VersionOverrides } from '../lib/stage-keys';
import type { ArtifactStore, StageOutput } from '../lib/store';
import type { ExtractSummary, SourceSpec } from '../workflows/types';
import type { ActivityDeps } from './support/deps';
import { ensureScaleCorpus, optionsHash, resolveOptions } from '../lib/scale-corpus';
import { sourceIdentity } from '../lib/source-identity';
import { type Heartbeat, runStage } from './support/context';

/** Stages that need TinyImages pixels, skipped in a build from the published files. */
const PIXEL_STAGES = ['findCifar10Keywords', 'assignKeywords', 'buildKeywordSubsets', 'computeDistances', 'checkNearDuplicates'];


/** Where a source's files are, and what identifies their content for the cache. */
async function locate(store: ArtifactStore, source: SourceSpec, pool: StageOutput | undefined, heartbeat: Heartbeat, signal: AbortSignal) {
  if (source.kind === 'demo') {
    const dir = path.join(store.root, 'demo', `seed-${source.seed}`);
    await ensureDemoCorpus(dir, source.seed);
    return { tinyDir: path.join(dir, 'tinyimages'), cifar10: path.join(dir, 'cifar10'), groundTruth: path.join(dir, 'ground_truth.json'), identity: await sourceIdentity(source) };
  }
  if (source.kind === 'synthetic') {
    const { kind: _kind, ...given } = source;
    const opts = resolveOptions(given);
    const dir = path.join(store.root, 'synthetic', `${opts.images}-${opts.candidates}-seed-${opts.seed}-${optionsHash(opts).slice(0, 8)}`);
    const corpus = await ensureScaleCorpus(dir, opts, { signal, onProgress: (done, total) => heartbeat.update({ done, total }) });
    return { tinyDir: corpus.tinyImagesDir, cifar10: corpus.cifar10Dir, groundTruth: corpus.groundTruthFile, identity: await sourceIdentity(source) };
  }
  if (source.kind === 'files') {
    // A generated corpus's ground truth lets the simulated labeler answer (the rehearsal's full-shape corpus).
    const identity = await sourceIdentity(source);
    return { tinyDir: source.tinyimages, cifar10: source.cifar10, groundTruth: source.groundTruth ? path.resolve(source.groundTruth) : null, identity };
  }
  if (source.kind === 'pool') {
    if (!pool) throw new InputError('a pool source needs its corpus (the ingestPool stage)', 'source');
    const tinyDir = path.dirname(store.resolve(pool.files['corpus/tinyimages/tiny_images.bin']));
    return { tinyDir, cifar10: source.cifar10, groundTruth: null, identity: await sourceIdentity(source, { poolKey: pool.key }) };
  }
  throw new InputError(`source kind "${source.kind}" has no pixels to extract`, 'source');
}

/** Stage 0: validates the TinyImages and CIFAR-10 files and stores CIFAR-10 (train, then test) as one .npy. */
export function extractSources({ store, versions }: ActivityDeps) {
  return async function extractSources(input: { source: SourceSpec; classes: string[]; pool?: StageOutput }) {
    return runStage(async (heartbeat, context) => {
      if (input.source.kind === 'published') return publishedSource(store, input.source.dir, input.classes, versions);
      const where = await locate(store, input.source, input.pool, heartbeat, context.cancellationSignal);
      return store.keyedStage<ExtractSummary>(stageKeys.extractSources(where.identity, versions), async (dir) => {
        const tiny = await TinyImages.open(where.tinyDir);
        const tinyCount = tiny.count;
        await tiny.close();
        const cifar = await readCifar10Source(where.cifar10);
        const nTrain = cifar.train.labels.length;
        const n = nTrain + cifar.test.labels.length;
        const images = new Uint8Array(n * 3072);
        images.set(cifar.train.images, 0);
        images.set(cifar.test.images, nTrain * 3072);
        const labels = new Int32Array(n);
        labels.set(cifar.train.labels, 0);
        labels.set(cifar.test.labels, nTrain);
        await writeNpy(path.join(dir, 'cifar10_images.npy'), { dtype: 'uint8', shape: [n, 32, 32, 3], data: images });
        await writeNpy(path.join(dir, 'cifar10_labels.npy'), { dtype: 'int32', shape: [n], data: labels });
        return {
          files: ['cifar10_images.npy', 'cifar10_labels.npy'],
          summary: {
            tinyDir: path.resolve(where.tinyDir),
            groundTruth: where.groundTruth,
            tinyCount,
            cifarCount: n,
            cifarTrain: nTrain,
            classes: cifar.classNames,
          },
        };
      });
    });
  };
}

/** A build from the published CIFAR-10.1 files: nothing to extract, and no pixels (TinyImages is withdrawn). */
async function publishedSource(store: ArtifactStore, dir: string, classes: string[], versions?: VersionOverrides) {
  const missing = [];
  for (const sub of ['other_data', 'datasets']) {
    if (!(await stat(path.join(dir, sub)).then((s) => s.isDirectory(), () => false))) missing.push(sub);
  }
  if (missing.length) throw new InputError(`not a CIFAR-10.1 folder: no ${missing.join(' or ')}/ inside`, dir);
  return store.keyedStage<ExtractSummary & { note: string }>(stageKeys.extractSources(await sourceIdentity({ kind: 'published', dir }, { classes }), versions), async () => ({
    files: [],
    summary: {
      tinyDir: null, groundTruth: null, tinyCount: 0, cifarCount: 0, cifarTrain: 0, classes,
      note: `published files from ${path.resolve(dir)}: no TinyImages pixels, so ${PIXEL_STAGES.join(', ')} are skipped and the release has no data.npy`,
    },
  }));
}

// What identifies a build's source for the cache, without reading it whole:
// the demo's and the synthetic corpus's parameters, the files' paths, sizes
// and times, the pool's content key. extractSources keys itself by it, and so
// does `cifar101 plan`.
import path from 'node:path';
import { fileIdentity } from './formats/files';
import { resolveOptions } from './scale-corpus';

/** A build's source, as the workflow's SourceSpec has it. */
export type SourceLike =
  | { kind: 'demo'; seed: number }
  | { kind: 'synthetic'; images: number; candidates: number; seed: number; cifarTrain?: number; cifarTest?: number }
  | { kind: 'files'; tinyimages: string; cifar10: string; groundTruth?: string }
  | { kind: 'pool'; pool: string; cifar10: string }
  | { kind: 'published'; dir: string };

/** The identity of a source (a pool's: of its corpus, `poolKey`); `classes` for the published files. */
export async function sourceIdentity(source: SourceLike, extra: { poolKey?: string; classes?: string[] } = {}): Promise<unknown> {
  switch (source.kind) {
    case 'demo':
      return { demo: source.seed };
    case 'synthetic': {
      const { kind: _kind, ...given } = source;
      return { synthetic: resolveOptions(given) };
    }
    case 'files': {
      const tiny = [...await fileIdentity(path.join(source.tinyimages, 'tiny_images.bin')), ...await fileIdentity(path.join(source.tinyimages, 'tiny_metadata.bin'))];
      const groundTruth = source.groundTruth ? path.resolve(source.groundTruth) : null;
      if (groundTruth) await fileIdentity(groundTruth);
      return { tiny, cifar10: await fileIdentity(source.cifar10), groundTruth };
    }
    case 'pool':
      return { pool: extra.poolKey, cifar10: await fileIdentity(source.cifar10) };
    case 'published':
      return { published: path.resolve(source.dir), classes: extra.classes };
  }
}

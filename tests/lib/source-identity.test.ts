import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { type SourceLike, sourceIdentity } from '../../lib/source-identity';
import { useTempDir } from '../helpers/temp';

const tmp = useTempDir('source-identity');
let cases = 0;

/** A TinyImages folder, a CIFAR-10 archive and a ground truth file, each with a fixed modification time. */
async function filesSource(): Promise<{ source: Extract<SourceLike, { kind: 'files' }>; dir: string }> {
  const dir = path.join(tmp(), `files-${++cases}`);
  await mkdir(path.join(dir, 'tiny'), { recursive: true });
  const write = async (name: string, bytes: number) => {
    await writeFile(path.join(dir, name), Buffer.alloc(bytes, 7));
    await utimes(path.join(dir, name), 1_700_000_000, 1_700_000_000);
  };
  await write('tiny/tiny_images.bin', 3072 * 3);
  await write('tiny/tiny_metadata.bin', 768 * 3);
  await write('cifar-10-python.tar.gz', 100);
  await write('ground_truth.json', 10);
  return { dir, source: { kind: 'files', tinyimages: path.join(dir, 'tiny'), cifar10: path.join(dir, 'cifar-10-python.tar.gz'), groundTruth: path.join(dir, 'ground_truth.json') } };
}

describe('sourceIdentity', () => {
  it('is the seed for the demo', async () => {
    expect(await sourceIdentity({ kind: 'demo', seed: 101 })).toEqual({ demo: 101 });
    expect(await sourceIdentity({ kind: 'demo', seed: 7 })).not.toEqual(await sourceIdentity({ kind: 'demo', seed: 101 }));
  });

  it('is the synthetic corpus\'s options with the defaults filled in, so an option given at its default changes nothing', async () => {
    const given = { kind: 'synthetic' as const, images: 2000, candidates: 500, seed: 5, cifarTrain: 900, cifarTest: 100 };
    expect(await sourceIdentity(given)).toEqual({ synthetic: { images: 2000, candidates: 500, cifarTrain: 900, cifarTest: 100, seed: 5 } });
    const defaults = { kind: 'synthetic' as const, images: 100_000, candidates: 5000, seed: 5 };
    expect(await sourceIdentity(defaults)).toEqual(await sourceIdentity({ ...defaults, cifarTrain: 50_000, cifarTest: 10_000 }));
    expect(await sourceIdentity({ ...given, seed: 6 })).not.toEqual(await sourceIdentity(given));
    expect(await sourceIdentity({ ...given, candidates: 501 })).not.toEqual(await sourceIdentity(given));
  });

  it('refuses synthetic options the corpus cannot meet, naming the option', async () => {
    await expect(sourceIdentity({ kind: 'synthetic', images: 1000, candidates: 2000, seed: 1, cifarTrain: 900, cifarTest: 100 })).rejects.toThrow(
      new InputError('2000 is more than the 1000 images of the whole corpus', 'candidates'),
    );
  });

  describe('of files', () => {
    let dir: string;
    let source: Extract<SourceLike, { kind: 'files' }>;
    beforeEach(async () => {
      ({ dir, source } = await filesSource());
    });

    it('is each file\'s path, size and modification time, and the ground truth\'s path', async () => {
      const at = (name: string) => ({ file: path.join(dir, name), size: 0, mtime: 1_700_000_000_000 });
      expect(await sourceIdentity(source)).toEqual({
        tiny: [{ ...at('tiny/tiny_images.bin'), size: 9216 }, { ...at('tiny/tiny_metadata.bin'), size: 2304 }],
        cifar10: [{ ...at('cifar-10-python.tar.gz'), size: 100 }],
        groundTruth: path.join(dir, 'ground_truth.json'),
      });
      expect(await sourceIdentity({ ...source, groundTruth: undefined })).toMatchObject({ groundTruth: null });
    });

    it('is the same for the same files, given by a relative path or not', async () => {
      const first = await sourceIdentity(source);
      expect(await sourceIdentity({ ...source })).toEqual(first);
      expect(await sourceIdentity({ ...source, cifar10: path.relative(process.cwd(), source.cifar10), groundTruth: path.relative(process.cwd(), source.groundTruth!) })).toEqual(first);
    });

    it.each([
      ['tiny/tiny_images.bin', 'grows', (file: string) => writeFile(file, Buffer.alloc(3072 * 4, 7)).then(() => utimes(file, 1_700_000_000, 1_700_000_000))],
      ['tiny/tiny_metadata.bin', 'is touched', (file: string) => utimes(file, 1_700_000_001, 1_700_000_001)],
      ['cifar-10-python.tar.gz', 'is rewritten, same size, later', (file: string) => writeFile(file, Buffer.alloc(100, 8))],
    ])('changes when %s %s', async (name, _what, change) => {
      const before = await sourceIdentity(source);
      const file = path.join(dir, name);
      const was = await stat(file);
      await change(file);
      const now = await stat(file);
      expect(now.size !== was.size || now.mtimeMs !== was.mtimeMs).toBe(true);
      expect(await sourceIdentity(source)).not.toEqual(before);
    });

    it.each(['tiny/tiny_images.bin', 'tiny/tiny_metadata.bin', 'cifar-10-python.tar.gz', 'ground_truth.json'])('is an InputError naming %s when it is missing', async (name) => {
      await rm(path.join(dir, name));
      const file = path.join(dir, name);
      await expect(sourceIdentity(source)).rejects.toThrow(new InputError('file not found', file));
      await expect(sourceIdentity(source)).rejects.toBeInstanceOf(InputError);
    });
  });

  it('is the pool\'s corpus key and the CIFAR-10 file\'s identity for a pool', async () => {
    const { source } = await filesSource();
    const pool = { kind: 'pool' as const, pool: '/data/my-pool', cifar10: source.cifar10 };
    const cifar10 = [{ file: source.cifar10, size: 100, mtime: 1_700_000_000_000 }];
    expect(await sourceIdentity(pool, { poolKey: 'k1' })).toEqual({ pool: 'k1', cifar10 });
    expect(await sourceIdentity(pool, { poolKey: 'k2' })).not.toEqual(await sourceIdentity(pool, { poolKey: 'k1' }));
    await expect(sourceIdentity({ ...pool, cifar10: '/nowhere/cifar.tar.gz' }, { poolKey: 'k1' })).rejects.toThrow('/nowhere/cifar.tar.gz: file not found');
  });

  it('is the published folder\'s absolute path and the classes for the published files', async () => {
    const dir = path.join(tmp(), 'published');
    const classes = ['airplane', 'cat'];
    expect(await sourceIdentity({ kind: 'published', dir }, { classes })).toEqual({ published: dir, classes });
    expect(await sourceIdentity({ kind: 'published', dir: path.relative(process.cwd(), dir) }, { classes })).toEqual({ published: dir, classes });
    expect(await sourceIdentity({ kind: 'published', dir }, { classes: ['cat', 'airplane'] })).not.toEqual({ published: dir, classes });
  });
});

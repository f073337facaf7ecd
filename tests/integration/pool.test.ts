// A test set from one's own images, end to end on a real server: a pool written with sharp (PNG
// and JPEG of several sizes in <class>/<keyword>/ folders, a corrupt file, a duplicate, an empty
// keyword folder), CIFAR-10 as the two archives people download, labels imported from files.
import { copyFile, mkdir, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { writeCifar10 } from '../../lib/formats/cifar10';
import { readNpy } from '../../lib/formats/npy';
import { sha256 } from '../../lib/hash';
import { runBuild } from '../../worker/build';
import { releaseHashes, ROOT, tempDir, uniqueQueue, useTestServer } from '../helpers/build';
import { writeBinaryArchive, writePython } from '../helpers/cifar10-files';
import { mulberry32 } from '../helpers/random';
import { expectedRendering } from '../lib/pool/fixtures';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const PER_KEYWORD = 8;
/** Release images per class: each keyword offers 8, round 1 rejects 2, round 2 one more. */
const PER_CLASS = 6;
const RESIZE = { fit: 'cover', kernel: 'lanczos3', background: '#ffffff' } as const;

let dir: string;
let pool: string;
let archives: { binary: string; python: string };
let config: string;
const keywordsOf = (c: string) => [`${c}_one`, `${c}_two`];

/**
 * An image of random size: a 4×4 grid of random colours. Blocks survive the resize to 32×32 (fine
 * noise would average out), so two images stay far apart in L2: no near-duplicates by accident.
 */
async function noiseImage(seed: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const rng = mulberry32(seed);
  const [w, h] = [40 + Math.floor(rng() * 60), 40 + Math.floor(rng() * 60)];
  const colours = Array.from({ length: 16 * 3 }, () => Math.floor(rng() * 256));
  const pixels = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const block = Math.floor((y * 4) / h) * 4 + Math.floor((x * 4) / w);
      for (let c = 0; c < 3; c++) pixels[(y * w + x) * 3 + c] = colours[block * 3 + c];
    }
  }
  const image = sharp(pixels, { raw: { width: w, height: h, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 95 }).toBuffer();
}

/** A decisions file line: `image` by its pool path. */
const line = (round: 1 | 2, keyword: string, image: string, accepted: boolean, labeler: string) =>
  JSON.stringify({ round, keyword, image, accepted, labeler, time: '2026-11-29T12:00:00Z' });

/** Writes the two rounds' decisions: round 1 rejects each keyword's last two images, round 2 one more. */
async function writeDecisions(into: string, change: (lines: string[]) => void = () => undefined) {
  const r1: string[] = [];
  const r2: string[] = [];
  for (const c of CLASSES) {
    for (const k of keywordsOf(c)) {
      for (let i = 0; i < PER_KEYWORD; i++) {
        const image = `${c}/${k}/${i}.${i % 2 ? 'jpg' : 'png'}`;
        r1.push(line(1, k, image, i < PER_KEYWORD - 2, 'alice'));
        if (i < PER_KEYWORD - 2) r2.push(line(2, k, image, i < PER_KEYWORD - 3, 'bob'));
      }
    }
  }
  change(r1);
  await writeFile(path.join(into, 'decisions-round1.jsonl'), r1.join('\n') + '\n');
  await writeFile(path.join(into, 'decisions-round2.jsonl'), r2.join('\n') + '\n');
}

/** configs/pool-v6.yaml, scaled to the test pool, in `into` beside its decisions files. */
async function writeConfig(into: string, change: (doc: Record<string, any>) => void = () => undefined): Promise<string> {
  const doc = parse(await readFile(path.join(ROOT, 'configs', 'pool-v6.yaml'), 'utf8'));
  doc.sampling.perClass = PER_CLASS;
  doc.pool.minImagesPerClass = PER_CLASS;
  change(doc);
  const file = path.join(into, 'pool.yaml');
  await writeFile(file, stringify(doc));
  return file;
}

/** The store's entries, as `<stage>/<key>` (a failed stage leaves none: its temporary folder is removed). */
async function cacheStages(store: string): Promise<string[]> {
  const out: string[] = [];
  for (const stage of await readdir(path.join(store, 'cache')).catch(() => [] as string[])) {
    for (const entry of await readdir(path.join(store, 'cache', stage))) if (!entry.startsWith('.')) out.push(`${stage}/${entry}`);
  }
  return out.sort();
}

beforeAll(async () => {
  useTestServer();
  dir = await tempDir('pool');
  pool = path.join(dir, 'pool');
  for (const [c, cls] of CLASSES.entries()) {
    for (const [k, keyword] of keywordsOf(cls).entries()) {
      await mkdir(path.join(pool, cls, keyword), { recursive: true });
      for (let i = 0; i < PER_KEYWORD; i++) {
        await writeFile(path.join(pool, cls, keyword, `${i}.${i % 2 ? 'jpg' : 'png'}`), await noiseImage(c * 100 + k * 10 + i, i % 2 ? 'jpeg' : 'png'));
      }
    }
  }
  // Doubtful files: a truncated PNG, a byte-identical copy of another file, an empty keyword folder.
  await writeFile(path.join(pool, 'cat', 'cat_one', 'broken.png'), (await noiseImage(9999, 'png')).subarray(0, 100));
  await copyFile(path.join(pool, 'dog', 'dog_one', '0.png'), path.join(pool, 'dog', 'dog_two', 'again.png'));
  await mkdir(path.join(pool, 'frog', 'frog_empty'));

  // CIFAR-10: 10 training images per class in each batch, 5 test images per class.
  const rng = mulberry32(4);
  const split = (n: number) => ({ images: Uint8Array.from({ length: n * 3072 }, () => Math.floor(rng() * 256)), labels: Uint8Array.from({ length: n }, (_, i) => i % 10) });
  const bin = path.join(dir, 'cifar', 'cifar-10-batches-bin');
  await writeCifar10(bin, { classNames: CLASSES, train: split(500), test: split(50) });
  archives = { binary: await writeBinaryArchive(bin, path.join(dir, 'cifar')), python: path.join(await writePython(bin, 'py2'), 'cifar-10-python.tar.gz') };

  await writeDecisions(dir);
  config = await writeConfig(dir);
}, 300_000);

describe('a test set from a pool of one\'s own images', () => {
  let store: string;
  let first: Awaited<ReturnType<typeof runBuild>>;

  beforeAll(async () => {
    store = path.join(dir, 'store');
    first = await runBuild({ config, source: { kind: 'pool', pool, cifar10: archives.binary }, outDir: store, quiet: true, taskQueue: uniqueQueue('pool') });
  }, 600_000);

  test('the release has the configured images per class, each sharp\'s 32×32 rendering of the pool file its sources name', async () => {
    expect(first.result.perClass).toEqual(CLASSES.map(() => PER_CLASS));
    const release = first.result.releaseDir;
    const sources = JSON.parse(await readFile(path.join(release, 'cifar10.1_pool-v6_sources.json'), 'utf8'));
    expect(sources.resize).toEqual(RESIZE);
    const data = await readNpy(path.join(release, 'cifar10.1_pool-v6_data.npy'));
    const labels = (await readNpy(path.join(release, 'cifar10.1_pool-v6_labels.npy'))).data as Int32Array;
    expect(sources.images).toHaveLength(CLASSES.length * PER_CLASS);
    for (const [i, image] of sources.images.entries()) {
      expect(image.position).toBe(i);
      expect(CLASSES[labels[i]]).toBe(image.class);
      expect(image.path).toMatch(new RegExp(`^${image.class}/${image.class}_(one|two)/[0-${PER_KEYWORD - 4}]\\.(png|jpg)$`));
      const expected = await expectedRendering(path.join(pool, image.path), RESIZE);
      expect(Buffer.from((data.data as Uint8Array).subarray(i * 3072, (i + 1) * 3072)).equals(expected), image.path).toBe(true);
      expect(image.sha256).toBe(sha256(await readFile(path.join(pool, image.path))));
    }
  });

  test('the skip report names the corrupt file, the duplicate and the empty keyword folder, with reasons', async () => {
    const [entry] = (await readdir(path.join(store, 'cache', 'ingestPool'))).filter((e) => !e.startsWith('.'));
    const skipped = JSON.parse(await readFile(path.join(store, 'cache', 'ingestPool', entry, 'corpus', 'skipped.json'), 'utf8'));
    expect(skipped).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'cat/cat_one/broken.png', kind: 'unreadable' }),
      expect.objectContaining({ path: 'dog/dog_two/again.png', kind: 'duplicate', duplicateOf: 'dog/dog_one/0.png' }),
      expect.objectContaining({ path: 'frog/frog_empty', kind: 'empty-folder' }),
    ]));
    expect(skipped).toHaveLength(3);
  });

  test('a rebuild gives the same files, byte for byte, from the store', async () => {
    const again = await runBuild({ config, source: { kind: 'pool', pool, cifar10: archives.binary }, outDir: store, quiet: true, taskQueue: uniqueQueue('pool-again') });
    expect(again.result.stages.filter((s) => !s.cached)).toEqual([]);
    expect(await releaseHashes(again.result.releaseDir)).toEqual(await releaseHashes(first.result.releaseDir));
  }, 300_000);

  test('the python and the binary archives of the same images give the same CIFAR-10 stage output and release', async () => {
    const other = path.join(dir, 'store-python');
    const fromPython = await runBuild({ config, source: { kind: 'pool', pool, cifar10: archives.python }, outDir: other, quiet: true, taskQueue: uniqueQueue('pool-py') });
    const cifarOf = async (root: string) => {
      const [entry] = (await readdir(path.join(root, 'cache', 'extractSources'))).filter((e) => !e.startsWith('.'));
      return Promise.all(['cifar10_images.npy', 'cifar10_labels.npy'].map(async (f) => sha256(await readFile(path.join(root, 'cache', 'extractSources', entry, f)))));
    };
    expect(await cifarOf(other)).toEqual(await cifarOf(store));
    // Two records of the build itself are not the dataset: audit.json points into each build's own
    // store, where the CIFAR-10 stage's key names the archive it read (its paths differ, what they hold
    // may not), and report.html names the archive and links the build's workflows. Every other file is
    // byte-identical.
    const audit = async (dir: string) => {
      const doc = JSON.parse(await readFile(path.join(dir, 'cifar10.1_pool-v6_audit.json'), 'utf8')) as { store: Record<string, unknown> };
      return { ...doc, store: Object.fromEntries(Object.entries(doc.store).map(([k, v]) => [k, typeof v === 'object' && v ? { ...v, path: undefined } : v])) };
    };
    expect(await audit(fromPython.result.releaseDir)).toEqual(await audit(first.result.releaseDir));
    const dataset = async (dir: string) => Object.entries(await releaseHashes(dir)).filter(([f]) => !f.endsWith('_audit.json') && f !== 'report.html');
    expect((await dataset(first.result.releaseDir)).map(([f]) => f)).toEqual(expect.arrayContaining(['cifar10.1_pool-v6_data.npy', 'cifar10.1_pool-v6_provenance.jsonl', 'manifest.json']));
    expect(await dataset(fromPython.result.releaseDir)).toEqual(await dataset(first.result.releaseDir));
  }, 600_000);
});

describe('bad pool inputs: a clear error, nothing half-written in the store', () => {
  test.each([
    ['an unknown class in a manifest', async (m: string) => writeFile(path.join(m, 'pool.csv'), 'path,keyword,class\na.png,kitten,cat\nb.png,sloop,boat\n'), /pool\.csv: line 3.*boat/],
    ['a path outside the manifest\'s folder', async (m: string) => writeFile(path.join(m, 'pool.csv'), 'path,keyword,class\na.png,kitten,cat\n../elsewhere.png,kitten,cat\n'), /pool\.csv: line 3.*outside/],
  ])('%s', async (_what, write, message) => {
    const manifestDir = await tempDir('pool-manifest');
    await writeFile(path.join(manifestDir, 'a.png'), await noiseImage(1, 'png'));
    await writeFile(path.join(manifestDir, 'b.png'), await noiseImage(2, 'png'));
    await write(manifestDir);
    const store = await tempDir('pool-bad');
    await expect(runBuild({ config, source: { kind: 'pool', pool: path.join(manifestDir, 'pool.csv'), cifar10: archives.binary }, outDir: store, quiet: true, taskQueue: uniqueQueue('pool-bad') }))
      .rejects.toThrow(message);
    expect(await cacheStages(store)).toEqual([]);
  }, 300_000);

  test('a truncated CIFAR-10 archive is named, with the member being read', async () => {
    const cut = path.join(await tempDir('pool-cut'), 'cifar-10-binary.tar.gz');
    await copyFile(archives.binary, cut);
    await truncate(cut, Math.floor((await readFile(cut)).length / 2));
    const store = await tempDir('pool-cut-store');
    await expect(runBuild({ config, source: { kind: 'pool', pool, cifar10: cut }, outDir: store, quiet: true, taskQueue: uniqueQueue('pool-cut') }))
      .rejects.toThrow(/cifar-10-binary\.tar\.gz: truncated or corrupt archive \(in member cifar-10-batches-bin\/data_batch_\d\.bin\)/);
    expect((await cacheStages(store)).filter((s) => s.startsWith('extractSources/'))).toEqual([]);
  }, 300_000);

  test('a decisions file with an image the round did not offer: the lines are named and nothing is recorded', async () => {
    const into = await tempDir('pool-foreign');
    await writeDecisions(into, (lines) => lines.push(line(1, 'cat_one', 'dog/dog_one/1.jpg', true, 'alice'), line(1, 'cat_one', 'nowhere.png', true, 'alice')));
    const foreign = await writeConfig(into);
    const store = await tempDir('pool-foreign-store');
    const run = runBuild({ config: foreign, source: { kind: 'pool', pool, cifar10: archives.binary }, outDir: store, quiet: true, taskQueue: uniqueQueue('pool-foreign') });
    await expect(run).rejects.toThrow(/decisions-round1\.jsonl: line 161: image "dog\/dog_one\/1\.jpg" was not offered for keyword "cat_one" in round 1; line 162: image "nowhere\.png"/);
    const entries = await cacheStages(store);
    expect(entries.filter((s) => /^(decision-batches|decisions|labels-round\d)\//.test(s))).toEqual([]);
  }, 300_000);
});

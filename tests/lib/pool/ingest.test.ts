import { createHash } from 'node:crypto';
import { cp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { TinyImages } from '../../../lib/formats/tinyimages';
import { checkClassCounts, ingestPool, type IngestProgress, poolIdentity, type PoolRow, resizeSchema, scanPool, type ScannedPool } from '../../../lib/pool';
import { tempDir } from '../../helpers/build';
import { CLASSES, classPool, expectedRendering, imageFiles, oversizedPng, put, redBlue } from './fixtures';

const DEFAULT = resizeSchema.parse({});
const CORPUS = ['pool_rows.jsonl', 'skipped.json', 'tinyimages/tiny_images.bin', 'tinyimages/tiny_metadata.bin'];

async function readRows(dir: string): Promise<PoolRow[]> {
  return (await readFile(path.join(dir, 'pool_rows.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

async function corpusImages(dir: string): Promise<{ images: Uint8Array; keywords: string[] }> {
  const t = await TinyImages.open(path.join(dir, 'tinyimages'));
  try {
    const keywords = [];
    for (let i = 0; i < t.count; i++) keywords.push(await t.keyword(i));
    return { images: await t.readHWC(0, t.count), keywords };
  } finally {
    await t.close();
  }
}

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of CORPUS) out[name] = createHash('sha256').update(await readFile(path.join(dir, name))).digest('hex');
  return out;
}

/** The corpus pixels of row i equal sharp's own rendering of the file the row names. */
async function expectRowsRendered(out: string, root: string, spec = DEFAULT) {
  const rows = await readRows(out);
  const { images, keywords } = await corpusImages(out);
  expect(images.length).toBe(rows.length * 3072);
  for (const [i, row] of rows.entries()) {
    expect(row.row).toBe(i);
    expect(keywords[i]).toBe(row.keyword);
    const file = path.join(root, ...row.path.split('/'));
    expect(createHash('sha256').update(await readFile(file)).digest('hex')).toBe(row.sha256);
    expect(Buffer.from(images.subarray(i * 3072, (i + 1) * 3072)).equals(await expectedRendering(file, spec)), row.path).toBe(true);
  }
  return rows;
}

describe('ingestPool', () => {
  let pool: string;
  let scanned: ScannedPool;
  let out: string;
  const progress: IngestProgress[] = [];

  beforeAll(async () => {
    pool = await tempDir('pool-ingest');
    await classPool(pool);
    scanned = await scanPool(pool, { classes: CLASSES });
    out = path.join(await tempDir('pool-out'), 'corpus');
  });

  it('writes the TinyImages layout, rows back to the files, and a report of every file left out', async () => {
    const summary = await ingestPool(scanned, out, { resize: DEFAULT, onProgress: (p) => progress.push(p) });
    expect((await readdir(out, { recursive: true })).sort()).toEqual(['pool_rows.jsonl', 'skipped.json', 'tinyimages', ...CORPUS.slice(2)]);
    expect(await readdir(path.dirname(out))).toEqual(['corpus']); // no temporary folder left

    const rows = await expectRowsRendered(out, pool);
    expect(rows.map((r) => [r.keyword, r.class, r.path, r.format])).toEqual([
      ['airliner', 'airplane', 'airplane/airliner/alpha.webp', 'webp'],
      ['airliner', 'airplane', 'airplane/airliner/anim.gif', 'gif'],
      ['airliner', 'airplane', 'airplane/airliner/photo.jpg', 'jpeg'],
      ['airliner', 'airplane', 'airplane/airliner/rgba.png', 'png'],
      ['biplane', 'airplane', 'airplane/biplane/cmyk.jpg', 'jpeg'],
      ['biplane', 'airplane', 'airplane/biplane/deep.png', 'png'],
      ['biplane', 'airplane', 'airplane/biplane/grey.png', 'png'],
      ['cruiser', 'automobile', 'automobile/cruiser/car.png', 'png'],
      ['cruiser', 'ship', 'ship/cruiser/boat.jpg', 'jpeg'],
      ['sedan', 'automobile', 'automobile/sedan/grey-alpha.png', 'png'],
      ['sedan', 'automobile', 'automobile/sedan/grey.jpg', 'jpeg'],
    ]);
    expect(rows[2]).toMatchObject({ id: 'airplane/airliner/photo.jpg', width: 320, height: 200 });

    const skipped = JSON.parse(await readFile(path.join(out, 'skipped.json'), 'utf8'));
    expect(skipped.map((s: { path: string; kind: string }) => [s.path, s.kind])).toEqual([
      ['README.txt', 'misplaced'],
      ['automobile/coupe', 'empty-folder'],
      ['automobile/sedan/broken.png', 'unreadable'],
      ['automobile/sedan/copy.png', 'duplicate'],
      ['automobile/sedan/notes.txt', 'unsupported'],
      ['automobile/sedan/scan.tiff', 'unsupported'],
    ]);
    expect(skipped[2].reason).toBe('unreadable image: the png data is corrupt or truncated');
    expect(skipped[3]).toEqual({ path: 'automobile/sedan/copy.png', kind: 'duplicate', reason: 'byte-identical duplicate of airplane/airliner/rgba.png', duplicateOf: 'airplane/airliner/rgba.png' });
    expect(skipped[4].reason).toBe('unsupported format: not an image format sharp reads');
    expect(skipped[5].reason).toBe('unsupported format: tiff (the pool takes png, jpeg, webp, gif)');

    expect(summary).toEqual({
      images: 11,
      skipped: 6,
      keywords: 4,
      perClass: { airplane: 7, automobile: 3, bird: 0, cat: 0, deer: 0, dog: 0, frog: 0, horse: 0, ship: 1, truck: 0 },
      resize: DEFAULT,
    });
    expect(progress.at(-1)).toEqual({ done: 15, total: 15, images: 11, skipped: 4 });
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('is deterministic: the same pool gives byte-identical files, however many decodes run at once', async () => {
    const again = path.join(await tempDir('pool-out'), 'corpus');
    await ingestPool(await scanPool(pool, { classes: CLASSES }), again, { resize: DEFAULT, concurrency: 1 });
    expect(await files(again)).toEqual(await files(out));
  });

  it('renders with the configured fit, kernel and background', async () => {
    const spec = resizeSchema.parse({ fit: 'contain', kernel: 'nearest', background: '#000000' });
    const other = path.join(await tempDir('pool-out'), 'corpus');
    await ingestPool(scanned, other, { resize: spec });
    await expectRowsRendered(other, pool, spec);
    expect((await files(other))['tinyimages/tiny_images.bin']).not.toBe((await files(out))['tinyimages/tiny_images.bin']);
  });

  it('flattens alpha onto the background, makes grey images grey, applies EXIF orientation, and fits as told', async () => {
    const dir = await tempDir('pool-look');
    await put(path.join(dir, 'cat', 'clear', 'transparent.png'), await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0 } } }).png().toBuffer());
    await put(path.join(dir, 'cat', 'grey', 'grey.png'), (await imageFiles(7))['grey.png']);
    // Stored 64×32, red left, blue right; orientation 6 shows it turned a quarter clockwise: red on top.
    await put(path.join(dir, 'cat', 'turned', 'turned.jpg'), await redBlue(64, 32).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer());
    await put(path.join(dir, 'cat', 'wide', 'wide.png'), await redBlue(64, 32).png().toBuffer());
    const at = (img: Uint8Array, r: number, c: number) => Array.from(img.subarray((r * 32 + c) * 3, (r * 32 + c) * 3 + 3));
    const render = async (spec: object) => {
      const corpus = path.join(await tempDir('pool-out'), 'corpus');
      await ingestPool(await scanPool(dir, { classes: CLASSES }), corpus, { resize: resizeSchema.parse(spec) });
      const rows = await readRows(corpus);
      const { images } = await corpusImages(corpus);
      return (name: string) => images.subarray(rows.findIndex((r) => r.path.endsWith(name)) * 3072).subarray(0, 3072);
    };

    const fill = await render({ fit: 'fill' });
    expect(new Set(fill('transparent.png'))).toEqual(new Set([255]));
    const grey = fill('grey.png');
    for (let p = 0; p < 1024; p++) expect(grey[p * 3]).toBe(grey[p * 3 + 1]);
    const near = (px: number[], rgb: number[]) => px.every((v, i) => Math.abs(v - rgb[i]) <= 12);
    expect(near(at(fill('turned.jpg'), 4, 16), [255, 0, 0]) && near(at(fill('turned.jpg'), 27, 16), [0, 0, 255])).toBe(true);
    expect(near(at(fill('wide.png'), 16, 4), [255, 0, 0]) && near(at(fill('wide.png'), 16, 27), [0, 0, 255])).toBe(true);

    const contain = await render({ fit: 'contain', background: '#000000' });
    expect(at(contain('wide.png'), 2, 16)).toEqual([0, 0, 0]); // letterbox above
    expect(near(at(contain('wide.png'), 16, 4), [255, 0, 0])).toBe(true);
    expect(at(contain('wide.png'), 29, 16)).toEqual([0, 0, 0]); // and below
    const cover = await render({ fit: 'cover' });
    expect(near(at(cover('wide.png'), 16, 2), [255, 0, 0]) && near(at(cover('wide.png'), 16, 29), [0, 0, 255])).toBe(true); // centre square: half and half
  });

  it('stops on abort and leaves nothing; refuses a folder that is not empty', async () => {
    const parent = await tempDir('pool-out');
    const controller = new AbortController();
    const run = ingestPool(scanned, path.join(parent, 'corpus'), { resize: DEFAULT, signal: controller.signal, onProgress: (p) => p.done === 3 && controller.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    expect(await readdir(parent)).toEqual([]);
    await expect(ingestPool(scanned, out, { resize: DEFAULT })).rejects.toThrow(InputError);
    await expect(ingestPool(scanned, out, { resize: DEFAULT })).rejects.toThrow(`${out}: already exists and is not empty`);
  });

  it('skips an image whose header claims more pixels than sharp allows, without decoding it', async () => {
    const dir = await tempDir('pool-bomb');
    await put(path.join(dir, 'cat', 'huge', 'bomb.png'), await oversizedPng(20000, 20000));
    const corpus = path.join(await tempDir('pool-out'), 'corpus');
    const summary = await ingestPool(await scanPool(dir, { classes: CLASSES }), corpus, { resize: DEFAULT });
    expect(summary.images).toBe(0);
    expect(JSON.parse(await readFile(path.join(corpus, 'skipped.json'), 'utf8'))).toEqual([
      { path: 'cat/huge/bomb.png', kind: 'unsupported', reason: 'unsupported format: 20000×20000 pixels, more than sharp\'s limit of 268402689' },
    ]);
  });

  it('keeps the ids, urls and licences of a manifest in the rows', async () => {
    const dir = await tempDir('pool-manifest');
    const images = await imageFiles(5);
    await put(path.join(dir, 'a.png'), images['rgba.png']);
    await put(path.join(dir, 'b.webp'), images['alpha.webp']);
    await writeFile(path.join(dir, 'pool.csv'), 'path,keyword,class,id,url,license\nb.webp,tabby,cat,cat-1,https://example.org/1,CC0-1.0\na.png,jetliner,airplane,,,\nmissing.png,tabby,cat,cat-2,,\n');
    const corpus = path.join(await tempDir('pool-out'), 'corpus');
    await ingestPool(await scanPool(path.join(dir, 'pool.csv'), { classes: CLASSES }), corpus, { resize: DEFAULT });
    const rows = await expectRowsRendered(corpus, dir);
    expect(rows.map(({ id, path: p, url, license }) => ({ id, path: p, url, license }))).toEqual([
      { id: 'a.png', path: 'a.png' },
      { id: 'cat-1', path: 'b.webp', url: 'https://example.org/1', license: 'CC0-1.0' },
    ]);
    expect(JSON.parse(await readFile(path.join(corpus, 'skipped.json'), 'utf8'))).toEqual([{ path: 'missing.png', kind: 'unreadable', reason: 'unreadable: file not found' }]);
  });
});

describe('poolIdentity', () => {
  it('follows the files: the same wherever the pool is, different when a byte, a name or a keyword changes', async () => {
    const pool = await tempDir('pool-id');
    await classPool(pool);
    const id = async (dir: string) => (await poolIdentity(await scanPool(dir, { classes: CLASSES }))).sha256;
    const first = await poolIdentity(await scanPool(pool, { classes: CLASSES }));
    expect(first.files).toBe(15);
    expect(first.bytes).toBeGreaterThan(1000);
    const moved = path.join(await tempDir('pool-id'), 'elsewhere');
    await cp(pool, moved, { recursive: true });
    expect(await id(moved)).toBe(first.sha256);

    const file = path.join(moved, 'airplane', 'airliner', 'photo.jpg');
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 1;
    await writeFile(file, bytes);
    const changed = await id(moved);
    expect(changed).not.toBe(first.sha256);
    await rename(file, path.join(moved, 'airplane', 'airliner', 'photo2.jpg'));
    expect(await id(moved)).not.toBe(changed);
    await rename(path.join(moved, 'airplane', 'biplane'), path.join(moved, 'airplane', 'triplane'));
    expect(await id(moved)).not.toBe(changed);
  });
});

describe('checkClassCounts', () => {
  it('names every class with too few images', () => {
    expect(() => checkClassCounts({ airplane: 7, automobile: 3, bird: 0 }, 5)).toThrow(
      'pool: too few images: automobile 3, bird 0 (each class needs at least 5; see skipped.json for files left out)',
    );
    expect(() => checkClassCounts({ airplane: 7, automobile: 3 }, 3)).not.toThrow();
  });
});

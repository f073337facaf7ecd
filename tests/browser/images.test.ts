import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy, writeNpy } from '../../lib/formats/npy';
import type { HttpError } from '../../web/auth';
import { ImageArray, ImageSource } from '../../web/images';
import { writeImages } from './helpers';

let dir: string;
let store: string;
let pixels: Uint8Array;
const REF = 'cache/buildKeywordSubsets/k1/candidate_images.npy';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-images-'));
  store = path.join(dir, 'store');
  await mkdir(path.join(store, path.dirname(REF)), { recursive: true });
  pixels = await writeImages(path.join(store, REF), 40);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('ImageArray', () => {
  it('reads the rows asked for, in the order asked', async () => {
    const array = await ImageArray.open(path.join(store, REF));
    try {
      expect([array.count, array.height, array.width, array.channels]).toEqual([40, 32, 32, 3]);
      const [a, b] = await array.rows([39, 2]);
      expect(a.equals(Buffer.from(pixels.subarray(39 * 3072, 40 * 3072)))).toBe(true);
      expect(b.equals(Buffer.from(pixels.subarray(2 * 3072, 3 * 3072)))).toBe(true);
      await expect(array.rows([40])).rejects.toThrow('row 40 is out of range (40 images)');
    } finally {
      await array.close();
    }
  });

  it('refuses arrays that are not uint8 N×H×W×C images, naming the file', async () => {
    const floats = path.join(dir, 'floats.npy');
    await writeNpy(floats, { dtype: 'float32', shape: [2, 32, 32, 3], data: new Float32Array(2 * 3072) });
    await expect(ImageArray.open(floats)).rejects.toThrow(`${floats}: expected uint8 images (descr '|u1'), found <f4`);
    const flat = path.join(dir, 'flat.npy');
    await writeNpy(flat, { dtype: 'uint8', shape: [6], data: new Uint8Array(6) });
    await expect(ImageArray.open(flat)).rejects.toThrow('expected an N×H×W×C image array with C = 1 or 3, found shape (6)');
    const short = path.join(dir, 'short.npy');
    await writeFile(short, encodeNpy({ dtype: 'uint8', shape: [2, 32, 32, 3], data: new Uint8Array(2 * 3072) }).subarray(0, 3000));
    await expect(ImageArray.open(short)).rejects.toThrow('expected 6144 for shape (2, 32, 32, 3)');
    const text = path.join(dir, 'text.npy');
    await writeFile(text, 'not numpy at all');
    await expect(ImageArray.open(text)).rejects.toThrow('not a .npy file (bad magic)');
  });
});

describe('ImageSource', () => {
  it('serves .npy files inside the store and nothing else', async () => {
    const source = new ImageSource(store);
    try {
      const png = await source.sheet(REF, [7], 1, 4);
      expect((await sharp(png).metadata()).width).toBe(128);
      await writeFile(path.join(dir, 'secret.npy'), encodeNpy({ dtype: 'uint8', shape: [1, 32, 32, 3], data: new Uint8Array(3072) }));
      await symlink(path.join(dir, 'secret.npy'), path.join(store, 'link.npy'));
      // The label server answers with each error's status: 400 for a path that is not plainly in the store, 404 for what is not there.
      const refused = (ref: string) => source.sheet(ref, [0], 1, 1).then(() => null, (err: HttpError) => [err.status, err.message]);
      expect(await refused('../secret.npy')).toEqual([400, 'not a path in the artifact store (a "." or ".." segment): "../secret.npy"']);
      expect(await refused(path.join(dir, 'secret.npy'))).toEqual([400, `not a path in the artifact store (absolute): ${JSON.stringify(path.join(dir, 'secret.npy'))}`]);
      expect(await refused('link.npy')).toEqual([404, 'no such artifact: link.npy']);
      expect(await refused('cache/manifest.json')).toEqual([400, 'not a path in the artifact store (not a .npy file): "cache/manifest.json"']);
      expect(await refused('cache/missing.npy')).toEqual([404, 'no such artifact: cache/missing.npy']);
    } finally {
      await source.close();
    }
  });
});

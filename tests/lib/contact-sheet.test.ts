import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classContactSheets, contactSheet } from '../../lib/contact-sheet';
import { mulberry32 } from '../helpers/random';

const random = mulberry32(7);
const tiles = Array.from({ length: 5 }, () => Uint8Array.from({ length: 3072 }, () => Math.floor(random() * 256)));
const tile = { height: 32, width: 32, channels: 3 };

async function pixelsOf(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { info, at: (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)].join() };
}

/** Counts the pixels of the sheet that differ from the tile (or white) they should show. */
function mismatches(at: (x: number, y: number) => string, cell: (t: number) => [number, number], scale: number, count: number): number {
  let bad = 0;
  for (let t = 0; t < count; t++) {
    const [x0, y0] = cell(t);
    for (let y = 0; y < 32 * scale; y++) {
      for (let x = 0; x < 32 * scale; x++) {
        const p = (Math.floor(y / scale) * 32 + Math.floor(x / scale)) * 3;
        const want = t < tiles.length ? [...tiles[t].subarray(p, p + 3)].join() : '255,255,255';
        if (at(x0 + x, y0 + y) !== want) bad++;
      }
    }
  }
  return bad;
}

describe('contactSheet', () => {
  it('scales every pixel to a sharp scale×scale block, tiles left to right then down, white after the last', async () => {
    const { info, at } = await pixelsOf(await contactSheet(tiles, tile, { columns: 3, scale: 3 }));
    expect([info.width, info.height, info.channels]).toEqual([3 * 96, 2 * 96, 3]);
    expect(mismatches(at, (t) => [(t % 3) * 96, Math.floor(t / 3) * 96], 3, 6)).toBe(0);
  });

  it('lays tiles from one buffer with gaps of white between and around them (the release sheet)', async () => {
    const joined = new Uint8Array(tiles.length * 3072);
    tiles.forEach((t, i) => joined.set(t, i * 3072));
    const { info, at } = await pixelsOf(await contactSheet(joined, tile, { columns: 2, gap: 1 }));
    expect([info.width, info.height]).toEqual([2 * 33 + 1, 3 * 33 + 1]);
    expect(mismatches(at, (t) => [1 + (t % 2) * 33, 1 + Math.floor(t / 2) * 33], 1, 6)).toBe(0);
    for (let x = 0; x < info.width; x++) expect(at(x, 33)).toBe('255,255,255');
  });

  it('never makes more columns than tiles', async () => {
    const { info } = await pixelsOf(await contactSheet(tiles.slice(0, 2), tile, { columns: 40, gap: 1 }));
    expect([info.width, info.height]).toEqual([2 * 33 + 1, 34]);
  });
});

describe('contactSheet as WebP', () => {
  it('holds the same pixels as the PNG, losslessly, in fewer bytes', async () => {
    const png = await contactSheet(tiles, tile, { columns: 3, gap: 1, compressionLevel: 9 });
    const webp = await contactSheet(tiles, tile, { columns: 3, gap: 1, format: 'webp' });
    expect((await sharp(webp).metadata()).format).toBe('webp');
    const [a, b] = await Promise.all([png, webp].map((img) => sharp(img).raw().toBuffer()));
    expect(b.equals(a)).toBe(true);
    expect(webp.length).toBeLessThan(png.length);
  });
});

describe('classContactSheets', () => {
  it('draws each class’s images in release order, leaving out classes without images', async () => {
    const labels = [2, 0, 2, 2, 0];
    const images = new Uint8Array(5 * 3072);
    tiles.forEach((t, i) => images.set(t, i * 3072));
    const sheets = await classContactSheets(images, labels, ['a', 'b', 'c'], { columns: 2, format: 'png' });
    expect(sheets.map((s) => [s.className, s.images])).toEqual([['a', 2], ['c', 3]]);
    const want = await contactSheet([tiles[0], tiles[2], tiles[3]], tile, { columns: 2, gap: 1 });
    const [got, expected] = await Promise.all([sheets[1].image, want].map((img) => sharp(img).raw().toBuffer()));
    expect(got.equals(expected)).toBe(true);
    expect((await sharp((await classContactSheets(images, labels, ['a', 'b', 'c']))[0].image).metadata()).format).toBe('webp');
  });

  it('refuses labels outside the classes and images that do not match the labels', async () => {
    await expect(classContactSheets(new Uint8Array(2 * 3072), [0, 3], ['a', 'b', 'c'])).rejects.toThrow('labels: label 3 at position 1 is not one of the 3 classes');
    await expect(classContactSheets(new Uint8Array(3072), [0, 1], ['a', 'b'])).rejects.toThrow('images: 3072 bytes for 2 labels of 32×32×3 images');
  });
});

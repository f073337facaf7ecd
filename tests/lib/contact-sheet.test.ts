import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { contactSheet } from '../../lib/contact-sheet';
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

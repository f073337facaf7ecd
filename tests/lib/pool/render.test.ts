import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CorruptImage, POOL_FORMATS, RENDER_ENGINE, renderImage, resizeSchema, UnsupportedFormat } from '../../../lib/pool/render';
import { mulberry32 } from '../../helpers/random';
import { oversizedPng, redBlue } from './fixtures';

const spec = (given: object = {}) => resizeSchema.parse(given);
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];

/** The RGB of pixel (row, column) of a 32×32 rendering. */
const at = (pixels: Uint8Array, r: number, c: number) => Array.from(pixels.subarray((r * 32 + c) * 3, (r * 32 + c) * 3 + 3));
/** Every pixel of a rendering, as 'r,g,b' strings by position. */
const colours = (pixels: Uint8Array) => Array.from({ length: 1024 }, (_, p) => at(pixels, Math.floor(p / 32), p % 32).join(','));
const solid = (w: number, h: number, background: string | object, channels: 3 | 4 = 3) => sharp({ create: { width: w, height: h, channels, background } });
/** w×h×3 seeded bytes. */
const noise = (w: number, h: number, seed: number) => {
  const rng = mulberry32(seed);
  return Buffer.from(Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng() * 256)));
};

describe('renderImage', () => {
  it('keeps a 32×32 image byte for byte (PNG, lossless WebP), and says what the file was', async () => {
    const pixels = noise(32, 32, 1);
    const raw = () => sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } });
    for (const [format, bytes] of [['png', await raw().png().toBuffer()], ['webp', await raw().webp({ lossless: true }).toBuffer()]] as const) {
      const rendered = await renderImage(bytes, spec({ kernel: 'nearest' }));
      expect(rendered.format).toBe(format);
      expect([rendered.width, rendered.height]).toEqual([32, 32]);
      expect(Buffer.from(rendered.pixels).equals(pixels)).toBe(true);
    }
  });

  it('renders a uniform colour as that colour, whatever the fit and kernel', async () => {
    const png = await solid(70, 45, '#3c7a1e').png().toBuffer();
    for (const fit of ['cover', 'contain', 'fill']) {
      for (const kernel of ['nearest', 'cubic', 'lanczos3']) {
        const { pixels } = await renderImage(png, spec({ fit, kernel, background: '#3c7a1e' }));
        expect(new Set(colours(pixels)), `${fit} ${kernel}`).toEqual(new Set(['60,122,30']));
      }
    }
  });

  describe('fits a 64×32 image, red left and blue right, as told', () => {
    let png: Buffer;
    const render = async (given: object) => (await renderImage(png, spec({ kernel: 'nearest', ...given }))).pixels;

    it('cover: the centre square, columns 16 to 47, so half red and half blue', async () => {
      png = await redBlue(64, 32).png().toBuffer();
      const pixels = await render({ fit: 'cover' });
      for (const [r, c] of [[0, 0], [31, 15], [16, 8]]) expect(at(pixels, r, c)).toEqual(RED);
      for (const [r, c] of [[0, 16], [31, 31], [16, 24]]) expect(at(pixels, r, c)).toEqual(BLUE);
    });

    it('contain: scaled to 32×16 in rows 8 to 23, the background above and below', async () => {
      const pixels = await render({ fit: 'contain', background: '#00ff00' });
      for (let r = 0; r < 32; r++) {
        const band = r >= 8 && r < 24;
        expect(at(pixels, r, 3), `row ${r}`).toEqual(band ? RED : [0, 255, 0]);
        expect(at(pixels, r, 28), `row ${r}`).toEqual(band ? BLUE : [0, 255, 0]);
      }
    });

    it('fill: squeezed to 32 columns, every row red then blue', async () => {
      const pixels = await render({ fit: 'fill' });
      for (let r = 0; r < 32; r++) {
        expect(at(pixels, r, 15)).toEqual(RED);
        expect(at(pixels, r, 16)).toEqual(BLUE);
      }
    });
  });

  it('flattens transparency onto the background: clear pixels become it, half-clear red blends with it', async () => {
    const clear = await solid(40, 40, { r: 10, g: 200, b: 30, alpha: 0 }, 4).png().toBuffer();
    expect(new Set(colours((await renderImage(clear, spec({ background: '#123456' }))).pixels))).toEqual(new Set(['18,52,86']));
    // alpha 128/255 red over white: r = 255, g = b = 255·(1 − 128/255) = 127.
    const half = await solid(40, 40, { r: 255, g: 0, b: 0, alpha: 128 / 255 }, 4).png().toBuffer();
    for (const [r, g, b] of colours((await renderImage(half, spec())).pixels).map((s) => s.split(',').map(Number))) {
      expect(r).toBe(255);
      expect(Math.abs(g - 127)).toBeLessThanOrEqual(1);
      expect(b).toBe(g);
    }
  });

  it('makes a grey PNG grey, reads a 16-bit PNG at 8 bits, and a JPEG near its colour', async () => {
    const grey = await sharp(Buffer.alloc(36 * 36, 77), { raw: { width: 36, height: 36, channels: 1 } }).png().toBuffer();
    expect(new Set(colours((await renderImage(grey, spec())).pixels))).toEqual(new Set(['77,77,77']));
    // 128 stored as 16 bits is 128·257 = 0x8080, read back as 128 (at 32×32, so no resampling rounds it).
    const deep = await solid(32, 32, '#808080').toColourspace('rgb16').png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    expect(new Set(colours((await renderImage(deep, spec())).pixels))).toEqual(new Set(['128,128,128']));
    const jpeg = await renderImage(await solid(50, 40, '#c83214').jpeg({ quality: 100 }).toBuffer(), spec());
    expect([jpeg.format, jpeg.width, jpeg.height]).toEqual(['jpeg', 50, 40]);
    for (const rgb of colours(jpeg.pixels)) rgb.split(',').forEach((v, i) => expect(Math.abs(Number(v) - [200, 50, 20][i])).toBeLessThanOrEqual(3));
  });

  it('takes a GIF\'s first frame only', async () => {
    // Two 20×20 frames: red, then blue.
    const frames = Buffer.concat([Buffer.alloc(20 * 20 * 4).fill(Buffer.from([255, 0, 0, 255])), Buffer.alloc(20 * 20 * 4).fill(Buffer.from([0, 0, 255, 255]))]);
    const gif = await sharp(frames, { raw: { width: 20, height: 40, channels: 4, pageHeight: 20 } as never }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const rendered = await renderImage(gif, spec());
    expect([rendered.format, rendered.width, rendered.height]).toEqual(['gif', 20, 20]);
    expect(new Set(colours(rendered.pixels))).toEqual(new Set(['255,0,0']));
  });

  it('turns a JPEG as its EXIF orientation says, and reports the size stored in the file', async () => {
    // Stored 64×32 red | blue; orientation 6 shows it a quarter turn clockwise, 32×64 with red on top; cover keeps rows 16 to 47.
    const jpeg = await redBlue(64, 32).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const { pixels, width, height } = await renderImage(jpeg, spec());
    expect([width, height]).toEqual([64, 32]);
    const near = (rgb: number[], want: number[]) => rgb.every((v, i) => Math.abs(v - want[i]) <= 12);
    expect(near(at(pixels, 4, 16), RED)).toBe(true);
    expect(near(at(pixels, 27, 16), BLUE)).toBe(true);
  });

  it('renders the same bytes the same way every time', async () => {
    const photo = await sharp(noise(300, 200, 2), { raw: { width: 300, height: 200, channels: 3 } }).jpeg().toBuffer();
    const [a, b] = await Promise.all([renderImage(photo, spec()), renderImage(photo, spec())]);
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
  });

  describe('refuses what the pool does not take', () => {
    it('bytes that are no image, or none', async () => {
      for (const bytes of [Buffer.from('not an image at all'), Buffer.alloc(0)]) {
        const err = await renderImage(bytes, spec()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnsupportedFormat);
        expect((err as Error).message).toBe('not an image format sharp reads');
      }
    });

    it('a format sharp reads but the pool does not (TIFF)', async () => {
      const tiff = await solid(20, 20, '#808080').tiff().toBuffer();
      await expect(renderImage(tiff, spec())).rejects.toThrow(new UnsupportedFormat('tiff (the pool takes png, jpeg, webp, gif)'));
      await expect(renderImage(tiff, spec())).rejects.toBeInstanceOf(UnsupportedFormat);
    });

    it('a header claiming more pixels than sharp allows, without decoding it', async () => {
      await expect(renderImage(await oversizedPng(20000, 20000), spec())).rejects.toThrow(
        new UnsupportedFormat(`20000×20000 pixels, more than sharp's limit of ${0x3fff * 0x3fff}`),
      );
    });

    it('a truncated file, with a message of its own (not libvips\'s)', async () => {
      const png = await sharp(noise(64, 64, 3), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
      const err = await renderImage(png.subarray(0, png.length >> 1), spec()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptImage);
      expect((err as Error).message).toBe('the png data is corrupt or truncated');
      expect((err as Error).cause).toBeInstanceOf(Error);
    });
  });
});

describe('POOL_FORMATS and RENDER_ENGINE', () => {
  it('take PNG, JPEG, WebP and GIF, rendered by the installed sharp and its libvips', () => {
    expect(POOL_FORMATS).toEqual(['png', 'jpeg', 'webp', 'gif']);
    const installed = JSON.parse(readFileSync(path.join(path.dirname(require.resolve('sharp')), '..', 'package.json'), 'utf8')).version;
    expect(RENDER_ENGINE).toEqual({ sharp: installed, libvips: sharp.versions.vips });
    expect(RENDER_ENGINE.libvips).toMatch(/^\d+\.\d+\.\d+/);
  });
});

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import type { ResizeSpec } from '../../../lib/pool';
import { mulberry32 } from '../../helpers/random';

export const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** w×h pixels of `channels` channels, seeded noise over a gradient (so resizing has something to do). */
function pixels(w: number, h: number, channels: number, seed: number): Buffer {
  const rng = mulberry32(seed);
  const out = Buffer.alloc(w * h * channels);
  for (let i = 0; i < out.length; i++) out[i] = (((i / channels) % w) * 5 + Math.floor(i / channels / w) * 3 + rng() * 60 + (i % channels) * 40) & 255;
  return out;
}

const raw = (w: number, h: number, channels: 1 | 2 | 3 | 4, seed: number) => sharp(pixels(w, h, channels, seed), { raw: { width: w, height: h, channels } });

/** Image files of every kind the pool takes, by name: PNG (RGBA, grey, grey+alpha, 16-bit), JPEG (RGB, grey, CMYK), WebP, GIF (animated). */
export async function imageFiles(seed: number): Promise<Record<string, Buffer>> {
  return {
    'rgba.png': await raw(50, 37, 4, seed).png().toBuffer(),
    'grey.png': await raw(33, 40, 1, seed + 1).toColourspace('b-w').png().toBuffer(),
    'grey-alpha.png': await raw(64, 64, 2, seed + 2).toColourspace('b-w').png().toBuffer(),
    'deep.png': await raw(40, 30, 3, seed + 3).toColourspace('rgb16').png().toBuffer(),
    'photo.jpg': await raw(320, 200, 3, seed + 4).jpeg({ quality: 90 }).toBuffer(),
    'grey.jpg': await raw(45, 45, 1, seed + 5).toColourspace('b-w').jpeg().toBuffer(),
    'cmyk.jpg': await raw(60, 80, 3, seed + 6).toColourspace('cmyk').jpeg().toBuffer(),
    'alpha.webp': await raw(31, 29, 4, seed + 7).webp({ lossless: true }).toBuffer(),
    'anim.gif': await sharp(Buffer.concat([pixels(24, 20, 4, seed + 8), Buffer.alloc(24 * 20 * 4, 90)]), {
      raw: { width: 24, height: 40, channels: 4, pageHeight: 20 } as never,
    }).gif().toBuffer(),
  };
}

/** What the corpus should hold for `file`: sharp's 32×32 sRGB rendering as the README documents it, written out here on its own. */
export async function expectedRendering(file: string, spec: ResizeSpec): Promise<Buffer> {
  return sharp(file, { failOn: 'truncated', autoOrient: true, pages: 1 })
    .flatten({ background: spec.background })
    .resize({ width: 32, height: 32, fit: spec.fit, kernel: spec.kernel, position: 'centre', background: spec.background, fastShrinkOnLoad: false })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer();
}

/** A w×h sharp image, red on the left half and blue on the right. */
export function redBlue(w: number, h: number): Sharp {
  return sharp({ create: { width: w, height: h, channels: 3, background: '#ff0000' } }).composite([
    { input: { create: { width: w / 2, height: h, channels: 3, background: '#0000ff' } }, left: w / 2, top: 0 },
  ]);
}

/** A 1×1 PNG whose header claims `width`×`height` pixels (its CRC fixed), to stand for a decompression bomb. */
export async function oversizedPng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer());
  png.writeUInt32BE(width, 16); // IHDR width
  png.writeUInt32BE(height, 20); // IHDR height
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

export async function put(file: string, bytes: Buffer | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/**
 * A `<class>/<keyword>/<image>` pool: every image kind, the keyword `cruiser`
 * under two classes, a truncated PNG, a text file, a TIFF, a byte-identical
 * copy, an empty keyword folder, a stray file at the top, a hidden file.
 */
export async function classPool(dir: string): Promise<void> {
  const a = await imageFiles(1);
  const b = await imageFiles(2);
  for (const name of ['rgba.png', 'photo.jpg', 'alpha.webp', 'anim.gif']) await put(path.join(dir, 'airplane', 'airliner', name), a[name]);
  for (const name of ['grey.png', 'cmyk.jpg', 'deep.png']) await put(path.join(dir, 'airplane', 'biplane', name), a[name]);
  for (const name of ['grey-alpha.png', 'grey.jpg']) await put(path.join(dir, 'automobile', 'sedan', name), b[name]);
  await put(path.join(dir, 'automobile', 'sedan', 'broken.png'), b['rgba.png'].subarray(0, 120));
  await put(path.join(dir, 'automobile', 'sedan', 'notes.txt'), 'not an image');
  await put(path.join(dir, 'automobile', 'sedan', 'scan.tiff'), await sharp(pixels(20, 20, 3, 9), { raw: { width: 20, height: 20, channels: 3 } }).tiff().toBuffer());
  await copyFile(path.join(dir, 'airplane', 'airliner', 'rgba.png'), path.join(dir, 'automobile', 'sedan', 'copy.png'));
  await put(path.join(dir, 'automobile', 'cruiser', 'car.png'), b['rgba.png']);
  await put(path.join(dir, 'ship', 'cruiser', 'boat.jpg'), b['photo.jpg']);
  await put(path.join(dir, 'ship', 'cruiser', '.DS_Store'), 'hidden');
  await mkdir(path.join(dir, 'automobile', 'coupe'), { recursive: true });
  await put(path.join(dir, 'README.txt'), 'about this pool');
}

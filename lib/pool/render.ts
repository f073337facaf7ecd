import sharp, { type Metadata } from 'sharp';
import { z } from 'zod';
import { IMAGE_BYTES } from '../formats/tinyimages';

/**
 * How a pool image becomes 32×32 RGB: the config's `pool.resize`, recorded
 * in the release. `fit` is sharp's: `cover` crops the centre to a square then
 * scales (the aspect kept, the edges lost), `contain` scales the whole image
 * into the square and pads with `background`, `fill` stretches it. `kernel` is
 * the resampling filter, one of sharp's (there is no "area" filter in sharp;
 * libvips already averages blocks before the kernel when it shrinks by a large
 * factor). `background` is also what transparent pixels are flattened onto.
 */
export const resizeSchema = z.strictObject({
  fit: z.enum(['cover', 'contain', 'fill']).default('cover'),
  kernel: z.enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3']).default('lanczos3'),
  background: z.string().regex(/^#[0-9a-f]{6}$/i, 'a colour as #rrggbb').default('#ffffff'),
});

export type ResizeSpec = z.output<typeof resizeSchema>;

/** sharp's default limit on input pixels (0x3FFF²), against decompression bombs; larger images are skipped. */
const MAX_PIXELS = 0x3fff * 0x3fff;

/** The image formats a pool may hold; others are skipped as unsupported. */
export const POOL_FORMATS = ['png', 'jpeg', 'webp', 'gif'] as const;

/**
 * What renders the images. Another sharp or libvips may resample differently,
 * so this belongs in the corpus's cache key beside the resize spec.
 */
export const RENDER_ENGINE = { sharp: sharp.versions.sharp ?? 'unknown', libvips: sharp.versions.vips };

/** An image file sharp can decode but the pool does not take (TIFF, SVG, HEIF, ...), or cannot decode at all. */
export class UnsupportedFormat extends Error {}

/**
 * An image file of a pool format that does not decode (truncated, corrupt).
 * Its message is fixed, not libvips's: libvips keeps one error buffer for all
 * threads, so with several images decoding at once its text varies from run
 * to run, and the skip report must not.
 */
export class CorruptImage extends Error {}

/** A pool image rendered for the corpus, with what its file was. */
export interface RenderedImage {
  /** 32×32 RGB, HWC. */
  pixels: Uint8Array;
  format: (typeof POOL_FORMATS)[number];
  width: number;
  height: number;
}

/**
 * Decodes an image file (PNG, JPEG, WebP, or a GIF's first frame) and renders
 * it as 32×32 RGB in HWC layout: EXIF orientation applied, alpha flattened
 * onto the background, any colour model (greyscale, CMYK, 16-bit) converted
 * to 8-bit sRGB, then resized as `spec` says. A truncated file is a
 * CorruptImage, not a partly grey image; a format outside POOL_FORMATS is
 * UnsupportedFormat.
 */
export async function renderImage(bytes: Uint8Array, spec: ResizeSpec): Promise<RenderedImage> {
  let meta: Metadata;
  try {
    // The header alone, without sharp's pixel limit, so an oversized image is named with its size; the pipeline below keeps the limit.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    if (/unsupported image format|buffer is empty/i.test((err as Error).message)) throw new UnsupportedFormat('not an image format sharp reads');
    throw new CorruptImage('the image header does not decode', { cause: err });
  }
  const format = POOL_FORMATS.find((f) => f === meta.format);
  if (!format) throw new UnsupportedFormat(`${meta.format} (the pool takes ${POOL_FORMATS.join(', ')})`);
  if (meta.width * meta.height > MAX_PIXELS) throw new UnsupportedFormat(`${meta.width}×${meta.height} pixels, more than sharp's limit of ${MAX_PIXELS}`);
  // failOn 'truncated': real-world JPEGs often carry harmless decoder warnings, which 'warning' (sharp's default) would reject.
  const { data, info } = await sharp(bytes, { failOn: 'truncated', autoOrient: true, pages: 1 })
    .flatten({ background: spec.background })
    .resize(32, 32, { fit: spec.fit, kernel: spec.kernel, position: 'centre', background: spec.background, fastShrinkOnLoad: false })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw new CorruptImage(`the ${format} data is corrupt or truncated`, { cause: err });
    });
  if (data.length !== IMAGE_BYTES) throw new Error(`rendered to ${info.width}×${info.height}×${info.channels}, expected 32×32×3`);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), format, width: meta.width, height: meta.height };
}

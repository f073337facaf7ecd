// Contact sheets: images laid out in a grid as one PNG, for a person to look
// at (the release's sheet, the labeling page's grids).
import sharp from 'sharp';

export interface SheetOptions {
  columns: number;
  /** Pixels of background between tiles and around the sheet. */
  gap?: number;
  /** Each source pixel becomes a scale×scale block (nearest neighbour): crisp small images. */
  scale?: number;
  compressionLevel?: number;
}

/**
 * A PNG of `tiles` (each H×W×C, as one buffer after another or a list), laid
 * out `columns` to a row, left to right then top to bottom, on white.
 */
export async function contactSheet(
  tiles: Uint8Array | Uint8Array[],
  tile: { height: number; width: number; channels: number },
  { columns, gap = 0, scale = 1, compressionLevel = 6 }: SheetOptions,
): Promise<Buffer> {
  const { height: h, width: w, channels: c } = tile;
  const bytes = h * w * c;
  const list = Array.isArray(tiles) ? tiles : Array.from({ length: tiles.length / bytes }, (_, i) => tiles.subarray(i * bytes, (i + 1) * bytes));
  const cols = Math.max(1, Math.min(columns, list.length));
  const rows = Math.max(1, Math.ceil(list.length / cols));
  const width = cols * (w + gap) + gap;
  const height = rows * (h + gap) + gap;
  const canvas = Buffer.alloc(width * height * c, 0xff);
  list.forEach((pixels, i) => {
    const x0 = gap + (i % cols) * (w + gap);
    const y0 = gap + Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) canvas.set(pixels.subarray(y * w * c, (y + 1) * w * c), ((y0 + y) * width + x0) * c);
  });
  let image = sharp(canvas, { raw: { width, height, channels: c as 1 | 3 } });
  if (scale !== 1) image = image.resize(width * scale, height * scale, { kernel: 'nearest' });
  return image.png({ compressionLevel }).toBuffer();
}

import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { check, InputError } from '../errors';
import { inputFileSize } from './files';

/** Bytes per 32×32×3 image, in every layout. */
export const IMAGE_BYTES = 3072;
/** Bytes per tiny_metadata.bin record; the keyword is the first KEYWORD_BYTES. */
export const METADATA_BYTES = 768;
export const KEYWORD_BYTES = 80;

/** Converts n images from TinyImages layout ((r, c, ch) at r + 32c + 1024ch) to HWC ((r*32 + c)*3 + ch). */
export function tinyToHWC(src: Uint8Array, dst: Uint8Array, n: number): Uint8Array {
  checkSizes(src, dst, n);
  for (let base = 0; base < n * IMAGE_BYTES; base += IMAGE_BYTES) {
    let d = base;
    for (let r = 0; r < 32; r++) {
      for (let s = base + r; s < base + r + 1024; s += 32) {
        dst[d++] = src[s];
        dst[d++] = src[s + 1024];
        dst[d++] = src[s + 2048];
      }
    }
  }
  return dst;
}

/** Converts n images from HWC to TinyImages layout; the inverse of tinyToHWC. */
export function hwcToTiny(src: Uint8Array, dst: Uint8Array, n: number): Uint8Array {
  checkSizes(src, dst, n);
  for (let base = 0; base < n * IMAGE_BYTES; base += IMAGE_BYTES) {
    let s = base;
    for (let r = 0; r < 32; r++) {
      for (let d = base + r; d < base + r + 1024; d += 32) {
        dst[d] = src[s++];
        dst[d + 1024] = src[s++];
        dst[d + 2048] = src[s++];
      }
    }
  }
  return dst;
}

function checkSizes(src: Uint8Array, dst: Uint8Array, n: number): void {
  if (src.length < n * IMAGE_BYTES || dst.length < n * IMAGE_BYTES) {
    throw new RangeError(`${n} images need ${n * IMAGE_BYTES} bytes; got src ${src.length}, dst ${dst.length}`);
  }
}

/**
 * The TinyImages dataset on disk (`tiny_images.bin` + `tiny_metadata.bin`), read with
 * positioned reads so the real 227 GB / 61 GB files are never loaded whole.
 */
export class TinyImages {
  private constructor(
    readonly imagesFile: string,
    readonly metadataFile: string,
    /** Number of images. */
    readonly count: number,
    private readonly images: FileHandle,
    private readonly metadata: FileHandle,
  ) {}

  /** Opens `dir/tiny_images.bin` and `dir/tiny_metadata.bin`, checking their sizes agree. */
  static async open(dir: string): Promise<TinyImages> {
    const imagesFile = path.join(dir, 'tiny_images.bin');
    const metadataFile = path.join(dir, 'tiny_metadata.bin');
    const imagesSize = await inputFileSize(imagesFile);
    const metadataSize = await inputFileSize(metadataFile);
    check(imagesSize % IMAGE_BYTES === 0, imagesFile, `size ${imagesSize} is not a multiple of ${IMAGE_BYTES} bytes per image`);
    check(metadataSize % METADATA_BYTES === 0, metadataFile, `size ${metadataSize} is not a multiple of ${METADATA_BYTES} bytes per record`);
    const count = imagesSize / IMAGE_BYTES;
    check(
      metadataSize / METADATA_BYTES === count,
      metadataFile,
      `${metadataSize / METADATA_BYTES} records (${metadataSize} bytes) but ${imagesFile} has ${count} images (${imagesSize} bytes)`,
    );
    const images = await open(imagesFile, 'r');
    try {
      return new TinyImages(imagesFile, metadataFile, count, images, await open(metadataFile, 'r'));
    } catch (err) {
      await images.close();
      throw err;
    }
  }

  /** The keyword of image i. */
  async keyword(i: number): Promise<string> {
    this.checkRange(i, 1, this.metadataFile);
    return (await this.keywordBytes(i)).toString('latin1').replace(/ +$/, '');
  }

  /**
   * The images [lo, hi) filed under `keyword`, by binary search over the sorted
   * metadata. Probed records are checked for order, so an unsorted file fails
   * instead of returning a wrong range.
   */
  async keywordRange(keyword: string): Promise<[number, number]> {
    const key = encodeKeyword(keyword);
    const lo = await this.search(key, false, 0);
    return [lo, await this.search(key, true, lo)];
  }

  /** `count` images from `start`, in TinyImages layout. */
  async readRaw(start: number, count: number): Promise<Uint8Array> {
    this.checkRange(start, count, this.imagesFile);
    return readAt(this.images, this.imagesFile, count * IMAGE_BYTES, start * IMAGE_BYTES);
  }

  /** `count` images from `start`, in HWC layout. */
  async readHWC(start: number, count: number): Promise<Uint8Array> {
    const raw = await this.readRaw(start, count);
    return tinyToHWC(raw, new Uint8Array(raw.length), count);
  }

  /** The images at `indices` (any order, repeats allowed), in HWC layout, in the order given. */
  async readIndicesHWC(indices: number[]): Promise<Uint8Array> {
    const out = new Uint8Array(indices.length * IMAGE_BYTES);
    const runs: Promise<void>[] = [];
    for (let i = 0; i < indices.length; ) {
      let j = i + 1;
      while (j < indices.length && indices[j] === indices[j - 1] + 1) j++;
      const [at, n] = [i, j - i];
      runs.push(this.readRaw(indices[at], n).then((raw) => void tinyToHWC(raw, out.subarray(at * IMAGE_BYTES), n)));
      i = j;
    }
    await Promise.all(runs);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([this.images.close(), this.metadata.close()]);
  }

  /** First record index >= from whose keyword is >= key (or > key when `after`). */
  private async search(key: Buffer, after: boolean, from: number): Promise<number> {
    let [lo, hi] = [from, this.count];
    let below: Buffer | undefined; // record lo - 1, known to sort before the answer
    let above: Buffer | undefined; // record hi
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const rec = await this.keywordBytes(mid);
      if ((below && below.compare(rec) > 0) || (above && rec.compare(above) > 0)) {
        throw new InputError(`records are not sorted by keyword (record ${mid} "${rec.toString('latin1').trimEnd()}" is out of order)`, this.metadataFile);
      }
      const cmp = rec.compare(key);
      if (cmp < 0 || (after && cmp === 0)) [lo, below] = [mid + 1, rec];
      else [hi, above] = [mid, rec];
    }
    return lo;
  }

  private async keywordBytes(i: number): Promise<Buffer> {
    return Buffer.from((await readAt(this.metadata, this.metadataFile, KEYWORD_BYTES, i * METADATA_BYTES)).buffer);
  }

  private checkRange(start: number, count: number, file: string): void {
    check(
      Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.count,
      file,
      `images [${start}, ${start + count}) out of range: the file has ${this.count}`,
    );
  }
}

async function readAt(fh: FileHandle, file: string, length: number, position: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new Error(`${file}: short read at byte ${position}: ${bytesRead} of ${length} bytes (file changed while open?)`);
  return buf;
}

/** Checks that `keyword` fits a metadata record: 1 to 80 printable ASCII characters without leading or trailing spaces. */
export function checkKeyword(keyword: string, subject = `keyword "${keyword}"`): void {
  check(
    /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(keyword) && keyword.length <= KEYWORD_BYTES,
    subject,
    `must be 1 to ${KEYWORD_BYTES} printable ASCII characters without leading or trailing spaces`,
  );
}

/** A keyword as its 80-byte metadata field: printable ASCII, right-padded with spaces. */
function encodeKeyword(keyword: string): Buffer {
  checkKeyword(keyword);
  return Buffer.from(keyword.padEnd(KEYWORD_BYTES, ' '), 'latin1');
}

/**
 * Writes a TinyImages dataset to `dir` (atomically, file by file): images in HWC
 * layout, one keyword per image, keywords sorted in byte order as in the real metadata.
 */
export async function writeTinyImages(dir: string, imagesHWC: Uint8Array, keywords: string[]): Promise<void> {
  const n = keywords.length;
  check(imagesHWC.length === n * IMAGE_BYTES, dir, `${imagesHWC.length} image bytes for ${n} keywords (expected ${n * IMAGE_BYTES})`);
  const writer = await TinyImagesWriter.create(dir);
  try {
    for (let i = 0; i < n; i++) await writer.appendImage(imagesHWC.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), keywords[i]);
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/**
 * Writes a TinyImages dataset in bounded memory: images and their keywords in
 * keyword order (byte order, as the real metadata is sorted), either a
 * keyword's images at once in TinyImages layout (`append`) or one HWC image at
 * a time (`appendImage`). Writes are batched and overlap the caller's next
 * computation. Both files are written under temporary names and renamed into
 * place by `close`; `abort` removes them.
 */
export class TinyImagesWriter {
  /** Images appended so far. */
  count = 0;
  private last: string | undefined;
  private batch: { images: Uint8Array[]; metadata: Uint8Array[]; bytes: number } = { images: [], metadata: [], bytes: 0 };
  private inFlight: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly files: Array<{ tmp: string; final: string; fh: FileHandle }>,
    private readonly batchBytes: number,
  ) {}

  /** Starts a dataset in `dir` (created if need be; its files must not exist yet). */
  static async create(dir: string, opts: { batchBytes?: number } = {}): Promise<TinyImagesWriter> {
    await mkdir(dir, { recursive: true });
    const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const files: Array<{ tmp: string; final: string; fh: FileHandle }> = [];
    try {
      for (const name of ['tiny_images.bin', 'tiny_metadata.bin']) {
        const final = path.join(dir, name);
        if (await stat(final).then(() => true, () => false)) throw new InputError('already exists (EEXIST): write a dataset into a folder of its own', final);
        files.push({ tmp: final + suffix, final, fh: await open(final + suffix, 'wx') });
      }
    } catch (err) {
      await new TinyImagesWriter(dir, files, 0).abort();
      throw err;
    }
    return new TinyImagesWriter(dir, files, opts.batchBytes ?? 32 << 20);
  }

  /** Appends `images` (TinyImages layout, a whole number of images) under `keyword`; the writer keeps the buffer. */
  async append(keyword: string, images: Uint8Array): Promise<void> {
    check(images.length % IMAGE_BYTES === 0, this.dir, `${images.length} image bytes for keyword "${keyword}" is not a whole number of images`);
    check(this.last === undefined || this.last <= keyword, this.dir, `keywords not sorted: "${this.last}" before "${keyword}" at image ${this.count}`);
    const n = images.length / IMAGE_BYTES;
    const record = Buffer.alloc(METADATA_BYTES);
    encodeKeyword(keyword).copy(record);
    const metadata = Buffer.alloc(n * METADATA_BYTES).fill(record);
    this.last = keyword;
    this.count += n;
    this.batch.images.push(images);
    this.batch.metadata.push(metadata);
    this.batch.bytes += images.length + metadata.length;
    if (this.batch.bytes >= this.batchBytes) await this.flush();
  }

  /** Appends one image in HWC layout under `keyword`. */
  async appendImage(imageHWC: Uint8Array, keyword: string): Promise<void> {
    check(imageHWC.length === IMAGE_BYTES, this.dir, `an image of ${imageHWC.length} bytes (expected ${IMAGE_BYTES})`);
    await this.append(keyword, hwcToTiny(imageHWC, new Uint8Array(IMAGE_BYTES), 1));
  }

  /** Writes what is left, syncs both files and renames them into place. */
  async close(): Promise<void> {
    await this.flush();
    await this.inFlight;
    for (const { fh } of this.files) await fh.sync();
    for (const { fh } of this.files) await fh.close();
    for (const { tmp, final } of this.files) await rename(tmp, final);
  }

  /** Closes and removes the temporary files; nothing of the dataset is left. */
  async abort(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    for (const { fh, tmp } of this.files) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }

  /** Starts writing the batch once the previous one is written: one batch on disk's way while the caller computes the next. */
  private async flush(): Promise<void> {
    const { images, metadata } = this.batch;
    this.batch = { images: [], metadata: [], bytes: 0 };
    await this.inFlight;
    this.inFlight = Promise.all([writeAll(this.files[0].fh, images), writeAll(this.files[1].fh, metadata)]);
    // A failed write must surface at the next append or close, not as an unhandled rejection.
    this.inFlight.catch(() => undefined);
  }
}

/** Writes the chunks in order at the file's current position (writev may write less than asked: go on until all is written). */
async function writeAll(fh: FileHandle, chunks: Uint8Array[]): Promise<void> {
  const pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    let { bytesWritten } = await fh.writev(pending);
    while (pending.length > 0 && bytesWritten >= pending[0].length) bytesWritten -= pending.shift()!.length;
    if (pending.length > 0 && bytesWritten > 0) pending[0] = pending[0].subarray(bytesWritten);
  }
}

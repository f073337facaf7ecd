// Images of the labeling page: rows of the build's uint8 N×H×W×C .npy arrays as crisp, scaled-up PNGs.
import { open, type FileHandle } from 'node:fs/promises';
import { contactSheet } from '../lib/contact-sheet';
import { check, InputError } from '../lib/errors';
import { resolveStorePath } from './auth';

/**
 * A uint8 image array in a .npy file, read a few rows at a time: the CIFAR-10
 * array alone is 184 MB, and a page needs a hundred rows of it.
 */
export class ImageArray {
  private constructor(
    private readonly handle: FileHandle,
    readonly file: string,
    readonly count: number,
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    private readonly dataStart: number,
  ) {}

  /** Opens `file` and checks that it holds an uint8 N×H×W×C array (C = 1 or 3) in C order. */
  static async open(file: string): Promise<ImageArray> {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const head = Buffer.alloc(Math.min(size, 12));
      await handle.read(head, 0, head.length, 0);
      check(head.length >= 10 && head.toString('latin1', 0, 6) === '\x93NUMPY', file, 'not a .npy file (bad magic)');
      const major = head[6];
      check(major >= 1 && major <= 3, file, `unsupported .npy format version ${major}`);
      const headerStart = major === 1 ? 10 : 12;
      const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
      check(headerStart + headerLength <= size, file, 'truncated header');
      const header = Buffer.alloc(headerLength);
      await handle.read(header, 0, headerLength, headerStart);
      const text = header.toString('latin1');
      const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
      check(descr === '|u1', file, `expected uint8 images (descr '|u1'), found ${descr ?? 'no descr'}`);
      check(/'fortran_order'\s*:\s*False/.test(text), file, 'fortran_order arrays are not supported');
      const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number) ?? [];
      check(shape.length === 4 && shape.every(Number.isInteger) && (shape[3] === 1 || shape[3] === 3), file,
        `expected an N×H×W×C image array with C = 1 or 3, found shape (${shape.join(', ')})`);
      const [count, height, width, channels] = shape;
      const dataStart = headerStart + headerLength;
      check(size === dataStart + count * height * width * channels, file,
        `${size - dataStart} bytes of data, expected ${count * height * width * channels} for shape (${shape.join(', ')})`);
      return new ImageArray(handle, file, count, height, width, channels, dataStart);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get rowBytes(): number {
    return this.height * this.width * this.channels;
  }

  /** The pixels (H×W×C, RGB) of each row asked for, in order. */
  async rows(rows: number[]): Promise<Buffer[]> {
    for (const row of rows) {
      check(Number.isInteger(row) && row >= 0 && row < this.count, this.file, `row ${row} is out of range (${this.count} images)`);
    }
    return Promise.all(rows.map(async (row) => {
      const buf = Buffer.alloc(this.rowBytes);
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, this.dataStart + row * this.rowBytes);
      if (bytesRead !== buf.length) throw new InputError(`short read at row ${row}`, this.file);
      return buf;
    }));
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * The image arrays of one artifact store, opened on first use and kept open
 * (store files never change: their path holds their content key). Paths come
 * from the page, so each must name a .npy file inside the store (a 400 or 404 otherwise).
 */
export class ImageSource {
  private readonly open = new Map<string, Promise<ImageArray>>();

  constructor(readonly root: string, private readonly maxOpen = 8) {}

  /** The array at `ref` (a store-relative path, as in an ArtifactRef). */
  async array(ref: string): Promise<ImageArray> {
    const file = await resolveStorePath(this.root, ref, { ext: '.npy' });
    let found = this.open.get(file);
    if (!found) {
      found = ImageArray.open(file);
      this.open.set(file, found);
      found.catch(() => this.open.delete(file));
      while (this.open.size > this.maxOpen) {
        const [oldest, array] = this.open.entries().next().value!;
        this.open.delete(oldest);
        void array.then((a) => a.close(), () => undefined);
      }
    }
    return found;
  }

  /** PNG of `rows` of the array at `ref`, `columns` to a row, scaled up `scale` times. */
  async sheet(ref: string, rows: number[], columns: number, scale: number): Promise<Buffer> {
    const array = await this.array(ref);
    return contactSheet(await array.rows(rows), array, { columns, scale, compressionLevel: 3 });
  }

  async close(): Promise<void> {
    const arrays = [...this.open.values()];
    this.open.clear();
    await Promise.all(arrays.map((a) => a.then((x) => x.close(), () => undefined)));
  }
}

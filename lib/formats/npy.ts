import { open, readFile } from 'node:fs/promises';
import { parse } from 'npyjs';
import { check, InputError } from '../errors';
import { writeFileAtomic } from './files';

export type NpyDtype = 'uint8' | 'int32' | 'uint16' | 'int64' | 'float32' | 'float64' | 'int16' | 'int8' | 'uint32';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Uint8Array | Int32Array | Uint16Array | BigInt64Array | Float32Array | Float64Array | Int16Array | Int8Array | Uint32Array;
}

/** numpy's `descr` for each dtype as `np.save` writes it on a little-endian machine. */
const DTYPES = {
  uint8: { descr: '|u1', array: Uint8Array },
  int8: { descr: '|i1', array: Int8Array },
  uint16: { descr: '<u2', array: Uint16Array },
  int16: { descr: '<i2', array: Int16Array },
  uint32: { descr: '<u4', array: Uint32Array },
  int32: { descr: '<i4', array: Int32Array },
  int64: { descr: '<i8', array: BigInt64Array },
  float32: { descr: '<f4', array: Float32Array },
  float64: { descr: '<f8', array: Float64Array },
} as const satisfies Record<NpyDtype, { descr: string; array: unknown }>;

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');

/** Reads a .npy file (format 1.0–3.0, little-endian, C order). */
export async function readNpy(file: string): Promise<NpyArray> {
  return parseNpy(await readFile(file), file);
}

/**
 * Rows [start, end) of the first axis of a one-byte (uint8 or int8) .npy
 * file, as raw bytes, read with one positioned read: a shard of a large array
 * without loading all of it. The header is validated as readNpy does (the
 * file's size must match its shape).
 */
export async function readNpyRows(file: string, start: number, end: number): Promise<{ shape: number[]; data: Uint8Array }> {
  const handle = await open(file, 'r').catch((err) => {
    throw new InputError(`cannot open (${err.code ?? err.message})`, file);
  });
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await handle.read(head, 0, head.length, 0);
    const { dtype, header, dataStart } = readPreamble(head, file, size);
    check(dataStart <= head.length, file, 'header longer than 4 KiB');
    check(dtype === 'uint8' || dtype === 'int8', file, `expected a uint8 or int8 array, found ${dtype}`);
    const shape = (/'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    check(!/'fortran_order'\s*:\s*True/.test(header), file, 'fortran_order arrays are not supported (save the array in C order)');
    check(shape.length >= 1 && shape.every((n) => Number.isInteger(n) && n >= 0), file, `bad shape (${shape.join(', ')})`);
    const rowBytes = shape.slice(1).reduce((a, b) => a * b, 1);
    check(size - dataStart === shape[0] * rowBytes, file, `truncated: expected ${shape[0] * rowBytes} bytes of data, found ${size - dataStart}`);
    check(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= shape[0], file, `rows ${start}..${end} outside 0..${shape[0]}`);
    const data = new Uint8Array((end - start) * rowBytes);
    const { bytesRead } = await handle.read(data, 0, data.length, dataStart + start * rowBytes);
    check(bytesRead === data.length, file, `truncated while reading rows ${start}..${end}`);
    return { shape, data };
  } finally {
    await handle.close();
  }
}

/**
 * The start of a .npy file (`head`: its first bytes, `size`: its length):
 * magic, version, the header dict's text and where the data starts, and the
 * dtype its `descr` names.
 */
function readPreamble(head: Buffer, name: string, size: number): { dtype: NpyDtype; header: string; dataStart: number } {
  check(head.length >= 10 && head.subarray(0, 6).equals(MAGIC), name, 'not a .npy file (bad magic)');
  const major = head[6];
  check(major >= 1 && major <= 3, name, `unsupported .npy format version ${major}.${head[7]}`);
  const headerStart = major === 1 ? 10 : 12;
  check(head.length >= headerStart, name, 'truncated header');
  const dataStart = headerStart + (major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8));
  check(size >= dataStart, name, `truncated header: expected ${dataStart} bytes, found ${size}`);
  const header = head.toString('latin1', headerStart, Math.min(dataStart, head.length));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const dtype = (Object.keys(DTYPES) as NpyDtype[]).find((d) => DTYPES[d].descr === descr);
  check(dtype, name, `unsupported dtype ${descr ?? '(none)'}: expected one of ${Object.values(DTYPES).map((d) => d.descr).join(' ')}`);
  return { dtype, header, dataStart };
}

/** Parses the bytes of a .npy file; `name` is the file named in errors. */
export function parseNpy(buf: Buffer, name: string): NpyArray {
  const { dtype, dataStart } = readPreamble(buf, name, buf.length);
  const itemSize = DTYPES[dtype].array.BYTES_PER_ELEMENT;

  // npyjs views the data from the header to the end; hand it whole items only
  // (in a fresh, aligned buffer) so a short file gets our message, not a RangeError.
  const dataBytes = buf.length - dataStart;
  const whole = new Uint8Array(buf.subarray(0, buf.length - (dataBytes % itemSize)));
  let parsed;
  try {
    parsed = parse(whole.buffer);
  } catch (err) {
    throw new InputError(`malformed .npy header: ${(err as Error).message}`, name);
  }
  check(!parsed.fortranOrder, name, 'fortran_order arrays are not supported (save the array in C order)');
  const { shape } = parsed;
  check(shape.every((n) => Number.isInteger(n) && n >= 0), name, `bad shape (${shape.join(', ')})`);
  const expected = shape.reduce((a, b) => a * b, 1) * itemSize;
  check(dataBytes >= expected, name, `truncated: expected ${expected} bytes of data, found ${dataBytes}`);
  check(dataBytes === expected, name, `${dataBytes - expected} unexpected bytes after the data (shape (${shape.join(', ')}))`);
  return { dtype, shape, data: parsed.data as NpyArray['data'] };
}

/** Encodes an array exactly as numpy's `np.save` does (format 1.0). */
export function encodeNpy(arr: NpyArray): Buffer {
  const { array } = DTYPES[arr.dtype];
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (!(arr.data instanceof array) || arr.data.length !== count) {
    throw new TypeError(`encodeNpy: data must be a ${array.name} of ${count} elements for ${arr.dtype} (${arr.shape.join(', ')})`);
  }
  const data = Buffer.from(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  return Buffer.concat([npyPreamble(arr.dtype, arr.shape), data]);
}

/**
 * What `np.save` writes before the data of an array of this dtype and shape
 * (format 1.0): a file can be written as this, then the data in pieces.
 */
export function npyPreamble(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const { descr } = DTYPES[dtype];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy leaves room for the first axis to grow to 21 digits so the header can be rewritten in place.
  if (shape.length > 0) dict += ' '.repeat(21 - String(shape[0]).length);
  // Pad with spaces and a final newline so the data starts at a multiple of 64 (numpy adds a full 64 when already aligned).
  const header = dict + ' '.repeat(64 - ((11 + dict.length) % 64)) + '\n';
  if (header.length > 0xffff) throw new RangeError(`npyHeader: header of ${header.length} bytes does not fit format 1.0`);
  const preamble = Buffer.alloc(10);
  MAGIC.copy(preamble);
  preamble[6] = 1;
  preamble.writeUInt16LE(header.length, 8);
  return Buffer.concat([preamble, Buffer.from(header, 'latin1')]);
}

/** Writes an array as a .npy file, atomically. */
export async function writeNpy(file: string, arr: NpyArray): Promise<void> {
  await writeFileAtomic(file, encodeNpy(arr));
}

/**
 * Writes a .npy file of `shape` from chunks of its data as they come, in
 * bounded memory (the candidate images are 1.8 GB at full scale), atomically:
 * the file appears only when all of its bytes were written.
 */
export async function writeNpyChunks(file: string, dtype: NpyDtype, shape: number[], chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const expected = shape.reduce((a, b) => a * b, 1) * DTYPES[dtype].array.BYTES_PER_ELEMENT;
  let written = 0;
  await writeFileAtomic(file, npyPreamble(dtype, shape), (async function* counted() {
    for await (const chunk of chunks) {
      written += chunk.byteLength;
      if (written > expected) throw new RangeError(`${file}: more than the ${expected} bytes of data shape (${shape.join(', ')}) holds`);
      yield chunk;
    }
    if (written !== expected) throw new RangeError(`${file}: ${written} bytes of data, shape (${shape.join(', ')}) needs ${expected}`);
  })());
}

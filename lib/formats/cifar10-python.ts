import { BufferReader, NameRegistry, Parser } from 'pickleparser';
import { check, InputError } from '../errors';
import { type Cifar10Layout, type Cifar10Split, cifarToHWC } from './cifar10';
import { IMAGE_BYTES } from './tinyimages';

/**
 * The python version of CIFAR-10 (`cifar-10-batches-py/`): pickles written by
 * Python 2's cPickle (protocol 2). Each batch is a dict with `data`, a numpy
 * uint8 array of N × 3072 channel-planar images, and `labels`, a list of N
 * ints; `batches.meta` has `label_names`. Pickles re-written by Python 3
 * (protocols 2 to 5) read the same.
 */
export const PYTHON_LAYOUT: Cifar10Layout = {
  folder: 'cifar-10-batches-py',
  train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`),
  test: 'test_batch',
  meta: 'batches.meta',
  decodeBatch: decodePythonBatch,
  decodeMeta: decodePythonMeta,
};

/** Decodes one pickled batch to HWC images and labels; errors name `subject`. */
function decodePythonBatch(bytes: Uint8Array, subject: string): Cifar10Split {
  const batch = unpickleDict(bytes, subject);
  const data = field(batch, 'data', subject);
  const labels = field(batch, 'labels', subject);
  check(data instanceof NdArray, subject, `b'data' is not a numpy array`);
  check(data.dtype === 'u1', subject, `b'data' has dtype ${data.dtype}, expected uint8 ('u1')`);
  check(data.shape.length === 2 && data.shape[1] === IMAGE_BYTES, subject, `b'data' has shape (${data.shape.join(', ')}), expected (N, ${IMAGE_BYTES})`);
  check(!data.fortranOrder, subject, `b'data' is in Fortran order, expected C order`);
  const n = data.shape[0];
  const pixels = asBytes(data.raw, `b'data'`, subject);
  check(pixels.length === n * IMAGE_BYTES, subject, `b'data' holds ${pixels.length} bytes, but its shape (${n}, ${IMAGE_BYTES}) needs ${n * IMAGE_BYTES}`);
  check(Array.isArray(labels), subject, `b'labels' is not a list`);
  check(labels.length === n, subject, `${labels.length} labels for ${n} images`);
  const bad = labels.findIndex((l) => !Number.isInteger(l) || l < 0 || l > 255);
  check(bad < 0, subject, `record ${bad} has label ${String(labels[bad])}, expected a class index`);
  return { images: cifarToHWC(pixels, new Uint8Array(n * IMAGE_BYTES), n), labels: Uint8Array.from(labels) };
}

/** Decodes `batches.meta`: its `label_names`, ten of them. */
function decodePythonMeta(bytes: Uint8Array, subject: string): string[] {
  const names = field(unpickleDict(bytes, subject), 'label_names', subject);
  check(Array.isArray(names), subject, `b'label_names' is not a list`);
  const classNames = names.map((name) => Buffer.from(asBytes(name, `b'label_names'`, subject)).toString('utf8'));
  check(classNames.length === 10, subject, `expected 10 class names, found ${classNames.length}`);
  return classNames;
}

/**
 * pickleparser decodes Python 2 `str` (opcodes BINSTRING, SHORT_BINSTRING) with
 * TextDecoder('ascii'), which the WHATWG Encoding standard defines as
 * windows-1252: bytes 0x80–0x9f become other code points (0x80 becomes '€'),
 * and the pixels would not come back as they were. Node <= 20.18.2 and
 * <= 22.12.0 decode it so; later releases take a latin1 shortcut
 * (nodejs/node#60888) that fixes may remove. Read as latin1 here, each byte is
 * one char code on every Node, and `Buffer.from(s, 'latin1')` gives the bytes
 * back exactly. Module and class names (opcode GLOBAL) are ASCII either way.
 */
class Latin1Reader extends BufferReader {
  override string(size: number, encoding: 'ascii' | 'utf-8'): string {
    if (encoding === 'utf-8') return super.string(size, encoding);
    const bytes = this.bytes(size);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }
}

/** A numpy array as unpickled: shape, dtype and its raw data (a byte string, checked by the caller). */
class NdArray {
  shape: number[] = [];
  dtype = '';
  fortranOrder = false;
  raw: unknown;

  /** ndarray.__setstate__: (version, shape, dtype, is_fortran, raw data). */
  __setstate__([, shape, dtype, fortranOrder, raw]: unknown[]): void {
    this.shape = Array.isArray(shape) ? shape : [];
    this.dtype = dtype instanceof Dtype ? dtype.name : String(dtype);
    this.fortranOrder = Boolean(fortranOrder);
    this.raw = raw;
  }
}

/** A numpy dtype as unpickled: its name with the byte order of its state ('u1', '<i8'). */
class Dtype {
  constructor(public name: string) {}

  /** dtype.__setstate__: (version, byte order, ...); the order is '|' where it does not apply. */
  __setstate__([, order]: unknown[]): void {
    if (typeof order === 'string' && order !== '|') this.name = order + this.name;
  }
}

/**
 * The only globals a CIFAR-10 pickle refers to. Anything else becomes an inert
 * placeholder object (pickleparser never runs code), which then fails the shape
 * checks above with a message.
 */
const NUMPY = new NameRegistry();
for (const core of ['numpy.core', 'numpy._core']) {
  NUMPY.register(`${core}.multiarray`, '_reconstruct', () => new NdArray());
  // Protocol 5: numpy pickles the array as _frombuffer(buffer, dtype, shape, order).
  NUMPY.register(`${core}.numeric`, '_frombuffer', (raw: unknown, dtype: unknown, shape: number[], order: string) => {
    const array = new NdArray();
    array.__setstate__([1, shape, dtype, order === 'F', raw]);
    return array;
  });
}
NUMPY.register('numpy', 'dtype', (name: string) => new Dtype(name));
// Python 3 writes bytes under protocol 2 as _codecs.encode(text, 'latin1'); keep the latin1 text, as for Python 2's str.
NUMPY.register('_codecs', 'encode', (text: string) => text);
NUMPY.register('__builtin__', 'bytes', () => '');

/** Unpickles `bytes` and checks it is a dict; keys come back as strings (Python 2 str and Python 3 bytes alike). */
function unpickleDict(bytes: Uint8Array, subject: string): Map<string, unknown> {
  let value: unknown;
  try {
    value = new Parser({ nameResolver: NUMPY, unpicklingTypeOfDictionary: 'Map' }).read(new Latin1Reader(bytes));
  } catch (err) {
    throw new InputError(`not a readable pickle: ${(err as Error).message}`, subject);
  }
  check(value instanceof Map, subject, 'the pickle does not hold a dict');
  return new Map([...value].map(([k, v]) => [typeof k === 'string' ? k : Buffer.from(asBytes(k, 'a key', subject)).toString('latin1'), v]));
}

function field(dict: Map<string, unknown>, key: string, subject: string): unknown {
  check(dict.has(key), subject, `no key b'${key}' (keys: ${[...dict.keys()].map((k) => `b'${k}'`).join(', ')})`);
  return dict.get(key);
}

/** A Python byte string as unpickled: latin1 text (Python 2 str, or Python 3 bytes under protocol 2) or a Uint8Array (protocol 3+). */
function asBytes(value: unknown, what: string, subject: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'latin1');
  if (value instanceof Uint8Array) return value;
  throw new InputError(`${what} is not a byte string`, subject);
}

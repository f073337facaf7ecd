import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { encodeNpy, type NpyArray, type NpyDtype, npyPreamble, parseNpy, readNpy, readNpyRows, writeNpy } from '../../../lib/formats/npy';
import { runPython } from '../../helpers/python';
import { SHARED } from '../../helpers/shared';

const shared = SHARED;

/** Arrays numpy saves for us: arange(n) cast to dtype, reshaped; shapes cover (), 1-tuples, odd sizes and header growth. */
const cases: { dtype: NpyDtype; np: string; shape: number[] }[] = [
  { dtype: 'uint8', np: 'uint8', shape: [4, 32, 32, 3] },
  { dtype: 'int8', np: 'int8', shape: [7] },
  { dtype: 'int32', np: 'int32', shape: [2021] },
  { dtype: 'uint16', np: 'uint16', shape: [10000] },
  { dtype: 'int16', np: 'int16', shape: [3, 5] },
  { dtype: 'uint32', np: 'uint32', shape: [] },
  { dtype: 'int64', np: 'int64', shape: [0] },
  { dtype: 'int64', np: 'int64', shape: [2, 3, 4] },
  { dtype: 'float32', np: 'float32', shape: [6, 1] },
  { dtype: 'float64', np: 'float64', shape: [1234567, 0] },
  { dtype: 'float64', np: 'float64', shape: [12345678901234, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2] },
];

function numpySave(c: (typeof cases)[number]): Buffer {
  const script = `
import io, sys, base64, numpy as np
shape = tuple(${JSON.stringify(c.shape)})
a = (np.arange(int(np.prod(shape))) * 37 - 5).astype(np.${c.np}).reshape(shape)
if a.dtype.kind == 'f': a = a / 7
f = io.BytesIO(); np.save(f, a); sys.stdout.write(base64.b64encode(f.getvalue()).decode())`;
  return Buffer.from(runPython(script), 'base64');
}

/** The same values built in JS, independently of numpy. */
function jsArray(c: (typeof cases)[number]): NpyArray {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => i * 37 - 5);
  const data = {
    uint8: () => Uint8Array.from(values),
    int8: () => Int8Array.from(values),
    uint16: () => Uint16Array.from(values),
    int16: () => Int16Array.from(values),
    uint32: () => Uint32Array.from(values),
    int32: () => Int32Array.from(values),
    int64: () => BigInt64Array.from(values, BigInt),
    float32: () => Float32Array.from(values, (v) => v / 7),
    float64: () => Float64Array.from(values, (v) => v / 7),
  }[c.dtype]();
  return { dtype: c.dtype, shape: c.shape, data };
}

describe('npy', () => {
  it.each(cases)('encodes $dtype $shape byte for byte like np.save, and parses it back', (c) => {
    const expected = numpySave(c);
    expect(encodeNpy(jsArray(c)).equals(expected)).toBe(true);
    expect(parseNpy(expected, 'x.npy')).toEqual(jsArray(c));
  });

  it.each([
    ['cifar10.1_v6_labels.npy', `${shared}/datasets/cifar10.1_v6_labels.npy`, 'int32', [2000]],
    ['test_labels.npy', `${shared}/cifar10/test_labels.npy`, 'uint16', [10000]],
  ] as const)('reads the published %s and re-encodes it identically', async (_, file, dtype, shape) => {
    const arr = await readNpy(file);
    expect(arr.dtype).toBe(dtype);
    expect(arr.shape).toEqual(shape);
    expect(Math.max(...arr.data as Iterable<number>)).toBe(9);
    expect(encodeNpy(arr).equals(await readFile(file))).toBe(true);
  });

  it('writes atomically and leaves no temp file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'npy-'));
    const file = path.join(dir, 'labels.npy');
    const arr: NpyArray = { dtype: 'int32', shape: [3], data: Int32Array.of(1, -2, 3) };
    await writeNpy(file, arr);
    expect(await readdir(dir)).toEqual(['labels.npy']);
    expect(await readNpy(file)).toEqual(arr);
    const loaded = runPython(`import numpy as np; print(np.load(${JSON.stringify(file)}).tolist())`);
    expect(loaded.trim()).toBe('[1, -2, 3]');
  });

  describe('rejects bad files with an InputError naming the file', () => {
    const good = encodeNpy({ dtype: 'int32', shape: [2, 3], data: Int32Array.of(1, 2, 3, 4, 5, 6) });
    const bad = (buf: Buffer, message: RegExp) => {
      expect(() => parseNpy(buf, 'bad.npy')).toThrow(InputError);
      expect(() => parseNpy(buf, 'bad.npy')).toThrow(message);
    };

    it('truncated data', () => bad(good.subarray(0, good.length - 5), /^bad\.npy: truncated: expected 24 bytes of data, found 19$/));
    it('truncated to whole items', () => bad(good.subarray(0, good.length - 8), /^bad\.npy: truncated: expected 24 bytes of data, found 16$/));
    it('truncated header', () => bad(good.subarray(0, 40), /^bad\.npy: truncated header/));
    it('trailing bytes', () => bad(Buffer.concat([good, Buffer.alloc(4)]), /^bad\.npy: 4 unexpected bytes after the data/));
    it('wrong magic', () => bad(Buffer.concat([Buffer.from('PK\x03\x04'), good.subarray(4)]), /^bad\.npy: not a \.npy file/));
    it('empty file', () => bad(Buffer.alloc(0), /^bad\.npy: not a \.npy file/));
    it('unknown version', () => bad(Buffer.concat([good.subarray(0, 6), Buffer.of(9, 0), good.subarray(8)]), /format version 9\.0/));
    it('big-endian', () => bad(Buffer.from(good.toString('latin1').replace('<i4', '>i4'), 'latin1'), /unsupported dtype >i4/));

    it('fortran order (written by numpy)', () => {
      const f = Buffer.from(
        runPython(`import io, sys, base64, numpy as np
f = io.BytesIO(); np.save(f, np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))); sys.stdout.write(base64.b64encode(f.getvalue()).decode())`),
        'base64',
      );
      bad(f, /^bad\.npy: fortran_order arrays are not supported/);
    });

    it('names the path when reading from disk', async () => {
      const file = path.join(await mkdtemp(path.join(tmpdir(), 'npy-')), 'short.npy');
      await writeFile(file, good.subarray(0, good.length - 1));
      await expect(readNpy(file)).rejects.toThrow(`${file}: truncated: expected 24 bytes of data, found 23`);
    });
  });
});

describe('readNpyRows', () => {
  it('reads a slice of rows equal to the same rows of the whole array, and names bad files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'npy-rows-'));
    const file = path.join(dir, 'images.npy');
    const data = Uint8Array.from({ length: 7 * 4 * 3 }, (_, i) => (i * 37) % 251);
    await writeNpy(file, { dtype: 'uint8', shape: [7, 4, 3], data });
    const rows = await readNpyRows(file, 2, 5);
    expect(rows.shape).toEqual([7, 4, 3]);
    expect(Buffer.from(rows.data).equals(Buffer.from(data.subarray(2 * 12, 5 * 12)))).toBe(true);
    expect((await readNpyRows(file, 7, 7)).data.length).toBe(0);
    await expect(readNpyRows(file, 5, 8)).rejects.toThrow(/images\.npy: rows 5\.\.8 outside 0\.\.7/);
    await writeNpy(path.join(dir, 'ints.npy'), { dtype: 'int32', shape: [3], data: Int32Array.from([1, 2, 3]) });
    await expect(readNpyRows(path.join(dir, 'ints.npy'), 0, 1)).rejects.toThrow(/ints\.npy: expected a uint8 or int8 array, found int32/);
    await writeFile(path.join(dir, 'short.npy'), (await readFile(file)).subarray(0, 100));
    await expect(readNpyRows(path.join(dir, 'short.npy'), 0, 1)).rejects.toThrow(/short\.npy: truncated/);
  });

  it('reads int8 rows as their raw bytes', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'npy-rows-')), 'classes.npy');
    await writeNpy(file, { dtype: 'int8', shape: [5], data: Int8Array.from([-1, 0, 9, -1, 3]) });
    const { data } = await readNpyRows(file, 1, 4);
    expect([...new Int8Array(data.buffer, data.byteOffset, data.length)]).toEqual([0, 9, -1]);
  });
});

describe('npyPreamble', () => {
  it('is what encodeNpy writes before the data, so a file can be written in pieces', () => {
    const data = Int8Array.from({ length: 1000 }, (_, i) => (i % 11) - 1);
    const whole = encodeNpy({ dtype: 'int8', shape: [1000], data });
    const preamble = npyPreamble('int8', [1000]);
    expect(preamble.length % 64).toBe(0);
    expect(Buffer.concat([preamble, Buffer.from(data.buffer)]).equals(whole)).toBe(true);
  });
});

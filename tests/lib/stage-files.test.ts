import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../lib/errors';
import { type NpyArray, writeNpy } from '../../lib/formats/npy';
import { loadImageRows, loadImages, loadImagesAt, loadInts, loadNeighbors, loadSubsets, pythonJson, tinyDirOf } from '../../lib/stage-files';
import { ArtifactStore, type StageOutput } from '../../lib/store';
import { runPython } from '../helpers/python';
import { mulberry32 } from '../helpers/random';
import { useTempDir } from '../helpers/temp';

const tmp = useTempDir('stage-files');
const IMAGE = 32 * 32 * 3;
const N = 12;

/** N images of seeded bytes, HWC: image i is bytes [i·3072, (i+1)·3072). */
const pixels = (() => {
  const rng = mulberry32(7);
  return Uint8Array.from({ length: N * IMAGE }, () => Math.floor(rng() * 256));
})();
const rowsOf = (rows: number[]) => Buffer.concat(rows.map((r) => pixels.subarray(r * IMAGE, (r + 1) * IMAGE)));

let store: ArtifactStore;
let out: StageOutput;
const file = (name: string) => store.resolve(out.files[name]);

beforeAll(async () => {
  store = new ArtifactStore(path.join(tmp(), 'store'));
  const arrays: Record<string, NpyArray> = {
    'candidate_images.npy': { dtype: 'uint8', shape: [N, 32, 32, 3], data: pixels },
    'flat_images.npy': { dtype: 'uint8', shape: [2, IMAGE], data: pixels.subarray(0, 2 * IMAGE) },
    'rgba_images.npy': { dtype: 'uint8', shape: [1, 32, 32, 4], data: new Uint8Array(4096) },
    'float_images.npy': { dtype: 'float32', shape: [1, 32, 32, 3], data: new Float32Array(IMAGE) },
    'int32.npy': { dtype: 'int32', shape: [4], data: Int32Array.from([-5, 0, 7, 2_000_000_000]) },
    'uint8.npy': { dtype: 'uint8', shape: [3], data: Uint8Array.from([0, 9, 255]) },
    'uint16.npy': { dtype: 'uint16', shape: [2], data: Uint16Array.from([1, 65535]) },
    'int16.npy': { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 3]) },
    'int8.npy': { dtype: 'int8', shape: [2], data: Int8Array.from([-128, 127]) },
    'int64.npy': { dtype: 'int64', shape: [1], data: BigInt64Array.from([1n]) },
    'float64.npy': { dtype: 'float64', shape: [1], data: Float64Array.from([1]) },
    'candidate_ti.npy': { dtype: 'int32', shape: [3], data: Int32Array.from([500, 20, 7]) },
    // Two candidates, three neighbours each: squared distances whose roots are whole.
    'neighbors.npy': { dtype: 'int32', shape: [2, 3], data: Int32Array.from([41, 5, 9, 1200, 3, 77]) },
    'distances.npy': { dtype: 'int32', shape: [2, 3], data: Int32Array.from([9, 16, 25, 144, 169, 400]) },
  };
  out = await store.stage('s', 'k', async (dir) => {
    for (const [name, arr] of Object.entries(arrays)) await writeNpy(path.join(dir, name), arr);
    await writeFile(path.join(dir, 'subsets.json'), JSON.stringify([{ className: 'cat', keyword: 'tabby', rows: [0, 2] }]));
    return { files: [...Object.keys(arrays), 'subsets.json'], summary: {} };
  });
});

/** `out` with one file standing under another name (how a stage finds `neighbors.npy`, say). */
const as = (name: string, stored: string) => ({ files: { ...out.files, [name]: out.files[stored] } });

describe('loadImages', () => {
  it('reads a whole N×32×32×3 uint8 array', async () => {
    expect(Buffer.from(await loadImages(store, out, 'candidate_images.npy')).equals(Buffer.from(pixels))).toBe(true);
  });

  it.each([
    ['flat_images.npy', 'uint8 [2,3072]'],
    ['rgba_images.npy', 'uint8 [1,32,32,4]'],
    ['float_images.npy', 'float32 [1,32,32,3]'],
  ])('refuses %s with an InputError naming the file and what it holds', async (name, found) => {
    await expect(loadImages(store, out, name)).rejects.toThrow(new InputError(`expected uint8 N×32×32×3, found ${found}`, file(name)));
  });
});

describe('loadImageRows', () => {
  it('reads rows [start, end) as they are in the array', async () => {
    expect(Buffer.from(await loadImageRows(store, out, 'candidate_images.npy', 3, 7)).equals(rowsOf([3, 4, 5, 6]))).toBe(true);
    expect(await loadImageRows(store, out, 'candidate_images.npy', 5, 5)).toHaveLength(0);
  });

  it('refuses another shape, and rows past the end, naming the file', async () => {
    await expect(loadImageRows(store, out, 'flat_images.npy', 0, 1)).rejects.toThrow(new InputError('expected N×32×32×3, found [2,3072]', file('flat_images.npy')));
    await expect(loadImageRows(store, out, 'candidate_images.npy', 11, 13)).rejects.toThrow(new InputError(`rows 11..13 outside 0..${N}`, file('candidate_images.npy')));
  });
});

describe('loadImagesAt', () => {
  it.each([
    ['in order', [0, 1, 2, 3]],
    ['unsorted', [7, 2, 11, 0, 5]],
    ['with repeats', [3, 3, 9, 3, 8, 9]],
    ['runs in any order', [10, 11, 4, 5, 6, 0, 1]],
    ['every row, backwards', Array.from({ length: N }, (_, i) => N - 1 - i)],
    ['none', []],
  ])('returns the rows asked for, %s, in the order asked, as a direct read of each row', async (_what, rows) => {
    const got = await loadImagesAt(store, out, 'candidate_images.npy', rows);
    expect(got).toHaveLength(rows.length * IMAGE);
    expect(Buffer.from(got).equals(rowsOf(rows))).toBe(true);
  });

  it('takes a typed array of rows too', async () => {
    expect(Buffer.from(await loadImagesAt(store, out, 'candidate_images.npy', Int32Array.from([6, 1]))).equals(rowsOf([6, 1]))).toBe(true);
  });

  it('refuses a row past the end, naming the file', async () => {
    await expect(loadImagesAt(store, out, 'candidate_images.npy', [2, N])).rejects.toThrow(new InputError(`rows ${N}..${N + 1} outside 0..${N}`, file('candidate_images.npy')));
  });
});

describe('loadInts', () => {
  it.each([
    ['int32.npy', [-5, 0, 7, 2_000_000_000]],
    ['uint8.npy', [0, 9, 255]],
    ['uint16.npy', [1, 65535]],
    ['int16.npy', [-32768, 3]],
    ['int8.npy', [-128, 127]],
  ])('reads %s as Int32Array, values unchanged', async (name, values) => {
    const ints = await loadInts(store, out, name);
    expect(ints).toBeInstanceOf(Int32Array);
    expect(Array.from(ints)).toEqual(values);
  });

  it.each([['int64.npy', 'int64'], ['float64.npy', 'float64']])('refuses %s, naming the file', async (name, dtype) => {
    await expect(loadInts(store, out, name)).rejects.toThrow(new InputError(`expected an integer array, found ${dtype}`, file(name)));
  });
});

describe('loadSubsets', () => {
  it('reads the candidates\' TinyImages indices, the keyword entries, and the row of each index', async () => {
    const { tiIndices, entries, rowOf } = await loadSubsets(store, out);
    expect(Array.from(tiIndices)).toEqual([500, 20, 7]);
    expect(entries).toEqual([{ className: 'cat', keyword: 'tabby', rows: [0, 2] }]);
    expect([...rowOf]).toEqual([[500, 0], [20, 1], [7, 2]]);
  });
});

describe('loadNeighbors', () => {
  it('gives each candidate\'s nearest CIFAR-10 image and its distance, the square root of the stored squared one', async () => {
    const n = await loadNeighbors(store, out);
    expect([n.k, n.count]).toEqual([3, 2]);
    expect(Array.from(n.indices)).toEqual([41, 5, 9, 1200, 3, 77]);
    expect(Array.from(n.squared)).toEqual([9, 16, 25, 144, 169, 400]);
    expect([n.nearest(0), n.nearest(1)]).toEqual([3, 12]);
    expect([n.nearestIndex(0), n.nearestIndex(1)]).toEqual([41, 1200]);
  });

  it('refuses neighbours that are not an int32 N×k array, naming the file', async () => {
    await expect(loadNeighbors(store, as('neighbors.npy', 'int64.npy'))).rejects.toThrow(new InputError('expected int32 N×k, found int64 [1]', file('int64.npy')));
    await expect(loadNeighbors(store, as('neighbors.npy', 'int32.npy'))).rejects.toThrow(new InputError('expected int32 N×k, found int32 [4]', file('int32.npy')));
  });

  it('refuses distances that are not integers, naming the file', async () => {
    await expect(loadNeighbors(store, as('distances.npy', 'float64.npy'))).rejects.toThrow(new InputError('expected an integer array, found float64', file('float64.npy')));
  });

  it('refuses distances of another shape than the neighbours, naming the file', async () => {
    await expect(loadNeighbors(store, as('distances.npy', 'int32.npy'))).rejects.toThrow(InputError);
    await expect(loadNeighbors(store, as('distances.npy', 'int32.npy'))).rejects.toThrow(file('int32.npy'));
  });
});

describe('pythonJson', () => {
  it('writes what Python\'s json.dump(obj, f, indent=2) writes', () => {
    const values = [[670725112, 0, 5], [], { tabby: [1, 2], pug: [], siamese_cat: [3] }, [[1, 2], [3]]];
    const python = JSON.parse(runPython(`import json, sys\nprint(json.dumps([json.dumps(v, indent=2) for v in json.load(sys.stdin)]))`, JSON.stringify(values)));
    expect(values.map(pythonJson)).toEqual(python);
  });
});

describe('tinyDirOf', () => {
  it('gives the extraction\'s TinyImages folder, and an InputError about the source when it has none', () => {
    expect(tinyDirOf({ summary: { tinyDir: '/data/tiny' } })).toBe('/data/tiny');
    expect(() => tinyDirOf({ summary: { tinyDir: null } })).toThrow(
      new InputError('this stage needs TinyImages pixels, and the build has none (published files only)', 'source'),
    );
  });
});

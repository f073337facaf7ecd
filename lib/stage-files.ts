// Reading the files stages leave in the store: image arrays, index arrays,
// candidate subsets and nearest neighbours, each checked for the shape the
// stage after it needs.
import { InputError } from './errors';
import { readNpy, readNpyRows } from './formats/npy';
import { IMAGE_BYTES } from './formats/tinyimages';
import type { ArtifactRef, ArtifactStore } from './store';
import type { SubsetEntry } from './subsets';

type Files = { files: Record<string, ArtifactRef> };

function checkImages(shape: number[], dtype: string, file: string): void {
  if (dtype !== 'uint8' || shape.length !== 4 || shape[1] !== 32 || shape[2] !== 32 || shape[3] !== 3) {
    throw new InputError(`expected uint8 N×32×32×3, found ${dtype} ${JSON.stringify(shape)}`, file);
  }
}

/** A uint8 image array (N×32×32×3) from the store, whole. */
export async function loadImages(store: ArtifactStore, out: Files, name: string): Promise<Uint8Array> {
  const file = store.resolve(out.files[name]);
  const arr = await readNpy(file);
  checkImages(arr.shape, arr.dtype, file);
  return arr.data as Uint8Array;
}

/** Rows [start, end) of a uint8 image array in the store (positioned reads: the candidate array is 1.8 GB at full scale). */
export async function loadImageRows(store: ArtifactStore, out: Files, name: string, start: number, end: number): Promise<Uint8Array> {
  const file = store.resolve(out.files[name]);
  const { shape, data } = await readNpyRows(file, start, end);
  if (shape.length !== 4 || shape[1] !== 32 || shape[2] !== 32 || shape[3] !== 3) throw new InputError(`expected N×32×32×3, found ${JSON.stringify(shape)}`, file);
  return data;
}

/** The rows at `rows` (any order) of a uint8 image array in the store, in that order, read run by run. */
export async function loadImagesAt(store: ArtifactStore, out: Files, name: string, rows: ArrayLike<number>): Promise<Uint8Array> {
  const images = new Uint8Array(rows.length * IMAGE_BYTES);
  const order = Array.from(rows, (row, i) => [row, i]).sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < order.length;) {
    let j = i + 1;
    while (j < order.length && order[j][0] === order[j - 1][0] + 1) j++;
    const run = await loadImageRows(store, out, name, order[i][0], order[j - 1][0] + 1);
    for (let r = i; r < j; r++) images.set(run.subarray((r - i) * IMAGE_BYTES, (r - i + 1) * IMAGE_BYTES), order[r][1] * IMAGE_BYTES);
    i = j;
  }
  return images;
}

/** An integer array .npy from the store, as Int32Array. */
export async function loadInts(store: ArtifactStore, out: Files, name: string): Promise<Int32Array> {
  const file = store.resolve(out.files[name]);
  const arr = await readNpy(file);
  if (arr.dtype === 'int32') return arr.data as Int32Array;
  if (arr.dtype === 'uint8' || arr.dtype === 'uint16' || arr.dtype === 'int16' || arr.dtype === 'int8') return Int32Array.from(arr.data as ArrayLike<number>);
  throw new InputError(`expected an integer array, found ${arr.dtype}`, file);
}

/** Candidate TinyImages indices (row order of candidate_images.npy) and the rows of each keyword. */
export async function loadSubsets(store: ArtifactStore, subsets: Files) {
  const tiIndices = await loadInts(store, subsets, 'candidate_ti.npy');
  const entries = await store.readJson<SubsetEntry[]>(subsets.files['subsets.json']);
  const rowOf = new Map<number, number>();
  tiIndices.forEach((ti, row) => rowOf.set(ti, row));
  return { tiIndices, entries, rowOf };
}

/** The nearest CIFAR-10 images of every candidate (the merged computeDistances output), by candidate row. */
export async function loadNeighbors(store: ArtifactStore, distances: Files) {
  const file = store.resolve(distances.files['neighbors.npy']);
  const neighbors = await readNpy(file);
  if (neighbors.dtype !== 'int32' || neighbors.shape.length !== 2) throw new InputError(`expected int32 N×k, found ${neighbors.dtype} ${JSON.stringify(neighbors.shape)}`, file);
  const indices = neighbors.data as Int32Array;
  const squared = await loadInts(store, distances, 'distances.npy');
  if (squared.length !== indices.length) {
    throw new InputError(`expected ${neighbors.shape.join('×')} distances as neighbors.npy has, found ${squared.length} values`, store.resolve(distances.files['distances.npy']));
  }
  const k = neighbors.shape[1];
  return {
    k,
    count: neighbors.shape[0],
    indices,
    squared,
    /** L2 distance from candidate `row` to its nearest CIFAR-10 image. */
    nearest: (row: number) => Math.sqrt(squared[row * k]),
    nearestIndex: (row: number) => indices[row * k],
  };
}

/** JSON as Python's `json.dump(obj, f, indent=2)` writes it (for lists and dicts of ints and strings). */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** The TinyImages folder of an extraction; a build from the published files has none. */
export function tinyDirOf(extract: { summary: { tinyDir: string | null } }): string {
  if (!extract.summary.tinyDir) throw new InputError('this stage needs TinyImages pixels, and the build has none (published files only)', 'source');
  return extract.summary.tinyDir;
}

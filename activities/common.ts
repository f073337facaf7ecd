import { readNpy } from '../lib/formats/npy';
import { InputError } from '../lib/errors';
import type { ArtifactStore, StageOutput } from '../lib/store';

/** What every activity factory receives; only worker/ builds it. */
export interface ActivityDeps {
  store: ArtifactStore;
  /** Temporal client, for the simulated labeler and for attaching to other builds. */
  client?: import('@temporalio/client').Client;
}

/** Summary of the extractSources stage: where the inputs are and how big they are. */
export interface ExtractSummary {
  /** Null for a build from the published files: no pixels. */
  tinyDir: string | null;
  groundTruth: string | null;
  tinyCount: number;
  cifarCount: number;
  cifarTrain: number;
  classes: string[];
}

/** One keyword of one class in the candidate subsets. */
export interface SubsetEntry {
  className: string;
  classIndex: number;
  keyword: string;
  /** CIFAR-10 images assigned this keyword (in this class). */
  cifarCount: number;
  /** TinyImages index range of the keyword (metadata is sorted by keyword). */
  start: number;
  end: number;
  /** Rows of candidate_images.npy with this keyword that are not CIFAR-10 images. */
  rows: number[];
}

export interface SubsetsSummary {
  queries: number;
  keywords: number;
  cifarCopies: number;
}

/** Reads a uint8 image array (N×32×32×3) from the store. */
export async function loadImages(store: ArtifactStore, out: StageOutput, name: string): Promise<Uint8Array> {
  const file = store.resolve(out.files[name]);
  const arr = await readNpy(file);
  if (arr.dtype !== 'uint8' || arr.shape.length !== 4 || arr.shape[1] !== 32 || arr.shape[2] !== 32 || arr.shape[3] !== 3) {
    throw new InputError(`expected uint8 N×32×32×3, found ${arr.dtype} ${JSON.stringify(arr.shape)}`, file);
  }
  return arr.data as Uint8Array;
}

/** Reads an int array .npy from the store as Int32Array. */
export async function loadInts(store: ArtifactStore, out: StageOutput, name: string): Promise<Int32Array> {
  const file = store.resolve(out.files[name]);
  const arr = await readNpy(file);
  if (arr.dtype === 'int32') return arr.data as Int32Array;
  if (arr.dtype === 'uint8' || arr.dtype === 'uint16' || arr.dtype === 'int16' || arr.dtype === 'int8') return Int32Array.from(arr.data as ArrayLike<number>);
  throw new InputError(`expected an integer array, found ${arr.dtype}`, file);
}

/** Candidate TinyImages indices (row order of candidate_images.npy) and the rows of each keyword. */
export async function loadSubsets(store: ArtifactStore, subsets: StageOutput) {
  const tiIndices = await loadInts(store, subsets, 'candidate_ti.npy');
  const entries = await store.readJson<SubsetEntry[]>(subsets.files['subsets.json']);
  const rowOf = new Map<number, number>();
  tiIndices.forEach((ti, row) => rowOf.set(ti, row));
  return { tiIndices, entries, rowOf };
}

/** Nearest-neighbour results of all computeDistances shards, by candidate row. */
export async function loadNeighbors(store: ArtifactStore, shards: StageOutput<{ start: number; end: number; k: number }>[]) {
  const total = Math.max(0, ...shards.map((s) => s.summary.end));
  const k = shards[0]?.summary.k ?? 1;
  const indices = new Int32Array(total * k);
  const squared = new Int32Array(total * k);
  for (const shard of shards) {
    indices.set(await loadInts(store, shard, 'neighbors.npy'), shard.summary.start * k);
    squared.set(await loadInts(store, shard, 'distances.npy'), shard.summary.start * k);
  }
  return {
    k,
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
export function tinyDirOf(extract: StageOutput<ExtractSummary>): string {
  if (!extract.summary.tinyDir) throw new InputError('this stage needs TinyImages pixels, and the build has none (published files only)', 'source');
  return extract.summary.tinyDir;
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { check, InputError } from '../errors';
import { CLASSES, type PredictionSet } from './accuracy';

/** Reads a 1-D integer .npy file of class labels (0..9). */
export async function loadLabels(file: string): Promise<Int32Array> {
  const labels = parseNpyIntegers(await readOrFail(file), file);
  checkClasses(labels, file);
  return Int32Array.from(labels);
}

/** Reads a `<model>_predictions.json` file (a JSON array of class indices) of the expected length. */
export async function loadPredictions(file: string, expectedLength: number): Promise<Int32Array> {
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readOrFail(file)).toString('utf8'));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`not valid JSON (${(err as Error).message})`, file);
  }
  check(Array.isArray(parsed), file, 'expected a JSON array of class indices');
  check(
    parsed.length === expectedLength,
    file,
    `${parsed.length} predictions, but the labels have ${expectedLength}`,
  );
  const bad = parsed.findIndex((v) => !Number.isInteger(v));
  check(bad < 0, file, `prediction ${bad} is not an integer: ${JSON.stringify(parsed[bad])}`);
  const predictions = Int32Array.from(parsed as number[]);
  checkClasses(predictions, file);
  return predictions;
}

/** Loads every `<model>_predictions.json` in `dir`, each checked against `labels`. */
export async function loadPredictionSet(dir: string, labels: Int32Array): Promise<PredictionSet> {
  const predictions: Record<string, Int32Array> = {};
  for (const name of (await listDir(dir)).sort()) {
    const model = /^(.+)_predictions\.json$/.exec(name)?.[1];
    if (model) predictions[model] = await loadPredictions(path.join(dir, name), labels.length);
  }
  return { labels, predictions };
}

/** Names of the `<release>_predictions` folders in `predictionsDir`, `original` excluded. */
export async function findReleases(predictionsDir: string): Promise<string[]> {
  const entries = await readdir(predictionsDir, { withFileTypes: true }).catch((err) => {
    throw new InputError(`cannot read predictions folder (${err.code ?? err.message})`, predictionsDir);
  });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => /^(.+)_predictions$/.exec(e.name)?.[1])
    .filter((r): r is string => r !== undefined && r !== 'original')
    .sort();
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch((err) => {
    throw new InputError(`cannot read folder (${err.code ?? err.message})`, dir);
  });
}

async function readOrFail(file: string): Promise<Buffer> {
  return readFile(file).catch((err) => {
    throw new InputError(err.code === 'ENOENT' ? 'file not found' : `cannot read (${err.code ?? err.message})`, file);
  });
}

function checkClasses(values: Int32Array | Float64Array, file: string): void {
  const bad = values.findIndex((v) => v < 0 || v >= CLASSES.length);
  check(bad < 0, file, `entry ${bad} is ${values[bad]}, outside the classes 0..${CLASSES.length - 1}`);
}

// A minimal reader for 1-D little-endian integer .npy files, until the
// project's lib/formats/npy.ts lands; loadLabels is the only caller.
const NPY_INTS: Record<string, [bytes: number, get: (v: DataView, at: number) => number]> = {
  '|u1': [1, (v, at) => v.getUint8(at)],
  '|i1': [1, (v, at) => v.getInt8(at)],
  '<u2': [2, (v, at) => v.getUint16(at, true)],
  '<i2': [2, (v, at) => v.getInt16(at, true)],
  '<u4': [4, (v, at) => v.getUint32(at, true)],
  '<i4': [4, (v, at) => v.getInt32(at, true)],
  '<i8': [8, (v, at) => Number(v.getBigInt64(at, true))],
  '<u8': [8, (v, at) => Number(v.getBigUint64(at, true))],
};

function parseNpyIntegers(buf: Buffer, file: string): Float64Array {
  check(buf.length >= 12 && buf.subarray(0, 6).toString('latin1') === '\x93NUMPY', file, 'not a .npy file');
  const major = buf[6];
  const headerLength = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '?';
  const shape = /'shape':\s*\((\d+),?\)/.exec(header)?.[1];
  const dtype = NPY_INTS[descr];
  check(dtype, file, `labels must be little-endian integers, got dtype '${descr}'`);
  check(shape !== undefined && !/'fortran_order':\s*True/.test(header), file, `labels must be a 1-D array (${header.trim()})`);
  const [bytes, get] = dtype;
  const n = Number(shape);
  const dataStart = start + headerLength;
  check(buf.length >= dataStart + n * bytes, file, `truncated: ${n} labels need ${n * bytes} bytes of data`);
  const view = new DataView(buf.buffer, buf.byteOffset + dataStart, n * bytes);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = get(view, i * bytes);
  return out;
}

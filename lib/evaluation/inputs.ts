import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { check, InputError } from '../errors';
import { parseNpy } from '../formats/npy';
import { CLASSES, type PredictionSet } from './accuracy';

/** Reads a 1-D integer .npy file of class labels (0..9). */
export async function loadLabels(file: string): Promise<Int32Array> {
  const { dtype, shape, data } = parseNpy(await readOrFail(file), file);
  check(!dtype.startsWith('float'), file, `labels must be integers, got ${dtype}`);
  check(shape.length === 1, file, `labels must be a 1-D array, got shape (${shape.join(', ')})`);
  const labels = Float64Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
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

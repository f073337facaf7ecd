import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { findReleases, loadLabels, loadPredictions, loadPredictionSet } from '../../../lib/evaluation/inputs';
import { runPython } from '../../helpers/python';
import { useTempDir } from '../../helpers/temp';

const tmp = useTempDir('evaluation-inputs');
let files = 0;
const cycle = (n: number, shift = 0) => Array.from({ length: n }, (_, i) => (i + shift) % 10);

/** Labels files written by numpy (as the pipeline's real inputs are), all in one python3 run: name → [values, dtype]. */
const LABELS: Record<string, [unknown, string]> = {
  uint8: [[3, 0, 9, 9, 1], 'uint8'],
  uint16: [[3, 0, 9, 9, 1], 'uint16'],
  int32: [[3, 0, 9, 9, 1], 'int32'],
  int64: [[3, 0, 9, 9, 1], 'int64'],
  floats: [cycle(20), 'float32'],
  square: [[cycle(20), cycle(20)], 'int32'],
  twelve: [[...cycle(19), 12], 'int64'],
  negative: [[0, -1], 'int8'],
};
const labelsFile = (name: keyof typeof LABELS) => path.join(tmp(), `${name}.npy`);
beforeAll(() => {
  runPython(
    `import json, os, sys, numpy as np
for name, (values, dtype) in json.load(sys.stdin).items():
    np.save(os.path.join(${JSON.stringify(tmp())}, name + '.npy'), np.array(values, dtype=dtype))`,
    JSON.stringify(LABELS),
  );
});

async function textFile(name: string, text: string): Promise<string> {
  const file = path.join(tmp(), `${++files}`, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** The InputError `run` rejects with; its message must begin with the file at fault. */
async function inputError(run: Promise<unknown>, file: string): Promise<string> {
  const err = await run.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  const { message } = err as InputError;
  expect(message.startsWith(`${file}: `), message).toBe(true);
  return message.slice(file.length + 2);
}

describe('loadLabels', () => {
  it.each(['uint8', 'uint16', 'int32', 'int64'])('reads %s labels as Int32Array', async (dtype) => {
    const labels = await loadLabels(labelsFile(dtype));
    expect(labels).toBeInstanceOf(Int32Array);
    expect([...labels]).toEqual([3, 0, 9, 9, 1]);
  });

  it('rejects float labels, 2-D arrays and classes outside 0..9, naming the file', async () => {
    const floats = labelsFile('floats');
    expect(await inputError(loadLabels(floats), floats)).toBe('labels must be integers, got float32');
    const square = labelsFile('square');
    expect(await inputError(loadLabels(square), square)).toBe('labels must be a 1-D array, got shape (2, 20)');
    const twelve = labelsFile('twelve');
    expect(await inputError(loadLabels(twelve), twelve)).toBe('entry 19 is 12, outside the classes 0..9');
    const negative = labelsFile('negative');
    expect(await inputError(loadLabels(negative), negative)).toBe('entry 1 is -1, outside the classes 0..9');
  });

  it('names a missing file and one that is not .npy', async () => {
    const missing = path.join(tmp(), 'none.npy');
    expect(await inputError(loadLabels(missing), missing)).toBe('file not found');
    const json = await textFile('labels.npy', '[1, 2, 3]');
    expect(await inputError(loadLabels(json), json)).toMatch(/^not a \.npy file/);
  });
});

describe('loadPredictions', () => {
  it('reads a JSON array of class indices of the expected length', async () => {
    const file = await textFile('m_predictions.json', JSON.stringify([0, 9, 4]));
    const predictions = await loadPredictions(file, 3);
    expect(predictions).toBeInstanceOf(Int32Array);
    expect([...predictions]).toEqual([0, 9, 4]);
  });

  it.each([
    ['the wrong length', cycle(19), '19 predictions, but the labels have 20'],
    ['a class of 10', [...cycle(19), 10], 'entry 19 is 10, outside the classes 0..9'],
    ['a negative class', [-1, ...cycle(19)], 'entry 0 is -1, outside the classes 0..9'],
    ['a fraction', [1.5, ...cycle(19)], 'prediction 0 is not an integer: 1.5'],
    ['a string', ['3', ...cycle(19)], 'prediction 0 is not an integer: "3"'],
    ['null', [...cycle(5), null, ...cycle(14)], 'prediction 5 is not an integer: null'],
    ['an object instead of an array', { predictions: cycle(20) }, 'expected a JSON array of class indices'],
  ])('rejects %s, naming the file', async (_what, values, message) => {
    const file = await textFile('m_predictions.json', JSON.stringify(values));
    expect(await inputError(loadPredictions(file, 20), file)).toBe(message);
  });

  it('rejects text that is not JSON, and a missing file', async () => {
    const file = await textFile('m_predictions.json', '[1, 2');
    expect(await inputError(loadPredictions(file, 2), file)).toMatch(/^not valid JSON \(/);
    const missing = path.join(tmp(), 'gone_predictions.json');
    expect(await inputError(loadPredictions(missing, 2), missing)).toBe('file not found');
  });
});

describe('loadPredictionSet', () => {
  it('loads every <model>_predictions.json of a folder, and nothing else', async () => {
    const dir = path.dirname(await textFile('zeta_predictions.json', JSON.stringify([1, 1])));
    await writeFile(path.join(dir, 'alpha_predictions.json'), JSON.stringify([0, 2]));
    await writeFile(path.join(dir, 'notes.txt'), 'not a model');
    await writeFile(path.join(dir, '_predictions.json'), JSON.stringify([0])); // no model name
    await writeFile(path.join(dir, 'beta_predictions.json.bak'), JSON.stringify([0]));
    const labels = Int32Array.of(1, 2);
    const set = await loadPredictionSet(dir, labels);
    expect(set.labels).toBe(labels);
    expect(Object.keys(set.predictions)).toEqual(['alpha', 'zeta']);
    expect([Array.from(set.predictions.alpha), Array.from(set.predictions.zeta)]).toEqual([[0, 2], [1, 1]]);
  });

  it('checks each file against the labels and names a missing folder', async () => {
    const file = await textFile('short_predictions.json', JSON.stringify([1]));
    expect(await inputError(loadPredictionSet(path.dirname(file), Int32Array.of(1, 2)), file)).toBe('1 predictions, but the labels have 2');
    const missing = path.join(tmp(), 'no-such-folder');
    expect(await inputError(loadPredictionSet(missing, Int32Array.of(1)), missing)).toBe('cannot read folder (ENOENT)');
  });
});

describe('findReleases', () => {
  it('lists the <release>_predictions folders, sorted, without original and without files', async () => {
    const dir = path.join(tmp(), 'predictions');
    for (const sub of ['v6_predictions', 'original_predictions', 'v4_predictions', 'scratch', 'v10_predictions']) await mkdir(path.join(dir, sub), { recursive: true });
    await writeFile(path.join(dir, 'v5_predictions'), 'a file, not a folder');
    expect(await findReleases(dir)).toEqual(['v10', 'v4', 'v6']);
  });

  it('names a predictions folder it cannot read', async () => {
    const missing = path.join(tmp(), 'absent');
    expect(await inputError(findReleases(missing), missing)).toBe('cannot read predictions folder (ENOENT)');
  });
});

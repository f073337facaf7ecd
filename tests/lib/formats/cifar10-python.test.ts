import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { writeCifar10 } from '../../../lib/formats/cifar10';
import { PYTHON_LAYOUT } from '../../../lib/formats/cifar10-python';
import { writePython } from '../../helpers/cifar10-files';
import { runPython } from '../../helpers/python';
import { useTempDir } from '../../helpers/temp';

const tmp = useTempDir('cifar10-python');
const SUBJECT = 'cifar-10-python.tar.gz: member cifar-10-batches-py/data_batch_1';
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/**
 * Pickles written by Python 3 and numpy, by name (base64), and numpy's own HWC
 * view of the two images in them. Two 3072-byte channel-planar images, labels
 * [3, 9]; the other cases each break one thing.
 */
const PICKLES = `
import base64, json, os, pickle, sys
import numpy as np
marker = sys.argv[1]
planar = (np.arange(2 * 3072) * 7 % 256).astype(np.uint8).reshape(2, 3072)
def batch(data=planar, labels=[3, 9], drop=None):
    d = {b'batch_label': b'testing batch 1 of 1', b'labels': labels, b'data': data}
    if drop: del d[drop]
    return d
reconstruct, args, state = planar.__reduce__()
class Short:  # an ndarray whose data holds 100 bytes where its shape needs 6144
    def __reduce__(self):
        return reconstruct, args, state[:4] + (b'\\x00' * 100,)
class Evil:  # what a malicious pickle does: call os.system when loaded
    def __reduce__(self):
        return os.system, ('touch ' + marker,)
names = [n.encode() for n in ${JSON.stringify(CLASSES.slice(0, 9))}] + ['caf\\u00e9'.encode('utf-8')]
cases = {
    'p2': pickle.dumps(batch(), protocol=2),
    'p3': pickle.dumps(batch(), protocol=3),
    'p4': pickle.dumps(batch(), protocol=4),
    'p5': pickle.dumps(batch(), protocol=5),
    'fortran': pickle.dumps(batch(data=np.asfortranarray(planar)), protocol=2),
    'float': pickle.dumps(batch(data=planar.astype(np.float32)), protocol=2),
    'flat': pickle.dumps(batch(data=planar.reshape(-1)), protocol=2),
    'short': pickle.dumps(batch(data=Short()), protocol=2),
    'bytes': pickle.dumps(batch(data=planar.tobytes()), protocol=3),
    'evil': pickle.dumps(batch(data=Evil()), protocol=2),
    'labelsArray': pickle.dumps(batch(labels=np.array([3, 9])), protocol=2),
    'oneLabel': pickle.dumps(batch(labels=[3]), protocol=2),
    'negative': pickle.dumps(batch(labels=[3, -1]), protocol=2),
    'fraction': pickle.dumps(batch(labels=[2.5, 9]), protocol=2),
    'large': pickle.dumps(batch(labels=[3, 256]), protocol=2),
    'noLabels': pickle.dumps(batch(drop=b'labels'), protocol=2),
    'list': pickle.dumps([planar], protocol=2),
    'cut': pickle.dumps(batch(), protocol=2)[:5000],
    'meta': pickle.dumps({b'num_cases_per_batch': 10000, b'label_names': names, b'num_vis': 3072}, protocol=2),
    'meta4': pickle.dumps({b'label_names': names}, protocol=4),
    'meta11': pickle.dumps({b'label_names': names + [b'boat']}, protocol=2),
    'metaDict': pickle.dumps({b'label_names': {b'a': 1}}, protocol=2),
}
out = {k: base64.b64encode(v).decode() for k, v in cases.items()}
out['hwc'] = base64.b64encode(planar.reshape(2, 3, 32, 32).transpose(0, 2, 3, 1).tobytes()).decode()
print(json.dumps(out))
`;

let pickles: Record<string, Buffer>;
let marker: string;
const batch = (name: string) => PYTHON_LAYOUT.decodeBatch(pickles[name], SUBJECT);
const meta = (name: string) => PYTHON_LAYOUT.decodeMeta(pickles[name], SUBJECT);

beforeAll(() => {
  marker = path.join(tmp(), 'the-pickle-ran-code');
  const out: Record<string, string> = JSON.parse(runPython(`import sys; sys.argv = ['x', ${JSON.stringify(marker)}]\n${PICKLES}`));
  pickles = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
});

describe('PYTHON_LAYOUT', () => {
  it('names the files of cifar-10-batches-py', () => {
    expect(PYTHON_LAYOUT).toMatchObject({
      folder: 'cifar-10-batches-py',
      train: ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'],
      test: 'test_batch',
      meta: 'batches.meta',
    });
  });
});

describe('decodeBatch', () => {
  it.each(['p2', 'p3', 'p4', 'p5'])('reads a batch Python 3 pickled (%s) as numpy\'s HWC images and the labels', (name) => {
    const { images, labels } = batch(name);
    expect(Buffer.from(images).equals(pickles.hwc)).toBe(true);
    expect(Array.from(labels)).toEqual([3, 9]);
    expect(labels).toBeInstanceOf(Uint8Array);
  });

  it('reads a batch as CIFAR-10\'s own files are pickled (Python 2 str opcodes), every byte value intact', async () => {
    // Bytes 0x80–0x9f are the ones a windows-1252 decode of a Python 2 str would change.
    const images = Uint8Array.from({ length: 10 * 3072 }, (_, i) => (i * 7 + (i >> 11)) & 255);
    const labels = Uint8Array.from({ length: 10 }, (_, i) => (i * 3) % 10);
    const bin = path.join(tmp(), 'cifar-10-batches-bin');
    await writeCifar10(bin, { classNames: CLASSES, train: { images, labels }, test: { images: images.subarray(0, 3072), labels: labels.subarray(0, 1) } });
    const folder = path.join(await writePython(bin, 'py2'), 'cifar-10-batches-py');
    const first = PYTHON_LAYOUT.decodeBatch(await readFile(path.join(folder, 'data_batch_1')), 'data_batch_1');
    expect(Buffer.from(first.images).equals(Buffer.from(images.subarray(0, 2 * 3072)))).toBe(true);
    expect(Array.from(first.labels)).toEqual([0, 3]);
    expect(PYTHON_LAYOUT.decodeMeta(await readFile(path.join(folder, 'batches.meta')), 'batches.meta')).toEqual(CLASSES);
  });

  it.each([
    ['fortran', `b'data' is in Fortran order, expected C order`],
    ['float', `b'data' has dtype <f4, expected uint8 ('u1')`],
    ['flat', `b'data' has shape (6144), expected (N, 3072)`],
    ['short', `b'data' holds 100 bytes, but its shape (2, 3072) needs 6144`],
    ['bytes', `b'data' is not a numpy array`],
    ['labelsArray', `b'labels' is not a list`],
    ['oneLabel', '1 labels for 2 images'],
    ['negative', 'record 1 has label -1, expected a class index'],
    ['fraction', 'record 0 has label 2.5, expected a class index'],
    ['large', 'record 1 has label 256, expected a class index'],
    ['noLabels', `no key b'labels' (keys: b'batch_label', b'data')`],
    ['list', 'the pickle does not hold a dict'],
  ])('refuses %s with an InputError naming the batch', (name, message) => {
    expect(() => batch(name)).toThrow(new InputError(message, SUBJECT));
  });

  it('refuses a pickle cut short, naming the batch', () => {
    expect(() => batch('cut')).toThrow(InputError);
    expect(() => batch('cut')).toThrow(new RegExp(`^${SUBJECT}: not a readable pickle: `));
  });

  it('never runs what a pickle asks to run: a call to os.system is refused as data, and nothing happens', () => {
    expect(() => batch('evil')).toThrow(new InputError(`b'data' is not a numpy array`, SUBJECT));
    expect(existsSync(marker)).toBe(false);
  });
});

describe('decodeMeta', () => {
  it.each(['meta', 'meta4'])('reads the ten class names as UTF-8 (%s)', (name) => {
    expect(meta(name)).toEqual([...CLASSES.slice(0, 9), 'café']);
  });

  it('refuses other than ten names, or names that are not a list', () => {
    expect(() => meta('meta11')).toThrow(new InputError('expected 10 class names, found 11', SUBJECT));
    expect(() => meta('metaDict')).toThrow(new InputError(`b'label_names' is not a list`, SUBJECT));
    expect(() => meta('p2')).toThrow(new InputError(`no key b'label_names' (keys: b'batch_label', b'labels', b'data')`, SUBJECT));
  });
});

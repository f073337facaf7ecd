import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { type Cifar10, readCifar10, writeCifar10 } from '../../../lib/formats/cifar10';
import { readCifar10Source } from '../../../lib/formats/cifar10-archive';
import { tempDir } from '../../helpers/build';
import { runPython } from '../../helpers/python';

const classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`);

/** n HWC images whose bytes cover 0..255 (so bytes 0x80–0x9f, which a windows-1252 decode would change, are in them). */
function split(n: number, seed: number) {
  const images = new Uint8Array(n * 3072).map((_, i) => (i * 7 + seed * 31 + (i >> 11)) & 255);
  const labels = new Uint8Array(n).map((_, i) => (i * 7 + seed) % 10);
  return { images, labels };
}

/**
 * Writes the python version from the binary folder `bin`, with numpy, as
 * CIFAR-10's own files were written: by Python 2's cPickle, protocol 2, so a
 * dict of Python 2 str keys (SHORT_BINSTRING), the pixels as one BINSTRING
 * inside numpy.core.multiarray._reconstruct, labels a list of ints. Python 3
 * cannot write Python 2 str, so the 'py2' variant uses a pickler that writes
 * them as cPickle did; 'p2', 'p4', 'p5' are Python 3's own protocols.
 * `damage` edits the batches before pickling: {name: python expression of d}.
 * Then packs `cifar-10-batches-py/` into `cifar-10-python.tar.gz` with tarfile.
 */
const WRITE_PYTHON = `
import json, os, pickle, struct, sys, tarfile
import numpy as np
src, out, variant, damage = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])

class Py2Pickler(pickle._Pickler):
    dispatch = pickle._Pickler.dispatch.copy()
    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode('ascii')
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack('<i', len(data)) + data)
        self.memoize(obj)
    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str
    def save_global(self, obj, name=None):
        module = obj.__module__.replace('numpy._core', 'numpy.core')
        self.write(pickle.GLOBAL + ('%s\\n%s\\n' % (module, name or obj.__qualname__)).encode())
        self.memoize(obj)
    def reducer_override(self, obj):
        if isinstance(obj, np.dtype):  # numpy of 2009 pickled dtype('u1', 0, 1)
            _, args, state = obj.__reduce__()
            return np.dtype, (args[0], 0, 1), state
        return NotImplemented

def dump(obj, f):
    if variant == 'py2':
        Py2Pickler(f, protocol=2).dump(obj)
    else:
        pickle.dump(obj, f, protocol=int(variant[1:]))

folder = os.path.join(out, 'cifar-10-batches-py')
os.makedirs(folder)
names = ['data_batch_%d' % i for i in range(1, 6)] + ['test_batch']
for i, name in enumerate(names):
    rec = np.frombuffer(open(os.path.join(src, name + '.bin'), 'rb').read(), np.uint8).reshape(-1, 3073)
    d = {b'batch_label': b'batch %d' % i, b'labels': rec[:, 0].tolist(), b'data': rec[:, 1:].copy(),
         b'filenames': [b'image_%d.png' % j for j in range(len(rec))]}
    if name in damage:
        exec(damage[name])
    with open(os.path.join(folder, name), 'wb') as f:
        dump(d, f)
meta = {b'num_cases_per_batch': 10, b'label_names': [n.encode() for n in open(os.path.join(src, 'batches.meta.txt')).read().split()], b'num_vis': 3072}
if 'batches.meta' in damage:
    exec(damage['batches.meta'].replace('d[', 'meta['))
with open(os.path.join(folder, 'batches.meta'), 'wb') as f:
    dump(meta, f)
open(os.path.join(folder, 'readme.html'), 'w').write('<html></html>')
with tarfile.open(os.path.join(out, 'cifar-10-python.tar.gz'), 'w:gz') as t:
    t.add(folder, arcname='cifar-10-batches-py')
`;

async function writePython(bin: string, variant: 'py2' | 'p2' | 'p4' | 'p5', damage: Record<string, string> = {}): Promise<string> {
  const out = await tempDir('cifar-py');
  runPython(`import sys; sys.argv = ${JSON.stringify(['fixture', bin, out, variant, JSON.stringify(damage)])}\n${WRITE_PYTHON}`);
  return out;
}

/** A gzipped tar of `entries` (a name ending in / is a folder), written with tar-stream. */
async function tarGz(entries: [string, Buffer?][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, bytes] of entries) {
    if (bytes) pack.entry({ name }, bytes);
    else pack.entry({ name, type: 'directory' });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** Packs the binary folder's files into `cifar-10-binary.tar.gz` in the real layout (`cifar-10-batches-bin/…`). */
async function writeBinaryArchive(bin: string, out: string, skip: string[] = [], replace: Record<string, Buffer> = {}): Promise<string> {
  const entries: [string, Buffer?][] = [['cifar-10-batches-bin/']];
  for (const name of ['batches.meta.txt', ...TRAIN.map((n) => `${n}.bin`), 'test_batch.bin', 'readme.html']) {
    if (skip.includes(name)) continue;
    const bytes = replace[name] ?? (name === 'readme.html' ? Buffer.from('<html></html>') : await readFile(path.join(bin, name)));
    entries.push([`cifar-10-batches-bin/${name}`, bytes]);
  }
  const file = path.join(out, 'cifar-10-binary.tar.gz');
  await writeFile(file, await tarGz(entries));
  return file;
}

describe('readCifar10Source', () => {
  const data: Cifar10 = { classNames, train: split(50, 1), test: split(13, 2) };
  let root: string;
  let bin: string;
  let py: string;

  beforeAll(async () => {
    root = await tempDir('cifar-src');
    bin = path.join(root, 'cifar-10-batches-bin');
    await writeCifar10(bin, data);
    py = await writePython(bin, 'py2');
  });

  it('reads the python and binary archives and both unpacked folders to the same bytes', async () => {
    const binArchive = await writeBinaryArchive(bin, root);
    const expected = await readCifar10(bin);
    expect(expected).toEqual(data);
    for (const source of [bin, root, binArchive, path.join(py, 'cifar-10-batches-py'), py, path.join(py, 'cifar-10-python.tar.gz')]) {
      const got = await readCifar10Source(source);
      expect(got.classNames, source).toEqual(classNames);
      expect(Buffer.from(got.train.images).equals(Buffer.from(data.train.images)), source).toBe(true);
      expect(got.train.labels, source).toEqual(data.train.labels);
      expect(got.test, source).toEqual(data.test);
    }
  });

  it('reads the fixture as the real file is pickled: Python 2 str opcodes and numpy.core names', async () => {
    const head = (await readFile(path.join(py, 'cifar-10-batches-py', 'data_batch_1'))).subarray(0, 400).toString('latin1');
    expect(head.startsWith('\x80\x02}')).toBe(true);
    expect(head).toContain('U\x04data');
    expect(head).toContain('cnumpy.core.multiarray\n_reconstruct\n');
    expect(head).toContain('cnumpy\ndtype\n');
    expect(head).toMatch(/T\x00\x78\x00\x00/); // BINSTRING of 10 × 3072 = 30720 bytes
  });

  it.each(['p2', 'p4', 'p5'] as const)('reads batches pickled again by Python 3 (%s: protocol 2, 4, 5)', async (variant) => {
    const dir = await writePython(bin, variant);
    expect(await readCifar10Source(dir)).toEqual(data);
  });

  describe('bad inputs fail with an InputError naming the file and member', () => {
    it('a truncated archive (python and binary)', async () => {
      const archive = path.join(py, 'cifar-10-python.tar.gz');
      const cut = path.join(await tempDir('cifar-cut'), 'cifar-10-python.tar.gz');
      await writeFile(cut, (await readFile(archive)).subarray(0, Math.floor((await readFile(archive)).length * 0.6)));
      await expect(readCifar10Source(cut)).rejects.toThrow(InputError);
      await expect(readCifar10Source(cut)).rejects.toThrow(
        new RegExp(`^${cut}: truncated or corrupt archive \\(in member cifar-10-batches-py/\\w+\\): unexpected end of file$`),
      );

      const binArchive = await writeBinaryArchive(bin, await tempDir('cifar-cut'));
      await truncate(binArchive, Math.floor((await readFile(binArchive)).length * 0.6));
      await expect(readCifar10Source(binArchive)).rejects.toThrow(/cifar-10-binary\.tar\.gz: truncated or corrupt archive \(in member cifar-10-batches-bin\/data_batch_\d\.bin\)/);
    });

    it('a missing batch', async () => {
      const archive = await writeBinaryArchive(bin, await tempDir('cifar-miss'), ['data_batch_4.bin']);
      await expect(readCifar10Source(archive)).rejects.toThrow(`${archive}: no member cifar-10-batches-bin/data_batch_4.bin: a batch is missing`);

      const dir = await writePython(bin, 'py2');
      await rm(path.join(dir, 'cifar-10-batches-py', 'test_batch'));
      await expect(readCifar10Source(dir)).rejects.toThrow(`${path.join(dir, 'cifar-10-batches-py', 'test_batch')}: file not found`);
    });

    it('a batch of the wrong size, shape or dtype', async () => {
      const member = (dir: string, name: string) => `${path.join(dir, 'cifar-10-python.tar.gz')}: member cifar-10-batches-py/${name}`;
      const fewer = await writePython(bin, 'py2', { data_batch_3: `d[b'data'] = d[b'data'][:7]; d[b'labels'] = d[b'labels'][:7]` });
      await expect(readCifar10Source(path.join(fewer, 'cifar-10-python.tar.gz'))).rejects.toThrow(
        `${member(fewer, 'data_batch_3')}: 7 images, but data_batch_1 has 10: the training batches must be the same size`,
      );
      const shape = await writePython(bin, 'py2', { data_batch_2: `d[b'data'] = d[b'data'][:, :3000].copy()` });
      await expect(readCifar10Source(path.join(shape, 'cifar-10-python.tar.gz'))).rejects.toThrow(
        `${member(shape, 'data_batch_2')}: b'data' has shape (10, 3000), expected (N, 3072)`,
      );
      const dtype = await writePython(bin, 'py2', { test_batch: `d[b'data'] = d[b'data'].astype(np.int64)` });
      await expect(readCifar10Source(path.join(dtype, 'cifar-10-python.tar.gz'))).rejects.toThrow(
        `${member(dtype, 'test_batch')}: b'data' has dtype <i8, expected uint8 ('u1')`,
      );
      const labels = await writePython(bin, 'p2', { data_batch_5: `d[b'labels'] = d[b'labels'][:-1]` });
      await expect(readCifar10Source(labels)).rejects.toThrow(`${path.join(labels, 'cifar-10-batches-py', 'data_batch_5')}: 9 labels for 10 images`);

      const odd = Buffer.concat([await readFile(path.join(bin, 'data_batch_2.bin')), Buffer.alloc(100)]);
      const archive = await writeBinaryArchive(bin, await tempDir('cifar-odd'), [], { 'data_batch_2.bin': odd });
      await expect(readCifar10Source(archive)).rejects.toThrow(
        `${archive}: member cifar-10-batches-bin/data_batch_2.bin: size 30830 is not a multiple of 3073 bytes per record`,
      );
    });

    it('a wrong class count, a label out of range, a batch that is not a pickle', async () => {
      const meta = await writePython(bin, 'py2', { 'batches.meta': `d[b'label_names'] = d[b'label_names'][:9]` });
      await expect(readCifar10Source(meta)).rejects.toThrow(`${path.join(meta, 'cifar-10-batches-py', 'batches.meta')}: expected 10 class names, found 9`);
      const label = await writePython(bin, 'py2', { data_batch_1: `d[b'labels'][4] = 10` });
      await expect(readCifar10Source(label)).rejects.toThrow(`${path.join(label, 'cifar-10-batches-py', 'data_batch_1')}: record 4 has label 10, expected 0..9`);
      const garbage = await writePython(bin, 'py2');
      const file = path.join(garbage, 'cifar-10-batches-py', 'data_batch_2');
      await writeFile(file, (await readFile(file)).subarray(0, 5000));
      await expect(readCifar10Source(garbage)).rejects.toThrow(new RegExp(`^${file}: not a readable pickle: .*end of file`));
    });

    it('a path that is none of the accepted forms', async () => {
      const dir = await tempDir('cifar-none');
      await expect(readCifar10Source(path.join(dir, 'nothing.tar.gz'))).rejects.toThrow(/nothing\.tar\.gz: not found; expected cifar-10-python\.tar\.gz, cifar-10-binary\.tar\.gz, or either one unpacked/);
      await expect(readCifar10Source(dir)).rejects.toThrow(`${dir}: not a CIFAR-10 folder: expected cifar-10-python.tar.gz`);
      const text = path.join(dir, 'notes.txt');
      await writeFile(text, 'hello');
      await expect(readCifar10Source(text)).rejects.toThrow(`${text}: not a gzip or tar archive`);
      const other = path.join(dir, 'other.tar.gz');
      await writeFile(other, await tarGz([['photos/cat.png', Buffer.from('png')]]));
      await expect(readCifar10Source(other)).rejects.toThrow(`${other}: no CIFAR-10 batches inside`);
    });
  });
});

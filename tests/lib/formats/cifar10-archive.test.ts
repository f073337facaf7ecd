import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { type Cifar10, readCifar10, writeCifar10 } from '../../../lib/formats/cifar10';
import { readCifar10Source } from '../../../lib/formats/cifar10-archive';
import { tempDir } from '../../helpers/build';
import { tarGz, writeBinaryArchive, writePython } from '../../helpers/cifar10-files';

const classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** n HWC images whose bytes cover 0..255 (so bytes 0x80–0x9f, which a windows-1252 decode would change, are in them). */
function split(n: number, seed: number) {
  const images = new Uint8Array(n * 3072).map((_, i) => (i * 7 + seed * 31 + (i >> 11)) & 255);
  const labels = new Uint8Array(n).map((_, i) => (i * 7 + seed) % 10);
  return { images, labels };
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

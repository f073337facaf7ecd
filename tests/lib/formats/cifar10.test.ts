import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/errors';
import { type Cifar10, cifarToHWC, hwcToCifar, readCifar10, writeCifar10 } from '../../../lib/formats/cifar10';

const classNames = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function split(n: number, seed: number) {
  const images = new Uint8Array(n * 3072).map((_, i) => (i * 13 + seed * 7 + (i >> 10)) & 255);
  const labels = new Uint8Array(n).map((_, i) => (i * 3 + seed) % 10);
  return { images, labels };
}

async function written(data: Cifar10) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cifar-'));
  await writeCifar10(dir, data);
  return dir;
}

describe('CIFAR-10 binary format', () => {
  it('converts planar (ch*1024 + r*32 + c) to HWC and back', () => {
    const planar = new Uint8Array(2 * 3072).map((_, i) => (i * 31) & 255);
    const hwc = cifarToHWC(planar, new Uint8Array(planar.length), 2);
    expect(hwc[3072 + (5 * 32 + 7) * 3 + 2]).toBe(planar[3072 + 2 * 1024 + 5 * 32 + 7]);
    expect(hwcToCifar(hwc, new Uint8Array(hwc.length), 2)).toEqual(planar);
  });

  it('writes five training batches, the test batch and the class names in the real layout', async () => {
    const data = { classNames, train: split(50, 1), test: split(7, 2) };
    const dir = await written(data);
    expect((await readdir(dir)).sort()).toEqual(['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
    expect(await readFile(path.join(dir, 'batches.meta.txt'), 'utf8')).toBe(`${classNames.join('\n')}\n`);

    const batch3 = await readFile(path.join(dir, 'data_batch_3.bin'));
    expect(batch3.length).toBe(10 * 3073);
    const [i, r, c, ch] = [24, 17, 4, 1]; // image 24 is record 4 of batch 3
    expect(batch3[4 * 3073]).toBe(data.train.labels[i]);
    expect(batch3[4 * 3073 + 1 + ch * 1024 + r * 32 + c]).toBe(data.train.images[i * 3072 + (r * 32 + c) * 3 + ch]);

    expect(await readCifar10(dir)).toEqual(data);
  });

  it('reads batches of any size (not only 10,000), but the training batches must agree', async () => {
    const dir = await written({ classNames, train: split(10, 3), test: split(4, 4) });
    expect((await readCifar10(dir)).train).toEqual(split(10, 3));
    const first = await readFile(path.join(dir, 'data_batch_1.bin'));
    const second = await readFile(path.join(dir, 'data_batch_2.bin'));
    await writeFile(path.join(dir, 'data_batch_1.bin'), Buffer.concat([first, second]));
    await writeFile(path.join(dir, 'data_batch_2.bin'), Buffer.alloc(0));
    await expect(readCifar10(dir)).rejects.toThrow(
      `${path.join(dir, 'data_batch_2.bin')}: 0 images, but data_batch_1.bin has 4: the training batches must be the same size`,
    );
  });

  describe('rejects bad files with an InputError naming the file', () => {
    const base = () => written({ classNames, train: split(5, 5), test: split(3, 6) });

    it('a size that is not a multiple of 3073', async () => {
      const dir = await base();
      const file = path.join(dir, 'test_batch.bin');
      await writeFile(file, (await readFile(file)).subarray(0, 3073 * 2 + 100));
      await expect(readCifar10(dir)).rejects.toThrow(`${file}: size 6246 is not a multiple of 3073 bytes per record`);
    });

    it('a label out of range', async () => {
      const dir = await base();
      const file = path.join(dir, 'data_batch_4.bin');
      const bytes = await readFile(file);
      bytes[0] = 10;
      await writeFile(file, bytes);
      await expect(readCifar10(dir)).rejects.toThrow(`${file}: record 0 has label 10, expected 0..9`);
    });

    it('the wrong number of class names', async () => {
      const dir = await base();
      const file = path.join(dir, 'batches.meta.txt');
      await writeFile(file, 'cat\ndog\n\n');
      await expect(readCifar10(dir)).rejects.toThrow(`${file}: expected 10 class names, found 2`);
    });

    it('a missing batch', async () => {
      const dir = await base();
      const file = path.join(dir, 'data_batch_5.bin');
      await rm(file);
      await expect(readCifar10(dir)).rejects.toThrow(InputError);
      await expect(readCifar10(dir)).rejects.toThrow(`${file}: file not found`);
    });
  });

  it('refuses to write a training split that does not make five equal batches', async () => {
    await expect(written({ classNames, train: split(7, 1), test: split(1, 1) })).rejects.toThrow(/7 training images do not split into 5 equal batches/);
  });
});

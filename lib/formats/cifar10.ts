import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { check } from '../errors';
import { inputFileSize, writeFileAtomic } from './files';
import { IMAGE_BYTES } from './tinyimages';

/** One split of CIFAR-10: images in HWC layout and one label per image. */
export interface Cifar10Split {
  images: Uint8Array;
  labels: Uint8Array;
}

export interface Cifar10 {
  classNames: string[];
  train: Cifar10Split;
  test: Cifar10Split;
}

const RECORD_BYTES = 1 + IMAGE_BYTES;
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';
const META_FILE = 'batches.meta.txt';

/** Converts n images from CIFAR-10's channel-planar layout ((r, c, ch) at ch*1024 + r*32 + c) to HWC. */
export function cifarToHWC(src: Uint8Array, dst: Uint8Array, n: number): Uint8Array {
  for (let base = 0; base < n * IMAGE_BYTES; base += IMAGE_BYTES) {
    for (let p = 0, d = base; p < 1024; p++) {
      dst[d++] = src[base + p];
      dst[d++] = src[base + p + 1024];
      dst[d++] = src[base + p + 2048];
    }
  }
  return dst;
}

/** Converts n images from HWC to CIFAR-10's channel-planar layout; the inverse of cifarToHWC. */
export function hwcToCifar(src: Uint8Array, dst: Uint8Array, n: number): Uint8Array {
  for (let base = 0; base < n * IMAGE_BYTES; base += IMAGE_BYTES) {
    for (let p = 0, s = base; p < 1024; p++) {
      dst[base + p] = src[s++];
      dst[base + p + 1024] = src[s++];
      dst[base + p + 2048] = src[s++];
    }
  }
  return dst;
}

/** Reads the binary version of CIFAR-10 (`cifar-10-batches-bin`): five training batches, the test batch, the class names. */
export async function readCifar10(dir: string): Promise<Cifar10> {
  const metaFile = path.join(dir, META_FILE);
  await inputFileSize(metaFile);
  const classNames = (await readFile(metaFile, 'utf8')).split('\n').map((l) => l.trim()).filter(Boolean);
  check(classNames.length === 10, metaFile, `expected 10 class names, found ${classNames.length}`);
  const train = await readBatches(TRAIN_FILES.map((f) => path.join(dir, f)), classNames.length);
  const test = await readBatches([path.join(dir, TEST_FILE)], classNames.length);
  return { classNames, train, test };
}

async function readBatches(files: string[], classes: number): Promise<Cifar10Split> {
  const batches: Buffer[] = [];
  for (const file of files) {
    const size = await inputFileSize(file);
    check(size % RECORD_BYTES === 0, file, `size ${size} is not a multiple of ${RECORD_BYTES} bytes per record`);
    batches.push(await readFile(file));
  }
  const n = batches.reduce((sum, b) => sum + b.length / RECORD_BYTES, 0);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let i = 0;
  batches.forEach((batch, b) => {
    for (let at = 0; at < batch.length; at += RECORD_BYTES, i++) {
      check(batch[at] < classes, files[b], `record ${at / RECORD_BYTES} has label ${batch[at]}, expected 0..${classes - 1}`);
      labels[i] = batch[at];
      cifarToHWC(batch.subarray(at + 1, at + RECORD_BYTES), images.subarray(i * IMAGE_BYTES), 1);
    }
  });
  return { images, labels };
}

/** Writes CIFAR-10 in the binary format, atomically file by file; the training split goes into five equal batches. */
export async function writeCifar10(dir: string, { classNames, train, test }: Cifar10): Promise<void> {
  check(classNames.length === 10, dir, `expected 10 class names, got ${classNames.length}`);
  for (const [name, split] of [['train', train], ['test', test]] as const) {
    check(split.images.length === split.labels.length * IMAGE_BYTES, dir, `${name}: ${split.images.length} image bytes for ${split.labels.length} labels`);
    check(split.labels.every((l) => l < classNames.length), dir, `${name}: labels must be below ${classNames.length}`);
  }
  check(train.labels.length % 5 === 0, dir, `${train.labels.length} training images do not split into 5 equal batches`);
  await mkdir(dir, { recursive: true });
  const perBatch = train.labels.length / 5;
  for (const [b, file] of TRAIN_FILES.entries()) {
    const [lo, hi] = [b * perBatch, (b + 1) * perBatch];
    const batch = { images: train.images.subarray(lo * IMAGE_BYTES, hi * IMAGE_BYTES), labels: train.labels.subarray(lo, hi) };
    await writeFileAtomic(path.join(dir, file), encodeBatch(batch));
  }
  await writeFileAtomic(path.join(dir, TEST_FILE), encodeBatch(test));
  await writeFileAtomic(path.join(dir, META_FILE), Buffer.from(`${classNames.join('\n')}\n`));
}

function encodeBatch({ images, labels }: Cifar10Split): Uint8Array {
  const out = new Uint8Array(labels.length * RECORD_BYTES);
  labels.forEach((label, i) => {
    out[i * RECORD_BYTES] = label;
    hwcToCifar(images.subarray(i * IMAGE_BYTES), out.subarray(i * RECORD_BYTES + 1), 1);
  });
  return out;
}

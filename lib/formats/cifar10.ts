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

/** Bytes per record of the binary version: the label, then the image. */
const RECORD_BYTES = 1 + IMAGE_BYTES;

/**
 * Where a distribution of CIFAR-10 keeps its parts and how to decode them: the
 * binary version (`cifar-10-batches-bin/`) or the python one
 * (`cifar-10-batches-py/`, lib/formats/cifar10-python.ts).
 */
export interface Cifar10Layout {
  /** The folder the distributed archive unpacks to. */
  folder: string;
  /** The five training batches, in order. */
  train: string[];
  test: string;
  /** The file with the class names. */
  meta: string;
  /** Decodes one batch to HWC images and labels; `subject` names it in errors. */
  decodeBatch(bytes: Uint8Array, subject: string): Cifar10Split;
  /** Decodes the class names. */
  decodeMeta(bytes: Uint8Array, subject: string): string[];
}

/** A part of a CIFAR-10 distribution: its bytes and how errors name it (a file, or an archive member). */
export interface Cifar10Member {
  subject: string;
  bytes: Uint8Array;
}

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
  return assembleCifar10(BINARY_LAYOUT, folderMembers(dir));
}

/** The members of an unpacked distribution, read from `dir` by name; a missing one is an InputError naming the file. */
export function folderMembers(dir: string): (name: string) => Promise<Cifar10Member> {
  return async (name) => {
    const file = path.join(dir, name);
    await inputFileSize(file);
    return { subject: file, bytes: await readFile(file) };
  };
}

/**
 * Decodes a CIFAR-10 distribution laid out as `layout` from its members,
 * fetched one at a time by name: the class names, five training batches of
 * equal size, the test batch.
 */
export async function assembleCifar10(layout: Cifar10Layout, member: (name: string) => Promise<Cifar10Member>): Promise<Cifar10> {
  const meta = await member(layout.meta);
  const classNames = layout.decodeMeta(meta.bytes, meta.subject);
  const decode = async (names: string[], equalSizes: boolean) => {
    const batches = [];
    for (const name of names) {
      const { subject, bytes } = await member(name);
      batches.push({ subject, split: layout.decodeBatch(bytes, subject) });
    }
    return joinBatches(batches, classNames.length, equalSizes);
  };
  return { classNames, train: await decode(layout.train, true), test: await decode([layout.test], false) };
}

/** The binary version: `data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`, `batches.meta.txt`. */
export const BINARY_LAYOUT: Cifar10Layout = {
  folder: 'cifar-10-batches-bin',
  train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
  test: 'test_batch.bin',
  meta: 'batches.meta.txt',
  decodeBatch: decodeBinaryBatch,
  decodeMeta: (bytes, subject) => parseBinaryMeta(Buffer.from(bytes).toString('utf8'), subject),
};

/** The class names of the binary version's `batches.meta.txt`: one per line, blank lines ignored; ten of them. */
function parseBinaryMeta(text: string, subject: string): string[] {
  const classNames = text.split('\n').map((l) => l.trim()).filter(Boolean);
  check(classNames.length === 10, subject, `expected 10 class names, found ${classNames.length}`);
  return classNames;
}

/** Decodes one batch of the binary version (records of a label byte and 3,072 channel-planar bytes) to HWC; `subject` names it in errors. */
function decodeBinaryBatch(bytes: Uint8Array, subject: string): Cifar10Split {
  check(bytes.length % RECORD_BYTES === 0, subject, `size ${bytes.length} is not a multiple of ${RECORD_BYTES} bytes per record`);
  const n = bytes.length / RECORD_BYTES;
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = bytes[i * RECORD_BYTES];
    cifarToHWC(bytes.subarray(i * RECORD_BYTES + 1, (i + 1) * RECORD_BYTES), images.subarray(i * IMAGE_BYTES), 1);
  }
  return { images, labels };
}

/**
 * Joins decoded batches into one split, checking every label against the
 * class count. With `equalSizes` (the training batches) every batch must hold
 * as many images as the first: the real ones hold 10,000 each, and a batch cut
 * short at a record boundary is otherwise indistinguishable from a small one.
 */
function joinBatches(batches: { subject: string; split: Cifar10Split }[], classes: number, equalSizes: boolean): Cifar10Split {
  const first = batches[0];
  for (const { subject, split } of batches) {
    check(
      !equalSizes || split.labels.length === first.split.labels.length,
      subject,
      `${split.labels.length} images, but ${path.basename(first.subject)} has ${first.split.labels.length}: the training batches must be the same size`,
    );
    const bad = split.labels.findIndex((l) => l >= classes);
    check(bad < 0, subject, `record ${bad} has label ${split.labels[bad]}, expected 0..${classes - 1}`);
  }
  const n = batches.reduce((sum, b) => sum + b.split.labels.length, 0);
  const images = new Uint8Array(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  let at = 0;
  for (const { split } of batches) {
    images.set(split.images, at * IMAGE_BYTES);
    labels.set(split.labels, at);
    at += split.labels.length;
  }
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
  for (const [b, file] of BINARY_LAYOUT.train.entries()) {
    const [lo, hi] = [b * perBatch, (b + 1) * perBatch];
    const batch = { images: train.images.subarray(lo * IMAGE_BYTES, hi * IMAGE_BYTES), labels: train.labels.subarray(lo, hi) };
    await writeFileAtomic(path.join(dir, file), encodeBatch(batch));
  }
  await writeFileAtomic(path.join(dir, BINARY_LAYOUT.test), encodeBatch(test));
  await writeFileAtomic(path.join(dir, BINARY_LAYOUT.meta), Buffer.from(`${classNames.join('\n')}\n`));
}

function encodeBatch({ images, labels }: Cifar10Split): Uint8Array {
  const out = new Uint8Array(labels.length * RECORD_BYTES);
  labels.forEach((label, i) => {
    out[i * RECORD_BYTES] = label;
    hwcToCifar(images.subarray(i * IMAGE_BYTES), out.subarray(i * RECORD_BYTES + 1), 1);
  });
  return out;
}

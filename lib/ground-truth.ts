/**
 * The ground truth of a generated corpus, which the simulated labeler and the
 * tests read: what each TinyImages image shows, which good images the second
 * labeler rejects, the planted near-duplicates and each CIFAR-10 image's
 * TinyImages source. Two formats: the demo's (version 1, all inline) and the
 * scale corpus's (version 2, a small JSON with .npy sidecars beside it, so
 * 5 M–79 M images cost one byte each).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GroundTruth as GroundTruthV1, NearDuplicate } from './demo/generate';
import { check } from './errors';
import { readNpy, readNpyRows } from './formats/npy';

/** Version 2: the JSON part; per-image arrays are .npy files named in `files`, beside it. */
export interface GroundTruthV2 {
  version: 2;
  /** What wrote it, and the hash of the options it was written for (a corpus folder is reused only for the same). */
  generator: string;
  optionsHash: string;
  options: Record<string, number>;
  seed: number;
  classes: string[];
  tinyImages: number;
  keywordClass: Record<string, number>;
  files: {
    /** int8 [tinyImages]: the class each image shows, -1 for none. */
    classOf: string;
    /** int32 [n], ascending: good candidates the second labeler rejects. */
    ambiguous: string;
    /** int32 [CIFAR-10 images]: the TinyImages index of each CIFAR-10 image (train 0.., then test). */
    cifarSource: string;
  };
  nearDuplicates: NearDuplicate[];
  /** Second TinyImages copies of CIFAR-10 images. */
  cifarCopies: { ti: number; cifar: number }[];
  counts: Record<string, unknown>;
}

/** A corpus's ground truth in memory, whichever format it was stored in. */
export interface GroundTruthView {
  classes: string[];
  /** Number of TinyImages images. */
  tinyImages: number;
  /** Class the image shows, -1 for none. */
  classOf(ti: number): number;
  isAmbiguous(ti: number): boolean;
  /** Per CIFAR-10 image (train, then test): its TinyImages source. */
  cifarSource: Int32Array;
  nearDuplicates: NearDuplicate[];
}

/**
 * Reads a ground_truth.json of either format (its sidecars from the same
 * folder). Memory: one byte per TinyImages image, plus the ambiguous list.
 */
export async function loadGroundTruth(file: string): Promise<GroundTruthView> {
  const truth = JSON.parse(await readFile(file, 'utf8')) as GroundTruthV1 | GroundTruthV2;
  if (truth.version === 1) {
    return view(truth.classes, Int8Array.from(truth.classOf), Int32Array.from(truth.ambiguous).sort(), Int32Array.from(truth.cifarSource), truth.nearDuplicates);
  }
  check(truth.version === 2, file, `unknown ground truth version ${(truth as { version: unknown }).version}`);
  const sidecar = (name: string) => path.join(path.dirname(file), name);
  const classFile = sidecar(truth.files.classOf);
  // readNpyRows: one read into one buffer, where readNpy would hold the file twice (79 MB each for the real TinyImages).
  const { shape, data } = await readNpyRows(classFile, 0, truth.tinyImages);
  check(shape.length === 1 && shape[0] === truth.tinyImages, classFile, `shape (${shape.join(', ')}), expected (${truth.tinyImages},)`);
  const ints = async (name: string) => {
    const arr = await readNpy(sidecar(name));
    check(arr.dtype === 'int32' && arr.shape.length === 1, sidecar(name), `expected a 1-d int32 array, found ${arr.dtype} (${arr.shape.join(', ')})`);
    return arr.data as Int32Array;
  };
  const ambiguous = await ints(truth.files.ambiguous);
  check(ambiguous.every((ti, i) => i === 0 || ambiguous[i - 1] < ti), sidecar(truth.files.ambiguous), 'not in ascending order');
  const classOf = new Int8Array(data.buffer, data.byteOffset, data.length);
  return view(truth.classes, classOf, ambiguous, await ints(truth.files.cifarSource), truth.nearDuplicates);
}

function view(classes: string[], classOf: Int8Array, ambiguous: Int32Array, cifarSource: Int32Array, nearDuplicates: NearDuplicate[]): GroundTruthView {
  return {
    classes,
    tinyImages: classOf.length,
    classOf(ti) {
      if (!(ti >= 0 && ti < classOf.length)) throw new RangeError(`TinyImages index ${ti} outside 0..${classOf.length - 1}`);
      return classOf[ti];
    },
    isAmbiguous(ti) {
      let [lo, hi] = [0, ambiguous.length];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ambiguous[mid] < ti) lo = mid + 1;
        else hi = mid;
      }
      return lo < ambiguous.length && ambiguous[lo] === ti;
    },
    cifarSource,
    nearDuplicates,
  };
}

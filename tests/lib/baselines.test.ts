import { describe, expect, it } from 'vitest';
import { nearestClassMean, nearestNeighbour, pool8, pool8Bytes } from '../../lib/baselines';
import { runPython } from '../helpers/python';
import { mulberry32 } from '../helpers/random';

/** `count` HWC images whose brightness depends on their class, so the classifiers have something to find. */
function images(count: number, seed: number) {
  const rng = mulberry32(seed);
  const labels = Array.from({ length: count }, () => Math.floor(rng() * 4));
  const pixels = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) for (let p = 0; p < 3072; p++) pixels[i * 3072 + p] = Math.min(255, labels[i] * 40 + rng() * 120 + ((p % 3) * labels[i] * 10));
  return { pixels, labels };
}

/** Python reading the JSON input { train, labels, test } (images as hex) and pooling like pool8, independently. */
const NUMPY_INPUTS = `import json, sys, numpy as np
d = json.load(sys.stdin)
pool = lambda h, n: np.frombuffer(bytes.fromhex(h), np.uint8).reshape(n, 8, 4, 8, 4, 3).mean(axis=(2, 4)).reshape(n, 192)`;
const numpyInput = (train: { pixels: Uint8Array; labels: number[] }, test: { pixels: Uint8Array }) =>
  JSON.stringify({ train: Buffer.from(train.pixels).toString('hex'), labels: train.labels, test: Buffer.from(test.pixels).toString('hex') });

/** A pooled vector (192 values) of one repeated value. */
const flat = (...values: number[]) => Float32Array.from(values.flatMap((v) => new Array(192).fill(v)));

describe('pool8', () => {
  it('averages each 4×4 block of each channel', () => {
    const image = new Uint8Array(3072);
    image[(5 * 32 + 9) * 3 + 2] = 160; // row 5, column 9, blue: block (1, 2)
    const out = pool8(image, 1);
    expect(out).toHaveLength(192);
    expect(out[(1 * 8 + 2) * 3 + 2]).toBe(10);
    expect(out.reduce((s, v) => s + v, 0)).toBe(10);
    expect([...pool8(new Uint8Array(2 * 3072).fill(255), 2)].every((v) => v === 255)).toBe(true);
  });

  it('equals numpy reshape-and-mean, exactly, image by image', () => {
    const { pixels } = images(6, 3);
    const got = pool8(pixels, 6);
    const expected = runPython(
      `import sys, numpy as np
a = np.frombuffer(bytes.fromhex(sys.stdin.read()), np.uint8).reshape(6, 8, 4, 8, 4, 3).astype(np.float64)
print(' '.join(repr(float(v)) for v in a.mean(axis=(2, 4)).ravel()))`,
      Buffer.from(pixels).toString('hex'),
    ).trim().split(' ').map(Number);
    expect([...got]).toEqual(expected);
  });
});

describe('nearestClassMean', () => {
  it('predicts the class whose mean pooled image is nearest; ties go to the lower class', () => {
    // class 0: mean 0; class 1: mean of 10 and 20 = 15.
    const train = flat(0, 10, 20);
    const labels = [0, 1, 1];
    expect(nearestClassMean(train, labels, 2, flat(7, 8, 15, 100, 7.5))).toEqual([0, 1, 1, 1, 0]);
  });

  it('agrees with numpy on images of four classes', () => {
    const train = images(120, 11);
    const test = images(40, 12);
    const got = nearestClassMean(pool8(train.pixels, 120), train.labels, 4, pool8(test.pixels, 40));
    const expected = runPython(
      `${NUMPY_INPUTS}
x, y, t = pool(d['train'], 120), np.array(d['labels']), pool(d['test'], 40)
means = np.stack([x[y == c].mean(0) for c in range(4)])
print(json.dumps(((t[:, None, :] - means[None]) ** 2).sum(-1).argmin(1).tolist()))`,
      numpyInput(train, test),
    );
    expect(got).toEqual(JSON.parse(expected));
    // The classes differ in brightness: most predictions are right.
    expect(got.filter((c, i) => c === test.labels[i]).length).toBeGreaterThan(30);
  });
});

describe('pool8Bytes', () => {
  it('is the 4×4 block mean rounded half up to a byte, as numpy computes it from the sums', () => {
    const { pixels } = images(6, 31);
    const expected = runPython(
      `import json, sys, numpy as np
d = json.load(sys.stdin)
s = np.frombuffer(bytes.fromhex(d['test']), np.uint8).reshape(6, 8, 4, 8, 4, 3).astype(np.int64).sum(axis=(2, 4)).reshape(6, 192)
print(json.dumps(((s + 8) // 16).ravel().tolist()))`,
      numpyInput({ pixels: new Uint8Array(0), labels: [] }, { pixels }),
    );
    expect([...pool8Bytes(pixels, 6)]).toEqual(JSON.parse(expected));
    const half = new Uint8Array(3072);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) half[(r * 32 + c) * 3] = r * 4 + c < 8 ? 1 : 0; // the first block's red sums to 8
    expect(pool8Bytes(half, 1)[0]).toBe(1);
  });
});

describe('nearestNeighbour', () => {
  /** A byte-pooled vector (192 values) of one repeated value. */
  const flatBytes = (...values: number[]) => Uint8Array.from(values.flatMap((v) => new Array(192).fill(v)));

  it('predicts the label of the nearest training image; ties go to the lower training index', async () => {
    const train = flatBytes(0, 10, 10, 30);
    const labels = [5, 6, 7, 8];
    expect(await nearestNeighbour(train, labels, flatBytes(1, 9, 10, 21, 19, 20))).toEqual([5, 6, 6, 8, 6, 6]);
  });

  it('agrees with numpy argmin on byte-pooled images', async () => {
    const train = images(150, 21);
    const test = images(30, 22);
    const expected = runPython(
      `import json, sys, numpy as np
d = json.load(sys.stdin)
pool = lambda h, n: (np.frombuffer(bytes.fromhex(h), np.uint8).reshape(n, 8, 4, 8, 4, 3).astype(np.int64).sum(axis=(2, 4)).reshape(n, 192) + 8) // 16
x, y, t = pool(d['train'], 150), np.array(d['labels']), pool(d['test'], 30)
print(json.dumps(y[((t[:, None, :] - x[None]) ** 2).sum(-1).argmin(1)].tolist()))`,
      numpyInput(train, test),
    );
    expect(await nearestNeighbour(pool8Bytes(train.pixels, 150), train.labels, pool8Bytes(test.pixels, 30))).toEqual(JSON.parse(expected));
  });
});

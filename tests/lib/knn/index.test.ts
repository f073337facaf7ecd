import { afterAll, describe, expect, it } from 'vitest';
import { closeKnnWorkers, ENGINE_ORDER, squaredL2, topKNeighbors } from '../../../lib/knn';
import { createEngine } from '../../../lib/knn/engines';
import { runPython } from '../../helpers/python';
import { bruteTopK, randomBytes, withEngine } from './helpers';

const D = 3072;

afterAll(() => closeKnnWorkers());

/** n queries and m references; `range` small or duplicated rows make many ties. */
function dataset(n: number, m: number, seed: number, range = 256, duplicateEvery = 0) {
  const queries = randomBytes(n * D, seed, range);
  const references = randomBytes(m * D, seed + 1, range);
  if (duplicateEvery) {
    for (let j = duplicateEvery; j < m; j += duplicateEvery) references.copyWithin(j * D, (j % duplicateEvery) * D, (j % duplicateEvery + 1) * D);
    // Some queries equal a reference exactly: distance 0, tied with its copies.
    for (let i = 0; i < n; i += 3) queries.set(references.subarray(((i * 7) % m) * D, ((i * 7) % m + 1) * D), i * D);
  }
  return { queries, references };
}

describe('squaredL2', () => {
  it('sums squared byte differences', () => {
    expect(squaredL2(Uint8Array.of(0, 255, 7), Uint8Array.of(255, 0, 7))).toBe(2 * 255 * 255);
  });
});

describe('topKNeighbors', () => {
  it('uses, with auto, the engine createEngine picks here, and says so', async () => {
    const { queries, references } = dataset(5, 40, 3);
    const auto = await createEngine('auto', D);
    await auto.dispose();
    expect((await topKNeighbors(queries, references, 3, { threads: 1 })).engine).toBe(auto.name);
  });
});

describe('topKNeighbors matches brute force', () => {
  const cases = [
    // n, m, k, threads, value range, duplicate period
    { n: 7, m: 13, k: 1, threads: 1, range: 256, dup: 0 },
    { n: 33, m: 1029, k: 20, threads: 1, range: 256, dup: 0 },
    { n: 50, m: 1100, k: 5, threads: 1, range: 2, dup: 0 },
    { n: 41, m: 1030, k: 10, threads: 1, range: 256, dup: 7 },
    { n: 130, m: 2100, k: 7, threads: 2, range: 3, dup: 5 },
    { n: 301, m: 1201, k: 20, threads: 2, range: 256, dup: 11 },
    { n: 9, m: 6, k: 20, threads: 1, range: 256, dup: 2 },
  ];
  it.each(cases)('n=$n m=$m k=$k threads=$threads range=$range dup=$dup', async ({ n, m, k, threads, range, dup }) => {
    const { queries, references } = dataset(n, m, n * 31 + m, range, dup);
    const got = await topKNeighbors(queries, references, k, { threads });
    const kk = Math.min(k, m);
    expect(got.k).toBe(kk);
    // Brute force on the first and last 25 queries (every worker's block has some), or all of them when fewer.
    const rows = n > 50 ? [...Array(25).keys(), ...Array.from({ length: 25 }, (_, i) => n - 25 + i)] : [...Array(n).keys()];
    const pick = (all: Uint8Array | Int32Array, width: number) => rows.flatMap((i) => [...all.subarray(i * width, (i + 1) * width)]);
    const expected = bruteTopK(Uint8Array.from(pick(queries, D)), references, k, D);
    expect(pick(got.indices, kk)).toEqual([...expected.indices]);
    expect(pick(got.distances, kk)).toEqual([...expected.distances]);
  });

  it.for(ENGINE_ORDER)('gives the same answer with engine %s', async (engine, { skip }) => {
    await withEngine(engine, D, skip, async () => {}); // skipped if an onnxruntime engine cannot run here
    // 21 queries and 301 references: neither a multiple of the wasm kernel's 4 × 2 register tile.
    const { queries, references } = dataset(21, 301, 99, 4, 3);
    const expected = bruteTopK(queries, references, 6, D);
    const got = await topKNeighbors(queries, references, 6, { threads: 1, engine });
    expect(got.engine).toBe(engine);
    expect(got.indices).toEqual(expected.indices);
    expect(got.distances).toEqual(expected.distances);
  });

  it('works on other dimensions', async () => {
    const queries = randomBytes(40 * 5, 1, 3);
    const references = randomBytes(70 * 5, 2, 3);
    const got = await topKNeighbors(queries, references, 4, { dimension: 5, threads: 1 });
    expect(got.indices).toEqual(bruteTopK(queries, references, 4, 5).indices);
  });
});

describe('worker pool', () => {
  // 2 × 700 × 1300 × 3072 multiply-adds is above the inline threshold, so this runs on worker threads.
  const { queries, references } = dataset(700, 1300, 5, 256, 13);
  const expected = bruteTopK(queries.subarray(0, 60 * D), references, 3, D);

  it('matches brute force, reports progress, and reuses references across calls', async () => {
    const progress: number[] = [];
    const first = await topKNeighbors(queries, references, 3, { threads: 2, onProgress: (q) => progress.push(q) });
    expect(first.indices.subarray(0, 60 * 3)).toEqual(expected.indices);
    expect(first.distances.subarray(0, 60 * 3)).toEqual(expected.distances);
    expect(progress).toHaveLength(2); // two blocks of 350: the pool ran it, not the calling thread
    expect(progress.at(-1)).toBe(700);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    const again = await topKNeighbors(queries, references, 3, { threads: 2 });
    expect(again.indices).toEqual(first.indices);
  });

  it('notices references changed in place between calls', async () => {
    const refs = references.slice();
    await topKNeighbors(queries, refs, 1, { threads: 2 });
    refs.set(queries.subarray(D, 2 * D), 1299 * D);
    const after = await topKNeighbors(queries, refs, 1, { threads: 2 });
    expect(after.indices[1]).toBe(1299);
    expect(after.distances[1]).toBe(0);
  });

  it('runs the wasm engine on worker threads', async () => {
    const got = await topKNeighbors(queries.subarray(0, 301 * D), references, 3, { threads: 2, engine: 'wasm' });
    expect(got.engine).toBe('wasm');
    expect(got.indices.subarray(0, 60 * 3)).toEqual(expected.indices);
    expect(got.distances.subarray(0, 60 * 3)).toEqual(expected.distances);
  });

  it('stops on abort with the signal reason', async () => {
    const controller = new AbortController();
    const run = topKNeighbors(queries, references, 3, { threads: 2, signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    // The pool stays usable.
    const after = await topKNeighbors(queries.subarray(0, 60 * D), references, 3, { threads: 2 });
    expect(after.indices).toEqual(expected.indices);
  });
});

describe('validation', () => {
  it('rejects ragged input and bad k', async () => {
    await expect(topKNeighbors(new Uint8Array(D + 1), new Uint8Array(D), 1)).rejects.toThrow(/queries/);
    await expect(topKNeighbors(new Uint8Array(D), new Uint8Array(D - 1), 1)).rejects.toThrow(/references/);
    await expect(topKNeighbors(new Uint8Array(D), new Uint8Array(D), 0)).rejects.toThrow(/k/);
  });

  it('returns empty results for no queries and clamps k to the references', async () => {
    expect((await topKNeighbors(new Uint8Array(0), new Uint8Array(D), 3)).indices.length).toBe(0);
    const r = await topKNeighbors(new Uint8Array(2 * D), new Uint8Array(3 * D), 10, { threads: 1 });
    expect(r.k).toBe(3);
    expect([...r.indices]).toEqual([0, 1, 2, 0, 1, 2]);
  });
});

describe('against numpy', () => {
  it('agrees with a float64 numpy brute force (distances and stable argsort)', async () => {
    const { queries, references } = dataset(25, 400, 77, 256, 9);
    const got = await topKNeighbors(queries, references, 5, { threads: 1 });
    const out = runPython(
      `import numpy as np, sys
b = bytes.fromhex(sys.stdin.read().strip())
q = np.frombuffer(b[:25*3072], np.uint8).reshape(25, 3072).astype(np.float64)
r = np.frombuffer(b[25*3072:], np.uint8).reshape(400, 3072).astype(np.float64)
d = ((q[:, None, :] - r[None, :, :]) ** 2).sum(-1)
i = np.argsort(d, axis=1, kind='stable')[:, :5]
print(' '.join(map(str, i.ravel())))
print(' '.join(str(int(x)) for x in np.take_along_axis(d, i, 1).ravel()))`,
      Buffer.concat([queries, references]).toString('hex'),
    ).trim().split('\n');
    expect([...got.indices].join(' ')).toBe(out[0]);
    expect([...got.distances].join(' ')).toBe(out[1]);
  });
});

describe('concurrent calls', () => {
  it('lets a job finish when another call needs a differently configured pool', async () => {
    const { queries, references } = dataset(400, 1500, 8, 256, 0);
    const expected = bruteTopK(queries.subarray(0, 20 * D), references, 2, D);
    const [a, b] = await Promise.all([
      topKNeighbors(queries, references, 2, { threads: 2, engine: 'wasm' }),
      topKNeighbors(queries, references, 2, { threads: 2 }),
    ]);
    expect(a.indices.subarray(0, 40)).toEqual(expected.indices);
    expect(b.indices).toEqual(a.indices);
    expect(b.distances).toEqual(a.distances);
  });
});

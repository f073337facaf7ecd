import { describe, expect, it } from 'vitest';
import { createRng } from '../../../lib/rng';
import { runPython } from '../../helpers/python';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('createRng cpython', () => {
  it('draws one CPython stream across sample, shuffle and set differences, as a script calling random would', () => {
    const a = [...range(40).map((i) => i * 37), 5, 5, 1000];
    const b = [0, 37, 74, 999];
    const python = JSON.parse(
      runPython(`
import json, random
random.seed(670725112)
s1 = random.sample(list(range(1000)), 7)
x = list(range(30)); random.shuffle(x)
a, b = ${JSON.stringify(a)}, ${JSON.stringify(b)}
d = list(set(a) - set(b))
s2 = random.sample(d, 5)
print(json.dumps([s1, x, d, s2]))`),
    );
    const rng = createRng({ kind: 'cpython', seed: 670725112, setRule: '3.11' });
    const x = range(30);
    const s1 = rng.sample(range(1000), 7);
    rng.shuffle(x);
    const d = rng.setDifference(a, b);
    expect([s1, x, d, rng.sample(d, 5)]).toEqual(python);
  });

  it("uses CPython 3.6's set order unless told otherwise", () => {
    // 19 elements: a 32-slot table under 3.6, 128 slots under 3.11 (b is large enough to avoid the copy branch).
    const a = [100, ...range(18)];
    const b = [1000, 1001, 1002, 1003, 1004];
    expect(createRng({ kind: 'cpython', seed: 1 }).setDifference(a, b)).toEqual([0, 1, 2, 3, 100, ...range(18).slice(4)]);
    expect(createRng({ kind: 'cpython', seed: 1, setRule: '3.11' }).setDifference(a, b)).toEqual([...range(18), 100]);
  });
});

describe('createRng seedrandom', () => {
  it('is reproducible from the seed, and the seed matters', () => {
    const draw = (seed: number) => createRng({ kind: 'seedrandom', seed }).sample(range(1000), 10);
    expect(draw(670725112)).toEqual(draw(670725112));
    expect(draw(670725112)).not.toEqual(draw(670725113));
  });

  it('keeps drawing what it drew when this was written (releases built with it must stay reproducible)', () => {
    const rng = createRng({ kind: 'seedrandom', seed: 670725112 });
    const items = range(10);
    const sample = rng.sample(range(100), 5);
    rng.shuffle(items);
    expect({ sample, items }).toEqual(GOLDEN);
  });

  it('samples k distinct population elements, every element about equally often', () => {
    const rng = createRng({ kind: 'seedrandom', seed: 3 });
    const counts = new Array(7).fill(0);
    for (let t = 0; t < 7000; t++) {
      const s = rng.sample(range(7), 3);
      expect(new Set(s).size).toBe(3);
      for (const v of s) counts[v]++;
    }
    for (const c of counts) expect(Math.abs(c - 3000)).toBeLessThan(200); // ~5 sigma
    expect(rng.sample(['a'], 0)).toEqual([]);
    expect(() => rng.sample([1, 2], 3)).toThrow(RangeError);
  });

  it('shuffles to a permutation, and keeps set differences in first-operand order without repeats', () => {
    const rng = createRng({ kind: 'seedrandom', seed: 5 });
    const items = range(50);
    rng.shuffle(items);
    expect([...items].sort((p, q) => p - q)).toEqual(range(50));
    expect(items).not.toEqual(range(50));
    expect(rng.setDifference([9, 3, 9, 7, 1, 3], [7])).toEqual([9, 3, 1]);
  });
});

const GOLDEN = { sample: [99, 49, 10, 20, 78], items: [6, 7, 2, 0, 9, 1, 3, 5, 4, 8] };

import { beforeAll, describe, expect, it } from 'vitest';
import { PySet } from '../../../lib/rng/cpython-set';
import { runPython } from '../../helpers/python';
import { mulberry32 } from '../../helpers/random';

type Case =
  | { t: 'set'; a: number[] }
  | { t: 'diff'; a: number[]; b: number[] }
  | { t: 'ops'; ops: Array<['add' | 'discard', number]> };

/** CPython's answer for each case: the list of the resulting set, in iteration order. */
const PYTHON = `
import json, sys
out = []
for c in json.load(sys.stdin):
    if c['t'] == 'set': out.append(list(set(c['a'])))
    elif c['t'] == 'diff': out.append(list(set(c['a']) - set(c['b'])))
    else:
        s = set()
        for op, v in c['ops']:
            s.add(v) if op == 'add' else s.discard(v)
        out.append(list(s))
json.dump(out, sys.stdout)
`;

function run(c: Case): number[] {
  if (c.t === 'set') return PySet.fromList(c.a, '3.11').toArray();
  if (c.t === 'diff') return PySet.fromList(c.a, '3.11').difference(PySet.fromList(c.b, '3.11')).toArray();
  const s = new PySet('3.11');
  for (const [op, v] of c.ops) {
    if (op === 'add') s.add(v);
    else s.discard(v);
  }
  return s.toArray();
}

/** Test inputs from an independent generator. */
function inputGenerator(seed: number) {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const logInt = (max: number) => Math.floor(Math.exp(next() * Math.log(max + 1))) - 1; // 0..max, log-uniform
  /** A list of ints with duplicates (small value range) or mostly distinct ones (up to 80 million). */
  const list = (size: number) => {
    const span = [Math.max(1, size >> 1), 10 * size + 1, 1000, 80_000_000, 2 ** 40][int(0, 4)];
    return Array.from({ length: size }, () => int(0, span - 1));
  };
  return { next, int, logInt, list };
}

function makeCases(): Case[] {
  const g = inputGenerator(670725112);
  const cases: Case[] = [];
  for (let i = 0; i < 1500; i++) cases.push({ t: 'set', a: g.list(g.logInt(5000)) });
  for (let i = 0; i < 2000; i++) {
    const a = g.list(g.logInt(5000));
    // b: part of a (a quarter or less of it half the time, so both branches of set_difference run) plus strangers.
    const share = g.next() < 0.5 ? g.next() * 0.25 : g.next();
    const b = [...a.filter(() => g.next() < share), ...g.list(g.logInt(50))];
    cases.push({ t: 'diff', a, b: g.next() < 0.5 ? b : b.reverse() });
  }
  for (let i = 0; i < 500; i++) {
    // Few distinct values on long probe chains, so deletions leave dummies that later adds reuse.
    const ops = Array.from({ length: g.logInt(400) }, (): ['add' | 'discard', number] => [
      g.next() < 0.6 ? 'add' : 'discard',
      g.int(0, 40) * [1, 8, 32, 1024][g.int(0, 3)],
    ]);
    cases.push({ t: 'ops', ops });
  }
  // Past 50,000 entries CPython grows to used*2 instead of used*4.
  cases.push({ t: 'set', a: Array.from({ length: 100_000 }, () => g.int(0, 80_000_000)) });
  return cases;
}

describe('PySet (3.11 rule) against python3 set', () => {
  const cases = makeCases();
  let expected: number[][];

  beforeAll(() => {
    expected = JSON.parse(runPython(PYTHON, JSON.stringify(cases)));
  });

  it(`iterates in CPython's order for ${cases.length} cases`, () => {
    let mismatches = 0;
    cases.forEach((c, i) => {
      const got = run(c);
      if (mismatches < 3 && JSON.stringify(got) !== JSON.stringify(expected[i])) {
        mismatches++;
        expect({ case: i, kind: c.t, got }).toEqual({ case: i, kind: c.t, got: expected[i] });
      }
    });
    expect(mismatches).toBe(0);
  });

  it('covers both branches of set_difference and sets that reorder', () => {
    const diffs = cases.filter((c): c is Extract<Case, { t: 'diff' }> => c.t === 'diff');
    const copied = diffs.filter((c) => new Set(c.a).size >> 2 > new Set(c.b).size).length;
    expect(copied).toBeGreaterThan(300);
    expect(diffs.length - copied).toBeGreaterThan(300);
    const sets = cases.filter((c): c is Extract<Case, { t: 'set' }> => c.t === 'set');
    const notSorted = sets.filter((c) => {
      const order = PySet.fromList(c.a, '3.11').toArray();
      return order.some((v, i) => i > 0 && v < order[i - 1]);
    });
    expect(notSorted.length).toBeGreaterThan(500);
  });

  it('has, add and discard report membership and size', () => {
    const s = PySet.fromList([5, 5, 37, 1], '3.11');
    expect(s.size).toBe(3);
    expect(s.has(37)).toBe(true);
    expect(s.discard(37)).toBe(true);
    expect(s.discard(37)).toBe(false);
    expect([s.has(37), s.size]).toEqual([false, 2]);
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(2 ** 53)).toThrow(RangeError);
  });
});

// Hand-derived from Objects/setobject.c; the 3.11 halves are also what python3 here prints.
describe('PySet growth and slot reuse, 3.6 vs 3.11', () => {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('grows at fill*3 >= mask*2 under 3.6 and fill*5 >= mask*3 under 3.11', () => {
    // 100 sits in slot 4 of a 32-slot table, pushing 4.. one slot on, until the table grows to 128 slots.
    const in32 = (last: number) => [0, 1, 2, 3, 100, ...range(4, last)];
    const in128 = (last: number) => [...range(0, last), 100];
    expect(PySet.fromList([100, ...range(0, 18)], '3.6').toArray()).toEqual(in32(18)); // 20 entries: 60 < 62
    expect(PySet.fromList([100, ...range(0, 19)], '3.6').toArray()).toEqual(in128(19)); // 21 entries: 63 >= 62
    expect(PySet.fromList([100, ...range(0, 16)], '3.11').toArray()).toEqual(in32(16)); // 18 entries: 90 < 93
    expect(PySet.fromList([100, ...range(0, 17)], '3.11').toArray()).toEqual(in128(17)); // 19 entries: 95 >= 93
  });

  it('re-uses the first dummy on the probe path under 3.6, the last under 3.11', () => {
    // 65, 1, 129, 97, 33 fill slots 1..5 of a 32-slot table; 33 and 65 leave dummies in slots 5 and 1.
    for (const [rule, want] of [['3.6', [161, 1, 129, 97]], ['3.11', [1, 129, 97, 161]]] as const) {
      const s = PySet.fromList([1, 33, 65, 97, 129], rule);
      expect(s.toArray()).toEqual([65, 1, 129, 97, 33]);
      s.discard(33);
      s.discard(65);
      s.add(161);
      expect(s.toArray()).toEqual(want);
    }
  });

  it('set - set copies a left set more than 4x larger into a table sized for it, which can reorder it', () => {
    for (const rule of ['3.6', '3.11'] as const) {
      const a = PySet.fromList([0, 5, 6, 7, 20], rule);
      expect(a.toArray()).toEqual([0, 5, 6, 7, 20]); // 32 slots
      expect(a.difference(new PySet(rule)).toArray()).toEqual([0, 20, 5, 6, 7]); // copy: 16 slots, 20 in slot 4
      // 5 >> 2 = 1 is not > 1: a new set gets 0, 5, 7, 20 added in a's order; 8 slots, 20 in slot 4.
      expect(a.difference(PySet.fromList([6], rule)).toArray()).toEqual([0, 20, 5, 7]);
    }
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { CPythonRandom, sampleSetsize } from '../../../lib/rng/cpython-random';
import { runPython } from '../../helpers/python';
import { mulberry32 } from '../../helpers/random';

type Op =
  | ['bits', number]
  | ['random']
  | ['below', number]
  | ['randrange', number, number?, number?]
  | ['choice', number]
  | ['shuffle', number]
  | ['sample', number, number];
interface Case {
  seed: string;
  ops: Op[];
}

/** Runs every case through CPython's `random.Random`; getrandbits results come back as decimal strings. */
const PYTHON = `
import json, random, sys
out = []
for case in json.load(sys.stdin):
    r = random.Random(int(case['seed']))
    res = []
    for op, *a in case['ops']:
        if op == 'bits': res.append(str(r.getrandbits(a[0])))
        elif op == 'random': res.append(r.random())
        elif op == 'below': res.append(r._randbelow(a[0]))
        elif op == 'randrange': res.append(r.randrange(*a))
        elif op == 'choice': res.append(r.choice(list(range(a[0]))))
        elif op == 'shuffle':
            x = list(range(a[0])); r.shuffle(x); res.append(x)
        elif op == 'sample': res.append(r.sample(list(range(a[0])), a[1]))
    out.append(res)
json.dump(out, sys.stdout)
`;

function run(random: CPythonRandom, op: Op): unknown {
  switch (op[0]) {
    case 'bits':
      return random.getrandbits(op[1]).toString();
    case 'random':
      return random.random();
    case 'below':
      return random._randbelow(op[1]);
    case 'randrange':
      return random.randrange(op[1], op[2], op[3]);
    case 'choice':
      return random.choice(range(op[1]));
    case 'shuffle': {
      const x = range(op[1]);
      random.shuffle(x);
      return x;
    }
    case 'sample':
      return random.sample(range(op[1]), op[2]);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Test inputs from an independent generator. */
function inputGenerator(seed: number) {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const logInt = (max: number) => Math.max(1, Math.floor(Math.exp(next() * Math.log(max + 1)))); // 1..max, log-uniform
  return { next, int, logInt };
}

const SPECIAL_SEEDS = [
  670725112n, 0n, 1n, -1n, -670725112n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n - 1n,
  2n ** 64n - 1n, 2n ** 64n, 2n ** 64n + 1n, 2n ** 100n + 12345n, 10n ** 30n,
];

/** Samples right at the pool/set branch threshold (n = setsize and setsize + 1). */
const BRANCH_EDGES: Op[] = [0, 1, 5, 6, 21, 22, 85, 86, 341, 342, 1365].flatMap((k): Op[] => [
  ['sample', sampleSetsize(k), k],
  ['sample', sampleSetsize(k) + 1, k],
]);

function makeCases(): Case[] {
  const g = inputGenerator(20180601);
  const cases: Case[] = SPECIAL_SEEDS.map((seed) => ({
    seed: seed.toString(),
    ops: [...range(200).map((k): Op => ['bits', k + 1]), ['random'], ['random'], ...BRANCH_EDGES],
  }));
  for (let c = 0; c < 2500; c++) {
    // Seeds of 1 to 5 32-bit words, some negative.
    let seed = 0n;
    for (let w = g.int(1, 5); w > 0; w--) seed = (seed << 32n) | BigInt(g.int(0, 2 ** 32 - 1));
    if (g.next() < 0.2) seed = -seed;
    const ops: Op[] = [];
    for (let o = g.int(1, 5); o > 0; o--) {
      const n = g.logInt(10000);
      const kind = g.int(0, 7);
      if (kind === 0) ops.push(['bits', g.int(1, 200)]);
      else if (kind === 1) ops.push(['random']);
      else if (kind === 2) ops.push(['below', g.next() < 0.5 ? n : g.int(1, 2 ** 53 - 1)]);
      else if (kind === 3) ops.push(g.next() < 0.5 ? ['randrange', n] : ['randrange', -n, g.int(-n, 3 * n), g.int(1, 7) * (g.next() < 0.3 ? -1 : 1)]);
      else if (kind === 4) ops.push(['choice', n]);
      else if (kind === 5) ops.push(['shuffle', Math.min(n, 1000)]);
      else {
        // Sample sizes that land on both sides of the pool/set branch threshold.
        const k = [g.int(0, Math.min(n, 5)), g.int(0, n), Math.max(0, n - g.int(0, 3)), g.int(0, Math.min(n, 100))][g.int(0, 3)];
        ops.push(['sample', n, k]);
      }
    }
    cases.push({ seed: seed.toString(), ops });
  }
  return cases;
}

/** Drops randrange calls Python would reject (empty range), so both sides see valid calls only. */
function valid(op: Op): boolean {
  if (op[0] !== 'randrange' || op[2] === undefined) return true;
  const [, start, stop, step = 1] = op;
  return step > 0 ? stop! > start : stop! < start;
}

describe('CPythonRandom against CPython random.Random', () => {
  const cases = makeCases().map((c) => ({ ...c, ops: c.ops.filter(valid) }));
  let expected: unknown[][];

  beforeAll(() => {
    expected = JSON.parse(runPython(PYTHON, JSON.stringify(cases)));
  });

  it(`gives the same draws for ${cases.length} seeds (${cases.reduce((s, c) => s + c.ops.length, 0)} calls)`, () => {
    let mismatches = 0;
    cases.forEach((c, i) => {
      const random = new CPythonRandom(BigInt(c.seed));
      const got = c.ops.map((op) => run(random, op));
      if (mismatches < 5 && JSON.stringify(got) !== JSON.stringify(expected[i])) {
        mismatches++;
        expect({ seed: c.seed, ops: c.ops, got }).toEqual({ seed: c.seed, ops: c.ops, got: expected[i] });
      }
    });
    expect(mismatches).toBe(0);
  });

  it('covers both sample branches, getrandbits 1..200 and the special seeds', () => {
    const samples = cases.flatMap((c) => c.ops.filter((op): op is ['sample', number, number] => op[0] === 'sample'));
    const poolBranch = samples.filter(([, n, k]) => n <= sampleSetsize(k)).length;
    expect(poolBranch).toBeGreaterThan(300);
    expect(samples.length - poolBranch).toBeGreaterThan(300);
    const bits = new Set(cases.flatMap((c) => c.ops.filter((op) => op[0] === 'bits').map((op) => op[1])));
    expect(bits.size).toBe(200);
  });

  it('matches the sample branch threshold of random.sample for every k up to 20,000 and near each power of 4 up to 4^24', () => {
    const ks = [...range(20001), ...range(24).flatMap((m) => [-2, -1, 0, 1, 2].map((d) => Math.floor(4 ** (m + 1) / 3) + d))];
    const python = JSON.parse(
      runPython(
        `import json, sys\nfrom math import ceil, log\nks = json.load(sys.stdin)\n` +
          `print(json.dumps([21 + (4 ** ceil(log(3 * k, 4)) if k > 5 else 0) for k in ks]))`,
        JSON.stringify(ks),
      ),
    );
    expect(ks.map(sampleSetsize)).toEqual(python);
  });
});

describe('CPythonRandom API', () => {
  it('seeds the same from a number and from a bigint, and ignores the sign as random.seed does', () => {
    const a = new CPythonRandom(670725112);
    const b = new CPythonRandom(670725112n);
    const c = new CPythonRandom(-670725112);
    const draws = (r: CPythonRandom) => range(5).map(() => r.nextUint32());
    expect(draws(a)).toEqual(draws(b));
    expect(draws(new CPythonRandom(670725112))).toEqual(draws(c));
  });

  it('re-seeding restarts the stream', () => {
    const r = new CPythonRandom(5);
    const first = r.random();
    r.random();
    r.seed(5);
    expect(r.random()).toBe(first);
  });

  it('randbits draws the same bits as getrandbits, as a number', () => {
    for (const k of [0, 1, 31, 32, 33, 52, 53]) {
      expect(BigInt(new CPythonRandom(9).randbits(k))).toBe(new CPythonRandom(9).getrandbits(k));
    }
    expect(() => new CPythonRandom(9).randbits(54)).toThrow(RangeError);
  });

  it('rejects what Python rejects', () => {
    const r = new CPythonRandom(1);
    expect(() => r.sample([1, 2, 3], 4)).toThrow(/larger than population/);
    expect(() => r.randrange(0)).toThrow(/empty range/);
    expect(() => r.randrange(5, 5)).toThrow(/empty range/);
    expect(() => r.randrange(0, 10, 0)).toThrow(/zero step/);
    expect(() => r.choice([])).toThrow(/empty sequence/);
    expect(() => new CPythonRandom(1.5)).toThrow(RangeError);
  });
});

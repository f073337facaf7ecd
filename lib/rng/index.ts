import seedrandom from 'seedrandom';
import { CPythonRandom } from './cpython-random';
import { PySet, type SetRule } from './cpython-set';

export { CPythonRandom, sampleSetsize } from './cpython-random';
export { PySet, type SetRule } from './cpython-set';

/**
 * `cpython` replays the published releases (CPython `random` + `set` order);
 * `seedrandom` is the documented generator for new releases.
 */
export type RngKind = 'cpython' | 'seedrandom';

/** The random operations release sampling needs. */
export interface ReleaseRng {
  /** random.sample(population, k) semantics for cpython; a seeded equivalent for seedrandom. */
  sample<T>(population: readonly T[], k: number): T[];
  shuffle<T>(items: T[]): void;
  /** Elements of `a` not in `b`, in the iteration order of list(set(a) - set(b)) for cpython (per setRule); in `a` order for seedrandom. */
  setDifference(a: readonly number[], b: readonly number[]): number[];
}

/**
 * A release RNG. `setRule` (cpython only) picks whose `set` order to follow;
 * it defaults to '3.6', the CPython that sampled the published releases.
 */
export function createRng(opts: { kind: RngKind; seed: number; setRule?: SetRule }): ReleaseRng {
  return opts.kind === 'cpython' ? cpythonRng(opts.seed, opts.setRule ?? '3.6') : seedrandomRng(opts.seed);
}

function cpythonRng(seed: number, rule: SetRule): ReleaseRng {
  const random = new CPythonRandom(seed);
  return {
    sample: (population, k) => random.sample(population, k),
    shuffle: (items) => random.shuffle(items),
    setDifference: (a, b) => PySet.fromList(a, rule).difference(PySet.fromList(b, rule)).toArray(),
  };
}

/**
 * seedrandom's default ARC4 generator, seeded with the decimal seed string.
 * Integers in [0, n) come from 32-bit words by rejection (no modulo bias);
 * `shuffle` is Fisher-Yates from the end; `sample` is the first k steps of a
 * Fisher-Yates shuffle from the front, on a copy (draw order = result order).
 */
function seedrandomRng(seed: number): ReleaseRng {
  const prng = seedrandom(String(seed));
  const below = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`cannot draw below ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    let r = prng.int32() >>> 0;
    while (r >= limit) r = prng.int32() >>> 0;
    return r % n;
  };
  return {
    sample<T>(population: readonly T[], k: number): T[] {
      if (!Number.isInteger(k) || k < 0 || k > population.length) {
        throw new RangeError(`cannot sample ${k} of ${population.length}`);
      }
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = i + below(pool.length - i);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      return pool.slice(0, k);
    },
    shuffle<T>(items: T[]): void {
      for (let i = items.length - 1; i > 0; i--) {
        const j = below(i + 1);
        [items[i], items[j]] = [items[j], items[i]];
      }
    },
    setDifference(a, b) {
      const seen = new Set(b);
      const out: number[] = [];
      for (const v of a) {
        if (seen.has(v)) continue;
        seen.add(v); // each element once, as a set difference has it
        out.push(v);
      }
      return out;
    },
  };
}

/**
 * CPython's `random.Random`, bit for bit: MT19937 seeded by `init_by_array`,
 * `getrandbits`, and the pure-Python methods built on `_randbelow` as in
 * CPython 3.6 (unchanged through 3.11 for the methods here). The published
 * CIFAR-10.1 releases were sampled with it, so replaying them needs the exact
 * same stream of draws.
 */

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;
const TWO_32 = 2 ** 32;

export class CPythonRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N;

  /** `random.Random(seed)`. */
  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /** `random.seed(int)`: the absolute value, split into 32-bit words (least significant first), through init_by_array. */
  seed(seed: number | bigint): void {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw new RangeError(`seed must be an integer, got ${seed}`);
    }
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.initByArray(key);
  }

  /** A uniform 32-bit word (`genrand_uint32`). */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random()`: a float in [0, 1) from 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * `getrandbits(k)` for any k >= 0, always as a bigint (Python ints are
   * unbounded; one return type keeps callers simple). `getrandbits(0)` is 0n as
   * in CPython 3.9+ (3.6 raised ValueError). Use `randbits` for a number.
   */
  getrandbits(k: number): bigint {
    checkCount(k, 'k');
    if (k <= 53) return BigInt(this.randbits(k));
    // Words are drawn least significant first; the last one keeps its top bits.
    let result = 0n;
    for (let shift = 0n; k > 0; k -= 32, shift += 32n) {
      let r = this.nextUint32();
      if (k < 32) r >>>= 32 - k;
      result |= BigInt(r) << shift;
    }
    return result;
  }

  /** `getrandbits(k)` as a number, for 0 <= k <= 53 (the same draws as `getrandbits`). */
  randbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) throw new RangeError(`randbits needs 0 <= k <= 53, got ${k}`);
    if (k === 0) return 0;
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    const low = this.nextUint32();
    return (this.nextUint32() >>> (64 - k)) * TWO_32 + low;
  }

  /** `_randbelow(n)`: a uniform integer in [0, n) by rejection on `getrandbits(n.bit_length())`. */
  _randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`_randbelow needs a positive integer, got ${n}`);
    const k = bitLength(n);
    let r = this.randbits(k);
    while (r >= n) r = this.randbits(k);
    return r;
  }

  /** `randrange(stop)` or `randrange(start, stop, step = 1)`. */
  randrange(start: number, stop?: number, step = 1): number {
    for (const v of [start, stop ?? 0, step]) {
      if (!Number.isSafeInteger(v)) throw new RangeError(`randrange needs integers, got ${v}`);
    }
    if (stop === undefined) {
      if (start > 0) return this._randbelow(start);
      throw new RangeError('empty range for randrange()');
    }
    const width = stop - start;
    if (step === 0) throw new RangeError('zero step for randrange()');
    const n = step > 0 ? floorDiv(width + step - 1, step) : floorDiv(width + step + 1, step);
    if (n <= 0) throw new RangeError('empty range for randrange()');
    return start + step * this._randbelow(n);
  }

  /** `choice(seq)`. */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new RangeError('Cannot choose from an empty sequence');
    return seq[this._randbelow(seq.length)];
  }

  /** `shuffle(x)`, in place. */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this._randbelow(i + 1);
      [x[i], x[j]] = [x[j], x[i]];
    }
  }

  /**
   * `sample(population, k)` for a sequence, both branches as in CPython 3.6
   * to 3.11: a partial shuffle of a pool copy when the population is small
   * compared with the set `selected` would be, otherwise rejection of
   * already-selected positions.
   */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    checkCount(k, 'k');
    if (k > n) throw new RangeError(`Sample larger than population (${k} > ${n})`);
    const result: T[] = new Array(k);
    if (n <= sampleSetsize(k)) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this._randbelow(n - i);
        result[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this._randbelow(n);
        while (selected.has(j)) j = this._randbelow(n);
        selected.add(j);
        result[i] = population[j];
      }
    }
    return result;
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = (mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j] + j; // Uint32Array stores mod 2^32
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = (mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }
}

/**
 * `sample`'s branch threshold: `21 + 4 ** ceil(log(3k, 4))` for k > 5. Computed
 * exactly (smallest power of 4 >= 3k). CPython's float `log` agrees for every
 * k below about 2^48 (3k is never a power of 4), so for any JS array length.
 */
export function sampleSetsize(k: number): number {
  let setsize = 21;
  if (k > 5) {
    let p = 1;
    while (p < 3 * k) p *= 4;
    setsize += p;
  }
  return setsize;
}

/** `int.bit_length()` for a positive safe integer. */
function bitLength(n: number): number {
  return n < TWO_32 ? 32 - Math.clz32(n) : n.toString(2).length;
}

/** Python's `a // b` for safe integers, without float rounding. */
function floorDiv(a: number, b: number): number {
  return (a - (((a % b) + b) % b)) / b;
}

function checkCount(k: number, name: string): void {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`${name} must be a non-negative integer, got ${k}`);
}

import { describe, expect, it } from 'vitest';
import type { Rng } from '../../../lib/demo/looks';
import { nearCopy, sample, seededRng, shuffle } from '../../../lib/demo/random';

/** An Rng that plays back `values`, in a loop. */
function scripted(values: number[]): Rng & { calls: () => number } {
  let i = 0;
  const next = () => values[i++ % values.length];
  return Object.assign(next, { jitter: (d: number) => (next() * 2 - 1) * d, calls: () => i });
}

describe('seededRng', () => {
  it('is seedrandom\'s Alea: the first number for "hello." is the one its README documents', () => {
    expect(seededRng('hello.')()).toBe(0.4783254903741181);
  });

  it('gives the same sequence for the same seed, another for another seed, all in [0, 1)', () => {
    const a = Array.from({ length: 1000 }, seededRng('demo/101'));
    expect(Array.from({ length: 1000 }, seededRng('demo/101'))).toEqual(a);
    expect(Array.from({ length: 1000 }, seededRng('demo/102'))).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('jitters by (2u − 1)·d, u the next number of the same stream', () => {
    const rng = seededRng('hello.');
    expect(rng.jitter(10)).toBeCloseTo((2 * 0.4783254903741181 - 1) * 10, 12);
    const u = seededRng('jitter');
    const j = seededRng('jitter');
    for (let i = 0; i < 100; i++) {
      const x = j.jitter(3);
      expect(x).toBeCloseTo((2 * u() - 1) * 3, 12);
      expect(Math.abs(x)).toBeLessThanOrEqual(3);
    }
  });
});

describe('shuffle', () => {
  it('swaps each position from the end with floor(u·(i + 1)), in place', () => {
    // i = 3: j = floor(0·4) = 0 → d b c a; i = 2: j = floor(0.5·3) = 1 → d c b a; i = 1: j = floor(0.99·2) = 1 → unchanged.
    const items = ['a', 'b', 'c', 'd'];
    const rng = scripted([0, 0.5, 0.99]);
    expect(shuffle(rng, items)).toBe(items);
    expect(items).toEqual(['d', 'c', 'b', 'a']);
    expect(rng.calls()).toBe(3);
  });

  it('leaves the order as it is when every draw picks the position itself', () => {
    expect(shuffle(scripted([0.999]), [1, 2, 3, 4, 5])).toEqual([1, 2, 3, 4, 5]);
  });

  it('draws nothing for fewer than two items', () => {
    const rng = scripted([0.5]);
    expect(shuffle(rng, [])).toEqual([]);
    expect(shuffle(rng, ['only'])).toEqual(['only']);
    expect(rng.calls()).toBe(0);
  });

  it('keeps every item once, and reaches every order of three items about equally often', () => {
    const rng = seededRng('shuffle');
    const counts = new Map<string, number>();
    for (let t = 0; t < 6000; t++) {
      const order = shuffle(rng, ['a', 'b', 'c']).join('');
      counts.set(order, (counts.get(order) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']);
    // 1,000 expected each; a binomial's standard deviation here is about 29.
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });
});

describe('sample', () => {
  it('takes the first k of a shuffled copy, leaving the items alone', () => {
    const items = ['a', 'b', 'c', 'd'] as const;
    expect(sample(scripted([0, 0.5, 0.99]), items, 2)).toEqual(['d', 'c']);
    expect(items).toEqual(['a', 'b', 'c', 'd']);
  });

  it('draws without replacement: k distinct items, all of them when k is the length or more', () => {
    const rng = seededRng('sample');
    const items = Array.from({ length: 50 }, (_, i) => i);
    const drawn = sample(rng, items, 20);
    expect(new Set(drawn).size).toBe(20);
    expect(drawn.every((x) => items.includes(x))).toBe(true);
    expect(sample(rng, items, 50).sort((a, b) => a - b)).toEqual(items);
    expect(sample(rng, items, 80)).toHaveLength(50);
    expect(sample(rng, items, 0)).toEqual([]);
  });
});

describe('nearCopy', () => {
  const spec = { shift: [2, 4], band: [2.9, 3.1] } as const;

  it('moves each byte by lo + floor(u·(hi − lo + 1)), down when the next u < 0.5, clipped to 0..255', () => {
    // byte 100: step 2 + floor(0.5·3) = 3, down → 97; byte 0: step 4, down → clipped to 0; byte 255: step 2, up → clipped to 255.
    // Distance: sqrt(3² + 0 + 0) = 3, inside [2.9, 3.1].
    const rng = scripted([0.5, 0.2, 0.9, 0.1, 0, 0.7]);
    const { image, distance } = nearCopy(Uint8Array.from([100, 0, 255]), spec, rng, 'test copy');
    expect(Array.from(image)).toEqual([97, 0, 255]);
    expect(distance).toBe(3);
    expect(rng.calls()).toBe(6);
  });

  it('draws again until the distance lands in the band', () => {
    // First draw: byte 100 up by 4 → distance 4, outside; second: down by 3 → distance 3.
    const rng = scripted([0.9, 0.6, 0.5, 0.2]);
    const { image, distance } = nearCopy(Uint8Array.from([100]), spec, rng, 'test copy');
    expect([Array.from(image), distance]).toEqual([[97], 3]);
    expect(rng.calls()).toBe(4);
  });

  it('gives up after 100 draws, naming the copy, when clipping keeps it out of the band', () => {
    const rng = scripted([0.5, 0.9]);
    expect(() => nearCopy(Uint8Array.from([255, 255]), spec, rng, 'cifar-near copy of airliner 3')).toThrow(
      'no cifar-near copy of airliner 3 lands in [2.9,3.1] (source too close to black or white)',
    );
    expect(rng.calls()).toBe(100 * 4);
  });

  it('keeps a seeded copy of a real image inside the band, at the distance it reports', () => {
    const rng = seededRng('near-copy');
    const source = Uint8Array.from({ length: 3072 }, (_, i) => 30 + ((i * 37) % 190));
    const { image, distance } = nearCopy(source, { shift: [20, 24], band: [1100, 1400] }, rng, 'copy');
    let sum = 0;
    for (let i = 0; i < source.length; i++) {
      const d = Math.abs(image[i] - source[i]);
      expect(d >= 20 && d <= 24).toBe(true);
      sum += d * d;
    }
    expect(distance).toBe(Math.sqrt(sum));
    expect(distance).toBeGreaterThanOrEqual(1100);
    expect(distance).toBeLessThanOrEqual(1400);
  });
});

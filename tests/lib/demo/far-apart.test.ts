import { describe, expect, it } from 'vitest';
import { FarApartSet, squaredDistance } from '../../../lib/demo/far-apart';
import { mulberry32 } from '../../helpers/random';

const bruteSquared = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);

/**
 * Images near one of eight blocky prototypes, with per-byte noise of a random
 * strength: two from one prototype land on either side of 2500 in L2, two
 * from different prototypes far beyond it.
 */
function imageSource(seed: number) {
  const rng = mulberry32(seed);
  const prototypes = Array.from({ length: 8 }, () => {
    const blocks = Array.from({ length: 192 }, () => 30 + rng() * 190);
    return Uint8Array.from({ length: 3072 }, (_, i) => blocks[((i / 3 >> 7) * 8 + ((i / 3 & 31) >> 2)) * 3 + (i % 3)]);
  });
  return () => {
    const base = prototypes[Math.floor(rng() * prototypes.length)];
    const noise = 5 + rng() * 80;
    return base.map((v) => v + (rng() * 2 - 1) * noise);
  };
}

describe('squaredDistance', () => {
  it('is the sum of squared byte differences', () => {
    expect(squaredDistance(Uint8Array.of(0, 255, 7, 10), Uint8Array.of(255, 0, 7, 13))).toBe(2 * 255 ** 2 + 9);
    const next = imageSource(1);
    const [a, b] = [next(), next()];
    expect(squaredDistance(a, b)).toBe(bruteSquared(a, b));
  });

  it('may stop early once the sum reaches `stop`, but never below it, and is exact when the sum stays under', () => {
    const a = new Uint8Array(100).fill(10);
    const b = new Uint8Array(100); // 100 bytes 10 apart: 10,000 in all
    const early = squaredDistance(a, b, 450);
    expect(early).toBeGreaterThanOrEqual(450);
    expect(early).toBeLessThan(10_000);
    expect(squaredDistance(a, b, 10_001)).toBe(10_000);
    expect(squaredDistance(a, b, 10_000)).toBe(10_000);
  });
});

describe('FarApartSet', () => {
  it('keeps exactly the images at least minDistance from all kept before (brute force over every draw)', () => {
    const min = 2500;
    const set = new FarApartSet(min);
    const next = imageSource(7);
    const kept: Uint8Array[] = [];
    let rejected = 0;
    for (let draw = 0; draw < 60; draw++) {
      const made: Uint8Array[] = [];
      const image = set.draw(() => {
        made.push(next());
        return made.at(-1)!;
      });
      expect(image).toBe(made.at(-1));
      // Every image turned down was truly near a kept one; the one taken is truly far from all.
      for (const candidate of made.slice(0, -1)) expect(kept.some((k) => bruteSquared(candidate, k) < min ** 2)).toBe(true);
      for (const k of kept) expect(bruteSquared(image, k)).toBeGreaterThanOrEqual(min ** 2);
      rejected += made.length - 1;
      kept.push(image);
    }
    expect(rejected).toBeGreaterThan(20); // the test exercised the rejections
  });

  it('judges a difference within one 4×4 block (where its block-mean bound is tight) right on either side of the limit', () => {
    const a = new Uint8Array(3072);
    const b = new Uint8Array(3072);
    for (let r = 4; r < 8; r++) for (let c = 8; c < 12; c++) b.fill(100, (r * 32 + c) * 3, (r * 32 + c) * 3 + 3);
    expect(bruteSquared(a, b)).toBe(480_000);
    for (const [limit, kept] of [[480_001, false], [479_999, true]] as const) {
      const set = new FarApartSet(Math.sqrt(limit));
      set.add(a);
      const offers = [b, new Uint8Array(3072).fill(200)];
      expect(set.draw(() => offers.shift()!) === b, `squared limit ${limit}`).toBe(kept);
    }
  });

  it('keeps an image clear of the other sets given, and adds it to them', () => {
    const [own, other] = [new FarApartSet(1000), new FarApartSet(1000)];
    const planted = new Uint8Array(3072).fill(100);
    other.add(planted);
    const near = new Uint8Array(3072).fill(110); // 10·sqrt(3072) = 554 from the planted one
    const far = new Uint8Array(3072).fill(140); // 2217 from it
    const offers = [near, far];
    expect(own.draw(() => offers.shift()!, [other])).toBe(far);
    expect(offers).toEqual([]);
    // `far` is now in `other` too: an image next to it is turned down there.
    const tries = [new Uint8Array(3072).fill(141), new Uint8Array(3072).fill(200)];
    expect(other.draw(() => tries.shift()!)[0]).toBe(200);
  });

  it('holds many images (it grows past its first 256)', () => {
    const set = new FarApartSet(10);
    const spike = (at: number) => Uint8Array.from({ length: 3072 }, (_, p) => (p === at ? 255 : 0)); // any two: 360 apart
    for (let i = 0; i < 300; i++) set.draw(() => spike(i));
    // Repeats of the first and the last image are turned down: the set still knows both.
    expect(() => set.draw(() => spike(0))).toThrow(/1000 attempts/);
    expect(() => set.draw(() => spike(299))).toThrow(/1000 attempts/);
    expect(set.draw(() => spike(300))[300]).toBe(255);
  });

  it('lets add() put in an image without checking it, and checks later draws against it', () => {
    const set = new FarApartSet(500);
    const a = new Uint8Array(3072).fill(50);
    set.add(a);
    set.add(a.slice()); // a copy, planted on purpose
    const offers = [a.map((v) => v + 5), a.map((v) => v + 20)];
    expect(set.draw(() => offers.shift()!)[0]).toBe(70);
  });

  it('gives up after 1000 images that are all too close, saying so', () => {
    const set = new FarApartSet(3000);
    set.add(new Uint8Array(3072));
    let calls = 0;
    expect(() => set.draw(() => (calls++, new Uint8Array(3072).fill(1)))).toThrow(
      '1000 attempts found no image at least 3000 from the others: the pictures vary too little',
    );
    expect(calls).toBe(1000);
  });
});

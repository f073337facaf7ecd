import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DEMO_DESIGN } from '../../../lib/demo/design';
import { clutterLook, type Look, LOOKS, render, type Rng } from '../../../lib/demo/looks';

/** A generator that always returns `v`; at 0.5 every jitter is zero and nothing is mirrored. */
const constant = (v: number): Rng => Object.assign(() => v, { jitter: (d: number) => (v * 2 - 1) * d });
const seeded = (seed: string): Rng => {
  const next = seedrandom.alea(seed);
  return Object.assign(() => next(), { jitter: (d: number) => (next() * 2 - 1) * d });
};

const RED = [200, 40, 40] as const;
const BLUE = [40, 40, 200] as const;
/** A blue scene with one red part; the texture moves all channels together, so red > blue marks the part. */
const scene = (part: Look['parts'][number]): Look => ({
  sky: [BLUE, BLUE], ground: [BLUE, BLUE], horizon: 32, at: [16, 16], size: 10, parts: [part], body: RED, accent: RED,
});
/** Pixels (row, column) where red beats blue. */
const redPixels = (image: Uint8Array) => Array.from({ length: 1024 }, (_, p) => p).filter((p) => image[p * 3] > image[p * 3 + 2]);

describe('LOOKS', () => {
  it('has a look for every class keyword and filler keyword of the design, and nothing else', () => {
    const expected = [...Object.values(DEMO_DESIGN.keywords).flat(), ...DEMO_DESIGN.fillerKeywords].sort();
    expect(Object.keys(LOOKS).sort()).toEqual(expected);
  });

  it("draws a class's keywords from the class's base scene: same background, different colours", () => {
    for (const cls of DEMO_DESIGN.classes) {
      const looks = DEMO_DESIGN.keywords[cls].map((k) => LOOKS[k]);
      for (const look of looks) expect(look.sky).toEqual(looks[0].sky);
      const bodies = new Set(looks.map((l) => JSON.stringify([l.body, l.accent, l.parts.length, l.size])));
      expect(bodies.size, cls).toBe(looks.length);
    }
  });
});

describe('render', () => {
  it('is a 32×32×3 image, the same for the same generator state and different for another', () => {
    const a = render(LOOKS.sedan, seeded('x'));
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a).toHaveLength(3072);
    expect(render(LOOKS.sedan, seeded('x'))).toEqual(a);
    expect(render(LOOKS.sedan, seeded('y'))).not.toEqual(a);
  });

  it('paints an ellipse part over exactly the pixels whose centres fall inside it', () => {
    const image = render(scene(['e', 0, 0, 0.8, 0.5, 'body']), constant(0.5));
    const red = redPixels(image);
    // The size is scaled by an unknown factor in [0.75, 1.3]: some scale must give exactly these pixels.
    const inside = (scale: number) =>
      Array.from({ length: 1024 }, (_, p) => p).filter((p) => {
        const [r, c] = [p >> 5, p & 31];
        return ((c + 0.5 - 16) / (8 * scale)) ** 2 + ((r + 0.5 - 16) / (5 * scale)) ** 2 <= 1;
      });
    const scales = Array.from({ length: 551 }, (_, i) => 0.75 + i / 1000);
    expect(scales.some((s) => JSON.stringify(inside(s)) === JSON.stringify(red))).toBe(true);
    expect(red.length).toBeGreaterThan(80);
  });

  it('points a triangle up, or down when its height is negative', () => {
    /** Red pixels per row, over the rows that have any. */
    const rows = (image: Uint8Array) => Array.from({ length: 32 }, (_, r) => redPixels(image).filter((p) => p >> 5 === r).length).filter((n) => n > 0);
    const up = rows(render(scene(['t', 0, 0, 1, 1, 'body']), constant(0.5)));
    const down = rows(render(scene(['t', 0, 0, 1, -1, 'body']), constant(0.5)));
    expect(up.length).toBeGreaterThan(10);
    expect(up).toEqual([...up].sort((a, b) => a - b)); // widening downwards
    expect(down).toEqual([...up].reverse());
  });

  it('mirrors some pictures: a part right of centre lands on either side', () => {
    const look = scene(['r', 0.7, 0, 0.15, 0.15, 'body']);
    const sides = new Set(
      Array.from({ length: 40 }, (_, i) => {
        const red = redPixels(render(look, seeded(`mirror${i}`)));
        const meanColumn = red.reduce((s, p) => s + (p & 31), 0) / red.length;
        return meanColumn > 16 ? 'right' : 'left';
      }),
    );
    expect(sides).toEqual(new Set(['left', 'right']));
  });

  it('folds colours outside 40..215 back in, and adds noise of at most ±7.5 per byte (±8 once rounded)', () => {
    // Without jitter a full-frame part shows its colour: 250 folds to 430 − 250 = 180, 20 to 80 − 20 = 60.
    const look: Look = { ...scene(['r', 0, 0, 3, 3, 'body']), body: [250, 20, 128] };
    const image = render(look, constant(0.5));
    const colour = [180, 60, 128];
    const deviations = [...image].map((v, i) => v - colour[i % 3]);
    expect(Math.max(...deviations.map(Math.abs))).toBeLessThanOrEqual(8);
    expect(new Set(deviations).size).toBeGreaterThan(5); // noise, not a flat fill
    expect(Math.abs(deviations.reduce((s, d) => s + d, 0) / deviations.length)).toBeLessThan(0.5);
  });
});

describe('clutterLook', () => {
  it('makes 3 to 6 parts of random shapes and colours in range, and varies with the generator', () => {
    const looks = Array.from({ length: 200 }, (_, i) => clutterLook(seeded(`clutter${i}`)));
    const counts = new Set(looks.map((l) => l.parts.length));
    expect(counts).toEqual(new Set([3, 4, 5, 6]));
    expect(new Set(looks.flatMap((l) => l.parts.map((p) => p[0])))).toEqual(new Set(['e', 'r', 't']));
    for (const look of looks) {
      expect(look.horizon).toBeGreaterThanOrEqual(10);
      expect(look.horizon).toBeLessThan(32);
      for (const rgb of [...look.sky, ...look.ground, look.body, look.accent]) for (const v of rgb) expect(v >= 0 && v < 256).toBe(true);
    }
    expect(JSON.stringify(looks[0])).not.toBe(JSON.stringify(looks[1]));
  });
});

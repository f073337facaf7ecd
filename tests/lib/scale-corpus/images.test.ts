import { describe, expect, it } from 'vitest';
import { DEMO_DESIGN } from '../../../lib/demo/design';
import { LOOKS, render } from '../../../lib/demo/looks';
import { seededRng } from '../../../lib/demo/random';
import { squaredL2 } from '../../../lib/knn';
import { SCALE_DESIGN } from '../../../lib/scale-corpus/design';
import { FillerImages, keywordLook, Pictures, variant } from '../../../lib/scale-corpus/images';

describe('variant', () => {
  const prototype = render(LOOKS.stealth_bomber, seededRng('prototype'));

  it('is the same for the same seed, and keeps variants of one prototype (the closest images) well apart', () => {
    expect(variant(prototype, seededRng('a'))).toEqual(variant(prototype, seededRng('a')));
    const variants = Array.from({ length: 150 }, (_, i) => variant(prototype, seededRng(`v${i}`)));
    let nearest = Infinity;
    for (let a = 0; a < variants.length; a++) for (let b = a + 1; b < variants.length; b++) nearest = Math.min(nearest, squaredL2(variants[a], variants[b]));
    // The grain alone puts two images sqrt(3072 × 2 × var) apart, var of the noise ≈ grain² / 3.
    const floor = Math.sqrt((3072 * 2 * SCALE_DESIGN.grain ** 2) / 3);
    expect(Math.sqrt(nearest)).toBeGreaterThan(0.9 * floor);
    expect(0.9 * floor).toBeGreaterThan(2000);
  });

  it('never wraps around: white stays light and black stays dark, grain and all', () => {
    const g = SCALE_DESIGN.grain;
    for (let i = 0; i < 50; i++) {
      const white = variant(new Uint8Array(3072).fill(255), seededRng(`w${i}`));
      const black = variant(new Uint8Array(3072), seededRng(`b${i}`));
      expect(Math.min(...white)).toBeGreaterThan(235 * 0.85 * ((255 - 2 * g) / 255) - 1);
      expect(Math.max(...black)).toBeLessThan(2 * g + 20 * 1.15 + 1);
    }
  });
});

describe('Pictures', () => {
  it('draws a keyword from its own prototypes, and off-topic images of another class or of nothing', () => {
    const pictures = new Pictures(5);
    expect(pictures.ofKeyword('vintage_glider', 0, 24, seededRng('x'))).toEqual(new Pictures(5).ofKeyword('vintage_glider', 0, 24, seededRng('x')));
    expect(pictures.ofKeyword('vintage_glider', 0, 24, seededRng('x'))).not.toEqual(new Pictures(6).ofKeyword('vintage_glider', 0, 24, seededRng('x')));
    const shows = Array.from({ length: 400 }, (_, i) => pictures.offTopic(3, seededRng(`o${i}`)).shows);
    expect(shows).not.toContain(3);
    const none = shows.filter((s) => s === -1).length;
    expect(none).toBeGreaterThan(150);
    expect(none).toBeLessThan(250);
    expect(new Set(shows).size).toBe(10);
  });
});

describe('keywordLook', () => {
  it('takes the demo look of the same name, else a look of the class in colours of its own', () => {
    expect(keywordLook('airliner', 0)).toBe(LOOKS.airliner);
    const look = keywordLook('vintage_glider', 0);
    const bases = DEMO_DESIGN.keywords.airplane.map((k) => LOOKS[k].parts);
    expect(bases).toContain(look.parts);
    expect(keywordLook('vintage_glider', 0)).toEqual(look);
    expect(keywordLook('red_jet', 0).body).not.toEqual(look.body);
  });
});

describe('FillerImages', () => {
  it('makes any range on its own: the same bytes as the images of a longer range', () => {
    const filler = new FillerImages(101);
    const long = filler.images(1000, 10);
    expect(long).toHaveLength(10 * 3072);
    expect(Buffer.from(filler.images(1003, 4)).equals(Buffer.from(long.subarray(3 * 3072, 7 * 3072)))).toBe(true);
    expect(Buffer.from(new FillerImages(102).images(1000, 1)).equals(Buffer.from(long.subarray(0, 3072)))).toBe(false);
    // Uniform bytes: mean 127.5 (± 0.13 over 100 images); two images about 5,800 apart.
    const many = filler.images(0, 100);
    expect(Math.abs(many.reduce((s, v) => s + v, 0) / many.length - 127.5)).toBeLessThan(0.6);
    expect(Math.sqrt(squaredL2(long.subarray(0, 3072), long.subarray(3072, 6144)))).toBeGreaterThan(5000);
  });
});

import { describe, expect, it } from 'vitest';
import { DEMO_DESIGN } from '../../../lib/demo/design';
import { LOOKS } from '../../../lib/demo/looks';
import { seededRng } from '../../../lib/demo/random';
import { squaredL2 } from '../../../lib/knn';
import { SCALE_DESIGN } from '../../../lib/scale-corpus/design';
import { FillerImages, grainyPicture, keywordLook } from '../../../lib/scale-corpus/images';

describe('grainyPicture', () => {
  it('is the same for the same seed, and keeps independent pictures of one look well apart', () => {
    const look = keywordLook('stealth_bomber', 0);
    expect(grainyPicture(look, seededRng('a'))).toEqual(grainyPicture(look, seededRng('a')));
    const pictures = Array.from({ length: 150 }, (_, i) => grainyPicture(look, seededRng(`p${i}`)));
    let nearest = Infinity;
    for (let a = 0; a < pictures.length; a++) for (let b = a + 1; b < pictures.length; b++) nearest = Math.min(nearest, squaredL2(pictures[a], pictures[b]));
    // The grain alone puts two pictures sqrt(3072 × 2 × var) apart, var of the noise ≈ grain² / 3.
    const floor = Math.sqrt((3072 * 2 * SCALE_DESIGN.grain ** 2) / 3);
    expect(Math.sqrt(nearest)).toBeGreaterThan(0.9 * floor);
    expect(0.9 * floor).toBeGreaterThan(2000);
  });

  it('uses every byte value range without clipping the grain', () => {
    const image = grainyPicture(LOOKS.airliner, seededRng('range'));
    expect(Math.min(...image)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...image)).toBeLessThanOrEqual(255);
    expect(new Set(image).size).toBeGreaterThan(150);
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

import { describe, expect, it } from 'vitest';
import { assignKeywords, type Match, referenceImages, sortCounts } from '../../lib/keywords';

const m = (cifar: number, ti: number, keyword: string): Match => ({ cifar, ti, keyword, distance: 0 });

describe('assignKeywords', () => {
  const classes = ['cat', 'dog'];
  // CIFAR-10 images 0..3 are cats, 4..5 dogs.
  const labels = [0, 0, 0, 0, 1, 1];

  it('counts each CIFAR-10 image once, under the keyword most frequent in its class', () => {
    const { assigned, byClass, sources } = assignKeywords(labels, classes, [
      m(0, 100, 'kitten'), m(0, 200, 'tabby'), // image 0 under both: kitten has 3 cat images, tabby 2
      m(1, 101, 'kitten'), m(2, 102, 'kitten'), m(3, 201, 'tabby'),
      m(4, 300, 'pug'), m(4, 301, 'pug'), // two copies of the same image: one count
    ]);
    expect(assigned).toEqual(['kitten', 'kitten', 'kitten', 'tabby', 'pug', null]);
    expect(byClass).toEqual({ cat: { kitten: 3, tabby: 1 }, dog: { pug: 1 } });
    expect(Object.keys(byClass.cat)).toEqual(['kitten', 'tabby']);
    expect(sources).toEqual([100, 101, 102, 200, 201, 300, 301]);
  });

  it('breaks a tie between keywords by byte order, and counts a keyword per class', () => {
    const { assigned, byClass } = assignKeywords(labels, classes, [m(0, 1, 'b'), m(0, 2, 'a'), m(4, 3, 'a')]);
    expect(assigned[0]).toBe('a');
    expect(byClass).toEqual({ cat: { a: 1 }, dog: { a: 1 } });
  });

  it('refuses a match of an image that CIFAR-10 does not have', () => {
    expect(() => assignKeywords(labels, classes, [m(6, 1, 'x')])).toThrow('CIFAR-10 image 6');
  });
});

describe('sortCounts and referenceImages', () => {
  it('sorts by decreasing count, then keyword', () => {
    expect(Object.entries(sortCounts({ b: 2, c: 5, a: 2 }))).toEqual([['c', 5], ['a', 2], ['b', 2]]);
  });

  it('takes the first CIFAR-10 images of a keyword, at most the limit', () => {
    expect(referenceImages(['a', null, 'b', 'a', 'a'], 'a', 2)).toEqual([0, 3]);
    expect(referenceImages(['a', null], 'z', 5)).toEqual([]);
  });
});

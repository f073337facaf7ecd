import { describe, expect, it } from 'vitest';
import { candidateRows, topKeywords } from '../../lib/subsets';

describe('topKeywords', () => {
  it('takes the first k keywords of each class in rank order, leaving out the excluded ones', () => {
    const byClass = { cat: { kitten: 9, tabby: 5, lynx: 1 }, dog: { pug: 4 } };
    expect(topKeywords(byClass, ['cat', 'dog', 'frog'], 2, ['kitten'])).toEqual([
      { className: 'cat', classIndex: 0, keyword: 'tabby', cifarCount: 5 },
      { className: 'cat', classIndex: 0, keyword: 'lynx', cifarCount: 1 },
      { className: 'dog', classIndex: 1, keyword: 'pug', cifarCount: 4 },
    ]);
  });
});

describe('candidateRows', () => {
  it('takes every image of the keywords\' ranges but the CIFAR-10 sources, once, ascending, with each keyword\'s rows', () => {
    const keywords = [
      { className: 'cat', classIndex: 0, keyword: 'tabby', cifarCount: 5, start: 20, end: 24 },
      { className: 'dog', classIndex: 1, keyword: 'pug', cifarCount: 4, start: 10, end: 13 },
      // a keyword of two classes: the same range, the same rows
      { className: 'dog', classIndex: 1, keyword: 'tabby', cifarCount: 1, start: 20, end: 24 },
    ];
    const { order, entries } = candidateRows(keywords, new Set([11, 22]));
    expect(order).toEqual([10, 12, 20, 21, 23]);
    expect(entries.map((e) => e.rows)).toEqual([[2, 3, 4], [0, 1], [2, 3, 4]]);
  });
});

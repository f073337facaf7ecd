import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveRealKeywords, formatRealKeywords } from '../../../lib/scale-corpus/derive-keywords';
import { SHARED } from '../../helpers/shared';

describe('derive-keywords', () => {
  it('derives the committed real-keywords.json from the published files', async () => {
    const real = await deriveRealKeywords(SHARED);
    const committed = await readFile(path.join(__dirname, '../../../lib/scale-corpus/real-keywords.json'), 'utf8');
    expect(formatRealKeywords(real)).toBe(committed);
    // The v4 lists: 25 keywords per class, 57,148 CIFAR-10 images in all.
    const counted = Object.values(real.keywords).map((list) => list.filter(([, count]) => count !== null));
    expect(counted.map((list) => list.length)).toEqual(Array(10).fill(25));
    expect(counted.flat().reduce((s, [, n]) => s + n!, 0)).toBe(57_148);
    expect(Object.values(real.keywords).flat()).toHaveLength(339);
    expect(real.keywords.automobile.find(([k]) => k === 'cruiser')).toEqual(['cruiser', 52, 2]);
  });
});

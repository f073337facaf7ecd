import { describe, expect, it } from 'vitest';
import { NAME_PARTS } from '../../../lib/scale-corpus/design';
import { classNames, fillerNames } from '../../../lib/scale-corpus/names';

const take = <T>(gen: Generator<T>, n: number) => Array.from({ length: n }, () => gen.next().value as T);

describe('keyword names', () => {
  it('invents class names from the class nouns, skipping and recording taken names, the same every time', () => {
    const taken = new Set(['old_cat']);
    const names = take(classNames('cat', taken), 100);
    expect(new Set(names).size).toBe(100);
    expect(names).not.toContain('old_cat');
    for (const name of names) {
      expect(taken.has(name)).toBe(true);
      expect(NAME_PARTS.nouns.cat).toContain(name.split('_')[1]);
    }
    expect(take(classNames('cat', new Set(['old_cat'])), 100)).toEqual(names);
  });

  it('invents tens of thousands of distinct filler names, valid keywords, never a taken one', () => {
    const taken = new Set(['baba']);
    const names = take(fillerNames(taken), 80_000);
    expect(new Set(names).size).toBe(80_000);
    expect(names).not.toContain('baba');
    for (const name of names) if (!/^[a-z]+(_[a-z]+)?$/.test(name) || name.length > 80) throw new Error(`bad name ${name}`);
    expect(take(fillerNames(new Set(['baba'])), 1000)).toEqual(names.slice(0, 1000));
  });
});

import { seededRng, shuffle } from '../demo/random';
import { NAME_PARTS, type ScaleClass } from './design';

/**
 * Invented keyword names of a class, for the tail beyond the keywords the
 * published files name: `<modifier>_<noun>` from the class's nouns, in a fixed
 * shuffled order, skipping names in `taken` (and adding what it yields there).
 */
export function* classNames(cls: ScaleClass, taken: Set<string>): Generator<string> {
  const combos = NAME_PARTS.nouns[cls].flatMap((noun) => NAME_PARTS.modifiers.map((modifier) => `${modifier}_${noun}`));
  for (const name of shuffle(seededRng(`scale-corpus/names/${cls}`), combos)) {
    if (taken.has(name)) continue;
    taken.add(name);
    yield name;
  }
  throw new Error(`scale corpus: out of invented keyword names for ${cls} (${combos.length} combinations)`);
}

/**
 * Names of filler keywords (no class): pronounceable made-up words of two to
 * four syllables, a third of them two words, never one in `taken` (and added
 * there). Endless; the same sequence every time.
 */
export function* fillerNames(taken: Set<string>): Generator<string> {
  const rng = seededRng('scale-corpus/filler-names');
  const { syllables } = NAME_PARTS;
  const word = () => Array.from({ length: 2 + Math.floor(rng() * 3) }, () => syllables[Math.floor(rng() * syllables.length)]).join('');
  for (;;) {
    const name = rng() < 1 / 3 ? `${word()}_${word()}` : word();
    if (taken.has(name)) continue;
    taken.add(name);
    yield name;
  }
}

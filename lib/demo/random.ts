import seedrandom from 'seedrandom';
import { squaredDistance } from './far-apart';
import type { Rng } from './looks';

/** A seeded generator for pictures (seedrandom's Alea: fast, and the same numbers on every platform). */
export function seededRng(seed: string): Rng {
  const next = seedrandom.alea(seed);
  return Object.assign(() => next(), { jitter: (d: number) => (next() * 2 - 1) * d });
}

/** Shuffles `items` in place (Fisher-Yates from the end) and returns it. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** `k` of `items`, drawn without replacement. */
export function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  return shuffle(rng, [...items]).slice(0, k);
}

/** How far a planted near-copy moves each byte, and the L2 band its distance must land in. */
export interface NearCopySpec {
  readonly shift: readonly [number, number];
  readonly band: readonly [number, number];
}

/**
 * A near-copy of `source`: every byte moved up or down by a random amount in
 * the shift range, clipped to 0..255, redrawn until the L2 distance falls in
 * the band. `what` names the copy in the error when none lands there.
 */
export function nearCopy(source: Uint8Array, { shift: [lo, hi], band }: NearCopySpec, rng: Rng, what: string): { image: Uint8Array; distance: number } {
  for (let attempt = 0; attempt < 100; attempt++) {
    const image = source.map((v) => {
      const step = lo + Math.floor(rng() * (hi - lo + 1));
      return Math.max(0, Math.min(255, rng() < 0.5 ? v - step : v + step));
    });
    const distance = Math.sqrt(squaredDistance(image, source));
    if (distance >= band[0] && distance <= band[1]) return { image, distance };
  }
  throw new Error(`no ${what} lands in [${band}] (source too close to black or white)`);
}

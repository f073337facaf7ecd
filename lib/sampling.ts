/**
 * Release sampling: which confirmed TinyImages indices go into a release, per
 * class and keyword. Pure functions; the randomness comes from a ReleaseRng
 * (CPython-compatible to replay the published releases).
 */
import { check } from './errors';
import type { ReleaseRng } from './rng';

export interface V6Inputs {
  classes: string[]; // label order
  quotas: Record<string, Record<string, number>>; // keyword_counts_v6.json: {class: {keyword: count}}, iteration in file order
  confirmed: Record<string, number[]>; // second-round confirmed ti indices per keyword (tinyimage_good_indices_subselected_v6.json)
  blacklist: number[];
  v4PerKeyword: Record<string, number[]>; // cifar10.1_v4_ti_indices_per_keyword.json
  splitKeywords?: Record<string, Record<string, number[]>>; // e.g. {cruiser: {automobile: [...], ship: [...]}} from cruiser_good_indices.json
}

export interface V4Inputs {
  classes: string[];
  keywordClass: Record<string, number>;
  keywords: string[]; // sampling order
  counts: Record<string, number>; // images to draw per keyword
  confirmed: Record<string, number[]>;
  blacklist: number[];
}

export interface KeywordDraw {
  class: string;
  keyword: string;
  indices: number[];
}

export interface ReleaseSample {
  tiIndices: number[];
  labels: number[];
  perKeyword: KeywordDraw[];
}

/**
 * The v6 sampling, as the published notebook did it: per class, per keyword in
 * file order, start from the keyword's v4 images, drop a random surplus or draw
 * the missing ones from the confirmed images not yet used.
 */
export function sampleV6(inputs: V6Inputs, rng: ReleaseRng): ReleaseSample {
  const clean = withoutBlacklist(inputs.blacklist);
  const perKeyword: KeywordDraw[] = [];
  for (const cls of inputs.classes) {
    const quotas = inputs.quotas[cls];
    check(quotas, `keyword_counts_v6.json: ${cls}`, 'no keyword quotas for this class');
    for (const [keyword, quota] of fileOrderEntries(quotas, 'keyword_counts_v6.json')) {
      checkCount(quota, `keyword_counts_v6.json: ${cls}.${keyword}`);
      const { existing, confirmed } = startingPoint(inputs, cls, keyword);
      let indices = existing;
      if (quota < existing.length) {
        const dropped = new Set(rng.sample(existing, existing.length - quota));
        indices = existing.filter((i) => !dropped.has(i));
      } else if (quota > existing.length) {
        const missing = quota - existing.length;
        // With no v4 images the notebook sampled the list itself, else a set difference (set order matters).
        const pool = existing.length === 0 ? clean(confirmed) : rng.setDifference(clean(confirmed), existing);
        check(pool.length >= missing, keyword, `${cls} needs ${missing} more images but only ${pool.length} confirmed ones are left`);
        indices = [...existing, ...rng.sample(pool, missing)];
      }
      perKeyword.push({ class: cls, keyword, indices });
    }
  }
  return assemble(perKeyword, inputs.classes);
}

/** The v4 sampling: per keyword in order, `count` images drawn from its confirmed, non-blacklisted ones. */
export function sampleV4(inputs: V4Inputs, rng: ReleaseRng): ReleaseSample {
  const clean = withoutBlacklist(inputs.blacklist);
  const perKeyword = inputs.keywords.map((keyword): KeywordDraw => {
    const label = inputs.keywordClass[keyword];
    check(Number.isInteger(label) && label >= 0 && label < inputs.classes.length, keyword, `no valid class (got ${label})`);
    const count = inputs.counts[keyword];
    checkCount(count, `${keyword} count`);
    const pool = clean(inputs.confirmed[keyword] ?? []);
    check(pool.length >= count, keyword, `needs ${count} images but only ${pool.length} confirmed ones are left`);
    return { class: inputs.classes[label], keyword, indices: rng.sample(pool, count) };
  });
  return assemble(perKeyword, inputs.classes);
}

/**
 * A keyword's v4 images and confirmed list for one class. A split keyword
 * (cruiser) uses its per-class list, and its v4 images go to the one class
 * whose list holds them.
 */
function startingPoint(inputs: V6Inputs, cls: string, keyword: string): { existing: number[]; confirmed: number[] } {
  const v4 = inputs.v4PerKeyword[keyword] ?? [];
  const split = inputs.splitKeywords?.[keyword];
  if (!split) return { existing: [...v4], confirmed: inputs.confirmed[keyword] ?? [] };
  const lists = Object.entries(split);
  for (const i of v4) {
    const owners = lists.filter(([, list]) => list.includes(i)).length;
    check(owners === 1, `${keyword} v4 index ${i}`, `is in ${owners} of the split class lists, needs exactly one`);
  }
  const mine = split[cls] ?? [];
  return { existing: v4.filter((i) => mine.includes(i)), confirmed: mine };
}

function assemble(perKeyword: KeywordDraw[], classes: string[]): ReleaseSample {
  const label = new Map(classes.map((c, i) => [c, i]));
  const seen = new Map<number, string>();
  const tiIndices: number[] = [];
  const labels: number[] = [];
  for (const { class: cls, keyword, indices } of perKeyword) {
    for (const i of indices) {
      check(!seen.has(i), `TinyImages index ${i}`, `drawn for both ${seen.get(i)} and ${keyword}`);
      seen.set(i, keyword);
      tiIndices.push(i);
      labels.push(label.get(cls)!);
    }
  }
  return { tiIndices, labels, perKeyword };
}

function withoutBlacklist(blacklist: readonly number[]): (list: readonly number[]) => number[] {
  const banned = new Set(blacklist);
  return (list) => list.filter((i) => !banned.has(i));
}

/**
 * Object entries in JSON file order. JS objects keep insertion order except
 * for integer-like keys, which they move first; keywords never look like that,
 * and this makes sure.
 */
function fileOrderEntries<V>(record: Record<string, V>, file: string): [string, V][] {
  const entries = Object.entries(record);
  for (const [key] of entries) check(!/^(0|[1-9]\d*)$/.test(key), `${file}: ${key}`, 'an integer-like key loses its file order');
  return entries;
}

function checkCount(n: unknown, subject: string): asserts n is number {
  check(Number.isSafeInteger(n) && (n as number) >= 0, subject, `must be a non-negative integer, got ${n}`);
}

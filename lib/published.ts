// The published CIFAR-10.1 files (its other_data/ and datasets/): reading and
// checking them, so that a build can take their stages' outputs as its own
// checkpoints (quotas, both labeling rounds, the blacklist, the v4 release).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors';
import { readNpy } from './formats/npy';
import { perKeywordQuotas } from './quotas';
import type { ReleaseSample } from './sampling';

/** The published files of a CIFAR-10.1 checkout, read and checked on first use. */
export class Published {
  /** The files keywordClasses reads: the only published record of which class a keyword is in. */
  static readonly KEYWORD_CLASS_FILES = ['other_data/keyword_counts_v6.json', 'other_data/cifar10.1_v4_ti_indices_per_keyword.json', 'datasets/cifar10.1_v4_labels.npy'];

  private readonly cache = new Map<string, Buffer>();
  constructor(readonly dir: string) {}

  async bytes(name: string): Promise<Buffer> {
    const file = path.join(this.dir, name);
    if (!this.cache.has(name)) {
      this.cache.set(name, await readFile(file).catch((err) => {
        throw new InputError(`published file missing or unreadable (${err.code ?? err.message})`, file);
      }));
    }
    return this.cache.get(name)!;
  }

  async json<T>(name: string, shape: 'object' | 'array'): Promise<T> {
    const file = path.join(this.dir, name);
    let value: unknown;
    try {
      value = JSON.parse((await this.bytes(name)).toString('utf8'));
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`not valid JSON (${(err as Error).message})`, file);
    }
    if (shape === 'array' ? !Array.isArray(value) : typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InputError(`expected a JSON ${shape}`, file);
    }
    return value as T;
  }

  async indexLists(name: string): Promise<Record<string, number[]>> {
    const lists = await this.json<Record<string, unknown>>(name, 'object');
    for (const [key, list] of Object.entries(lists)) {
      if (!Array.isArray(list) || list.some((i) => !Number.isInteger(i) || i < 0)) {
        throw new InputError(`"${key}" is not a list of TinyImages indices`, path.join(this.dir, name));
      }
    }
    return lists as Record<string, number[]>;
  }

  async labels(name: string): Promise<number[]> {
    const arr = await readNpy(path.join(this.dir, name));
    return Array.from(arr.data as ArrayLike<number>, Number);
  }

  /** Keyword → classes, from the v6 quotas and the v4 release (its per-keyword lists and labels). */
  async keywordClasses(classes: string[]): Promise<Map<string, string[]>> {
    const owners = new Map<string, string[]>();
    const add = (kw: string, cls: string) => {
      if (!owners.get(kw)?.includes(cls)) owners.set(kw, [...(owners.get(kw) ?? []), cls]);
    };
    for (const [cls, kws] of Object.entries(await this.json<Record<string, Record<string, number>>>('other_data/keyword_counts_v6.json', 'object'))) {
      for (const kw of Object.keys(kws)) add(kw, cls);
    }
    const labels = await this.labels('datasets/cifar10.1_v4_labels.npy');
    let at = 0;
    for (const [kw, list] of Object.entries(await this.indexLists('other_data/cifar10.1_v4_ti_indices_per_keyword.json'))) {
      for (let i = 0; i < list.length; i++) add(kw, classes[labels[at++]]);
    }
    return owners;
  }
}


/**
 * A published per-keyword sample (v4) cannot be redrawn (it depended on a
 * nearest-neighbour file that was never published), so it is taken as is and
 * checked against what can be checked: its labels match its images, the
 * per-keyword rule (ceil(count / imagesPerCount)), the confirmed pool, the
 * blacklist and the class histogram.
 */
export async function verifyPublishedSample(pub: Published, release: string, classes: string[], rule: { imagesPerCount: number; minFraction: number }) {
  const perKeyword = await pub.indexLists(`other_data/cifar10.1_${release}_ti_indices_per_keyword.json`);
  const labels = await pub.labels(`datasets/cifar10.1_${release}_labels.npy`);
  const counts = await pub.json<Record<string, number>>(`other_data/keyword_counts_${release}.json`, 'object');
  const order = await pub.json<string[]>(`other_data/keywords_${release}.json`, 'array');
  const confirmed = await pub.indexLists(`other_data/tinyimage_good_indices_subselected_${release}.json`);
  const blacklist = new Set(await pub.json<number[]>(`other_data/blacklist_${release}.json`, 'array'));
  const tiIndices = Object.values(perKeyword).flat();
  const rule_ = Object.fromEntries(perKeywordQuotas(order.map((kw) => [kw, counts[kw] ?? 0]), rule.imagesPerCount, rule.minFraction));
  const countDifferences = [...new Set([...order, ...Object.keys(perKeyword)])]
    .map((keyword) => ({ keyword, rule: rule_[keyword] ?? 0, published: perKeyword[keyword]?.length ?? 0, confirmed: confirmed[keyword]?.length ?? 0 }))
    .filter((d) => d.rule !== d.published)
    .map((d) => ({ ...d, why: d.published === 0 && d.confirmed === 0 ? 'no confirmed images for this keyword' : d.published < d.rule && d.confirmed < d.rule ? 'fewer confirmed images than the rule asks for' : 'differs from the rule as published' }));
  const outsidePool = Object.entries(perKeyword).flatMap(([kw, list]) => list.filter((i) => !confirmed[kw]?.includes(i)).map((i) => ({ keyword: kw, index: i })));
  const blacklisted = tiIndices.filter((i) => blacklist.has(i));
  const histogram = classes.map((_, c) => labels.filter((l) => l === c).length);
  const checks = {
    size: { rule: Object.values(rule_).reduce((a, b) => a + b, 0), found: tiIndices.length, labels: labels.length, ok: tiIndices.length === labels.length },
    countRule: { keywords: order.length, differ: countDifferences.length, ok: countDifferences.length === 0 },
    confirmedPool: { outside: outsidePool.length, ok: outsidePool.length === 0 },
    blacklist: { blacklisted: blacklisted.length, ok: blacklisted.length === 0 },
    classHistogram: { perClass: histogram, ok: histogram.reduce((a, b) => a + b, 0) === labels.length },
  };
  let at = 0;
  const sample: ReleaseSample = {
    tiIndices,
    labels,
    perKeyword: Object.entries(perKeyword).map(([keyword, indices]) => {
      // A keyword listed without images has no class in the published files (not the next keyword's).
      const draw = { class: indices.length ? classes[labels[at]] ?? '' : '', keyword, indices };
      at += indices.length;
      return draw;
    }),
  };
  return { sample, report: { checks, countDifferences, outsidePool, blacklisted } };
}

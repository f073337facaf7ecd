import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { readNpy } from '../lib/formats/npy';
import { sha256 } from '../lib/hash';
import { perKeywordQuotas } from '../lib/quotas';
import { ArtifactStore } from '../lib/store';
import type { ActivityDeps } from './common';
import type { Quotas } from './compute-counts';
import { runStage } from './context';
import type { Sample } from './sample-release';

const VERSION = 1;

/** The stages whose output the published CIFAR-10.1 files provide. */
export type PublishedStage = 'computeKeywordCounts' | 'labelCandidates' | 'confirmCandidates' | 'updateBlacklist' | 'baseRelease' | 'sampleRelease';

/** Which published file stands for which stage's output. */
export function publishedFiles(stage: PublishedStage, release: string): string[] {
  switch (stage) {
    case 'computeKeywordCounts':
      return release === 'v4' ? ['other_data/keyword_counts_v4.json', 'other_data/keywords_v4.json'] : [`other_data/keyword_counts_${release}.json`];
    case 'labelCandidates':
      return ['other_data/tinyimage_good_indices.json', 'other_data/cruiser_good_indices.json', 'other_data/keyword_counts_v6.json', 'other_data/cifar10.1_v4_ti_indices_per_keyword.json', 'datasets/cifar10.1_v4_labels.npy'];
    case 'confirmCandidates':
      return [`other_data/tinyimage_good_indices_subselected_${release}.json`, 'other_data/cruiser_good_indices.json', 'other_data/keyword_counts_v6.json', 'other_data/cifar10.1_v4_ti_indices_per_keyword.json', 'datasets/cifar10.1_v4_labels.npy'];
    case 'updateBlacklist':
      return [`other_data/blacklist_${release}.json`];
    case 'baseRelease':
      return ['other_data/cifar10.1_v4_ti_indices_per_keyword.json'];
    case 'sampleRelease':
      return ['other_data/cifar10.1_v4_ti_indices_per_keyword.json', 'datasets/cifar10.1_v4_labels.npy', 'other_data/keyword_counts_v4.json', 'other_data/keywords_v4.json', 'other_data/tinyimage_good_indices_subselected_v4.json', 'other_data/blacklist_v4.json'];
  }
}

class Published {
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
 * A stage's output taken from the published CIFAR-10.1 files instead of
 * computed (or waited for): quotas, the two labeling rounds, the blacklist,
 * the v4 release. The outputs have the same files as the computed stages, so
 * the stages after them (sampling, export, evaluation) run unchanged.
 */
export function importPublished({ store }: ActivityDeps) {
  return async function importPublished(input: { dir: string; release: string; stage: PublishedStage; classes: string[] }) {
    return runStage(async () => {
      const { dir, release, stage, classes } = input;
      const pub = new Published(dir);
      const sources = publishedFiles(stage, release);
      const hashes = await Promise.all(sources.map(async (f) => sha256(await pub.bytes(f))));
      const key = ArtifactStore.key(`published-${stage}`, VERSION, { release, classes, sources, hashes });
      return store.stage(`published-${stage}`, key, async (out) => {
        const write = (name: string, value: unknown) => writeFileAtomic(path.join(out, name), Buffer.from(JSON.stringify(value, null, 2)));
        const summary = { from: sources.map((f) => path.basename(f)) };
        switch (stage) {
          case 'computeKeywordCounts': {
            let quotas: Quotas;
            if (release === 'v4') {
              const counts = await pub.json<Record<string, number>>(sources[0], 'object');
              const order = await pub.json<string[]>(sources[1], 'array');
              const missing = order.filter((kw) => !(kw in counts));
              if (missing.length) throw new InputError(`keywords without a count: ${missing.join(', ')}`, path.join(dir, sources[0]));
              const perKeyword = Object.fromEntries(perKeywordQuotas(order.map((kw) => [kw, counts[kw]]), 30, 0.5).filter(([, n]) => n > 0));
              quotas = { method: 'per-keyword', perKeyword, order: Object.keys(perKeyword) };
            } else {
              quotas = { method: 'balanced', perClass: await pub.json(sources[0], 'object') };
            }
            await write('quotas.json', quotas);
            await copyFile(path.join(dir, sources[0]), path.join(out, 'keyword_counts.json'));
            return { files: ['quotas.json', 'keyword_counts.json'], summary };
          }
          case 'labelCandidates':
          case 'confirmCandidates': {
            const lists = await pub.indexLists(sources[0]);
            const split = await pub.indexLists('other_data/cruiser_good_indices.json');
            const owners = await pub.keywordClasses(classes);
            const accepted: Record<string, Record<string, number[]>> = {};
            for (const [kw, list] of Object.entries(lists)) {
              const classesOfKw = owners.get(kw) ?? ['(no class)'];
              for (const cls of classesOfKw) (accepted[cls] ??= {})[kw] = classesOfKw.length > 1 && kw === 'cruiser' ? split[cls] ?? [] : list;
            }
            await write('accepted.json', accepted);
            return { files: ['accepted.json'], summary: { ...summary, keywords: Object.keys(lists).length } };
          }
          case 'updateBlacklist': {
            const list = await pub.json<number[]>(sources[0], 'array');
            await write('blacklist.json', [...list].sort((a, b) => a - b));
            return { files: ['blacklist.json'], summary: { ...summary, total: list.length } };
          }
          case 'baseRelease': {
            await write('ti_indices_per_keyword.json', await pub.indexLists(sources[0]));
            return { files: ['ti_indices_per_keyword.json'], summary };
          }
          case 'sampleRelease': {
            const { sample, report } = await verifyPublishedV4(pub, classes);
            await write('sample.json', sample);
            await write('ti_indices_per_keyword.json', await pub.indexLists(sources[0]));
            await write('verification.json', report);
            const perClass = classes.map((_, c) => sample.labels.filter((l) => l === c).length);
            return { files: ['sample.json', 'ti_indices_per_keyword.json', 'verification.json'], summary: { ...summary, images: sample.tiIndices.length, perClass, verification: report.checks } };
          }
        }
      });
    });
  };
}

/**
 * The published v4 sample cannot be redrawn (it depended on a nearest-neighbour
 * file that was never published), so it is taken as is and checked against
 * what can be checked: size, the ceil(count/30) rule, the confirmed pool, the
 * blacklist and the class histogram.
 */
async function verifyPublishedV4(pub: Published, classes: string[]) {
  const perKeyword = await pub.indexLists('other_data/cifar10.1_v4_ti_indices_per_keyword.json');
  const labels = await pub.labels('datasets/cifar10.1_v4_labels.npy');
  const counts = await pub.json<Record<string, number>>('other_data/keyword_counts_v4.json', 'object');
  const order = await pub.json<string[]>('other_data/keywords_v4.json', 'array');
  const confirmed = await pub.indexLists('other_data/tinyimage_good_indices_subselected_v4.json');
  const blacklist = new Set(await pub.json<number[]>('other_data/blacklist_v4.json', 'array'));
  const tiIndices = Object.values(perKeyword).flat();
  const rule = Object.fromEntries(perKeywordQuotas(order.map((kw) => [kw, counts[kw] ?? 0]), 30, 0.5));
  const countDifferences = [...new Set([...order, ...Object.keys(perKeyword)])]
    .map((keyword) => ({ keyword, rule: rule[keyword] ?? 0, published: perKeyword[keyword]?.length ?? 0, confirmed: confirmed[keyword]?.length ?? 0 }))
    .filter((d) => d.rule !== d.published)
    .map((d) => ({ ...d, why: d.published === 0 && d.confirmed === 0 ? 'no confirmed images for this keyword' : d.published < d.rule && d.confirmed < d.rule ? 'fewer confirmed images than the rule asks for' : 'differs from the rule as published' }));
  const outsidePool = Object.entries(perKeyword).flatMap(([kw, list]) => list.filter((i) => !confirmed[kw]?.includes(i)).map((i) => ({ keyword: kw, index: i })));
  const blacklisted = tiIndices.filter((i) => blacklist.has(i));
  const histogram = classes.map((_, c) => labels.filter((l) => l === c).length);
  const checks = {
    size: { expected: 2021, found: tiIndices.length, labels: labels.length, ok: tiIndices.length === 2021 && labels.length === 2021 },
    countRule: { keywords: order.length, differ: countDifferences.length, ok: countDifferences.length === 0 },
    confirmedPool: { outside: outsidePool.length, ok: outsidePool.length === 0 },
    blacklist: { blacklisted: blacklisted.length, ok: blacklisted.length === 0 },
    classHistogram: { perClass: histogram, ok: histogram.reduce((a, b) => a + b, 0) === labels.length },
  };
  let at = 0;
  const sample: Sample = {
    tiIndices,
    labels,
    perKeyword: Object.entries(perKeyword).map(([keyword, indices]) => {
      const draw = { class: classes[labels[at]] ?? '', keyword, indices };
      at += indices.length;
      return draw;
    }),
  };
  return { sample, report: { checks, countDifferences, outsidePool, blacklisted } };
}

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { sha256 } from '../lib/hash';
import { Published, verifyPublishedSample as verify } from '../lib/published';
import { perKeywordQuotas, type QuotaRule, type Quotas } from '../lib/quotas';
import { ArtifactStore } from '../lib/store';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

// A build from the published CIFAR-10.1 files takes each stage they provide
// as that stage's checkpoint: one activity per stage, with the same files as
// the computed stage, so the stages after it (sampling, export, evaluation)
// run unchanged.

const VERSION = 3;

/** Runs `make` into the store entry of a published stage, keyed by the files it reads (their content) and its parameters. */
async function fromFiles<S extends object>(store: ArtifactStore, stage: string, pub: Published, sources: string[], params: object,
  make: (dir: string, write: (name: string, value: unknown) => Promise<void>) => Promise<{ files: string[]; summary: S }>) {
  const hashes = await Promise.all(sources.map(async (f) => sha256(await pub.bytes(f))));
  const key = ArtifactStore.key(stage, VERSION, { ...params, sources, hashes });
  return store.stage<S & { from: string[] }>(stage, key, async (dir) => {
    const write = (name: string, value: unknown) => writeFileAtomic(path.join(dir, name), Buffer.from(JSON.stringify(value, null, 2)));
    const { files, summary } = await make(dir, write);
    return { files, summary: { from: sources.map((f) => path.basename(f)), ...summary } };
  });
}

/** The release's quotas from the published keyword counts: per keyword by the config's rule, or the balanced table as published. */
export function publishedQuotas({ store }: ActivityDeps) {
  return async function publishedQuotas(input: { dir: string; release: string; sampling: QuotaRule }) {
    return runStage(async () => {
      const { dir, release, sampling } = input;
      const pub = new Published(dir);
      const counts = `other_data/keyword_counts_${release}.json`;
      const order = `other_data/keywords_${release}.json`;
      const sources = sampling.method === 'per-keyword' ? [counts, order] : [counts];
      return fromFiles(store, 'published-quotas', pub, sources, { release, sampling }, async (out, write) => {
        let quotas: Quotas;
        if (sampling.method === 'per-keyword') {
          const byKeyword = await pub.json<Record<string, number>>(counts, 'object');
          const keywords = await pub.json<string[]>(order, 'array');
          const missing = keywords.filter((kw) => !(kw in byKeyword));
          if (missing.length) throw new InputError(`keywords without a count: ${missing.join(', ')}`, path.join(dir, counts));
          const perKeyword = Object.fromEntries(perKeywordQuotas(keywords.map((kw) => [kw, byKeyword[kw]]), sampling.imagesPerCount, sampling.minFraction).filter(([, n]) => n > 0));
          quotas = { method: 'per-keyword', perKeyword, order: Object.keys(perKeyword) };
        } else {
          quotas = { method: 'balanced', perClass: await pub.json(counts, 'object') };
        }
        await write('quotas.json', quotas);
        await copyFile(path.join(dir, counts), path.join(out, 'keyword_counts.json'));
        return { files: ['quotas.json', 'keyword_counts.json'], summary: {} };
      });
    });
  };
}

/** A labeling round's accepted images from the published lists (round 1: the first labeler's; round 2: the release's confirmed subset), by class. */
export function publishedLabels({ store }: ActivityDeps) {
  return async function publishedLabels(input: { dir: string; release: string; round: 1 | 2; classes: string[] }) {
    return runStage(async () => {
      const { dir, release, round, classes } = input;
      const pub = new Published(dir);
      const list = round === 1 ? 'other_data/tinyimage_good_indices.json' : `other_data/tinyimage_good_indices_subselected_${release}.json`;
      const sources = [list, 'other_data/cruiser_good_indices.json', ...Published.KEYWORD_CLASS_FILES];
      return fromFiles(store, `published-labels-round${round}`, pub, sources, { release, round, classes }, async (_out, write) => {
        const lists = await pub.indexLists(list);
        const split = await pub.indexLists('other_data/cruiser_good_indices.json');
        const owners = await pub.keywordClasses(classes);
        const accepted: Record<string, Record<string, number[]>> = {};
        for (const [kw, indices] of Object.entries(lists)) {
          const classesOfKw = owners.get(kw) ?? ['(no class)'];
          // `cruiser`, of two classes (car and ship), is split by its published per-class lists.
          for (const cls of classesOfKw) (accepted[cls] ??= {})[kw] = classesOfKw.length > 1 && kw === 'cruiser' ? split[cls] ?? [] : indices;
        }
        await write('accepted.json', accepted);
        return { files: ['accepted.json'], summary: { keywords: Object.keys(lists).length } };
      });
    });
  };
}

/** The release's blacklist of near-duplicates, as published. */
export function publishedBlacklist({ store }: ActivityDeps) {
  return async function publishedBlacklist(input: { dir: string; release: string }) {
    return runStage(async () => {
      const pub = new Published(input.dir);
      const file = `other_data/blacklist_${input.release}.json`;
      return fromFiles(store, 'published-blacklist', pub, [file], { release: input.release }, async (_out, write) => {
        const list = await pub.json<number[]>(file, 'array');
        await write('blacklist.json', [...list].sort((a, b) => a - b));
        return { files: ['blacklist.json'], summary: { total: list.length } };
      });
    });
  };
}

/** The release a published one grows from (v6: v4), per keyword. */
export function publishedBaseRelease({ store }: ActivityDeps) {
  return async function publishedBaseRelease(input: { dir: string; base: string }) {
    return runStage(async () => {
      const pub = new Published(input.dir);
      const file = `other_data/cifar10.1_${input.base}_ti_indices_per_keyword.json`;
      return fromFiles(store, 'published-base-release', pub, [file], { base: input.base }, async (_out, write) => {
        await write('ti_indices_per_keyword.json', await pub.indexLists(file));
        return { files: ['ti_indices_per_keyword.json'], summary: { base: input.base } };
      });
    });
  };
}

/**
 * A published per-keyword release (v4), taken as its sample and verified
 * rather than redrawn: its nearest-neighbour input was never published.
 */
export function verifyPublishedSample({ store }: ActivityDeps) {
  return async function verifyPublishedSample(input: { dir: string; release: string; classes: string[]; sampling: QuotaRule }) {
    return runStage(async () => {
      const { dir, release, classes, sampling } = input;
      if (sampling.method !== 'per-keyword') throw new InputError('only a per-keyword release is verified rather than sampled', 'sampling.method');
      const pub = new Published(dir);
      const sources = [`other_data/cifar10.1_${release}_ti_indices_per_keyword.json`, `datasets/cifar10.1_${release}_labels.npy`, `other_data/keyword_counts_${release}.json`,
        `other_data/keywords_${release}.json`, `other_data/tinyimage_good_indices_subselected_${release}.json`, `other_data/blacklist_${release}.json`];
      return fromFiles(store, 'published-sample', pub, sources, { release, classes, sampling }, async (_out, write) => {
        const { sample, report } = await verify(pub, release, classes, sampling);
        await write('sample.json', sample);
        await write('ti_indices_per_keyword.json', await pub.indexLists(sources[0]));
        await write('verification.json', report);
        const perClass = classes.map((_, c) => sample.labels.filter((l) => l === c).length);
        return { files: ['sample.json', 'ti_indices_per_keyword.json', 'verification.json'], summary: { images: sample.tiIndices.length, perClass, verification: report.checks } };
      });
    });
  };
}

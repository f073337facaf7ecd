import path from 'node:path';
import { writeFileAtomic } from '../lib/formats/files';
import { TinyImages } from '../lib/formats/tinyimages';
import { topKNeighbors } from '../lib/knn';
import { PageReader } from '../lib/labeling';
import type { DuplicatePair } from '../lib/near-duplicates';
import { CORPUS_FILES, readPoolRows } from '../lib/pool';
import {
  type ByKeyword, type CifarNeighbour, type DecisionInfo, type DescribeInputs, exclusionCounts, exclusionRows,
  provenanceRows, type RankedKeyword, type RoundRecord, type SampleRecord,
} from '../lib/provenance';
import { quotaOf, type Quotas } from '../lib/quotas';
import { loadImages, loadImagesAt, loadNeighbors, loadSubsets, tinyDirOf } from '../lib/stage-files';
import { stageKeys } from '../lib/stage-keys';
import type { ArtifactRef, ArtifactStore, StageOutput } from '../lib/store';
import type { ExtractSummary } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';


/** What a describeRelease entry's audit_summary.json holds: the totals, and where explain finds the pixels. */
export interface AuditSummary {
  release: string;
  candidates: number;
  released: number;
  excluded: number;
  byReason: ReturnType<typeof exclusionCounts>;
  store: { candidates: ArtifactRef; candidateIndices: ArtifactRef; neighbors: ArtifactRef; distances: ArtifactRef; cifarImages: ArtifactRef; cifarTrain: number };
}

/** Rows as JSON lines, written in batches: at full scale a build has over a million candidates. */
async function* jsonLines(rows: Iterable<unknown>): AsyncGenerator<Buffer> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(JSON.stringify(row));
    if (lines.length === 10_000) {
      yield Buffer.from(lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length) yield Buffer.from(lines.join('\n') + '\n');
}

/** A round's labels as recordLabels returns them. */
type RoundLabels = StageOutput & { decisions?: ArtifactRef; pages?: ArtifactRef };

async function roundRecord(store: ArtifactStore, labels: RoundLabels): Promise<RoundRecord> {
  const offered = await store.readJson<ByKeyword>(labels.files['offered.json']);
  const accepted = await store.readJson<ByKeyword>(labels.files['accepted.json']);
  // The simulated labeler's clock is not part of what it decided (DecisionInfo).
  const info = ({ page, labeler, at, via }: DecisionInfo): DecisionInfo => (via === 'simulated' ? { page, labeler, via } : { page, labeler, at, via });
  const byPage = new Map((labels.decisions ? await store.readJson<DecisionInfo[]>(labels.decisions) : []).map((d) => [d.page, info(d)]));
  // Which page offered each image of a class and keyword.
  const pageOf = new Map<string, string>();
  if (labels.pages) for (const page of await (await PageReader.open(store, labels.pages)).all()) for (const ti of page.offered) pageOf.set(`${page.className}/${page.keyword}/${ti}`, page.id);
  return { offered, accepted, decisionOf: (ti, c, k) => byPage.get(pageOf.get(`${c}/${k}/${ti}`) ?? '') ?? null };
}

/**
 * The audit stage: a provenance row for every release image (its source, the
 * nearest CIFAR-10 training and test images, the nearest other release image,
 * who decided it in each round, the sampling round and draw that picked it,
 * the thresholds it passed) and an exclusion row, with its reason and
 * evidence, for every other candidate of the build.
 */
export function describeRelease({ store, versions }: ActivityDeps) {
  return async function describeRelease(input: {
    release: string;
    classes: string[];
    topK: number;
    excluded: string[];
    thresholds: { minCifarDistance: number; withinThreshold: number; cifarThreshold: number };
    extract: StageOutput<ExtractSummary>;
    keywords: StageOutput;
    subsets: StageOutput;
    distances: StageOutput;
    counts: StageOutput;
    labels: RoundLabels;
    confirmed: RoundLabels;
    sample: StageOutput;
    rounds: Array<{ sample: ArtifactRef; pairs: ArtifactRef; blacklist?: ArtifactRef }>;
    base?: { blacklist?: ArtifactRef; perKeyword: ArtifactRef };
    pool?: StageOutput;
  }) {
    return runStage(async (heartbeat, context) => {
      const { release, extract, subsets, distances } = input;
      const keyed = stageKeys.describeRelease(
        { release, 'keywords.topK': input.topK, 'keywords.excluded': input.excluded, ...input.thresholds },
        {
          extractSources: extract.key, keywords: input.keywords.key, buildKeywordSubsets: subsets.key, computeDistances: distances.key, computeKeywordCounts: input.counts.key,
          'labels-round1': input.labels.key, 'labels-round2': input.confirmed.key, sampleRelease: input.sample.key, ingestPool: input.pool?.key,
        },
        { decisions: [input.labels.decisions?.sha256, input.confirmed.decisions?.sha256], rounds: input.rounds, base: input.base },
        versions,
      );
      const prefix = `cifar10.1_${release}`;
      return store.keyedStage<AuditSummary>(keyed, async (dir) => {
        const cifarTrain = extract.summary.cifarTrain;
        const split = (index: number, squared: number): CifarNeighbour => (index < cifarTrain
          ? { split: 'train', index, distance: Math.sqrt(squared) } : { split: 'test', index: index - cifarTrain, distance: Math.sqrt(squared) });
        const { rowOf } = await loadSubsets(store, subsets);
        const neighbors = await loadNeighbors(store, distances);
        const sample = await store.readJson<SampleRecord>(input.sample.files['sample.json']);
        const sampleRounds = await Promise.all(input.rounds.map((r) => store.readJson<SampleRecord>(r.sample)));
        const quotas = await store.readJson<Quotas>(input.counts.files['quotas.json']);

        // Every keyword counted for a class, ranked, with its range in the corpus.
        const byClass = await store.readJson<Record<string, Record<string, number>>>(input.keywords.files['keyword_counts_by_class.json']);
        const keywords: RankedKeyword[] = [];
        const tiny = await TinyImages.open(tinyDirOf(extract));
        try {
          for (const className of input.classes) {
            let rank = 0;
            for (const [keyword, count] of Object.entries(byClass[className] ?? {})) {
              const [start, end] = await tiny.keywordRange(keyword);
              keywords.push({ className, keyword, rank: rank++, count, start, end });
            }
          }
        } finally {
          await tiny.close();
        }

        // The blacklist, by round: what each review added, and as a near copy of what.
        const blacklisted = new Map<number, { round: number; kind: 'within' | 'cifar' | 'base'; other: number | null; distance: number | null }>();
        let before = new Set(input.base?.blacklist ? await store.readJson<number[]>(input.base.blacklist) : []);
        for (const ti of before) blacklisted.set(ti, { round: 0, kind: 'base', other: null, distance: null });
        for (const [r, round] of input.rounds.entries()) {
          if (!round.blacklist) continue;
          // The first pair that names each image.
          const pairOf = new Map<number, DuplicatePair>();
          for (const p of await store.readJson<DuplicatePair[]>(round.pairs)) if (!pairOf.has(p.ti)) pairOf.set(p.ti, p);
          const after = new Set(await store.readJson<number[]>(round.blacklist));
          for (const ti of after) {
            if (before.has(ti)) continue;
            const pair = pairOf.get(ti);
            blacklisted.set(ti, { round: r + 1, kind: pair?.kind ?? 'within', other: pair?.other ?? null, distance: pair?.distance ?? null });
          }
          before = after;
        }

        // Each release image's nearest CIFAR-10 training and test images (exact), and nearest other release image.
        const images = await loadImagesAt(store, subsets, 'candidate_images.npy', sample.tiIndices.map((ti) => rowOf.get(ti)!));
        const cifar = await loadImages(store, extract, 'cifar10_images.npy');
        const signal = context.cancellationSignal;
        const train = await topKNeighbors(images, cifar.subarray(0, cifarTrain * 3072), 1, { signal });
        const test = await topKNeighbors(images, cifar.subarray(cifarTrain * 3072), 1, { signal });
        const within = await topKNeighbors(images, images, Math.min(2, sample.tiIndices.length), { signal });
        const nearest = sample.tiIndices.map((_, i) => {
          const j = within.k > 1 ? (within.indices[i * within.k] === i ? 1 : 0) : -1;
          const other = j < 0 ? -1 : within.indices[i * within.k + j];
          return {
            train: split(train.indices[i], train.distances[i]),
            test: split(test.indices[i] + cifarTrain, test.distances[i]),
            inRelease: other < 0 || other === i ? null : { position: other, index: sample.tiIndices[other], distance: Math.sqrt(within.distances[i * within.k + j]) },
          };
        });
        heartbeat.update({ done: 1, total: 2 });

        const rows = input.pool ? await readPoolRows(store.resolve(input.pool.files[`corpus/${CORPUS_FILES.rows}`])) : null;
        const inputs: DescribeInputs = {
          classes: input.classes, topK: input.topK, excluded: input.excluded, keywords,
          sources: new Set(await store.readJson<number[]>(input.keywords.files['cifar_sources.json'])),
          quotaOf: (c, k) => quotaOf(quotas, c, k),
          round1: await roundRecord(store, input.labels),
          round2: await roundRecord(store, input.confirmed),
          nearestCifar: (ti) => split(neighbors.nearestIndex(rowOf.get(ti)!), neighbors.squared[rowOf.get(ti)! * neighbors.k]),
          thresholds: input.thresholds,
          blacklisted, sample, sampleRounds, nearest,
          ...(input.base ? { basePerKeyword: await store.readJson<Record<string, number[]>>(input.base.perKeyword) } : {}),
          ...(rows ? { poolIds: (index: number) => (rows[index] ? { id: rows[index].id, path: rows[index].path } : undefined) } : {}),
        };
        const provenance = provenanceRows(inputs);
        await writeFileAtomic(path.join(dir, `${prefix}_provenance.jsonl`), jsonLines(provenance));
        // Counted as they stream by, never held whole.
        let excluded = 0;
        const counts = exclusionCounts([]);
        await writeFileAtomic(path.join(dir, `${prefix}_exclusions.jsonl`), jsonLines((function* () {
          for (const row of exclusionRows(inputs)) {
            counts[row.reason]++;
            excluded++;
            yield row;
          }
        })()));
        const summary: AuditSummary = {
          release, candidates: provenance.length + excluded, released: provenance.length, excluded, byReason: counts,
          store: {
            candidates: subsets.files['candidate_images.npy'], candidateIndices: subsets.files['candidate_ti.npy'],
            neighbors: distances.files['neighbors.npy'], distances: distances.files['distances.npy'], cifarImages: extract.files['cifar10_images.npy'], cifarTrain,
          },
        };
        await writeFileAtomic(path.join(dir, 'audit_summary.json'), Buffer.from(JSON.stringify(summary, null, 2)));
        return { files: [`${prefix}_provenance.jsonl`, `${prefix}_exclusions.jsonl`, 'audit_summary.json'], summary };
      });
    });
  };
}

/**
 * The audit of a build from the published files, as far as they tell: the
 * candidates are the images the first labeler accepted (and the releases'),
 * rounds without who or when, no distances (no pixels), the published
 * blacklist. An image the second labeler dropped is "rejected-round2": the
 * files do not say whether it was too close to CIFAR-10 instead.
 */
export function describePublishedRelease({ store, versions }: ActivityDeps) {
  return async function describePublishedRelease(input: {
    release: string;
    classes: string[];
    thresholds: { minCifarDistance: number; withinThreshold: number; cifarThreshold: number };
    counts: StageOutput;
    labels: StageOutput;
    confirmed: StageOutput;
    blacklist?: ArtifactRef;
    sample: StageOutput;
    basePerKeyword?: ArtifactRef;
  }) {
    return runStage(async () => {
      const { release } = input;
      const keyed = stageKeys.describeRelease(
        { release, published: true, ...input.thresholds },
        { computeKeywordCounts: input.counts.key, 'labels-round1': input.labels.key, 'labels-round2': input.confirmed.key, sampleRelease: input.sample.key },
        { blacklist: input.blacklist?.sha256, base: input.basePerKeyword?.sha256 },
        versions,
      );
      const prefix = `cifar10.1_${release}`;
      return store.keyedStage<AuditSummary | Omit<AuditSummary, 'store'>>(keyed, async (dir) => {
        const round1 = await store.readJson<ByKeyword>(input.labels.files['accepted.json']);
        const round2 = await store.readJson<ByKeyword>(input.confirmed.files['accepted.json']);
        const quotas = await store.readJson<Quotas>(input.counts.files['quotas.json']);
        const sample = await store.readJson<SampleRecord>(input.sample.files['sample.json']);
        const base = input.basePerKeyword ? await store.readJson<Record<string, number[]>>(input.basePerKeyword) : undefined;
        // Every image the files name under a class keyword: the first labeler's, the release's, the base release's.
        const lists = new Map<string, Set<number>>();
        const add = (c: string, k: string, images: number[]) => {
          const set = lists.get(`${c}/${k}`) ?? new Set<number>();
          images.forEach((ti) => set.add(ti));
          lists.set(`${c}/${k}`, set);
        };
        for (const [c, kws] of Object.entries(round1)) for (const [k, images] of Object.entries(kws)) add(c, k, images);
        for (const d of sample.perKeyword) if (d.indices.length) add(d.class, d.keyword, d.indices);
        const keywords: RankedKeyword[] = [...lists].map(([ck, set]) => {
          const [className, keyword] = [ck.slice(0, ck.indexOf('/')), ck.slice(ck.indexOf('/') + 1)];
          return { className, keyword, rank: 0, count: set.size, start: 0, end: 0, images: [...set] };
        });
        const blacklisted = new Map((input.blacklist ? await store.readJson<number[]>(input.blacklist) : []).map((ti) => [ti, { round: 0, kind: 'published' as const, other: null, distance: null }]));
        const none = { offered: {}, accepted: {}, decisionOf: () => null };
        const inputs: DescribeInputs = {
          classes: input.classes, topK: Number.MAX_SAFE_INTEGER, excluded: [], keywords, sources: new Set(),
          quotaOf: (c, k) => quotaOf(quotas, c, k),
          round1: { ...none, offered: round1, accepted: round1 },
          round2: { ...none, offered: round1, accepted: round2 },
          nearestCifar: () => null,
          thresholds: input.thresholds,
          blacklisted, sample, sampleRounds: [sample], nearest: null,
          ...(base ? { basePerKeyword: base } : {}),
        };
        const provenance = provenanceRows(inputs);
        const exclusions = [...exclusionRows(inputs)];
        await writeFileAtomic(path.join(dir, `${prefix}_provenance.jsonl`), jsonLines(provenance));
        await writeFileAtomic(path.join(dir, `${prefix}_exclusions.jsonl`), jsonLines(exclusions));
        const summary = { release, candidates: provenance.length + exclusions.length, released: provenance.length, excluded: exclusions.length, byReason: exclusionCounts(exclusions) };
        await writeFileAtomic(path.join(dir, 'audit_summary.json'), Buffer.from(JSON.stringify(summary, null, 2)));
        return { files: [`${prefix}_provenance.jsonl`, `${prefix}_exclusions.jsonl`, 'audit_summary.json'], summary };
      });
    });
  };
}

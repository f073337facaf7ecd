import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { acceptedOf, decisionKey, type PageHeader, PageReader, roundPages, writePages } from '../lib/labeling';
import { stageKeys, type VersionOverrides } from '../lib/stage-keys';
import { loadNeighbors, loadSubsets } from '../lib/stage-files';
import { type ArtifactRef, ArtifactStore, type StageOutput } from '../lib/store';
import type { PageDecision, PreparedRound, PrepareRoundInput } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

const DECISION_VERSION = 2;

/** Accepted (or offered) TinyImages indices per class and keyword. */
type ByKeyword = Record<string, Record<string, number[]>>;

/**
 * The labels of a round as recordLabels stores them, with who decided what
 * (kept apart: the labels are keyed by what was accepted, not by who): the
 * round-1 labelers of each keyword (the two-person rule), each page's decision
 * (labeler, time, how), and the round's pages (which images each page offered).
 */
export type RoundLabels = StageOutput<{ round: number; keywords: number; pages: number; accepted: number }> & { labelers: ArtifactRef; decisions: ArtifactRef; pages: ArtifactRef };

/** Keeps a batch of page decisions in the store; the reference travels instead of the decisions. */
async function saveBatch(store: ArtifactStore, round: number, decisions: PageDecision[]): Promise<ArtifactRef> {
  const key = ArtifactStore.key('decision-batch', DECISION_VERSION, { round, decisions });
  const out = await store.stage('decision-batches', key, async (dir) => {
    await writeFileAtomic(path.join(dir, 'decisions.json'), Buffer.from(JSON.stringify(decisions)));
    return { files: ['decisions.json'], summary: { round, pages: decisions.length } };
  });
  return out.files['decisions.json'];
}

/**
 * The pages of a round, from one task per keyword with a quota; a page whose
 * identical content was decided before (in this store, same mode) is not asked again.
 */
async function preparePages(
  store: ArtifactStore,
  versions: VersionOverrides | undefined,
  stage: 'labelCandidates' | 'confirmCandidates',
  input: PrepareRoundInput,
  offer: (entry: { className: string; keyword: string; rows: number[] }, tiIndices: Int32Array) => number[],
  excludedOf: (className: string, keyword: string) => string[] | undefined = () => undefined,
): Promise<PreparedRound> {
  const { round, mode, pageSize, subsets, extract } = input;
  const { pages, refs } = await roundPages(store, { round, pageSize, subsets, extract, keywords: input.keywords, counts: input.counts }, offer);
  const keyed = stageKeys.roundPages(stage, pages.map((p): [string, string] => [p.id, p.digest]), refs.images.sha256, refs.cifarImages.sha256, versions);
  const out = await store.keyedStage(keyed, async (dir) => {
    await writePages(dir, pages, refs);
    return { files: ['pages.jsonl', 'pages.json'], summary: { round, pages: pages.length, images: pages.reduce((n, p) => n + p.offered.length, 0) } };
  });
  const pending: PageHeader[] = [];
  const decided: PageDecision[] = [];
  for (const page of pages) {
    const found = await store.lookup<PageDecision>('decisions', decisionKey(page, mode));
    if (found) {
      decided.push({ ...found.summary, page: page.id, digest: page.digest });
      continue;
    }
    const excluded = excludedOf(page.className, page.keyword);
    pending.push(excluded?.length ? [page.id, page.offered.length, page.digest, excluded] : [page.id, page.offered.length, page.digest]);
  }
  return {
    stage, key: keyed.key, cached: out.cached && pending.length === 0,
    pages: out.files['pages.json'], pending, decided: decided.length ? await saveBatch(store, round, decided) : null, total: pages.length,
  };
}

/**
 * Stage 5 (prepare): pages of each keyword with a quota: its candidates that
 * are not CIFAR-10 images. The round's workflow then waits for decisions.
 */
export function labelCandidates({ store, versions }: ActivityDeps) {
  return async function labelCandidates(input: PrepareRoundInput): Promise<PreparedRound> {
    return runStage(() => preparePages(store, versions, 'labelCandidates', input, (entry, tiIndices) => entry.rows.map((row) => tiIndices[row])));
  };
}

/**
 * Stage 6 (prepare): the first round's accepted images, minus those within L2
 * `minCifarDistance` of a CIFAR-10 image, offered for confirmation; a keyword's
 * round-1 labelers may not confirm it (the two-person rule).
 */
export function confirmCandidates({ store, versions }: ActivityDeps) {
  return async function confirmCandidates(input: PrepareRoundInput): Promise<PreparedRound> {
    return runStage(async () => {
      const labels = input.labels as RoundLabels | undefined;
      if (!labels) throw new InputError('the second round needs the first round\'s labels', 'confirmCandidates');
      const neighbors = await loadNeighbors(store, input.distances);
      const accepted = await store.readJson<ByKeyword>(labels.files['accepted.json']);
      const labelers = labels.labelers ? await store.readJson<Record<string, string[]>>(labels.labelers) : {};
      const { rowOf } = await loadSubsets(store, input.subsets);
      return preparePages(store, versions, 'confirmCandidates', input,
        (entry) => (accepted[entry.className]?.[entry.keyword] ?? []).filter((ti) => neighbors.nearest(rowOf.get(ti)!) > (input.minCifarDistance ?? 0)),
        (className, keyword) => labelers[`${className}/${keyword}`]);
    });
  };
}

/** Keeps a batch of a round's page decisions in the store (the round's workflow flushes what it received). */
export function saveDecisions({ store }: ActivityDeps) {
  return async function saveDecisions(input: { round: number; decisions: PageDecision[] }): Promise<ArtifactRef> {
    return runStage(() => saveBatch(store, input.round, input.decisions));
  };
}

/**
 * Stores a round's decisions: each under its page's content key (so it is
 * never asked again), the accepted images per class and keyword, who decided
 * each keyword, and an append-only log of who decided what and when.
 */
export function recordLabels({ store, versions }: ActivityDeps) {
  return async function recordLabels(input: { round: 1 | 2; mode: string; pages: ArtifactRef; decided: ArtifactRef | null; batches: ArtifactRef[] }): Promise<RoundLabels> {
    return runStage(async () => {
      const pages = await (await PageReader.open(store, input.pages)).all();
      const byPage = new Map<string, PageDecision>();
      for (const ref of [...(input.decided ? [input.decided] : []), ...input.batches]) {
        for (const d of await store.readJson<PageDecision[]>(ref)) byPage.set(d.page, d);
      }
      const accepted: ByKeyword = {};
      const offered: ByKeyword = {};
      const labelers: Record<string, string[]> = {};
      const log = [];
      for (const page of pages) {
        const decision = byPage.get(page.id);
        if (!decision) throw new InputError('no decision recorded for this page', page.id);
        await store.stage('decisions', decisionKey(page, input.mode), async () => ({ files: [], summary: decision }));
        const chosen = acceptedOf(page, decision.accepted);
        ((accepted[page.className] ??= {})[page.keyword] ??= []).push(...chosen);
        ((offered[page.className] ??= {})[page.keyword] ??= []).push(...page.offered);
        const who = (labelers[`${page.className}/${page.keyword}`] ??= []);
        if (!who.includes(decision.labeler)) who.push(decision.labeler);
        log.push({ round: input.round, page: page.id, className: page.className, keyword: page.keyword, accepted: chosen, labeler: decision.labeler, at: decision.at, via: decision.via });
      }
      await appendDecisionLog(store, log);
      const decided = log.map(({ page, labeler, at, via }) => ({ page, labeler, at, via }));
      const who = await store.keyedStage(stageKeys.roundDecisions(input.round, labelers, decided), async (dir) => {
        await writeFileAtomic(path.join(dir, 'labelers.json'), Buffer.from(JSON.stringify(labelers, null, 2)));
        await writeFileAtomic(path.join(dir, 'decisions.json'), Buffer.from(JSON.stringify(decided)));
        return { files: ['labelers.json', 'decisions.json'], summary: { keywords: Object.keys(labelers).length } };
      });
      // Keyed by what was accepted, not by who or when: the same decisions give the same release.
      const labels = await store.keyedStage(stageKeys.labels(input.round, accepted, offered, versions), async (dir) => {
        await writeFileAtomic(path.join(dir, 'accepted.json'), Buffer.from(JSON.stringify(accepted, null, 2)));
        await writeFileAtomic(path.join(dir, 'offered.json'), Buffer.from(JSON.stringify(offered, null, 2)));
        const total = Object.values(accepted).reduce((n, kws) => n + Object.values(kws).reduce((m, l) => m + l.length, 0), 0);
        return { files: ['accepted.json', 'offered.json'], summary: { round: input.round, keywords: Object.keys(labelers).length, pages: pages.length, accepted: total } };
      });
      return { ...labels, labelers: who.files['labelers.json'], decisions: who.files['decisions.json'], pages: input.pages };
    });
  };
}

/** Appends decisions not yet logged to `<store>/decisions.jsonl` (a retry must not log twice). */
async function appendDecisionLog(store: ArtifactStore, entries: Array<{ round: number; page: string; at: string }>): Promise<void> {
  const file = path.join(store.root, 'decisions.jsonl');
  await mkdir(store.root, { recursive: true });
  const logged = new Set((await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => {
    const d = JSON.parse(line) as { round: number; page?: string; at: string };
    return `${d.round}/${d.page}@${d.at}`;
  }));
  const fresh = entries.filter((d) => !logged.has(`${d.round}/${d.page}@${d.at}`));
  if (fresh.length) await appendFile(file, fresh.map((d) => JSON.stringify(d) + '\n').join(''));
}

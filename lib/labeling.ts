// Labeling rounds as pages: a keyword's candidates split into pages of at most
// `pageSize` images. A page is what one person labels and one decision answers.
// Pages live in the artifact store; the workflow keeps only each page's id,
// size and digest, and a decision names images by their position in the page,
// so the workflow can validate it without the page's contents.
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors';
import { writeFileAtomic } from './formats/files';
import { sha256Json } from './hash';
import { referenceImages } from './keywords';
import { quotaOf, type Quotas } from './quotas';
import { loadInts, loadSubsets } from './stage-files';
import { type ArtifactRef, ArtifactStore } from './store';

/** Images per page unless the config says otherwise: a screenful or two, and a decision stays a few KB. */
export const DEFAULT_PAGE_SIZE = 1000;

/** One keyword's task in a round, before it is split into pages. */
export interface KeywordTask {
  round: 1 | 2;
  className: string;
  keyword: string;
  /** How many good images the release needs from this keyword. */
  needed: number;
  /** TinyImages indices offered, in display order. */
  offered: number[];
  /** Row of each offered image in the candidate image array. */
  rows: number[];
  /** Round 2: the first round's choices, pre-selected in the page (all of `offered`). */
  preselect?: boolean;
  /** CIFAR-10 rows of the keyword, shown beside the page for reference. */
  references: number[];
}

/** One page of a keyword's task, as stored (one line of `pages.jsonl`). */
export interface LabelPage {
  id: string;
  round: 1 | 2;
  className: string;
  keyword: string;
  /** 1-based page number of `pages` for this keyword. */
  page: number;
  pages: number;
  needed: number;
  offered: number[];
  rows: number[];
  /** Positions pre-selected in the page (round 2: all of them). */
  preselected?: number[];
  references: number[];
  /** Binds a decision to exactly this content: a stale page cannot be answered. */
  digest: string;
}

/** What the workflow keeps of a pending page: its id, size and digest, and who may not answer it (round 2: the keyword's round-1 labelers). */
export type PageHeader = [id: string, count: number, digest: string, excluded?: string[]];

/** A task's id: the keyword's in its round (`r1/<class>/<keyword>`), `#<n>` for pages after the first. */
export function pageId(round: number, className: string, keyword: string, page: number): string {
  return `r${round}/${className}/${keyword}${page > 1 ? `#${page}` : ''}`;
}

/** The digest of a page's content (id and offered images, in order). */
export function pageDigest(id: string, offered: number[]): string {
  return sha256Json({ id, offered }).slice(0, 16);
}

/** Splits a keyword's task into pages of at most `pageSize` images (one page, possibly empty, when it has few). */
export function splitPages(task: KeywordTask, pageSize = DEFAULT_PAGE_SIZE): LabelPage[] {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  const pages = Math.max(1, Math.ceil(task.offered.length / pageSize));
  return Array.from({ length: pages }, (_, i) => {
    const offered = task.offered.slice(i * pageSize, (i + 1) * pageSize);
    const id = pageId(task.round, task.className, task.keyword, i + 1);
    return {
      id,
      round: task.round,
      className: task.className,
      keyword: task.keyword,
      page: i + 1,
      pages,
      needed: task.needed,
      offered,
      rows: task.rows.slice(i * pageSize, (i + 1) * pageSize),
      ...(task.preselect ? { preselected: offered.map((_, p) => p) } : {}),
      references: task.references,
      digest: pageDigest(id, offered),
    };
  });
}

/**
 * The positions in `page` of the accepted TinyImages indices, ascending; or
 * the indices that the page did not offer (a submission to reject).
 */
export function positionsOf(page: Pick<LabelPage, 'offered'>, accepted: number[]): { positions: number[] } | { foreign: number[] } {
  const at = new Map(page.offered.map((ti, p) => [ti, p]));
  const foreign = accepted.filter((ti) => !at.has(ti));
  if (foreign.length) return { foreign };
  return { positions: [...new Set(accepted.map((ti) => at.get(ti)!))].sort((a, b) => a - b) };
}

/** The TinyImages indices at `positions` of a page, in page order. */
export function acceptedOf(page: Pick<LabelPage, 'offered'>, positions: number[]): number[] {
  const chosen = new Set(positions);
  return page.offered.filter((_, p) => chosen.has(p));
}

/** The index of a round's pages (`pages.json`), beside their contents (`pages.jsonl`, one page a line). */
export interface PagesIndex {
  round: 1 | 2;
  /** The candidate images (uint8 N×32×32×3) the pages' `rows` index, and the CIFAR-10 images their references index. */
  images: ArtifactRef;
  cifarImages: ArtifactRef;
  pages: Array<{ id: string; className: string; keyword: string; page: number; pages: number; count: number; needed: number; digest: string; offset: number; length: number }>;
}

/** Writes a round's pages into `dir`: `pages.jsonl` and its index `pages.json`. */
export async function writePages(dir: string, pages: LabelPage[], refs: { round: 1 | 2; images: ArtifactRef; cifarImages: ArtifactRef }): Promise<void> {
  const lines = pages.map((p) => Buffer.from(JSON.stringify(p) + '\n'));
  let offset = 0;
  const index: PagesIndex = {
    ...refs,
    pages: pages.map((p, i) => {
      const entry = { id: p.id, className: p.className, keyword: p.keyword, page: p.page, pages: p.pages, count: p.offered.length, needed: p.needed, digest: p.digest, offset, length: lines[i].length };
      offset += lines[i].length;
      return entry;
    }),
  };
  await writeFileAtomic(path.join(dir, 'pages.jsonl'), ...lines);
  await writeFileAtomic(path.join(dir, 'pages.json'), Buffer.from(JSON.stringify(index)));
}

/** Reads the pages of a round, from the store's `pages.json` reference: the index, one page, or all of them. */
export class PageReader {
  private constructor(readonly index: PagesIndex, private readonly linesFile: string) {}

  static async open(store: ArtifactStore, ref: ArtifactRef): Promise<PageReader> {
    const index = await store.readJson<PagesIndex>(ref);
    return new PageReader(index, path.join(path.dirname(store.resolve(ref)), 'pages.jsonl'));
  }

  /** One page by id (a positioned read), or null when the round has no such page. */
  async page(id: string): Promise<LabelPage | null> {
    const entry = this.index.pages.find((p) => p.id === id);
    if (!entry) return null;
    const handle = await open(this.linesFile, 'r');
    try {
      const buf = Buffer.alloc(entry.length);
      const { bytesRead } = await handle.read(buf, 0, entry.length, entry.offset);
      if (bytesRead !== entry.length) throw new InputError(`truncated at page "${id}"`, this.linesFile);
      return JSON.parse(buf.toString('utf8')) as LabelPage;
    } finally {
      await handle.close();
    }
  }

  /** Every page, in order. */
  async all(): Promise<LabelPage[]> {
    const text = await readFile(this.linesFile, 'utf8');
    return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LabelPage);
  }
}

/** CIFAR-10 images of a keyword shown beside its pages, for reference. */
const REFERENCES = 16;

/** Decisions are stored per page content, so an identical page (a rebuild, or v6 after v4) is never asked twice. */
export function decisionKey(page: LabelPage, mode: string): string {
  return ArtifactStore.key('decision', 2, { mode, round: page.round, id: page.id, className: page.className, keyword: page.keyword, offered: page.offered });
}

type Files = { files: Record<string, ArtifactRef> };

/**
 * The pages of a round, from one task per keyword with a quota: what each
 * offers (`offer`: round 1, the keyword's candidates; round 2, the first
 * round's choices not too close to CIFAR-10), with the CIFAR-10 images shown
 * beside them (the keyword's; for a keyword without any, a pool's, its class's).
 */
export async function roundPages(
  store: ArtifactStore,
  input: { round: 1 | 2; pageSize: number; subsets: Files; extract: Files; keywords: Files; counts: Files },
  offer: (entry: { className: string; keyword: string; rows: number[] }, tiIndices: Int32Array) => number[],
): Promise<{ pages: LabelPage[]; refs: { round: 1 | 2; images: ArtifactRef; cifarImages: ArtifactRef } }> {
  const { round, pageSize, subsets, extract } = input;
  const { tiIndices, entries, rowOf } = await loadSubsets(store, subsets);
  const quotas = await store.readJson<Quotas>(input.counts.files['quotas.json']);
  const cifarKeywords = await store.readJson<Array<string | null>>(input.keywords.files['cifar_keywords.json']);
  const cifarLabels = await loadInts(store, extract, 'cifar10_labels.npy');
  const referencesOf = (entry: { keyword: string; classIndex: number }) => {
    const own = referenceImages(cifarKeywords, entry.keyword, REFERENCES);
    if (own.length) return own;
    const ofClass: number[] = [];
    for (let i = 0; i < cifarLabels.length && ofClass.length < REFERENCES; i++) if (cifarLabels[i] === entry.classIndex) ofClass.push(i);
    return ofClass;
  };
  const pages = entries.flatMap((entry) => {
    const needed = quotaOf(quotas, entry.className, entry.keyword);
    if (needed === 0) return [];
    const offered = offer(entry, tiIndices);
    return splitPages({
      round, className: entry.className, keyword: entry.keyword, needed, offered,
      rows: offered.map((ti) => rowOf.get(ti)!), preselect: round === 2, references: referencesOf(entry),
    }, pageSize);
  });
  return { pages, refs: { round, images: subsets.files['candidate_images.npy'], cifarImages: extract.files['cifar10_images.npy'] } };
}

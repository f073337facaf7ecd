import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedOf, type KeywordTask, pageDigest, pageId, PageReader, positionsOf, splitPages, writePages } from '../../lib/labeling';
import { ArtifactStore } from '../../lib/store';

const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
const task = (offered: number[], extra: Partial<KeywordTask> = {}): KeywordTask => ({
  round: 1, className: 'cat', keyword: 'tabby_cat', needed: 5, offered, rows: offered.map((ti) => ti - 1000), references: [3, 9], ...extra,
});

describe('splitPages', () => {
  it('keeps a keyword with few candidates on one page, named as the keyword\'s task', () => {
    const [page, ...more] = splitPages(task(range(1000, 12)), 1000);
    expect(more).toEqual([]);
    expect(page).toMatchObject({ id: 'r1/cat/tabby_cat', page: 1, pages: 1, offered: range(1000, 12), rows: range(0, 12), needed: 5, references: [3, 9] });
    expect(page.preselected).toBeUndefined();
    expect(page.digest).toBe(pageDigest('r1/cat/tabby_cat', range(1000, 12)));
  });

  it('splits a large keyword into pages of at most pageSize, in order, each with its own id and digest', () => {
    const offered = range(5000, 2503);
    const pages = splitPages(task(offered, { round: 2, preselect: true }), 1000);
    expect(pages.map((p) => [p.id, p.page, p.pages, p.offered.length])).toEqual([
      ['r2/cat/tabby_cat', 1, 3, 1000], ['r2/cat/tabby_cat#2', 2, 3, 1000], ['r2/cat/tabby_cat#3', 3, 3, 503],
    ]);
    expect(pages.flatMap((p) => p.offered)).toEqual(offered);
    expect(pages.flatMap((p) => p.rows)).toEqual(offered.map((ti) => ti - 1000));
    expect(pages[2].preselected).toEqual(range(0, 503));
    expect(new Set(pages.map((p) => p.digest)).size).toBe(3);
  });

  it('gives an empty keyword one empty page, and refuses a page size that is not a positive integer', () => {
    expect(splitPages(task([]), 10).map((p) => [p.id, p.offered])).toEqual([['r1/cat/tabby_cat', []]]);
    expect(() => splitPages(task([1]), 0)).toThrow('page size must be a positive integer');
  });

  it('changes the digest when the content changes, not otherwise', () => {
    expect(pageDigest('a', [1, 2])).toBe(pageDigest('a', [1, 2]));
    expect(pageDigest('a', [1, 2])).not.toBe(pageDigest('a', [2, 1]));
    expect(pageDigest('a', [1, 2])).not.toBe(pageDigest('b', [1, 2]));
    expect(pageId(1, 'dog', 'pug', 1)).toBe('r1/dog/pug');
    expect(pageId(2, 'dog', 'pug', 4)).toBe('r2/dog/pug#4');
  });
});

describe('positions and indices', () => {
  const page = { offered: [40, 10, 30, 20] };
  it('turns accepted TinyImages indices into ascending positions in the page, and back', () => {
    expect(positionsOf(page, [20, 40, 20])).toEqual({ positions: [0, 3] });
    expect(acceptedOf(page, [3, 0])).toEqual([40, 20]);
    expect(acceptedOf(page, (positionsOf(page, [30, 10]) as { positions: number[] }).positions)).toEqual([10, 30]);
  });

  it('names the indices the page did not offer', () => {
    expect(positionsOf(page, [10, 99, 7])).toEqual({ foreign: [99, 7] });
  });
});

describe('pages in the store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-pages-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes pages.jsonl with its index, and reads back one page by id or all of them', async () => {
    const store = new ArtifactStore(dir);
    const pages = [...splitPages(task(range(1000, 7)), 3), ...splitPages(task(range(2000, 2), { className: 'dog', keyword: 'pug' }), 3)];
    const refs = { round: 1 as const, images: { path: 'cache/x/candidate_images.npy', sha256: 'a'.repeat(64), bytes: 1 }, cifarImages: { path: 'cache/y/cifar10_images.npy', sha256: 'b'.repeat(64), bytes: 2 } };
    const out = await store.stage('labelCandidates', 'k1', async (entry) => {
      await writePages(entry, pages, refs);
      return { files: ['pages.jsonl', 'pages.json'], summary: {} };
    });
    const reader = await PageReader.open(store, out.files['pages.json']);
    expect(reader.index.images).toEqual(refs.images);
    expect(reader.index.pages.map((p) => [p.id, p.count, p.digest])).toEqual(pages.map((p) => [p.id, p.offered.length, p.digest]));
    expect(await reader.page('r1/cat/tabby_cat#2')).toEqual(pages[1]);
    expect(await reader.page('r1/dog/pug')).toEqual(pages[3]);
    expect(await reader.page('r1/cat/nope')).toBeNull();
    expect(await reader.all()).toEqual(pages);
  });
});

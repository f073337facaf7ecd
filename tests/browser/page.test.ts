// The labeling page in chromium against a stand-in build (tests/browser/fake-build.workflow.ts)
// on the test run's Temporal server: signing in from a login link, keyboard, undo, drafts, rejections,
// round 2, duplicate review, signing out.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LabelPage, splitPages } from '../../lib/labeling';
import { roundPending, submitLabels } from '../../workflows/messages';
import type { DuplicatePair } from '../../workflows/types';
import { keepScreenshot } from '../helpers/screenshots';
import { CANDIDATES, type FakeBuild, startFakeBuild } from './fake-build';
import { apiAs, launchChromium, personInBrowser, signIn, tamperNextSubmission } from './helpers';

// Functions handed to page.evaluate and friends run in the page; the tests compile without the DOM's types.
declare const localStorage: { getItem(key: string): string | null };
declare function getComputedStyle(e: unknown): { gridTemplateColumns: string };

const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);

const release = `fake${randomBytes(3).toString('hex')}`;
const workflowId = `cifar101-${release}-0123456789ab`;
/** One keyword's page, as the build's stage writes it (lib/labeling.ts). */
const page1 = (round: 1 | 2, className: string, keyword: string, offered: number[], rows: number[], needed: number): LabelPage =>
  splitPages({ round, className, keyword, needed, offered, rows, preselect: round === 2, references: range(0, 6) })[0];
const rounds: Record<1 | 2, LabelPage[]> = {
  1: [page1(1, 'cat', 'tabby cat', range(1000, 12), range(0, 12), 4), page1(1, 'dog', 'puppy', range(2000, 8), range(12, 8), 3)],
  // Round 2 offers the first round's choices, all pre-selected.
  2: [page1(2, 'cat', 'kitty', [3000, 3002, 3003], [20, 22, 23], 2)],
};
const pairs: DuplicatePair[] = [
  { id: 'w1', kind: 'within', ti: 1000, other: 1003, distance: 812.4, rows: [0, 3] },
  { id: 'c1', kind: 'cifar', ti: 2001, other: 7, distance: 1503.94, rows: [13, 7] },
];
let fake: FakeBuild;
let shots: string;
let browser: Browser;
let page: Page;
let store: string;
let server: FakeBuild['server'];

beforeAll(async () => {
  fake = await startFakeBuild({ name: 'label-page', workflowId, release, rounds, candidates: 26, cifar: 10, pairs, uiUrl: inject('temporalUi') });
  ({ store, server } = fake);
  shots = path.join(fake.dir, 'screenshots');
  await mkdir(shots);
  browser = await launchChromium();
  // One person does everything here (a reviewer may label, verify and review); the two-person rule has its own tests.
  page = await personInBrowser(browser, server.url, store, 'ada', 'reviewer', { viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

/** Waits until the page shows `what` (a task id, or `~duplicates/<round>`) of the build. */
const opened = (what: string) => page.waitForSelector(`#view[data-open="${workflowId}/${what}"] .task-head`);
const text = (selector: string) => page.locator(selector).first().innerText();
const selectedCells = () => page.$$eval('#grid .cell', (cells) => cells.map((c, i) => (c.getAttribute('aria-selected') === 'true' ? i : -1)).filter((i) => i >= 0));
const pendingIds = async () => (await fake.client.workflow.getHandle(`${workflowId}/round1`).query(roundPending)).pending;
const errorMessage = async () => {
  await page.waitForSelector('#message.error:not([hidden])');
  return text('#message');
};

describe('labeling page', () => {
  it('lists the pending tasks by round, with the build\'s history link, for the person its login link signed in', async () => {
    expect(page.url()).toBe(server.url); // the one-time token is out of the address bar and the history
    expect(await text('#me')).toBe('ada (reviewer)');
    await page.waitForSelector('nav a[data-task]');
    expect(await page.$$eval('nav a[data-task]', (as) => as.map((a) => a.textContent))).toEqual(['cat / tabby cat4 of 12', 'dog / puppy3 of 8']);
    expect(await page.$$eval('nav h3', (hs) => hs.map((h) => h.textContent))).toEqual(['Round 1: 2 keywords']);
    expect(await page.getAttribute('nav a.history', 'href')).toBe(`${inject('temporalUi')}/namespaces/default/workflows/${workflowId}`);
    expect(await text('#scope')).toBe(`release ${release}`);
  });

  it('toggles with the keyboard and the mouse, accepts or rejects all, undoes, and counts', async () => {
    await page.click('nav a[data-task="r1/cat/tabby cat"]');
    await opened('r1/cat/tabby cat');
    expect(await text('.counter')).toBe('0 selected · 4 needed · 12 shown');
    expect(await text('[data-claim="r1/cat/tabby cat"]')).toBe('yours, 5 min left');
    const columns = await page.$eval('#grid', (g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
    expect(columns).toBeGreaterThan(2);
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    expect(await selectedCells()).toEqual([0, 2, 2 + columns]);
    await page.keyboard.press('a');
    expect(await text('#selected-count')).toBe('12');
    await page.keyboard.press('z');
    expect(await selectedCells()).toEqual([0, 2, 2 + columns]);
    await page.keyboard.press('r');
    expect(await selectedCells()).toEqual([]);
    await page.keyboard.press('Control+z');
    await page.click('#grid .cell >> nth=5');
    expect(await selectedCells()).toEqual([0, 2, 5, 2 + columns].sort((a, b) => a - b));
    expect(await text('.counter')).toBe('4 selected · 4 needed · 12 shown');
    await page.screenshot({ path: path.join(shots, 'task.png'), fullPage: true });
    await keepScreenshot(path.join(shots, 'task.png'), 'label-page-screenshot.png');
  });

  it('keeps a half-done grid across a reload', async () => {
    const before = await selectedCells();
    await page.reload();
    await opened('r1/cat/tabby cat');
    expect(await selectedCells()).toEqual(before);
    expect(await text('.restored')).toContain('restored');
    expect(await text('#me')).toBe('ada (reviewer)'); // the session cookie outlives the reload
  });

  it('shows the build\'s rejection of a tampered submission, which changes nothing', async () => {
    await tamperNextSubmission(page, 999999);
    await page.keyboard.press('Enter');
    expect(await errorMessage()).toBe('Not accepted: image 999999 was not offered in task "r1/cat/tabby cat" (it shows 12)');
    expect(await pendingIds()).toEqual(['r1/cat/tabby cat', 'r1/dog/puppy']);
    expect(await selectedCells()).toHaveLength(4);
  });

  let chosen: number[];
  it('submits with Enter, forgets the draft and moves to the next task', async () => {
    chosen = await selectedCells();
    await page.keyboard.press('Enter');
    await opened('r1/dog/puppy');
    expect(await text('#message')).toBe('Submitted cat / tabby cat (round 1): 4 accepted.');
    expect(await page.evaluate((id) => localStorage.getItem(`cifar101.draft.ada.${id}.r1/cat/tabby cat`), workflowId)).toBeNull();
    expect(await pendingIds()).toEqual(['r1/dog/puppy']);
  });

  it('refuses a task someone else submitted meanwhile, visibly', async () => {
    await page.keyboard.press('a');
    const puppy = rounds[1][1];
    await fake.client.workflow.getHandle(`${workflowId}/round1`).executeUpdate(submitLabels, {
      args: [{ decisions: [{ page: puppy.id, digest: puppy.digest, accepted: [puppy.offered.indexOf(2001)], labeler: 'Bob', at: new Date().toISOString(), via: 'page' }] }],
    });
    await page.keyboard.press('Enter');
    // Said by the round's validator, or by the server once the round is over.
    expect(await errorMessage()).toMatch(new RegExp(`^Not accepted: (page "r1/dog/puppy" is not pending|task "r1/dog/puppy" is not pending in ${workflowId})$`));
  });

  it('shows round 2 with the first round\'s choices selected', async () => {
    await page.click('nav a[data-task="r2/cat/kitty"]');
    await opened('r2/cat/kitty');
    expect(await selectedCells()).toEqual([0, 1, 2]);
    expect(await text('.instruction')).toContain('Confirm the first round\'s choices');
    await page.keyboard.press('Enter');
    await opened('~duplicates/1');
  });

  it('reviews the near-duplicate pairs side by side and sends the verdicts', async () => {
    expect(await page.$$eval('#pairs .pair', (ps) => ps.map((p) => p.querySelector('.pair-info b')!.textContent))).toEqual(['L2 distance 812.4', 'L2 distance 1503.9']);
    expect(await page.$$eval('#pairs .pair figcaption', (fs) => fs.map((f) => f.textContent))).toEqual(['new #1000', 'new #1003', 'new #2001', 'CIFAR-10 #7']);
    // every image of the page loaded (a broken sheet or tile has no natural width)
    expect(await page.$$eval('img', (imgs) => imgs.every((i: any) => i.complete && i.naturalWidth === 128))).toBe(true);
    await page.keyboard.press('Enter');
    expect(await errorMessage()).toBe('2 pairs still undecided: mark each as duplicate (c) or not (d).');
    await page.keyboard.press('c');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('d');
    expect(await text('#decided-count')).toBe('2');
    await page.screenshot({ path: path.join(shots, 'duplicates.png'), fullPage: true });
    await keepScreenshot(path.join(shots, 'duplicates.png'), 'label-duplicates-screenshot.png');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#message.ok');
    expect(await text('#message')).toBe('Review sent: 1 image blacklisted.');

    const result = await fake.handle.result();
    // The build receives positions in each page (the page sent TinyImages indices) and pairs by position.
    expect(result.decisions.map((d) => [d.page, d.accepted, d.labeler, d.via])).toEqual([
      ['r1/cat/tabby cat', chosen, 'ada', 'page'],
      ['r1/dog/puppy', [1], 'Bob', 'page'],
      ['r2/cat/kitty', [0, 1, 2], 'ada', 'page'],
    ]);
    expect(chosen).toHaveLength(4);
    expect(result.review).toMatchObject({ round: 1, confirmed: [0], dismissed: [1], labeler: 'ada' });
    expect(Date.parse(result.review!.at)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('labeling API', () => {
  const get = (p: string, cookie: string | null = null) => apiAs(server.url, cookie).get(p);
  it('answers bad requests with a status and a message, and serves no file outside the store', async () => {
    expect((await get('/api/builds')).status).toBe(401);
    const cookie = await signIn(server.url, store, 'rev', 'reviewer');
    const post = (body: string, type = 'application/json') => fetch(new URL('/api/labels', server.url), { method: 'POST', headers: { 'content-type': type, cookie, origin: new URL(server.url).origin }, body });
    expect((await post('{}', 'text/plain')).status).toBe(415);
    expect(await (await post('{nope')).json()).toEqual({ error: 'request body is not valid JSON' });
    const noId = await post(JSON.stringify({ workflowId, decision: { taskId: 'x', accepted: [] } }));
    expect([noId.status, ((await noId.json()) as { error: string }).error]).toEqual([400, 'requestId is missing']);
    const traversal = await get(`/img/candidate?ref=${encodeURIComponent('../../../etc/passwd.npy')}&row=0`, cookie);
    expect([traversal.status, ((await traversal.json()) as { error: string }).error]).toEqual([400, 'not a path in the artifact store (a "." or ".." segment): "../../../etc/passwd.npy"']);
    const outOfRange = await get(`/img/sheet?ref=${encodeURIComponent(CANDIDATES)}&rows=0,26`, cookie);
    expect(outOfRange.status).toBe(400);
    expect((await get(`/img/sheet?ref=${encodeURIComponent(CANDIDATES)}&rows=0,25&scale=9`, cookie)).status).toBe(400);
    const sheet = await get(`/img/sheet?ref=${encodeURIComponent(CANDIDATES)}&rows=0,25&cols=2&scale=4`, cookie);
    expect([sheet.status, sheet.headers.get('content-type')]).toEqual([200, 'image/png']);
    const gone = await get(`/api/task?workflow=${workflowId}&task=r1%2Fcat%2Ftabby%20cat`, cookie);
    expect(gone.status).toBe(404);
  });

  it('signs out: the session ends, the page says so, and the cookie no longer works', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#message.error:not([hidden])');
    expect(await text('#message')).toBe('Signed out. Open a new login link to sign in again.');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe(''); // HttpOnly: never readable by scripts
    await page.reload();
    await page.waitForSelector('#message.error:not([hidden])');
    expect(await text('#message')).toBe('not signed in: open the login link an admin gave you');
  });
});

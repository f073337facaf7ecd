// A real demo build of v4 labeled in chromium by a team, each person in a browser context of their own,
// signed in from their login link: grace (labeler) and alan (verifier) label round 1 at the same time on
// keywords each has claimed, with hidden control images among the candidates; ada (reviewer) confirms in
// round 2, where alan may confirm grace's keywords but is refused on his own; ada reviews the
// near-duplicates; lin (admin) sees the controls scored. The rest of each round goes through the page's
// own HTTP API, as its person. The release must equal, byte for byte, the release of the simulated
// labeler making the same choices on the candidates.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadReleaseConfig } from '../../configs';
import { runBuild } from '../../worker/build';
import { buildStatuses } from '../../worker/status';
import { DEMO_SEED } from '../../worker/defaults';
import { agreementTable, type AcceptedMap } from '../../lib/agreement';
import { startLabelServer } from '../../web/server';
import { buildWorkflowId } from '../../workflows/build';
import type { BuildsResponse } from '../../web/api';
import type { BuildResult } from '../../workflows/types';
import { releaseHashes, tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';
import { keepScreenshot } from '../helpers/screenshots';
import { apiAs, type KnownTask, launchChromium, pendingOfBuild, personInBrowser, tamperNextSubmission } from './helpers';

/** Thresholds above the demo's 3,000 minimum distance, so the check flags pairs and the review has work (24, then 8, then 4). */
const THRESHOLD = 3100;
/** Controls on round-1 pages; a labeler is flagged under 80% once they answered 4. */
const CONTROLS = { rate: 0.1, minAccuracy: 0.8, minControls: 4 };

interface GroundTruth { classes: string[]; classOf: number[]; ambiguous: number[] }

// Functions handed to page.evaluate and friends run in the page; the tests compile without the DOM's types.
declare const document: any;
declare function getComputedStyle(e: unknown): { gridTemplateColumns: string };

let dir: string;
let shots: string;
let store: string;
let connection: Connection;
let client: Client;
let handle: WorkflowHandle;
let workflowId: string;
let building: Promise<BuildResult>;
let buildDone = false;
let simulated: Promise<BuildResult>;
let server: Awaited<ReturnType<typeof startLabelServer>>;
let browser: Browser;
/** One browser context per person. */
const people: Record<'grace' | 'alan' | 'ada' | 'lin', Page> = {} as never;
let truth: GroundTruth;
const offeredByRound: Record<1 | 2, AcceptedMap> = { 1: {}, 2: {} };
const submitted: string[] = [];
/** Who decided each keyword in round 1 (class/keyword → names). */
const round1By = new Map<string, Set<string>>();

beforeAll(async () => {
  const address = useTestServer();
  dir = await tempDir('label');
  shots = path.join(dir, 'screenshots');
  store = path.join(dir, 'out');
  await mkdir(shots);
  const change = (interactive: boolean) => (_release: string, doc: Record<string, any>) => {
    doc.nearDuplicates.withinThreshold = THRESHOLD;
    doc.nearDuplicates.cifarThreshold = THRESHOLD;
    if (interactive) {
      doc.labeling.mode = 'interactive';
      doc.labeling.controls = CONTROLS;
      doc.nearDuplicates.review = 'interactive';
    }
  };
  await mkdir(path.join(dir, 'interactive'));
  await mkdir(path.join(dir, 'simulated'));
  const interactive = await writeConfigs(path.join(dir, 'interactive'), change(true));
  const auto = await writeConfigs(path.join(dir, 'simulated'), change(false));
  const taskQueue = uniqueQueue('label');
  workflowId = buildWorkflowId(await loadReleaseConfig(interactive.v4), taskQueue);
  building = runBuild({ config: interactive.v4, outDir: store, quiet: true, taskQueue }).then((r) => r.result);
  building.then(() => { buildDone = true; }, () => { buildDone = true; });
  // The same release with the simulated labeler and automatic review, in a store of its own, meanwhile.
  simulated = runBuild({ config: auto.v4, outDir: path.join(dir, 'sim-out'), quiet: true, taskQueue: uniqueQueue('label-sim') }).then((r) => r.result);
  simulated.catch(() => undefined);

  connection = await Connection.connect({ address });
  client = new Client({ connection });
  handle = client.workflow.getHandle(workflowId);
  server = await startLabelServer({ client, storeRoot: store, release: 'v4', uiUrl: inject('temporalUi') });
  browser = await launchChromium();
  const viewport = { width: 1500, height: 1000 };
  people.grace = await personInBrowser(browser, server.url, store, 'grace', 'labeler', { viewport });
  people.alan = await personInBrowser(browser, server.url, store, 'alan', 'verifier', { viewport });
  people.ada = await personInBrowser(browser, server.url, store, 'ada', 'reviewer', { viewport });
  people.lin = await personInBrowser(browser, server.url, store, 'lin', 'admin', { viewport });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (!buildDone) await handle?.terminate('test ended').catch(() => undefined);
  await Promise.allSettled([building, simulated]);
  await connection?.close();
  if (process.env.KEEP_LABEL_TEST) console.log(`label test files in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
});

type Pending = NonNullable<Awaited<ReturnType<typeof pendingOfBuild>>>;
type Person = keyof typeof people;

/** Polls the build's pending work until `ready` holds. */
async function waitForPending(ready: (p: Pending) => boolean, timeoutMs = 240_000): Promise<Pending> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (buildDone) throw new Error('the build ended while the test waited for pending work');
    const p = await pendingOfBuild(client, store, workflowId).catch(() => null);
    if (p && ready(p)) return p;
    if (Date.now() > deadline) throw new Error(`no such pending work in ${timeoutMs / 1000} s (stage ${p?.stage})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * What a person accepts, as display indices: the candidates of the task's class (in round 2 not the ambiguous
 * ones), exactly as the simulated labeler does; on controls, the right answer, except alan, who accepts every control.
 */
function answer(task: KnownTask, who: Person): number[] {
  const cls = truth.classes.indexOf(task.className);
  const ambiguous = new Set(truth.ambiguous);
  return task.shown.flatMap((s, i) => {
    if (s.kind === 'control') return s.expected || who === 'alan' ? [i] : [];
    return truth.classOf[s.ti] === cls && (task.round === 1 || !ambiguous.has(s.ti)) ? [i] : [];
  });
}

const selectedCells = (page: Page) => page.$$eval('#grid .cell', (cells) => cells.map((c, i) => (c.getAttribute('aria-selected') === 'true' ? i : -1)).filter((i) => i >= 0));
const message = (page: Page) => page.innerText('#message');
const view = (task: KnownTask) => `#view[data-open="${workflowId}/${task.id}"] #grid`;

/** Clicks a task in the list and waits until the page shows it. */
async function openTask(page: Page, task: KnownTask) {
  await page.click(`section[data-workflow="${workflowId}"] a[data-task="${task.id}"]`);
  await page.waitForSelector(view(task));
  expect(await page.$$eval('#grid .cell', (cells) => cells.length)).toBe(task.shown.length);
}

/** Opens a task from the list and makes the page's selection equal `wanted` (display indices) with the keyboard only. */
async function selectInPage(page: Page, task: KnownTask, wanted: number[], start: 'a' | 'r' | null) {
  await openTask(page, task);
  if (start) await page.keyboard.press(start);
  const want = new Set(wanted);
  const now = new Set(await selectedCells(page));
  const flips = task.shown.map((_, i) => (want.has(i) !== now.has(i) ? i : -1)).filter((i) => i >= 0);
  // Focus is read back from the page after every key: the grid's column count can change while
  // its images load, and a move computed from a stale count would toggle the wrong cell.
  const focused = async () => Number(await page.$eval('#grid .cell.focus', (c: any) => c.dataset.index));
  const columns = () => page.$eval('#grid', (g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
  for (const i of flips) {
    for (let focus = await focused(), moves = 0; focus !== i; focus = await focused(), moves++) {
      if (moves > 1000) throw new Error(`focus stuck at cell ${focus} on the way to ${i}`);
      const across = await columns();
      await page.keyboard.press(i - focus >= across ? 'ArrowDown' : focus - i >= across ? 'ArrowUp' : i > focus ? 'ArrowRight' : 'ArrowLeft');
    }
    const before = await page.$eval(`#grid .cell[data-index="${i}"]`, (c) => c.getAttribute('aria-selected'));
    await page.keyboard.press('Space');
    await page.waitForFunction(([index, was]) => document.querySelector(`#grid .cell[data-index="${index}"]`)?.getAttribute('aria-selected') !== was, [i, before] as const);
  }
  expect(await selectedCells(page)).toEqual([...want].sort((a, b) => a - b));
  expect(await page.innerText('#selected-count')).toBe(String(want.size));
}

/** Waits for the page's message to say `text`, or for an error (then fails with it). */
async function messageSays(page: Page, text: string) {
  await page.waitForFunction((t) => {
    const box = document.querySelector('#message');
    return !box.hidden && (box.textContent === t || box.className === 'error');
  }, text);
  expect(await message(page)).toBe(text);
}

async function submitInPage(page: Page, task: KnownTask, who: Person) {
  await page.keyboard.press('Enter');
  await messageSays(page, `Submitted ${task.className} / ${task.keyword} (round ${task.round}): ${answer(task, who).length} accepted.`);
  submitted.push(task.id);
  if (task.round === 1) noteRound1(task, who);
}

function noteRound1(task: KnownTask, who: Person) {
  const key = `${task.className}/${task.keyword}`;
  if (!round1By.has(key)) round1By.set(key, new Set());
  round1By.get(key)!.add(who);
}

/** The person's session cookie, from their browser context. */
async function cookieOf(who: Person): Promise<string> {
  const cookie = (await people[who].context().cookies()).find((c) => c.name === 'cifar101_session')!;
  return `${cookie.name}=${cookie.value}`;
}

/** Back to the list, giving up the task the page opened after the last submission; waits until the server has released it. */
async function leaveTask(who: Person) {
  const page = people[who];
  await page.evaluate(() => { document.location.hash = '#/'; });
  await page.waitForSelector('#view .intro');
  const api = apiAs(server.url, await cookieOf(who));
  for (const deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 100))) {
    const { builds } = await (await api.get('/api/builds')).json() as BuildsResponse;
    if (!builds.some((b) => b.tasks.some((t) => t.claim?.mine))) return;
    if (Date.now() > deadline) throw new Error(`${who} still holds a task`);
  }
}

/** Answers tasks through the API the page uses, as `who`. */
async function submitByApi(tasks: KnownTask[], who: Person) {
  const api = apiAs(server.url, await cookieOf(who));
  for (const task of tasks) {
    const accepted = answer(task, who);
    const res = await api.post('/api/labels', { workflowId, requestId: `${who}-${task.round}-${submitted.length}-test`, decision: { taskId: task.id, accepted } });
    expect([res.status, await res.json()]).toEqual([200, { accepted: accepted.length }]);
    submitted.push(task.id);
    if (task.round === 1) noteRound1(task, who);
  }
}

function remember(tasks: KnownTask[]) {
  for (const t of tasks) (offeredByRound[t.round][t.className] ??= {})[t.keyword] = t.page.offered;
}

describe('labeling a demo v4 build in the browser, as a team', () => {
  // The steps build on each other: after a failure the rest would only wait out their timeouts.
  let broken = false;
  beforeEach((ctx) => {
    if (broken) ctx.skip();
    ctx.onTestFailed(() => { broken = true; });
  });

  it('round 1: grace and alan at the same time, each on a keyword they claimed; the other sees it taken', async () => {
    const { tasks } = await waitForPending((p) => p.tasks.length > 0 && p.tasks.every((t) => t.round === 1));
    truth = JSON.parse(await readFile(path.join(store, 'demo', `seed-${DEMO_SEED}`, 'ground_truth.json'), 'utf8'));
    remember(tasks);
    expect(tasks.length).toBeGreaterThan(20);
    // Every round-1 page hides controls among its candidates: a tenth of what it shows.
    for (const t of tasks) expect(t.shown.length - t.page.offered.length).toBe(Math.round(t.page.offered.length / 9));
    expect(tasks.some((t) => t.shown.some((s) => s.kind === 'control' && s.expected) && t.shown.some((s) => s.kind === 'control' && !s.expected))).toBe(true);
    // what `cifar101 status` says of the waiting build
    const status = (await buildStatuses(client)).find((s) => s.workflowId === workflowId)!;
    expect(status).toMatchObject({ state: 'RUNNING', stage: 'labelCandidates', waiting: `${tasks.length} pages wait for labels (round 1): cifar101 label` });
    const { grace, alan } = people;
    for (const page of [grace, alan]) {
      await page.waitForSelector(`section[data-workflow="${workflowId}"] a[data-task]`);
      expect(await page.$$eval(`section[data-workflow="${workflowId}"] a[data-task]`, (as) => as.length)).toBe(tasks.length);
    }
    expect(await grace.innerText('#me')).toBe('grace (labeler)');

    const [first, second, third, ...rest] = tasks;
    await openTask(grace, first);
    // alan sees it taken, with the name and the time left; opening it anyway says so.
    await alan.waitForSelector(`[data-claim="${first.id}"]`);
    expect(await alan.innerText(`[data-claim="${first.id}"]`)).toBe('taken by grace, 5 min left');
    await alan.click(`section[data-workflow="${workflowId}"] a[data-task="${first.id}"]`);
    await alan.waitForSelector('#message.error:not([hidden])');
    expect(await message(alan)).toBe(`page "${first.id}" is claimed by grace (5 min left)`);
    await alan.screenshot({ path: path.join(shots, 'taken.png') });
    // Both work at the same time, by keyboard.
    await Promise.all([selectInPage(grace, first, answer(first, 'grace'), 'r'), selectInPage(alan, second, answer(second, 'alan'), 'a')]);
    await grace.evaluate(() => { document.scrollingElement.scrollTop = 0; });
    await grace.screenshot({ path: path.join(shots, 'round1.png') });
    await keepScreenshot(path.join(shots, 'round1.png'), 'label-screenshot.png');
    // grace's page moves on to the next task nobody holds: not alan's.
    await submitInPage(grace, first, 'grace');
    await grace.waitForSelector(view(third));
    await submitInPage(alan, second, 'alan');
    await alan.waitForSelector(view(rest[0]));
    await leaveTask('alan');

    // A crafted request: an image the task does not show slipped into grace's submission.
    await selectInPage(grace, third, answer(third, 'grace'), 'r');
    await tamperNextSubmission(grace, third.shown.length);
    await grace.keyboard.press('Enter');
    await grace.waitForSelector('#message.error:not([hidden])');
    expect(await message(grace)).toBe(`Not accepted: image ${third.shown.length} was not offered in task "${third.id}" (it shows ${third.shown.length})`);
    // in view, though the grid is scrolled down to the last image toggled
    expect(await grace.evaluate(() => document.scrollingElement.scrollTop)).toBeGreaterThan(0);
    const box = (await grace.locator('#message').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThan(grace.viewportSize()!.height);
    await grace.screenshot({ path: path.join(shots, 'rejected.png') });
    expect((await pendingOfBuild(client, store, workflowId))!.tasks.map((t) => t.id)).toContain(third.id);
    await submitInPage(grace, third, 'grace');
    await grace.waitForSelector('#view:not(.sent)'); // the next task, opened by the page
    await leaveTask('grace');

    await submitByApi(rest.filter((_, i) => i % 2 === 0), 'grace');
    await submitByApi(rest.filter((_, i) => i % 2 === 1), 'alan');
  }, 300_000);

  it('round 2: alan is refused on his own keywords, visibly, and confirms one of grace\'s; ada confirms the rest', async () => {
    const { tasks } = await waitForPending((p) => p.tasks.length > 0 && p.tasks.every((t) => t.round === 2));
    remember(tasks);
    const labeledBy = (t: KnownTask, who: Person) => round1By.get(`${t.className}/${t.keyword}`)?.has(who) ?? false;
    const { alan, ada } = people;
    const own = tasks.find((t) => labeledBy(t, 'alan'))!;
    const graces = tasks.filter((t) => !labeledBy(t, 'alan'));
    expect(own).toBeDefined();
    await alan.waitForSelector(`[data-blocked="${own.id}"]`);
    expect(await alan.innerText(`[data-blocked="${own.id}"]`)).toBe('your round-1 keyword: someone else confirms it');
    await alan.click(`section[data-workflow="${workflowId}"] a[data-task="${own.id}"]`);
    await alan.waitForSelector('#message.error:not([hidden])');
    expect(await message(alan)).toBe(`two-person rule: alan made round-1 decisions on this keyword and cannot confirm them (page "${own.id}")`);
    expect(await alan.$(`#view[data-open="${workflowId}/${own.id}"]`)).toBeNull();
    await alan.screenshot({ path: path.join(shots, 'two-person-rule.png') });
    await keepScreenshot(path.join(shots, 'two-person-rule.png'), 'label-two-person-rule.png');

    // alan may confirm a keyword grace labeled; the first round's choices come preselected.
    const mine = graces.find((t) => answer(t, 'alan').length < t.shown.length) ?? graces[0];
    await openTask(alan, mine);
    expect(await selectedCells(alan)).toEqual(mine.shown.map((_, i) => i));
    await selectInPage(alan, mine, answer(mine, 'alan'), null);
    await submitInPage(alan, mine, 'alan');
    await alan.waitForSelector('#view:not(.sent)');
    await leaveTask('alan');

    // ada takes two where she has something to reject, so the page has to change the preselection, and the rest.
    const left = tasks.filter((t) => t !== mine);
    const withAmbiguous = left.filter((t) => answer(t, 'ada').length < t.shown.length).slice(0, 2);
    expect(withAmbiguous).toHaveLength(2);
    for (const task of withAmbiguous) {
      await selectInPage(ada, task, answer(task, 'ada'), null);
      await submitInPage(ada, task, 'ada');
      await ada.waitForSelector('#view:not(.sent)');
    }
    await leaveTask('ada');
    await submitByApi(left.filter((t) => !withAmbiguous.includes(t)), 'ada');
  }, 300_000);

  it('reviews every round of near-duplicate pairs in the page, confirming all as the automatic review does', async () => {
    const page = people.ada;
    let reviews = 0;
    for (;;) {
      const p = await waitForPending((w) => w.duplicates !== null).catch((err) => {
        if (buildDone) return null;
        throw err;
      });
      if (!p) break;
      const { round, count } = p.duplicates!;
      await page.click(`section[data-workflow="${workflowId}"] a.duplicates`);
      await page.waitForSelector(`#view[data-open="${workflowId}/~duplicates/${round}"] #pairs`);
      expect(await page.$$eval('#pairs .pair', (pairs) => pairs.length)).toBe(count);
      await page.keyboard.press('a');
      if (reviews === 0) await page.screenshot({ path: path.join(shots, 'duplicates.png') });
      await page.keyboard.press('Enter');
      await messageSays(page, `Review sent: ${count} image${count === 1 ? '' : 's'} blacklisted.`);
      reviews++;
      await waitForPending((w) => w.duplicates === null || w.duplicates.round > round).catch(() => null);
    }
    expect(reviews).toBe(3);
  }, 300_000);

  it('gives the release the simulated labeler gives, byte for byte', async () => {
    const [ours, theirs] = await Promise.all([building, simulated]);
    expect(ours.images).toBe(theirs.images);
    // The dataset byte for byte. The audit trail says who decided, so it differs there and only
    // there: provenance and exclusions name the team (the simulated labeler's rows name it), and
    // report.html names the config (interactive, not simulated) and the build's own workflows.
    const trail = new Set(['cifar10.1_v4_provenance.jsonl', 'cifar10.1_v4_exclusions.jsonl', 'report.html']);
    const dataset = async (dir: string) => Object.entries(await releaseHashes(dir)).filter(([f]) => !trail.has(f));
    const mine = await dataset(ours.releaseDir);
    expect(mine.map(([f]) => f)).toEqual(expect.arrayContaining(['cifar10.1_v4_data.npy', 'cifar10.1_v4_labels.npy', 'cifar10.1_v4_audit.json', 'manifest.json']));
    expect(mine).toEqual(await dataset(theirs.releaseDir));
    type Decision = { labeler: string; via: string } | null;
    const lines = async (dir: string, file: string) => (await readFile(path.join(dir, file), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const withoutWho = (r: Record<string, unknown>) => ({ ...r, round1: undefined, round2: undefined, evidence: r.reason === 'rejected-round1' || r.reason === 'rejected-round2' ? undefined : r.evidence });
    for (const file of ['cifar10.1_v4_provenance.jsonl', 'cifar10.1_v4_exclusions.jsonl']) {
      expect((await lines(ours.releaseDir, file)).map(withoutWho), file).toEqual((await lines(theirs.releaseDir, file)).map(withoutWho));
    }
    for (const r of await lines(ours.releaseDir, 'cifar10.1_v4_provenance.jsonl')) {
      const [r1, r2] = [r.round1 as Decision, r.round2 as Decision];
      expect(['grace', 'alan']).toContain(r1?.labeler);
      expect(['ada', 'alan']).toContain(r2?.labeler);
      expect(r2?.labeler).not.toBe(r1?.labeler);
      expect([r1?.via, r2?.via]).toEqual(['page', 'page']);
    }

    // Every decision in the build's log is one the test made, once, signed by whoever made it; the tampered one never got in.
    const log = (await readFile(path.join(store, 'decisions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((d) => d.page).sort()).toEqual([...submitted].sort());
    expect(new Set(log.filter((d) => d.round === 1).map((d) => d.labeler))).toEqual(new Set(['grace', 'alan']));
    expect(new Set(log.filter((d) => d.round === 2).map((d) => d.labeler))).toEqual(new Set(['ada', 'alan']));
    // The two-person rule held on every keyword.
    for (const d of log.filter((e) => e.round === 2)) expect(round1By.get(`${d.className}/${d.keyword}`)!.has(d.labeler)).toBe(false);
    // One Update per page, in the rounds' own workflows, and one per review in the build's.
    let updates = 0;
    for (const id of [workflowId, `${workflowId}/round1`, `${workflowId}/round2`]) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      updates += (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    }
    expect(updates).toBe(submitted.length + 3);

    // The agreement table over the rounds' decisions: round 2 only ever takes back the ambiguous images.
    const accepted = async (round: number) => {
      const root = path.join(store, 'cache', `labels-round${round}`);
      const [entry] = (await readdir(root)).filter((e) => !e.startsWith('.'));
      return JSON.parse(await readFile(path.join(root, entry, 'accepted.json'), 'utf8')) as AcceptedMap;
    };
    const rows = agreementTable({ round1Offered: offeredByRound[1], round1: await accepted(1), round2: await accepted(2), round2Offered: offeredByRound[2] });
    const ambiguous = new Set(truth.ambiguous);
    for (const row of rows.slice(0, -1)) {
      expect(row.onlyRound2).toBe(0);
      expect(row.onlyRound1).toBe((offeredByRound[2][row.className]?.[row.keyword] ?? []).filter((ti) => ambiguous.has(ti)).length);
    }
    expect(rows.at(-1)!.kappa).toBeGreaterThan(0.8);
  }, 300_000);

  it('scores the controls in the admin page: grace all right, alan flagged (he accepts every control), his pages listed for review', async () => {
    const page = people.lin;
    await page.click('#admin-link');
    await page.waitForSelector('#view[data-open="~admin"] #quality');
    const row = async (name: string) => page.$$eval(`#quality tr[data-labeler="${name}"] td`, (tds) => tds.map((td) => td.textContent));
    const controls = async (name: string): Promise<Array<{ expected: boolean; answered: boolean }>> => {
      const lines = (await readFile(path.join(store, 'labeling', 'controls.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      return lines.filter((c) => c.labeler === name);
    };
    const graceControls = await controls('grace');
    const alanControls = await controls('alan');
    expect(graceControls.length).toBeGreaterThan(10);
    expect(graceControls.every((c) => c.answered === c.expected)).toBe(true);
    const alanRight = alanControls.filter((c) => c.expected).length;
    const grace = await row('grace');
    expect(grace[0]).toBe('grace');
    expect(grace[3]).toBe(`100% (${graceControls.length}/${graceControls.length})`);
    expect(grace[9]).toBe('');
    const alan = await row('alan');
    const percent = `${Math.round((100 * alanRight) / alanControls.length)}%`;
    expect(alan[3]).toBe(`${percent} (${alanRight}/${alanControls.length})`);
    expect(alan[9]).toBe(`control accuracy ${percent} (${alanRight} of ${alanControls.length}) is under 80%`);
    expect(await page.getAttribute('#quality tr[data-labeler="alan"]', 'class')).toBe('flagged');
    // agreement and time figures are there for everyone who decided something
    for (const name of ['grace', 'alan', 'ada']) expect((await row(name))[8]).toMatch(/^\d+ min$|^\d+ h \d\d min$/);
    expect(await page.$$eval('section.review', (ss) => ss.map((s) => s.getAttribute('data-labeler')))).toEqual(['alan']);
    await page.screenshot({ path: path.join(shots, 'admin.png'), fullPage: true });
    await keepScreenshot(path.join(shots, 'admin.png'), 'label-admin-screenshot.png');
    // One of his pages, as he answered it: the candidates he accepted marked.
    await page.click('section.review[data-labeler="alan"] a[data-entry]');
    await page.waitForSelector('#review-grid .cell');
    expect(await page.$$eval('#review-grid .cell.good', (cs) => cs.length)).toBeGreaterThan(0);
  }, 120_000);

  it('shows the stage activities in the Temporal Web UI\'s event history of the build', async () => {
    const page = people.lin;
    const { runId } = await handle.describe();
    await page.goto(`${inject('temporalUi')}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`);
    await page.getByText('Event History', { exact: true }).first().waitFor();
    // the compact view: one row per activity, its type and summary; newest first, so the last stages lead
    await page.getByText('Compact', { exact: true }).first().click();
    for (const activity of ['evaluateModels', 'exportRelease', 'checkNearDuplicates']) await page.getByText(activity, { exact: true }).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, 'temporal-ui.png') });
    await keepScreenshot(path.join(shots, 'temporal-ui.png'), 'label-temporal-ui.png');
    await page.getByText('Descending', { exact: true }).first().click();
    for (const activity of ['extractSources', 'assignKeywords', 'computeKeywordCounts']) await page.getByText(activity, { exact: true }).first().waitFor({ timeout: 30_000 });
    // The sharded stages run in child workflows of their own, with one activity per shard.
    const child = `${workflowId}/computeDistances`;
    const { runId: childRun } = await client.workflow.getHandle(child).describe();
    await page.goto(`${inject('temporalUi')}/namespaces/default/workflows/${encodeURIComponent(child)}/${childRun}/history`);
    await page.getByText('Event History', { exact: true }).first().waitFor();
    await page.getByText('Compact', { exact: true }).first().click();
    await page.getByText('computeDistances shard 1/', { exact: false }).first().waitFor({ timeout: 30_000 });
  }, 120_000);
});

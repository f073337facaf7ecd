// A real demo build of v4 labeled in chromium: a few keyword tasks per round by keyboard in the
// page, the rest through the page's own HTTP API, the near-duplicate reviews in the page; the
// release must equal, byte for byte, the release of the simulated labeler making the same choices.
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
import type { LabelTask } from '../../web/api';
import type { BuildResult } from '../../workflows/types';
import { releaseHashes, tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';
import { keepScreenshot } from '../helpers/screenshots';
import { launchChromium, pendingViaServer, tamperNextSubmission } from './helpers';

/** Thresholds above the demo's 3,000 minimum distance, so the check flags pairs and the review has work (24, then 8, then 4). */
const THRESHOLD = 3100;
/** Two people: the two-person rule keeps the first round's labeler from confirming their own keywords. */
const LABELER = 'Grace';
const VERIFIER = 'Ada';

interface GroundTruth { classes: string[]; classOf: number[]; ambiguous: number[] }

// Functions handed to page.evaluate and friends run in the page; the tests compile without the DOM's types.
declare const document: any;
declare function getComputedStyle(e: unknown): { gridTemplateColumns: string };

let dir: string;
let shots: string;
let connection: Connection;
let client: Client;
let handle: WorkflowHandle;
let workflowId: string;
let building: Promise<BuildResult>;
let buildDone = false;
let simulated: Promise<BuildResult>;
let server: Awaited<ReturnType<typeof startLabelServer>>;
let browser: Browser;
let page: Page;
let truth: GroundTruth;
const offeredByRound: Record<1 | 2, AcceptedMap> = { 1: {}, 2: {} };
const submitted: string[] = [];

beforeAll(async () => {
  const address = useTestServer();
  dir = await tempDir('label');
  shots = path.join(dir, 'screenshots');
  await mkdir(shots);
  const change = (interactive: boolean) => (_release: string, doc: Record<string, any>) => {
    doc.nearDuplicates.withinThreshold = THRESHOLD;
    doc.nearDuplicates.cifarThreshold = THRESHOLD;
    if (interactive) {
      doc.labeling.mode = 'interactive';
      doc.nearDuplicates.review = 'interactive';
    }
  };
  await mkdir(path.join(dir, 'interactive'));
  await mkdir(path.join(dir, 'simulated'));
  const interactive = await writeConfigs(path.join(dir, 'interactive'), change(true));
  const auto = await writeConfigs(path.join(dir, 'simulated'), change(false));
  const taskQueue = uniqueQueue('label');
  workflowId = buildWorkflowId(await loadReleaseConfig(interactive.v4), taskQueue);
  building = runBuild({ config: interactive.v4, outDir: path.join(dir, 'out'), quiet: true, taskQueue }).then((r) => r.result);
  building.then(() => { buildDone = true; }, () => { buildDone = true; });
  // The same release with the simulated labeler and automatic review, in a store of its own, meanwhile.
  simulated = runBuild({ config: auto.v4, outDir: path.join(dir, 'sim-out'), quiet: true, taskQueue: uniqueQueue('label-sim') }).then((r) => r.result);
  simulated.catch(() => undefined);

  connection = await Connection.connect({ address });
  client = new Client({ connection });
  handle = client.workflow.getHandle(workflowId);
  server = await startLabelServer({ client, storeRoot: path.join(dir, 'out'), release: 'v4', uiUrl: inject('temporalUi') });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
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

type Pending = NonNullable<Awaited<ReturnType<typeof pendingViaServer>>>;

/** Polls the build's pending work (as the label server shows it) until `ready` holds. */
async function waitForPending(ready: (p: Pending) => boolean, timeoutMs = 240_000): Promise<Pending> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (buildDone) throw new Error('the build ended while the test waited for pending work');
    const p = await pendingViaServer(server.url, workflowId).catch(() => null);
    if (p && ready(p)) return p;
    if (Date.now() > deadline) throw new Error(`no such pending work in ${timeoutMs / 1000} s (stage ${p?.stage})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What the simulated labeler accepts: the images of the task's class, and in round 2 not the ambiguous ones. */
function answer(task: LabelTask): number[] {
  const cls = truth.classes.indexOf(task.className);
  const ambiguous = new Set(truth.ambiguous);
  return task.offered.filter((ti) => truth.classOf[ti] === cls && (task.round === 1 || !ambiguous.has(ti)));
}

const selectedCells = () => page.$$eval('#grid .cell', (cells) => cells.map((c, i) => (c.getAttribute('aria-selected') === 'true' ? i : -1)).filter((i) => i >= 0));

/** Clicks a task in the list and waits until the page shows it. */
async function openTask(task: LabelTask) {
  await page.click(`section[data-workflow="${workflowId}"] a[data-task="${task.id}"]`);
  await page.waitForSelector(`#view[data-open="${workflowId}/${task.id}"] #grid`);
  expect(await page.$$eval('#grid .cell', (cells) => cells.length)).toBe(task.offered.length);
}

/** Opens a task from the list and makes the page's selection equal `wanted` with the keyboard only. */
async function selectInPage(task: LabelTask, wanted: number[], start: 'a' | 'r' | null) {
  await openTask(task);
  if (start) await page.keyboard.press(start);
  const want = new Set(wanted);
  const now = new Set((await selectedCells()).map((i) => task.offered[i]));
  const flips = task.offered.map((ti, i) => (want.has(ti) !== now.has(ti) ? i : -1)).filter((i) => i >= 0);
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
  expect((await selectedCells()).map((i) => task.offered[i])).toEqual(task.offered.filter((ti) => want.has(ti)));
  expect(await page.innerText('#selected-count')).toBe(String(want.size));
}

/** Waits for the page's message to say `text`, or for an error (then fails with it). */
async function messageSays(text: string) {
  await page.waitForFunction((t) => {
    const box = document.querySelector('#message');
    return !box.hidden && (box.textContent === t || box.className === 'error');
  }, text);
  expect(await page.innerText('#message')).toBe(text);
}

async function submitInPage(task: LabelTask) {
  await page.keyboard.press('Enter');
  await messageSays(`Submitted ${task.className} / ${task.keyword} (round ${task.round}): ${answer(task).length} accepted.`);
  submitted.push(task.id);
}

/** Answers the rest through the API the page uses. */
async function submitByApi(tasks: LabelTask[], labeler: string) {
  for (const task of tasks) {
    const res = await fetch(new URL('/api/labels', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflowId, decision: { taskId: task.id, accepted: answer(task), labeler, at: new Date().toISOString() } }),
    });
    expect([res.status, await res.json()]).toEqual([200, { accepted: answer(task).length }]);
    submitted.push(task.id);
  }
}

function remember(tasks: LabelTask[]) {
  for (const t of tasks) (offeredByRound[t.round][t.className] ??= {})[t.keyword] = t.offered;
}

describe('labeling a demo v4 build in the browser', () => {
  // The steps build on each other: after a failure the rest would only wait out their timeouts.
  let broken = false;
  beforeEach((ctx) => {
    if (broken) ctx.skip();
    ctx.onTestFailed(() => { broken = true; });
  });

  it('round 1: three keywords by keyboard in the page (one after a rejected tampered submission), the rest through its API', async () => {
    const { tasks } = await waitForPending((p) => p.tasks.length > 0 && p.tasks.every((t) => t.round === 1));
    truth = JSON.parse(await readFile(path.join(dir, 'out', 'demo', `seed-${DEMO_SEED}`, 'ground_truth.json'), 'utf8'));
    remember(tasks);
    expect(tasks.length).toBeGreaterThan(20);
    // what `cifar101 status` says of the waiting build
    const status = (await buildStatuses(client)).find((s) => s.workflowId === workflowId)!;
    expect(status).toMatchObject({ state: 'RUNNING', stage: 'labelCandidates', waiting: `${tasks.length} pages wait for labels (round 1): cifar101 label` });
    await page.goto(server.url);
    await page.fill('#labeler', LABELER);
    await page.waitForSelector(`section[data-workflow="${workflowId}"] a[data-task]`);
    expect(await page.$$eval(`section[data-workflow="${workflowId}"] a[data-task]`, (as) => as.length)).toBe(tasks.length);

    const [first, second, third, ...rest] = tasks;
    await selectInPage(first, answer(first), 'r');
    await page.evaluate(() => { document.scrollingElement.scrollTop = 0; });
    await page.screenshot({ path: path.join(shots, 'round1.png') });
    await keepScreenshot(path.join(shots, 'round1.png'), 'label-screenshot.png');
    await submitInPage(first);
    await selectInPage(second, answer(second), 'a');
    await submitInPage(second);

    // A crafted request: an image of another task slipped into the page's submission.
    const stranger = rest[0].offered.find((ti) => !third.offered.includes(ti))!;
    await selectInPage(third, answer(third), 'r');
    await tamperNextSubmission(page, stranger);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#message.error:not([hidden])');
    expect(await page.innerText('#message')).toBe(`Not accepted: image ${stranger} was not offered in task "${third.id}"`);
    // in view, though the grid is scrolled down to the last image toggled
    expect(await page.evaluate(() => document.scrollingElement.scrollTop)).toBeGreaterThan(0);
    const box = (await page.locator('#message').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThan(page.viewportSize()!.height);
    await page.screenshot({ path: path.join(shots, 'rejected.png') });
    expect((await pendingViaServer(server.url, workflowId))!.tasks.map((t) => t.id)).toContain(third.id);
    await submitInPage(third);

    await submitByApi(rest, LABELER);
  }, 300_000);

  it('round 2: the first round\'s choices come preselected; two keywords confirmed in the page, the rest through its API', async () => {
    const { tasks } = await waitForPending((p) => p.tasks.length > 0 && p.tasks.every((t) => t.round === 2));
    remember(tasks);
    // pick tasks where the second labeler has something to reject, so the page has to change the preselection
    const withAmbiguous = tasks.filter((t) => answer(t).length < t.offered.length).slice(0, 2);
    expect(withAmbiguous).toHaveLength(2);
    // The first round's labeler may not confirm their own keywords: the build's validator says so, and records nothing.
    await openTask(withAmbiguous[0]);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#message.error:not([hidden])');
    expect(await page.innerText('#message')).toContain(`two-person rule: ${LABELER} made round-1 decisions on this keyword and cannot confirm them`);
    await page.fill('#labeler', VERIFIER);
    for (const task of withAmbiguous) {
      await openTask(task);
      expect((await selectedCells()).map((i) => task.offered[i])).toEqual(task.preselected);
      await selectInPage(task, answer(task), null);
      await submitInPage(task);
    }
    await submitByApi(tasks.filter((t) => !withAmbiguous.includes(t)), VERIFIER);
  }, 300_000);

  it('reviews every round of near-duplicate pairs in the page, confirming all as the automatic review does', async () => {
    let reviews = 0;
    for (;;) {
      const p = await waitForPending((w) => w.duplicates !== null).catch((err) => {
        if (buildDone) return null;
        throw err;
      });
      if (!p) break;
      await page.click(`section[data-workflow="${workflowId}"] a.duplicates`);
      await page.waitForSelector(`#view[data-open="${workflowId}/~duplicates/${p.duplicates!.round}"] #pairs`);
      expect(await page.$$eval('#pairs .pair', (pairs) => pairs.length)).toBe(p.duplicates!.pairs.length);
      await page.keyboard.press('a');
      if (reviews === 0) await page.screenshot({ path: path.join(shots, 'duplicates.png') });
      await page.keyboard.press('Enter');
      await messageSays(`Review sent: ${p.duplicates!.pairs.length} image${p.duplicates!.pairs.length === 1 ? '' : 's'} blacklisted.`);
      reviews++;
      await waitForPending((w) => w.duplicates === null || w.duplicates.round > p.duplicates!.round).catch(() => null);
    }
    expect(reviews).toBe(3);
  }, 300_000);

  it('gives the release the simulated labeler gives, byte for byte', async () => {
    const [ours, theirs] = await Promise.all([building, simulated]);
    expect(ours.images).toBe(theirs.images);
    const mine = await releaseHashes(ours.releaseDir);
    expect(Object.keys(mine)).toContain('cifar10.1_v4_data.npy');
    expect(mine).toEqual(await releaseHashes(theirs.releaseDir));

    // Every decision in the log is one the test made, once; the tampered one never got in.
    const log = (await readFile(path.join(dir, 'out', 'decisions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((d) => d.page).sort()).toEqual([...submitted].sort());
    expect(new Set(log.filter((d) => d.round === 1).map((d) => d.labeler))).toEqual(new Set([LABELER]));
    expect(new Set(log.filter((d) => d.round === 2).map((d) => d.labeler))).toEqual(new Set([VERIFIER]));
    // One Update per page, in the rounds' own workflows, and one per review in the build's.
    let updates = 0;
    for (const id of [workflowId, `${workflowId}/round1`, `${workflowId}/round2`]) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      updates += (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    }
    expect(updates).toBe(submitted.length + 3);

    // The agreement table over the rounds' decisions: round 2 only ever takes back the ambiguous images.
    const accepted = async (round: number) => {
      const root = path.join(dir, 'out', 'cache', `labels-round${round}`);
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

  it('shows the stage activities in the Temporal Web UI\'s event history of the build', async () => {
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

// Temporal's limits on Updates, by design: at most 2,000 per workflow execution and 256 KB per
// argument. Counted on the full-shape corpus (lib/scale-corpus) with the release configs' page size
// and top-k, and on a real demo build whose round 1 is made to outgrow one execution (page size 2:
// more pages than the round's budget), answered one Update per page as people would.
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReleaseConfig } from '../../configs';
import { planScaleCorpus } from '../../lib/scale-corpus';
import { innermostMessage } from '../../lib/errors';
import { DEMO_SEED } from '../../worker/defaults';
import { runBuild } from '../../worker/build';
import { buildWorkflowId } from '../../workflows/build';
import { UPDATE_BUDGET } from '../../workflows/labeling';
import { submitLabels } from '../../workflows/messages';
import type { LabelBatch, PageDecision } from '../../workflows/types';
import { HANDING_OVER, MAX_BATCH_PAGES, MAX_BATCH_POSITIONS, type PendingPage, validateBatch } from '../../workflows/validators';
import { ROOT, tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';
import { pendingOfBuild } from '../browser/helpers';

/** Temporal's limits: Updates per workflow execution (history), in flight at once, and the size of a payload before it warns. */
const TEMPORAL_MAX_UPDATES = 2000;
const TEMPORAL_MAX_IN_FLIGHT = 10;
const PAYLOAD_LIMIT = 256 * 1024;

describe('the Update budget on the full-shape corpus', () => {
  it('keeps each labeling round of v4 and v6 within one execution\'s budget, people answering page by page', async () => {
    const plan = planScaleCorpus({ images: 5_000_000, candidates: 589_711 });
    const rows: string[] = [];
    for (const release of ['v4', 'v6'] as const) {
      const config = await loadReleaseConfig(path.join(ROOT, 'configs', `${release}.yaml`));
      const { pageSize } = config.labeling;
      // Round 1 offers every keyword with a quota its candidates (the corpus's top-k keywords: topK from the config);
      // round 2 at most what round 1 accepts (good, ambiguous and planted images).
      const keywords = plan.keywords.filter((k) => k.candidate && k.rank <= config.keywords.topK && k.quota[release] > 0);
      const planted = (k: (typeof keywords)[number]) => Object.values(k.planted).reduce((a, b) => a + b, 0);
      const round1 = keywords.map((k) => k.good + k.ambiguous + k.offTopic + planted(k));
      const round2 = keywords.map((k) => k.good + k.ambiguous + planted(k));
      const pages = (sizes: number[]) => sizes.reduce((n, size) => n + Math.max(1, Math.ceil(size / pageSize)), 0);
      const pages1 = pages(round1);
      const pages2 = pages(round2);
      expect(round1.reduce((a, b) => a + b, 0)).toBe(plan.keywords.filter((k) => k.candidate && k.quota[release] > 0).reduce((n, k) => n + k.size - k.cifar - k.copies, 0));
      // People send one Update per page. A retried request reuses its id (recorded once) and a rejected one never
      // enters history, so neither counts; a round is a child workflow of its own, so the rounds do not add up;
      // the build's own Updates are the near-duplicate reviews, one per check round.
      for (const [round, n] of [[1, pages1], [2, pages2]] as const) {
        expect(n, `${release} round ${round}: ${n} pages`).toBeLessThanOrEqual(UPDATE_BUDGET);
        expect(UPDATE_BUDGET + TEMPORAL_MAX_IN_FLIGHT).toBeLessThan(TEMPORAL_MAX_UPDATES); // past the budget a round continues as new
      }
      expect(config.nearDuplicates.rounds).toBeLessThan(TEMPORAL_MAX_UPDATES);
      rows.push(`${release}: ${keywords.length} keywords, ${round1.reduce((a, b) => a + b, 0)} candidates, pages of ${pageSize}: round 1 ${pages1} pages = ${pages1} Updates `
        + `(simulated: ${Math.ceil(pages1 / MAX_BATCH_PAGES)}), round 2 ≤ ${pages2}; build: ≤ ${config.nearDuplicates.rounds} reviews`);
    }
    expect(rows).toHaveLength(2);
    console.log(`Update budget at full shape (per execution, Temporal allows ${TEMPORAL_MAX_UPDATES}; a round continues as new past ${UPDATE_BUDGET}):\n  ${rows.join('\n  ')}`);
  });

  it('keeps an Update under 256 KB: the largest batch the validator lets through, and the largest page a person sends', () => {
    // The worst case the validator admits: 64 pages with 16,384 accepted positions between them, positions as large as a
    // page allows (pageSize is at most 5,000), long page ids, a long name.
    const page = (i: number) => `r1/${'c'.repeat(40)}/${'k'.repeat(80)}#${i + 2}`;
    const pending = new Map<string, PendingPage>(Array.from({ length: MAX_BATCH_PAGES }, (_, i) => [page(i), { count: 5000, digest: 'f'.repeat(16) }]));
    const perPage = MAX_BATCH_POSITIONS / MAX_BATCH_PAGES;
    const decision = (i: number, accepted: number[]): PageDecision => ({ page: page(i), digest: 'f'.repeat(16), accepted, labeler: 'n'.repeat(32), at: new Date().toISOString(), via: 'import' });
    const batch: LabelBatch = { decisions: Array.from({ length: MAX_BATCH_PAGES }, (_, i) => decision(i, Array.from({ length: perPage }, (_, p) => 5000 - perPage + p))) };
    expect(() => validateBatch(pending, batch)).not.toThrow();
    const bytes = Buffer.byteLength(JSON.stringify(batch));
    expect(bytes).toBeLessThan(PAYLOAD_LIMIT);
    // One more position and the validator refuses the batch before it is recorded.
    batch.decisions[0].accepted.unshift(0);
    expect(() => validateBatch(pending, batch)).toThrow(`at most ${MAX_BATCH_POSITIONS} accepted images per submission`);
    // A person's page: every image of the largest page accepted.
    const one = Buffer.byteLength(JSON.stringify({ decisions: [decision(0, Array.from({ length: 5000 }, (_, p) => p))] }));
    expect(one).toBeLessThan(PAYLOAD_LIMIT / 8);
    console.log(`largest Update the validator admits: ${(bytes / 1024).toFixed(0)} KB; a person's largest page: ${(one / 1024).toFixed(0)} KB`);
  });
});

let dir: string | undefined;
let connection: Connection | undefined;
afterAll(async () => {
  await connection?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a real round past its budget', () => {
  it('continues as new: each execution takes at most about the budget, every page is recorded once, and the round completes', async () => {
    const address = useTestServer();
    dir = await tempDir('budget');
    const configs = await writeConfigs(dir, (_release, doc) => {
      doc.labeling.mode = 'interactive';
      doc.labeling.pageSize = 1; // the demo's ~4,600 candidates make as many pages: three executions' worth
    });
    const taskQueue = uniqueQueue('budget');
    const workflowId = buildWorkflowId(await loadReleaseConfig(configs.v4), taskQueue);
    const store = path.join(dir, 'out');
    const building = runBuild({ config: configs.v4, outDir: store, quiet: true, taskQueue });
    building.catch(() => undefined);
    connection = await Connection.connect({ address });
    const client = new Client({ connection });

    let pending = null;
    for (const deadline = Date.now() + 240_000; !pending?.tasks.length; await new Promise((r) => setTimeout(r, 500))) {
      if (Date.now() > deadline) throw new Error('round 1 never waited for labels');
      pending = await pendingOfBuild(client, store, workflowId).catch(() => null);
    }
    const pages = pending.tasks;
    expect(pages.length).toBeGreaterThan(UPDATE_BUDGET);
    const truth = JSON.parse(await readFile(path.join(store, 'demo', `seed-${DEMO_SEED}`, 'ground_truth.json'), 'utf8')) as { classes: string[]; classOf: number[] };

    // One Update per page, 8 in flight (as the label server sends them), each with its request's id. An Update that
    // reaches the round while it hands over to its next execution is refused (recording nothing) and sent again, as the label server does.
    const round = client.workflow.getHandle(`${workflowId}/round1`);
    let next = 0;
    let resent = 0;
    const reasons = new Set<string>();
    const sendOne = async (task: (typeof pages)[number]) => {
      const cls = truth.classes.indexOf(task.className);
      const accepted = task.page.offered.flatMap((ti, p) => (truth.classOf[ti] === cls ? [p] : []));
      const decision: PageDecision = { page: task.id, digest: task.page.digest, accepted, labeler: 'grace', at: new Date().toISOString(), via: 'page' };
      for (let attempt = 0; ; attempt++) {
        try {
          return await round.executeUpdate(submitLabels, { args: [{ decisions: [decision] }], updateId: `budget-${task.id}` });
        } catch (err) {
          if (attempt >= 20 || !innermostMessage(err).includes(HANDING_OVER)) throw err;
          reasons.add(innermostMessage(err));
          resent++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < pages.length) await sendOne(pages[next++]);
    }));

    // The round's executions, newest first: each started from the one before it (continued as new).
    for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
      const { status } = await round.describe();
      if (status.name === 'COMPLETED') break;
      if (status.name !== 'RUNNING') await round.result(); // throws with the reason
      if (Date.now() > deadline) throw new Error(`round 1 is ${status.name}`);
    }
    const runs: Array<{ updates: number; continued: boolean }> = [];
    for (let runId: string | undefined = (await round.describe()).runId; runId;) {
      const events: temporal.api.history.v1.IHistoryEvent[] = (await client.workflow.getHandle(round.workflowId, runId).fetchHistory()).events ?? [];
      runs.unshift({
        updates: events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
        continued: Boolean(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes),
      });
      runId = events[0].workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    console.log(`round 1 of ${pages.length} pages: ${runs.length} executions taking ${runs.map((r) => r.updates).join(' + ')} Updates (${resent} sent again during a hand-over: ${[...reasons].join('; ')})`);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.slice(0, -1).every((r) => r.continued)).toBe(true);
    expect(runs.reduce((n, r) => n + r.updates, 0)).toBe(pages.length); // each page once, however often it was sent
    for (const r of runs) expect(r.updates).toBeLessThan(TEMPORAL_MAX_UPDATES);
    expect(runs[0].updates).toBeGreaterThanOrEqual(UPDATE_BUDGET);

    // The decisions of every execution reached the round's labels: what it accepted is what was sent.
    const root = path.join(store, 'cache', 'labels-round1');
    const [entry] = (await readdir(root)).filter((e) => !e.startsWith('.'));
    const accepted = JSON.parse(await readFile(path.join(root, entry, 'accepted.json'), 'utf8')) as Record<string, Record<string, number[]>>;
    const total = Object.values(accepted).flatMap((kws) => Object.values(kws)).reduce((n, l) => n + l.length, 0);
    const sent = pages.reduce((n, t) => n + t.page.offered.filter((ti) => truth.classOf[ti] === truth.classes.indexOf(t.className)).length, 0);
    expect(total).toBe(sent);
    await client.workflow.getHandle(workflowId).terminate('round 1 counted');
    await building.catch(() => undefined);
  }, 600_000);
});

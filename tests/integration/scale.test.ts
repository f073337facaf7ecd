// The scale guard: v6 (with its v4 child) built at two sizes of the full-shape synthetic corpus.
// Nothing that passes through Temporal may grow with the data: no payload over 256 KB, and the
// histories' events must grow much more slowly than the candidates. (The full shape itself is
// measured by `npm run rehearsal`, not here.)
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runBuild } from '../../worker/build';
import { tempDir, uniqueQueue, useTestServer } from '../helpers/build';

const ROOT = path.resolve(__dirname, '..', '..');
const LIMIT = 256 * 1024;
/** Two corpora of the full shape, the second with four times the candidates (and images). */
const SIZES = [
  { images: 40_000, candidates: 5_000 },
  { images: 160_000, candidates: 20_000 },
];

interface WorkflowBudget { workflowId: string; events: number; largestPayload: number; largestWhere: string }

/** Every workflow of a build (its children, and theirs, the base release's build among them), with its events and largest payload. */
async function budgets(client: Client, workflowId: string): Promise<WorkflowBudget[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  let largestPayload = 0;
  let largestWhere = '';
  const children: string[] = [];
  const walk = (value: unknown, where: string) => {
    if (!value || typeof value !== 'object') return;
    const payload = value as temporal.api.common.v1.IPayload;
    if (payload.data instanceof Uint8Array && payload.metadata) {
      if (payload.data.length > largestPayload) [largestPayload, largestWhere] = [payload.data.length, where];
      return;
    }
    for (const v of Object.values(value)) walk(v, where);
  };
  for (const event of history.events ?? []) {
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (child) children.push(child);
    walk(event, `${workflowId} event ${event.eventId}`);
  }
  const own = { workflowId, events: history.events?.length ?? 0, largestPayload, largestWhere };
  return [own, ...(await Promise.all(children.map((c) => budgets(client, c)))).flat()];
}

describe('the build at two sizes of the full-shape corpus', () => {
  let connection: Connection;
  let client: Client;
  const measured: Array<{ candidates: number; workflows: WorkflowBudget[] }> = [];

  beforeAll(async () => {
    connection = await Connection.connect({ address: useTestServer() });
    client = new Client({ connection });
    for (const size of SIZES) {
      const { workflowId } = await runBuild({
        config: path.join(ROOT, 'configs', 'v6.yaml'),
        source: { kind: 'synthetic', ...size, seed: 5, cifarTrain: 5_000, cifarTest: 1_000 },
        outDir: await tempDir(`scale-${size.candidates}`),
        quiet: true,
        taskQueue: uniqueQueue(`scale${size.candidates}`),
      });
      measured.push({ candidates: size.candidates, workflows: await budgets(client, workflowId) });
    }
  }, 900_000);

  afterAll(() => connection?.close());

  test('no payload anywhere in the histories is over 256 KB', () => {
    for (const { workflows } of measured) {
      const largest = workflows.reduce((a, b) => (b.largestPayload > a.largestPayload ? b : a));
      expect(largest.largestPayload, `largest payload: ${largest.largestWhere}`).toBeLessThanOrEqual(LIMIT);
    }
  });

  test('the builds\' events grow much more slowly than the candidates', () => {
    const [small, large] = measured.map(({ workflows }) => workflows.reduce((n, w) => n + w.events, 0));
    if (process.env.CIFAR101_SCALE_REPORT) console.log(JSON.stringify(measured.map((m) => ({ candidates: m.candidates, events: m.workflows.reduce((n, w) => n + w.events, 0), largest: Math.max(...m.workflows.map((w) => w.largestPayload)), workflows: m.workflows.map((w) => [w.workflowId.split('-').slice(-2).join('-'), w.events]) }))));
    const candidates = SIZES[1].candidates / SIZES[0].candidates;
    // Four times the candidates: the event count may grow with the shards and pages, not with the images.
    expect(large / small, `events ${small} -> ${large} for ${candidates}x the candidates`).toBeLessThan(Math.sqrt(candidates));
    for (const { workflows } of measured) for (const w of workflows) expect(w.events, w.workflowId).toBeLessThan(2_000);
  });
});

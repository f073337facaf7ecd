// `cifar101 plan` against what the following build really does: one parameter changed at a time
// (the seed, a distance threshold, top-k, a stage's code version), the plan must agree with the
// build stage for stage, and name the input that changed.
import { beforeAll, describe, expect, test } from 'vitest';
import type { VersionOverrides } from '../../lib/stage-keys';
import { runBuild } from '../../worker/build';
import { planBuild } from '../../worker/plan';
import type { SourceSpec } from '../../workflows/types';
import { DEMO_SEED } from '../../worker/defaults';
import { tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';

const source: SourceSpec = { kind: 'demo', seed: DEMO_SEED };

describe('plan versus build, one change at a time (demo v4)', () => {
  let outDir: string;
  let taskQueue: string;

  beforeAll(async () => {
    useTestServer();
    outDir = await tempDir('plan');
    taskQueue = uniqueQueue('plan');
    await runBuild({ config: (await writeConfigs(await tempDir('plan-base'))).v4, outDir, quiet: true, taskQueue });
  }, 600_000);

  /** Plans the changed config, builds it, and compares: a cached stage was cached, a stage to run ran (one marked "unless" may go either way). */
  async function planThenBuild(change: (doc: Record<string, any>) => void, versions?: VersionOverrides) {
    const configs = await writeConfigs(await tempDir('plan-change'), (release, doc) => release === 'v4' && change(doc));
    const plan = await planBuild({ config: configs.v4, source, outDir, versions, taskQueue });
    const { result } = await runBuild({ config: configs.v4, outDir, quiet: true, taskQueue, versions });
    const built = result.stages;
    for (const stage of new Set(built.map((s) => s.stage))) {
      const row = plan.rows.find((r) => r.stage === stage);
      expect(row, `the plan lists ${stage}`).toBeDefined();
      const cached = built.filter((s) => s.stage === stage).map((s) => s.cached);
      if (row!.status === 'cached') expect(cached, `${stage}: planned cached`).toEqual(cached.map(() => true));
      else if (!row!.maybe) expect(cached, `${stage}: planned to run (${row!.why})`).toEqual(cached.map(() => false));
    }
    // Nothing the plan says runs is missing from the build (but for near-duplicate rounds the new sample may not need).
    for (const row of plan.rows.filter((r) => r.status !== 'cached' && !r.maybe)) expect(built.map((s) => s.stage), row.stage).toContain(row.stage);
    return plan;
  }

  const firstToRun = (plan: Awaited<ReturnType<typeof planBuild>>) => plan.rows.find((r) => r.status === 'run');

  test('the seed: sampling and what follows run, nothing before', async () => {
    const plan = await planThenBuild((doc) => { doc.seed = 4242; });
    expect(firstToRun(plan)).toMatchObject({ stage: 'sampleRelease', why: 'config: seed' });
    expect(plan.rows.slice(0, plan.rows.findIndex((r) => r.stage === 'sampleRelease')).every((r) => r.status === 'cached')).toBe(true);
  }, 300_000);

  test('a near-duplicate threshold: the check and what follows run', async () => {
    const plan = await planThenBuild((doc) => { doc.nearDuplicates.withinThreshold = 1500; });
    expect(firstToRun(plan)).toMatchObject({ stage: 'checkNearDuplicates', why: 'config: nearDuplicates.withinThreshold' });
  }, 300_000);

  test('top-k: the candidate subsets and what follows run', async () => {
    const plan = await planThenBuild((doc) => { doc.keywords.topK = 4; });
    expect(firstToRun(plan)).toMatchObject({ stage: 'buildKeywordSubsets', why: 'config: keywords.topK' });
  }, 300_000);

  test('a stage\'s code version: that stage and what follows run', async () => {
    const plan = await planThenBuild(() => undefined, { computeKeywordCounts: 99 });
    expect(firstToRun(plan)).toMatchObject({ stage: 'computeKeywordCounts', why: 'code version 2 → 99' });
  }, 300_000);

  test('no change: every stage cached', async () => {
    const plan = await planThenBuild(() => undefined);
    expect(plan.rows.filter((r) => r.status !== 'cached')).toEqual([]);
  }, 300_000);
});


// The two labeling rounds. Each runs as a child workflow of its own, so its
// Updates (one per page from people, batches from the simulated or imported
// labeler) count against that execution's budget, not the build's; past
// UPDATE_BUDGET it continues as new. Pages live in the store; the workflow
// keeps each pending page's id, size and digest, and flushes the decisions it
// receives to the store in batches, which recordLabels then reads.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { childWorkflowId } from './ids';
import { roundPending, submitLabels } from './messages';
import { activity, type Progress } from './stages';
import type { ArtifactRef, BuildConfig, PageDecision, PageHeader, PrepareRoundInput, RoundInput, RoundResult, StageOutput } from './types';
import { type PendingPage, rejectWhileHandingOver, validateBatch } from './validators';

/** Updates one execution takes before it continues as new: Temporal allows 2,000 per execution. */
export const UPDATE_BUDGET = 1500;
/** Decisions are flushed to the store once this many pages, or accepted positions, are buffered (a flush stays well under 256 KB). */
const FLUSH_PAGES = 64;
const FLUSH_POSITIONS = 8192;

/** What the build shows of the round it waits for. */
export interface RoundWait {
  workflowId: string;
  round: 1 | 2;
}

/** Runs labeling round 1 or 2 as a child workflow and records its stages in the build's progress. */
export async function labelingRound(
  progress: Progress,
  wait: { round: RoundWait | null },
  config: BuildConfig,
  prepare: PrepareRoundInput,
  sources: { poolRows?: ArtifactRef } = {},
): Promise<StageOutput> {
  const { round } = prepare;
  progress.enter(round === 1 ? 'labelCandidates' : 'confirmCandidates');
  const workflowId = childWorkflowId(progress.buildId, `round${round}`);
  wait.round = { workflowId, round };
  try {
    const out = await executeChild(labelRound, {
      args: [{
        release: config.release, round, mode: config.labeling.mode, prepare,
        ...(config.labeling.mode === 'import' && config.labeling.decisions ? { importFile: config.labeling.decisions[`round${round}`] } : {}),
        ...(sources.poolRows ? { poolRows: sources.poolRows } : {}),
      }],
      workflowId,
      staticSummary: round === 1 ? 'first labeling round: accept good images per keyword' : `second round: confirm, after dropping images within L2 ${config.labeling.minCifarDistance} of CIFAR-10`,
    });
    progress.record(out.prepared);
    return progress.record(out.labels);
  } finally {
    wait.round = null;
  }
}

/** One labeling round: its pages prepared in the store, every page decided (by people, or the simulated or imported labeler), the decisions recorded. */
export async function labelRound(input: RoundInput): Promise<RoundResult> {
  const { release, round, mode } = input;
  const prepared = input.carried?.prepared
    ?? await activity(round === 1 ? 'labelCandidates' : 'confirmCandidates', round === 1 ? 'pages of candidates per keyword' : 'pages of round-1 choices to confirm')(input.prepare);
  const pending = new Map<string, PendingPage>((input.carried?.pending ?? prepared.pending).map(([id, count, digest, excluded]) => [id, { count, digest, ...(excluded ? { excluded } : {}) }]));
  const batches: ArtifactRef[] = [...(input.carried?.batches ?? [])];
  const buffer: PageDecision[] = [];
  let updates = 0;
  /** Past the budget: the round takes no more Updates, so that nothing arrives after its last flush; senders send again to the next execution. */
  let handingOver = false;

  setHandler(roundPending, () => ({
    release, round, pages: prepared.pages, pending: [...pending.keys()], decided: prepared.total - pending.size, total: prepared.total,
    excluded: Object.fromEntries([...pending].flatMap(([id, p]) => (p.excluded?.length ? [[id, p.excluded]] : []))),
  }));
  setHandler(submitLabels, (batch) => {
    for (const decision of batch.decisions) {
      pending.delete(decision.page);
      buffer.push(decision);
    }
    updates++;
    return { recorded: batch.decisions.length };
  }, {
    validator: (batch) => {
      if (handingOver) rejectWhileHandingOver(round);
      validateBatch(pending, batch);
    },
  });

  let failed: unknown;
  const workflowId = workflowInfo().workflowId;
  const labeler = pending.size === 0 || mode === 'interactive' ? undefined
    : mode === 'simulated'
      ? activity('simulateLabeler', `simulated labeler, round ${round}: ${pending.size} pages`)({ workflowId, extract: input.prepare.extract, pages: prepared.pages, round })
      : activity('importDecisions', `round ${round}'s decisions from ${input.importFile}`)({
        workflowId, pages: prepared.pages, round, file: input.importFile ?? '', poolRows: input.poolRows,
        round1Labelers: (input.prepare.labels as { labelers?: ArtifactRef } | undefined)?.labelers,
      });
  labeler?.catch((err) => (failed = err));
  if (pending.size) log.info('waiting for labels', { round, pages: pending.size });

  const flush = async () => {
    if (buffer.length) batches.push(await activity('saveDecisions', `keep ${buffer.length} page decisions of round ${round}`)({ round, decisions: buffer.splice(0) }));
  };
  const positions = () => buffer.reduce((n, d) => n + d.accepted.length, 0);
  while (pending.size > 0 || buffer.length > 0) {
    await condition(() => failed !== undefined || pending.size === 0 || buffer.length >= FLUSH_PAGES || positions() >= FLUSH_POSITIONS || updates >= UPDATE_BUDGET);
    if (failed !== undefined) throw failed;
    await flush();
    if (pending.size > 0 && updates >= UPDATE_BUDGET) {
      handingOver = true;
      await condition(allHandlersFinished);
      await flush();
      // The pages still pending, as the map holds them (a carried execution's `prepared.pending` is empty).
      const still: PageHeader[] = [...pending].map(([id, p]) => (p.excluded ? [id, p.count, p.digest, p.excluded] : [id, p.count, p.digest]));
      const carried = { prepared: { ...prepared, pending: [] }, pending: still, batches };
      await continueAsNew<typeof labelRound>({ ...input, carried });
    }
  }
  await labeler;
  const labels = await activity('recordLabels', `record round ${round}: ${prepared.total} pages`)({ round, mode, pages: prepared.pages, decided: prepared.decided, batches });
  await condition(allHandlersFinished);
  return { prepared: { stage: prepared.stage, cached: prepared.cached }, labels };
}

// A stand-in `buildRelease` for the page and HTTP tests: it offers fixed labeling rounds (each a child
// workflow, as the real build's) and a near-duplicate review through the build's own messages,
// validates with the build's own validators, and returns what it was sent.
import { allHandlersFinished, condition, executeChild, setHandler, workflowInfo } from '@temporalio/workflow';
import { pendingWork, reviewDuplicates, roundPending, submitLabels } from '../../workflows/messages';
import type { ArtifactRef, DuplicateReview, DuplicatesPending, PageDecision, PageHeader } from '../../workflows/types';
import { type PendingPage, validateBatch, validateReview } from '../../workflows/validators';

export interface FakeRound {
  round: 1 | 2;
  /** The round's pages in the store (pages.json, beside pages.jsonl). */
  pages: ArtifactRef;
  headers: PageHeader[];
}

export interface FakeWork {
  /** What the label server reads of a build's config (seed, classes, labeling.controls); the stand-in ignores it. */
  config?: { seed: number; classes: string[]; labeling: { controls?: { rate: number; minAccuracy: number; minControls: number } } };
  release: string;
  rounds: FakeRound[];
  duplicates: DuplicatesPending | null;
}

/** The fixed work: each round's pages, one round after the other, then the pairs (when there are any). */
export async function buildRelease(work: FakeWork): Promise<{ decisions: PageDecision[]; review: DuplicateReview | null }> {
  let stage = 'labelCandidates';
  let round: { workflowId: string; round: 1 | 2 } | null = null;
  let duplicates: DuplicatesPending | null = null;
  let review: DuplicateReview | null = null;
  setHandler(pendingWork, () => ({ release: work.release, stage, round, duplicates }));
  setHandler(reviewDuplicates, (r) => {
    review = r;
    return { blacklisted: r.confirmed.length };
  }, { validator: (r) => validateReview(duplicates, r) });
  const decisions: PageDecision[] = [];
  for (const r of work.rounds) {
    const workflowId = `${workflowInfo().workflowId}/round${r.round}`;
    stage = r.round === 1 ? 'labelCandidates' : 'confirmCandidates';
    round = { workflowId, round: r.round };
    decisions.push(...await executeChild(fakeRound, { args: [work.release, r], workflowId }));
  }
  round = null;
  stage = 'checkNearDuplicates';
  duplicates = work.duplicates;
  if (duplicates) await condition(() => review !== null);
  duplicates = null;
  stage = 'done';
  await condition(allHandlersFinished);
  return { decisions, review };
}

/** One labeling round: waits until every page is decided, as the build's round does. */
export async function fakeRound(release: string, input: FakeRound): Promise<PageDecision[]> {
  const pending = new Map<string, PendingPage>(input.headers.map(([id, count, digest, excluded]) => [id, { count, digest, ...(excluded ? { excluded } : {}) }]));
  const decisions: PageDecision[] = [];
  setHandler(roundPending, () => ({
    release, round: input.round, pages: input.pages, pending: [...pending.keys()], decided: input.headers.length - pending.size, total: input.headers.length,
    excluded: Object.fromEntries([...pending].flatMap(([id, p]) => (p.excluded ? [[id, p.excluded]] : []))),
  }));
  setHandler(submitLabels, (batch) => {
    for (const d of batch.decisions) {
      pending.delete(d.page);
      decisions.push(d);
    }
    return { recorded: batch.decisions.length };
  }, { validator: (batch) => validateBatch(pending, batch) });
  await condition(() => pending.size === 0);
  await condition(allHandlersFinished);
  return decisions;
}

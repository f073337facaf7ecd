// A stand-in `buildRelease` for the page tests: it offers a fixed PendingWork through the
// build's own messages, validates like the build does, and returns what it was sent.
import { ApplicationFailure, allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { pendingWork, reviewDuplicates, submitLabels } from '../../workflows/messages';
import type { DuplicateReview, LabelDecision, PendingWork } from '../../workflows/types';

/** The fixed work: label every task, then review the pairs (when there are any). */
export async function buildRelease(work: PendingWork): Promise<{ decisions: LabelDecision[]; review: DuplicateReview | null }> {
  let tasks = work.tasks;
  const decisions: LabelDecision[] = [];
  let review: DuplicateReview | null = null;
  let stage = 'labelCandidates';
  setHandler(pendingWork, () => ({ release: work.release, stage, tasks, duplicates: tasks.length === 0 && !review ? work.duplicates : null }));
  setHandler(submitLabels, (decision) => {
    tasks = tasks.filter((t) => t.id !== decision.taskId);
    decisions.push(decision);
    return { accepted: decision.accepted.length };
  }, {
    validator: (decision) => {
      const task = tasks.find((t) => t.id === decision.taskId);
      if (!task) throw ApplicationFailure.nonRetryable(`task "${decision.taskId}" is not pending`);
      const offered = new Set(task.offered);
      const seen = new Set<number>();
      for (const ti of decision.accepted) {
        if (!offered.has(ti)) throw ApplicationFailure.nonRetryable(`image ${ti} was not offered in task "${task.id}"`);
        if (seen.has(ti)) throw ApplicationFailure.nonRetryable(`image ${ti} is listed twice`);
        seen.add(ti);
      }
    },
  });
  setHandler(reviewDuplicates, (r) => {
    review = r;
    return { blacklisted: r.confirmed.length };
  }, {
    validator: (_review) => {
      if (tasks.length > 0 || !work.duplicates || review) throw ApplicationFailure.nonRetryable('no near-duplicate review is pending');
    },
  });
  await condition(() => tasks.length === 0);
  stage = 'checkNearDuplicates';
  if (work.duplicates) await condition(() => review !== null);
  stage = 'done';
  await condition(allHandlersFinished);
  return { decisions, review };
}

// Update validators: a submission that does not fit what the build waits for
// is rejected back to its sender and never enters the history. Pure functions
// of the workflow's state, shared with the tests' stand-in workflows.
import { ApplicationFailure } from '@temporalio/workflow';
import type { DuplicatesPending, DuplicateReview, LabelBatch, PageDecision } from './types';

/** What a round keeps of a pending page. */
export interface PendingPage {
  count: number;
  digest: string;
  /** Who may not answer it: round 2's two-person rule (the keyword's round-1 labelers). */
  excluded?: string[];
}

/** Most pages in one Update: a batch of the simulated or imported labeler stays well under 256 KB. */
export const MAX_BATCH_PAGES = 64;
/** Most accepted positions in one Update (about 100 KB of JSON). */
export const MAX_BATCH_POSITIONS = 16384;
const VIA = new Set<PageDecision['via']>(['page', 'simulated', 'import']);

function reject(message: string): never {
  throw ApplicationFailure.nonRetryable(message, 'RejectedSubmission');
}

/** Words of the rejection while a round continues as new: the label server sends such a submission again. */
export const HANDING_OVER = 'is handing over to its next execution';

/**
 * Rejects a submission that reaches a round after it passed its Update budget and before it continued as new:
 * nothing is recorded, and the same Update (same id) sent again reaches the next execution.
 */
export function rejectWhileHandingOver(round: number): never {
  reject(`round ${round} ${HANDING_OVER} (Temporal takes at most 2,000 Updates per execution): send it again`);
}

/** Why `labeler` may not answer `page`: the two-person rule, as the validator and the label server (which refuses up front) both say it. */
export function twoPersonRule(labeler: string, page: string): string {
  return `two-person rule: ${labeler} made round-1 decisions on this keyword and cannot confirm them (page "${page}")`;
}

/** Checks a batch of page decisions against the pending pages; throws with the first reason to reject it. */
export function validateBatch(pending: ReadonlyMap<string, PendingPage>, batch: LabelBatch): void {
  const decisions = batch?.decisions;
  if (!Array.isArray(decisions) || decisions.length === 0) reject('a submission needs at least one page decision');
  if (decisions.length > MAX_BATCH_PAGES) reject(`at most ${MAX_BATCH_PAGES} pages per submission, got ${decisions.length}`);
  const positions = decisions.reduce((n, d) => n + (Array.isArray(d?.accepted) ? d.accepted.length : 0), 0);
  if (positions > MAX_BATCH_POSITIONS) reject(`at most ${MAX_BATCH_POSITIONS} accepted images per submission, got ${positions}: send fewer pages at once`);
  const seen = new Set<string>();
  for (const d of decisions) {
    const page = pending.get(d?.page);
    if (!page) reject(`page "${d?.page}" is not pending`);
    if (seen.has(d.page)) reject(`page "${d.page}" is in the submission twice`);
    seen.add(d.page);
    if (d.digest !== page.digest) reject(`page "${d.page}" was answered for other content (digest ${d.digest}, pending ${page.digest}): reload it`);
    if (typeof d.labeler !== 'string' || !d.labeler.trim()) reject(`page "${d.page}": a decision needs the labeler's name`);
    if (typeof d.at !== 'string' || Number.isNaN(Date.parse(d.at))) reject(`page "${d.page}": "at" must be an ISO time`);
    if (!VIA.has(d.via)) reject(`page "${d.page}": "via" must be page, simulated or import`);
    if (page.excluded?.includes(d.labeler)) reject(twoPersonRule(d.labeler, d.page));
    if (!Array.isArray(d.accepted)) reject(`page "${d.page}": accepted must be a list of positions in the page`);
    let previous = -1;
    for (const p of d.accepted) {
      if (!Number.isInteger(p) || p < 0 || p >= page.count) reject(`page "${d.page}": position ${p} is not on the page (0..${page.count - 1})`);
      if (p <= previous) reject(`page "${d.page}": positions must be ascending, without repeats (${p} after ${previous})`);
      previous = p;
    }
  }
}

/** Checks a near-duplicate review against the pairs under review; throws with the reason to reject it. */
export function validateReview(pending: DuplicatesPending | null, review: DuplicateReview): void {
  if (!pending) reject('no near-duplicate review is pending');
  if (review?.round !== pending.round) reject(`review is for round ${review?.round}, pending round is ${pending.round}`);
  if (review.digest !== pending.digest) reject(`review was made on other pairs (digest ${review.digest}, pending ${pending.digest}): reload them`);
  if (typeof review.labeler !== 'string' || !review.labeler.trim()) reject('a review needs the reviewer\'s name');
  if (!Array.isArray(review.confirmed) || !Array.isArray(review.dismissed)) reject('confirmed and dismissed must be lists of pair positions');
  const decided = [...review.confirmed, ...review.dismissed];
  for (const p of decided) {
    if (!Number.isInteger(p) || p < 0 || p >= pending.count) reject(`pair ${p} is not under review (0..${pending.count - 1})`);
  }
  if (decided.length !== pending.count || new Set(decided).size !== pending.count) {
    reject(`every pair must be confirmed or dismissed exactly once (${pending.count} pairs)`);
  }
}

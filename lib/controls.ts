// Control images: CIFAR-10 images of known class hidden among a round-1 page's
// candidates, so each labeler's accuracy can be measured without a gold set.
import { InputError } from './errors';
import { sha256 } from './hash';
import { createRng } from './rng';

export interface ControlPlanInput {
  /** The page the controls are for: with `seed`, it decides everything drawn. */
  pageId: string;
  /** The build's seed (from the config). */
  seed: number | string;
  /** How many candidates the page offers. */
  candidates: number;
  /** Fraction of the items shown that are controls, in [0, 1) (from the config). */
  rate: number;
  /** CIFAR-10 rows of the keyword's class: the right answer is "accept". Leave out the reference images the page shows beside the grid. */
  positives: readonly number[];
  /** CIFAR-10 rows of other classes: the right answer is "reject". */
  negatives: readonly number[];
}

/**
 * One item of a page, in display order: a candidate (its position among the
 * page's offered images) or a hidden control. Server-side only: the page gets
 * the number of items and their pixels by display index, never this list, or
 * the controls would not be hidden.
 */
export type DisplayItem =
  | { kind: 'candidate'; position: number }
  | { kind: 'control'; id: string; cifarRow: number; expected: boolean };

/** A labeler's answer on one control. `answered` is whether they accepted it. */
export interface ControlAnswer {
  id: string;
  cifarRow: number;
  expected: boolean;
  answered: boolean;
}

/**
 * How many controls a page of `candidates` gets so that they are `rate` of
 * what is shown: c / (candidates + c) ≈ rate, rounded to the nearest.
 */
export function controlCount(candidates: number, rate: number): number {
  if (!Number.isInteger(candidates) || candidates < 0) throw new InputError(`must be a whole number ≥ 0, got ${candidates}`, 'candidates');
  if (!(rate >= 0 && rate < 1)) throw new InputError(`must be at least 0 and below 1, got ${rate}`, 'control rate');
  return Math.round((candidates * rate) / (1 - rate));
}

/**
 * The display list of a round-1 page: its candidates in their order, with
 * controls at random places among them. Half the controls are positives and
 * half negatives (the odd one either way), so accepting everything scores 50%,
 * not 100%; when one pool runs short the other makes up the number. Each
 * control image appears once. The same input (pools in any order) always gives
 * the same list, so a reload or another server shows the same page.
 */
export function planControls(input: ControlPlanInput): DisplayItem[] {
  const { pageId, candidates } = input;
  const positives = rowsOf(input.positives, 'positives');
  const negatives = rowsOf(input.negatives, 'negatives');
  const both = positives.find((row) => negatives.includes(row));
  if (both !== undefined) throw new InputError(`CIFAR-10 row ${both} is both a positive and a negative control`, pageId);
  const wanted = candidates === 0 ? 0 : controlCount(candidates, input.rate);
  const count = Math.min(wanted, positives.length + negatives.length);

  // One generator per page, from the build's seed and the page id: pages do not share draws.
  const rng = createRng({ kind: 'seedrandom', seed: Number.parseInt(sha256(`controls\0${input.seed}\0${pageId}`).slice(0, 12), 16) });
  const oddToPositives = rng.sample([true, false], 1)[0];
  let nPos = Math.min(positives.length, oddToPositives ? Math.ceil(count / 2) : Math.floor(count / 2));
  const nNeg = Math.min(negatives.length, count - nPos);
  nPos = count - nNeg;
  const controls = [
    ...rng.sample(positives, nPos).map((cifarRow) => ({ cifarRow, expected: true })),
    ...rng.sample(negatives, nNeg).map((cifarRow) => ({ cifarRow, expected: false })),
  ];
  rng.shuffle(controls);
  const slots = new Set(rng.sample(Array.from({ length: candidates + count }, (_, i) => i), count));

  const items: DisplayItem[] = [];
  let position = 0;
  let k = 0;
  for (let i = 0; i < candidates + count; i++) {
    if (slots.has(i)) {
      const c = controls[k];
      items.push({ kind: 'control', id: `${pageId}:control:${k++}`, cifarRow: c.cifarRow, expected: c.expected });
    } else {
      items.push({ kind: 'candidate', position: position++ });
    }
  }
  return items;
}

/**
 * Splits a page's submission (the display indices the labeler accepted) into
 * the candidates' decisions and the control answers: controls never reach the
 * candidates' decisions. An index outside the page or listed twice is an InputError.
 */
export function splitSubmission(items: readonly DisplayItem[], acceptedDisplayIndices: readonly number[]): {
  candidatePositionsAccepted: number[];
  controlAnswers: ControlAnswer[];
} {
  const accepted = new Set<number>();
  for (const i of acceptedDisplayIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= items.length) throw new InputError(`item ${i} was not offered (the page shows ${items.length})`, 'accepted');
    if (accepted.has(i)) throw new InputError(`item ${i} is listed twice`, 'accepted');
    accepted.add(i);
  }
  const candidatePositionsAccepted: number[] = [];
  const controlAnswers: ControlAnswer[] = [];
  items.forEach((item, i) => {
    if (item.kind === 'candidate') {
      if (accepted.has(i)) candidatePositionsAccepted.push(item.position);
    } else {
      controlAnswers.push({ id: item.id, cifarRow: item.cifarRow, expected: item.expected, answered: accepted.has(i) });
    }
  });
  return { candidatePositionsAccepted, controlAnswers };
}

/** The pool sorted and without repeats (the result must not depend on the caller's order); rows are whole numbers ≥ 0. */
function rowsOf(rows: readonly number[], what: string): number[] {
  for (const row of rows) if (!Number.isInteger(row) || row < 0) throw new InputError(`not a CIFAR-10 row: ${row}`, what);
  return [...new Set(rows)].sort((a, b) => a - b);
}

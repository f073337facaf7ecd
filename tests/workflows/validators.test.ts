import { describe, expect, it } from 'vitest';
import type { DuplicatesPending, PageDecision } from '../../workflows/types';
import { HANDING_OVER, MAX_BATCH_PAGES, MAX_BATCH_POSITIONS, type PendingPage, rejectWhileHandingOver, twoPersonRule, validateBatch, validateReview } from '../../workflows/validators';

const pending = new Map<string, PendingPage>([
  ['r1/cat/tabby', { count: 5, digest: 'd1' }],
  ['r2/cat/kitten', { count: 3, digest: 'd2', excluded: ['grace'] }],
]);
const decision = (extra: Partial<PageDecision> = {}): PageDecision =>
  ({ page: 'r1/cat/tabby', digest: 'd1', accepted: [0, 4], labeler: 'ada', at: '2026-11-29T10:00:00Z', via: 'page', ...extra });
const rejects = (decisions: PageDecision[]) => {
  try {
    validateBatch(pending, { decisions });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('validateBatch', () => {
  it('takes a decision on a pending page, with ascending positions on the page', () => {
    expect(rejects([decision(), decision({ page: 'r2/cat/kitten', digest: 'd2', accepted: [] })])).toBeNull();
  });

  it('rejects what does not fit the pages the round waits for, saying why', () => {
    expect(rejects([])).toBe('a submission needs at least one page decision');
    expect(rejects([decision({ page: 'r1/dog/pug' })])).toBe('page "r1/dog/pug" is not pending');
    expect(rejects([decision(), decision()])).toBe('page "r1/cat/tabby" is in the submission twice');
    expect(rejects([decision({ digest: 'old' })])).toBe('page "r1/cat/tabby" was answered for other content (digest old, pending d1): reload it');
    expect(rejects([decision({ accepted: [5] })])).toBe('page "r1/cat/tabby": position 5 is not on the page (0..4)');
    expect(rejects([decision({ accepted: [-1] })])).toBe('page "r1/cat/tabby": position -1 is not on the page (0..4)');
    expect(rejects([decision({ accepted: [2, 1] })])).toBe('page "r1/cat/tabby": positions must be ascending, without repeats (1 after 2)');
    expect(rejects([decision({ accepted: [1, 1] })])).toBe('page "r1/cat/tabby": positions must be ascending, without repeats (1 after 1)');
    expect(rejects([decision({ labeler: ' ' })])).toBe('page "r1/cat/tabby": a decision needs the labeler\'s name');
    expect(rejects([decision({ at: 'yesterday' })])).toBe('page "r1/cat/tabby": "at" must be an ISO time');
    expect(rejects([decision({ via: 'email' as PageDecision['via'] })])).toBe('page "r1/cat/tabby": "via" must be page, simulated or import');
  });

  it('enforces the two-person rule: a keyword\'s round-1 labeler cannot confirm it', () => {
    expect(rejects([decision({ page: 'r2/cat/kitten', digest: 'd2', accepted: [1], labeler: 'grace' })]))
      .toBe('two-person rule: grace made round-1 decisions on this keyword and cannot confirm them (page "r2/cat/kitten")');
  });

  it('says the two-person rule and the hand-over to the next execution in the words the label server relies on', () => {
    expect(twoPersonRule('grace', 'r2/cat/kitten')).toBe('two-person rule: grace made round-1 decisions on this keyword and cannot confirm them (page "r2/cat/kitten")');
    expect(() => rejectWhileHandingOver(1)).toThrow(`round 1 ${HANDING_OVER} (Temporal takes at most 2,000 Updates per execution): send it again`);
  });

  it('bounds a batch by pages and by accepted positions, so an Update stays small', () => {
    const many = new Map<string, PendingPage>(Array.from({ length: MAX_BATCH_PAGES + 1 }, (_, i) => [`p${i}`, { count: 1000, digest: 'd' }]));
    const pages = [...many.keys()].map((page) => decision({ page, digest: 'd', accepted: [] }));
    expect(() => validateBatch(many, { decisions: pages })).toThrow(`at most ${MAX_BATCH_PAGES} pages per submission`);
    const all = Array.from({ length: 1000 }, (_, i) => i);
    const full = pages.slice(0, Math.ceil(MAX_BATCH_POSITIONS / 1000) + 1).map((d) => ({ ...d, accepted: all }));
    expect(() => validateBatch(many, { decisions: full })).toThrow(`at most ${MAX_BATCH_POSITIONS} accepted images per submission`);
  });
});

describe('validateReview', () => {
  const duplicates: DuplicatesPending = { round: 2, count: 3, digest: 'p1', pairs: { path: 'x', sha256: 'y', bytes: 1 }, candidates: { path: 'c', sha256: 'y', bytes: 1 }, cifar: { path: 'f', sha256: 'y', bytes: 1 } };
  const review = { round: 2, digest: 'p1', confirmed: [0, 2], dismissed: [1], labeler: 'ada', at: '2026-11-29T10:00:00Z' };
  const message = (pend: DuplicatesPending | null, r: typeof review) => {
    try {
      validateReview(pend, r);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('takes a verdict on every pair, once', () => {
    expect(message(duplicates, review)).toBeNull();
  });

  it('rejects a review of nothing, of another round or pairs, or that leaves a pair out', () => {
    expect(message(null, review)).toBe('no near-duplicate review is pending');
    expect(message(duplicates, { ...review, round: 1 })).toBe('review is for round 1, pending round is 2');
    expect(message(duplicates, { ...review, digest: 'p0' })).toBe('review was made on other pairs (digest p0, pending p1): reload them');
    expect(message(duplicates, { ...review, confirmed: [0] })).toBe('every pair must be confirmed or dismissed exactly once (3 pairs)');
    expect(message(duplicates, { ...review, confirmed: [0, 1] })).toBe('every pair must be confirmed or dismissed exactly once (3 pairs)');
    expect(message(duplicates, { ...review, confirmed: [0, 3] })).toBe('pair 3 is not under review (0..2)');
  });
});

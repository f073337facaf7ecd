import { describe, expect, it } from 'vitest';
import { agreementTable, cohensKappa, formatAgreementTable } from '../../lib/agreement';

const range = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => start + i);

describe('cohensKappa', () => {
  it('matches the textbook 2x2 example (20/5/10/15 of 50: kappa 0.4)', () => {
    // images 0..19 both accept, 20..24 only round 1, 25..34 only round 2, 35..49 both reject
    const r1 = range(0, 25);
    const r2 = [...range(0, 20), ...range(25, 35)];
    const a = cohensKappa(r1, r2, range(0, 50));
    expect(a).toEqual({ images: 50, bothAccepted: 20, onlyRound1: 5, onlyRound2: 10, bothRejected: 15, observed: 0.7, kappa: expect.closeTo(0.4, 12) });
  });

  it('is 1 for identical mixed verdicts, 0 when agreement is what chance gives, negative below chance', () => {
    expect(cohensKappa([1, 2], [2, 1], [1, 2, 3, 4]).kappa).toBe(1);
    // round 1 accepts half, round 2 accepts half, independently: observed 0.5 = expected 0.5
    expect(cohensKappa([1, 2], [1, 3], [1, 2, 3, 4]).kappa).toBe(0);
    expect(cohensKappa([1, 2], [3, 4], [1, 2, 3, 4]).kappa).toBe(-1);
  });

  it('is undefined (null) with no images or one shared verdict for all, but not when only one round is constant', () => {
    expect(cohensKappa([], [], []).kappa).toBeNull();
    expect(cohensKappa([1, 2, 3], [1, 2, 3], [1, 2, 3])).toMatchObject({ observed: 1, kappa: null });
    expect(cohensKappa([], [], [1, 2, 3])).toMatchObject({ observed: 1, kappa: null });
    // round 1 accepted everything, round 2 dropped one: expected = observed, kappa 0
    expect(cohensKappa([1, 2, 3], [1, 2], [1, 2, 3])).toMatchObject({ observed: 2 / 3, kappa: 0 });
  });

  it('rejects accepted images that were not offered, naming the image and the round', () => {
    expect(() => cohensKappa([1, 9], [1], [1, 2])).toThrow('round 1: image 9 is accepted but was not offered');
    expect(() => cohensKappa([1], [7], [1, 2])).toThrow('round 2: image 7 is accepted but was not offered');
  });
});

describe('agreementTable', () => {
  const round1Offered = { cat: { kitty: [10, 11, 12, 13], tabby: [20, 21] }, airplane: { jet: [30, 31, 32] } };
  const round1 = { cat: { kitty: [10, 11, 12], tabby: [20] }, airplane: { jet: [30, 31] } };
  const round2 = { cat: { kitty: [10, 11], tabby: [20] }, airplane: { jet: [30] } };

  it('gives one row per keyword, sorted, with round-1 rejections counted as rejected in round 2, and a pooled row', () => {
    const rows = agreementTable({ round1Offered, round1, round2 });
    expect(rows.map((r) => `${r.className}/${r.keyword}`)).toEqual(['airplane/jet', 'cat/kitty', 'cat/tabby', 'all/all']);
    const kitty = rows[1];
    expect(kitty).toMatchObject({ images: 4, bothAccepted: 2, onlyRound1: 1, onlyRound2: 0, bothRejected: 1, observed: 0.75 });
    // p_e = 3/4*2/4 + 1/4*2/4 = 0.5 -> kappa (0.75-0.5)/0.5
    expect(kitty.kappa).toBeCloseTo(0.5, 12);
    expect(rows[2]).toMatchObject({ images: 2, kappa: 1 });
    const all = rows[3];
    expect(all).toMatchObject({ images: 9, bothAccepted: 4, onlyRound1: 2, onlyRound2: 0, bothRejected: 3 });
  });

  it('leaves out images round 2 never saw when told what it was offered', () => {
    // 12 was accepted in round 1 but dropped before round 2 (too close to CIFAR-10)
    const rows = agreementTable({ round1Offered, round1, round2, round2Offered: { cat: { kitty: [10, 11], tabby: [20] }, airplane: { jet: [30, 31] } } });
    expect(rows[1]).toMatchObject({ keyword: 'kitty', images: 3, bothAccepted: 2, onlyRound1: 0, bothRejected: 1, kappa: 1 });
  });

  it('names the keyword whose decisions do not fit its offer', () => {
    expect(() => agreementTable({ round1Offered, round1, round2: { cat: { kitty: [99] } } })).toThrow('cat/kitty: round 2: image 99 is accepted but was not offered');
  });

  it('formats as a Markdown table with a dash for undefined kappa', () => {
    const md = formatAgreementTable(agreementTable({ round1Offered: { cat: { kitty: [1, 2] } }, round1: { cat: { kitty: [1, 2] } }, round2: { cat: { kitty: [1, 2] } } }));
    expect(md.split('\n')[2]).toBe('| cat | kitty | 2 | 2 | 0 | 0 | 0 | 1.000 | – |');
    expect(md.split('\n')).toHaveLength(5);
  });
});

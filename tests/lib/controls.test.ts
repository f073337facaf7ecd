import { describe, expect, it } from 'vitest';
import { controlCount, planControls, splitSubmission, type ControlPlanInput, type DisplayItem } from '../../lib/controls';

const range = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => start + i);
const base: ControlPlanInput = { pageId: 'round1:cat/kitty#p1', seed: 42, candidates: 100, rate: 0.1, positives: range(0, 50), negatives: range(1000, 1050) };
const controlsOf = (items: DisplayItem[]) => items.filter((i) => i.kind === 'control');

describe('controlCount', () => {
  it('makes controls the given fraction of what is shown', () => {
    expect(controlCount(100, 0.1)).toBe(11); // 11 / 111 = 0.099
    expect(controlCount(90, 0.1)).toBe(10); // 10 / 100
    expect(controlCount(30, 0.5)).toBe(30);
    expect(controlCount(100, 0)).toBe(0);
    expect(controlCount(0, 0.2)).toBe(0);
  });

  it('refuses a rate outside [0, 1) and a negative count', () => {
    expect(() => controlCount(10, 1)).toThrow('control rate: must be at least 0 and below 1, got 1');
    expect(() => controlCount(10, -0.1)).toThrow('control rate');
    expect(() => controlCount(10, Number.NaN)).toThrow('control rate');
    expect(() => controlCount(-1, 0.1)).toThrow('candidates: must be a whole number');
  });
});

describe('planControls', () => {
  it('keeps the candidates in order and hides controls among them, balanced and each image once', () => {
    const items = planControls(base);
    expect(items).toHaveLength(111);
    expect(items.filter((i) => i.kind === 'candidate').map((i) => i.kind === 'candidate' && i.position)).toEqual(range(0, 100));
    const controls = controlsOf(items) as Array<Extract<DisplayItem, { kind: 'control' }>>;
    expect(controls).toHaveLength(11);
    const pos = controls.filter((c) => c.expected);
    const neg = controls.filter((c) => !c.expected);
    expect([pos.length, neg.length].sort()).toEqual([5, 6]);
    expect(pos.every((c) => c.cifarRow < 50)).toBe(true);
    expect(neg.every((c) => c.cifarRow >= 1000 && c.cifarRow < 1050)).toBe(true);
    expect(new Set(controls.map((c) => c.cifarRow)).size).toBe(11);
    expect(controls.map((c) => c.id)).toEqual(range(0, 11).map((k) => `round1:cat/kitty#p1:control:${k}`));
  });

  it('gives the same list for the same input, whatever the order of the pools', () => {
    const again = planControls({ ...base, positives: [...base.positives].reverse(), negatives: [...base.negatives, 1003] });
    expect(again).toEqual(planControls(base));
  });

  it('draws differently for another page or another seed', () => {
    const rowsAndSlots = (items: DisplayItem[]) => items.map((i) => (i.kind === 'control' ? i.cifarRow : -1)).join();
    const mine = rowsAndSlots(planControls(base));
    expect(rowsAndSlots(planControls({ ...base, pageId: 'round1:cat/kitty#p2' }))).not.toBe(mine);
    expect(rowsAndSlots(planControls({ ...base, seed: 43 }))).not.toBe(mine);
  });

  it('spreads controls over the whole page and splits the odd one both ways across pages', () => {
    let first = 0;
    let last = 0;
    let positives = 0;
    let negatives = 0;
    for (let p = 0; p < 200; p++) {
      const items = planControls({ ...base, pageId: `page-${p}`, candidates: 20, rate: 0.2 }); // 5 controls
      if (items[0].kind === 'control') first++;
      if (items[items.length - 1].kind === 'control') last++;
      for (const c of controlsOf(items)) {
        if (c.kind === 'control' && c.expected) positives++;
        else negatives++;
      }
    }
    // each slot holds a control with probability 5/25: about 40 of 200 pages
    expect(first).toBeGreaterThan(20);
    expect(last).toBeGreaterThan(20);
    expect(positives + negatives).toBe(1000);
    expect(Math.abs(positives - negatives)).toBeLessThan(100);
  });

  it('makes up a short pool from the other, and shows no more controls than there are images', () => {
    const short = controlsOf(planControls({ ...base, positives: [3, 4] })) as Array<Extract<DisplayItem, { kind: 'control' }>>;
    expect(short.filter((c) => c.expected).map((c) => c.cifarRow).sort()).toEqual([3, 4]);
    expect(short.filter((c) => !c.expected)).toHaveLength(9);
    expect(controlsOf(planControls({ ...base, positives: [1], negatives: [2000, 2001] }))).toHaveLength(3);
    expect(planControls({ ...base, positives: [], negatives: [] })).toHaveLength(100);
  });

  it('puts no controls on an empty page or at rate 0', () => {
    expect(planControls({ ...base, candidates: 0 })).toEqual([]);
    expect(controlsOf(planControls({ ...base, rate: 0 }))).toHaveLength(0);
  });

  it('refuses bad rows and a row in both pools', () => {
    expect(() => planControls({ ...base, positives: [1, -2] })).toThrow('positives: not a CIFAR-10 row: -2');
    expect(() => planControls({ ...base, negatives: [1.5] })).toThrow('negatives: not a CIFAR-10 row: 1.5');
    expect(() => planControls({ ...base, negatives: [...base.negatives, 7] })).toThrow('round1:cat/kitty#p1: CIFAR-10 row 7 is both a positive and a negative control');
  });
});

describe('splitSubmission', () => {
  const items: DisplayItem[] = [
    { kind: 'candidate', position: 0 },
    { kind: 'control', id: 'p:control:0', cifarRow: 17, expected: true },
    { kind: 'candidate', position: 1 },
    { kind: 'candidate', position: 2 },
    { kind: 'control', id: 'p:control:1', cifarRow: 4021, expected: false },
  ];

  it('keeps controls out of the candidates\' decisions and records each control answer', () => {
    expect(splitSubmission(items, [4, 0, 1])).toEqual({
      candidatePositionsAccepted: [0],
      controlAnswers: [
        { id: 'p:control:0', cifarRow: 17, expected: true, answered: true },
        { id: 'p:control:1', cifarRow: 4021, expected: false, answered: true },
      ],
    });
    expect(splitSubmission(items, [])).toEqual({
      candidatePositionsAccepted: [],
      controlAnswers: [
        { id: 'p:control:0', cifarRow: 17, expected: true, answered: false },
        { id: 'p:control:1', cifarRow: 4021, expected: false, answered: false },
      ],
    });
  });

  it('accepting everything on a planned page accepts exactly the candidates', () => {
    const planned = planControls(base);
    const { candidatePositionsAccepted, controlAnswers } = splitSubmission(planned, range(0, planned.length));
    expect(candidatePositionsAccepted).toEqual(range(0, 100));
    expect(controlAnswers).toHaveLength(11);
  });

  it('refuses an item not offered, one listed twice, and a non-integer', () => {
    expect(() => splitSubmission(items, [5])).toThrow('accepted: item 5 was not offered (the page shows 5)');
    expect(() => splitSubmission(items, [-1])).toThrow('item -1 was not offered');
    expect(() => splitSubmission(items, [0.5])).toThrow('item 0.5 was not offered');
    expect(() => splitSubmission(items, [2, 2])).toThrow('accepted: item 2 is listed twice');
  });
});

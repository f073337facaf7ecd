import { describe, expect, it } from 'vitest';
import {
  decisionRecordSchema, formatQualityTable, labelerQuality, type ControlAnswerRecord, type DecisionRecord,
} from '../../lib/labeler-quality';
import { parseJsonLines } from '../../lib/json-file';

const range = (start: number, end: number) => Array.from({ length: end - start }, (_, i) => start + i);
const at = (hhmm: string) => `2026-12-01T${hhmm}:00.000Z`;
const rec = (r: Partial<DecisionRecord> & Pick<DecisionRecord, 'labeler' | 'pageId' | 'offered' | 'accepted' | 'openedAt' | 'submittedAt'>): DecisionRecord =>
  ({ round: 1, className: 'cat', keyword: 'kitty', ...r });
const answers = (labeler: string, pageId: string, list: Array<[expected: boolean, answered: boolean]>): ControlAnswerRecord[] =>
  list.map(([expected, answered]) => ({ labeler, pageId, expected, answered, at: at('09:10') }));

// alice and bob both label cat/kitty 1..10 in round 1 (an overlap page); carol verifies alice's accepts in round 2.
const decisions: DecisionRecord[] = [
  rec({ labeler: 'alice', pageId: 'P1', offered: range(1, 11), accepted: range(1, 7), openedAt: at('09:00'), submittedAt: at('09:10') }),
  rec({ labeler: 'bob', pageId: 'P1b', offered: range(1, 11), accepted: [1, 2, 3, 4, 7, 8], openedAt: at('09:04'), submittedAt: at('09:12') }),
  rec({ labeler: 'carol', round: 2, pageId: 'P2', offered: range(1, 7), accepted: range(1, 6), openedAt: at('11:00'), submittedAt: at('11:03') }),
  // alice, in a second tab while P1 is open: the overlap counts once (09:00-09:20 = 20 min)
  rec({ labeler: 'alice', pageId: 'P3', keyword: 'tabby', offered: range(20, 30), accepted: [20], openedAt: at('09:05'), submittedAt: at('09:20') }),
  // alice leaves a tab open three hours: capped at 30 min
  rec({ labeler: 'alice', pageId: 'P4', className: 'dog', keyword: 'puppy', offered: range(40, 45), accepted: [], openedAt: at('10:00'), submittedAt: at('13:00') }),
];
const controls: ControlAnswerRecord[] = [
  // alice: 3 of 5 right; positives 2 of 3, negatives 1 of 2
  ...answers('alice', 'P1', [[true, true], [false, false], [false, true]]),
  ...answers('alice', 'P3', [[true, true], [true, false]]),
  // bob: 11 of 12 right
  ...answers('bob', 'P1b', [...Array.from({ length: 6 }, () => [true, true] as [boolean, boolean]), ...Array.from({ length: 5 }, () => [false, false] as [boolean, boolean]), [false, true]]),
];

describe('labelerQuality', () => {
  const rows = labelerQuality(decisions, controls, { minAccuracy: 0.8, minControls: 5, maxPageMs: 30 * 60_000 });
  const row = (name: string) => rows.find((r) => r.labeler === name)!;

  it('lists everyone, sorted, with their pages and the candidates they decided', () => {
    expect(rows.map((r) => [r.labeler, r.pages, r.decisions])).toEqual([
      ['alice', ['P1', 'P3', 'P4'], 25],
      ['bob', ['P1b'], 10],
      ['carol', ['P2'], 6],
    ]);
  });

  it('scores controls, split by the right answer', () => {
    expect(row('alice').controls).toEqual({ answered: 5, correct: 3, accuracy: 0.6, positives: { answered: 3, correct: 2 }, negatives: { answered: 2, correct: 1 } });
    expect(row('bob').controls).toMatchObject({ answered: 12, correct: 11, accuracy: 11 / 12 });
    expect(row('carol').controls).toMatchObject({ answered: 0, correct: 0, accuracy: null });
  });

  it('counts working time once across tabs, caps an idle page, and gives items per hour', () => {
    // alice: 09:00-09:20 (two tabs) + 30 min (capped from 3 h) = 50 min; 25 candidates + 5 controls in 50 min = 36/h
    expect(row('alice').timeMs).toBe(50 * 60_000);
    expect(row('alice').perHour).toBeCloseTo(36, 10);
    // bob: 8 min, 10 + 12 items = 165/h; carol: 3 min, 6 items = 120/h
    expect(row('bob')).toMatchObject({ timeMs: 8 * 60_000, perHour: expect.closeTo(165, 10) });
    expect(row('carol')).toMatchObject({ timeMs: 3 * 60_000, perHour: expect.closeTo(120, 10) });
    // Under a minute says nothing about a pace (a page sent seconds after it opened would read as thousands an hour).
    const quick = labelerQuality([rec({ labeler: 'dan', pageId: 'Q', offered: range(1, 11), accepted: [], openedAt: at('09:00'), submittedAt: '2026-12-01T09:00:20.000Z' })], []);
    expect(quick[0]).toMatchObject({ timeMs: 20_000, perHour: null });
  });

  it('gives Cohen\'s kappa per pair and pooled, over the images both decided', () => {
    // alice vs bob on 1..10: both accept 1-4, only alice 5,6, only bob 7,8, both reject 9,10.
    // p_o = 6/10; p_e = .6*.6 + .4*.4 = .52; kappa = .08/.48 = 1/6
    // alice vs carol on 1..6: alice accepted all, carol 1-5: p_o = 5/6 = p_e, kappa 0
    // bob vs carol on 1..6: both 1-4, only carol 5, both reject 6: p_o = 5/6; p_e = 4/6*5/6 + 2/6*1/6 = 22/36; kappa = (30-22)/(36-22) = 4/7
    expect(row('alice').agreement.with).toEqual([
      { labeler: 'bob', images: 10, observed: 0.6, kappa: expect.closeTo(1 / 6, 12) },
      { labeler: 'carol', images: 6, observed: 5 / 6, kappa: expect.closeTo(0, 12) },
    ]);
    expect(row('carol').agreement.with[1]).toEqual({ labeler: 'bob', images: 6, observed: 5 / 6, kappa: expect.closeTo(4 / 7, 12) });
    // alice pooled (16 rows): both 9, alice only 3, other only 2, both reject 2.
    // p_o = 11/16; p_e = 12/16*11/16 + 4/16*5/16 = 152/256; kappa = (176-152)/(256-152) = 3/13
    expect(row('alice').agreement).toMatchObject({ images: 16, observed: 11 / 16, kappa: expect.closeTo(3 / 13, 12) });
    // bob pooled: both 8, bob only 2, other only 3, both reject 3: p_e = 140/256, kappa = 36/116 = 9/29
    expect(row('bob').agreement).toMatchObject({ images: 16, kappa: expect.closeTo(9 / 29, 12) });
    // carol pooled (12 rows): both 9, carol only 1, other only 1, both reject 1: p_e = 104/144, kappa = 16/40
    expect(row('carol').agreement).toMatchObject({ images: 12, observed: 10 / 12, kappa: expect.closeTo(0.4, 12) });
  });

  it('flags a labeler under the accuracy threshold with enough controls answered, and only then', () => {
    expect(rows.map((r) => [r.labeler, r.flagged])).toEqual([['alice', true], ['bob', false], ['carol', false]]);
    expect(row('alice').flagReason).toBe('control accuracy 60% (3 of 5) is under 80%');
    const fewer = labelerQuality(decisions, controls, { minAccuracy: 0.8, minControls: 6 });
    expect(fewer.find((r) => r.labeler === 'alice')).toMatchObject({ flagged: false, flagReason: null });
  });

  it('counts only the later decision when one person decided an image twice', () => {
    const twice = [
      rec({ labeler: 'dan', pageId: 'A', offered: [1, 2], accepted: [1, 2], openedAt: at('09:00'), submittedAt: at('09:30') }),
      rec({ labeler: 'dan', pageId: 'B', offered: [1, 2], accepted: [], openedAt: at('08:00'), submittedAt: at('08:10') }),
      rec({ labeler: 'eve', pageId: 'C', offered: [1, 2], accepted: [1, 2], openedAt: at('09:00'), submittedAt: at('09:01') }),
    ];
    const [dan] = labelerQuality(twice, []);
    expect(dan.agreement).toMatchObject({ images: 2, observed: 1 });
  });

  it('refuses records that cannot be right, naming the labeler and the page', () => {
    const bad = (r: Partial<DecisionRecord>) => () => labelerQuality([rec({ labeler: 'alice', pageId: 'P9', offered: [1, 2], accepted: [1], openedAt: at('09:00'), submittedAt: at('09:05'), ...r })], []);
    expect(bad({ accepted: [3] })).toThrow('alice, page "P9": image 3 is accepted but was not offered');
    expect(bad({ submittedAt: at('08:59') })).toThrow('alice, page "P9": submitted (2026-12-01T08:59:00.000Z) before it was opened');
    expect(bad({ openedAt: 'soon' })).toThrow('alice, page "P9": openedAt is not a time: "soon"');
  });

  it('gives nulls, not NaN, for someone with controls only', () => {
    const [x] = labelerQuality([], answers('x', 'P', [[true, true]]));
    expect(x).toMatchObject({ decisions: 0, timeMs: 0, perHour: null, agreement: { images: 0, observed: null, kappa: null, with: [] }, controls: { accuracy: 1 } });
  });
});

describe('formatQualityTable', () => {
  it('gives one Markdown row per labeler with the flag reason', () => {
    const table = formatQualityTable(labelerQuality(decisions, controls, { minControls: 5 }));
    expect(table.split('\n')).toEqual([
      '| labeler | pages | decisions | controls correct | positives | negatives | time | per hour | κ with others | flag |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      '| alice | 3 | 25 | 60% (3/5) | 2/3 | 1/2 | 50 min | 36 | 0.23 (16 images) | control accuracy 60% (3 of 5) is under 80% |',
      '| bob | 1 | 10 | 92% (11/12) | 6/6 | 5/6 | 8 min | 165 | 0.31 (16 images) |  |',
      '| carol | 1 | 6 | – | 0/0 | 0/0 | 3 min | 120 | 0.40 (12 images) |  |',
      '',
    ]);
  });
});

describe('decision log lines', () => {
  it('parse with the schema; a bad line is named by file and line number', () => {
    const text = `${JSON.stringify(decisions[0])}\n\n${JSON.stringify({ ...decisions[1], round: 3 })}\n`;
    expect(() => parseJsonLines(text, decisionRecordSchema, 'decisions.jsonl')).toThrow('decisions.jsonl:3: unexpected content: round:');
    expect(parseJsonLines(`${JSON.stringify(decisions[0])}\n`, decisionRecordSchema, 'd.jsonl')).toEqual([decisions[0]]);
    expect(() => parseJsonLines('{"labeler":', decisionRecordSchema, 'd.jsonl')).toThrow('d.jsonl:1: not valid JSON');
  });
});

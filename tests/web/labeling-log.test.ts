import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelingLog, type LoggedControl, type LoggedDecision } from '../../web/labeling-log';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cifar101-labeling-log-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const decision = (labeler: string, requestId: string, pageId: string): LoggedDecision => ({
  labeler, round: 1, pageId, className: 'cat', keyword: 'tabby', offered: [1, 2, 3], accepted: [2], openedAt: '2026-12-01T09:00:00.000Z', submittedAt: '2026-12-01T09:05:00.000Z',
  workflowId: 'b/round1', build: 'b', requestId, pages: 'cache/labelCandidates/k/pages.json', selected: 2,
});
const control = (labeler: string, requestId: string, id: string, answered: boolean): LoggedControl => ({
  labeler, pageId: 'p', expected: true, answered, at: '2026-12-01T09:05:00.000Z', requestId, id, cifarRow: 7,
});

describe('LabelingLog', () => {
  it('keeps decisions and control answers in the store, and finds a decision by its person and request id, after a restart too', async () => {
    const log = new LabelingLog(dir);
    expect(await log.request('grace', 'r1')).toBeNull();
    await log.append(decision('grace', 'r1', 'p1'), [control('grace', 'r1', 'p1:control:0', true), control('grace', 'r1', 'p1:control:1', false)]);
    await log.append(decision('alan', 'r1', 'p2'), []);
    expect((await log.request('grace', 'r1'))?.pageId).toBe('p1');
    expect((await log.request('alan', 'r1'))?.pageId).toBe('p2'); // request ids are per person
    const again = new LabelingLog(dir);
    expect((await again.request('grace', 'r1'))?.pageId).toBe('p1');
    const { decisions, controls } = await again.read();
    expect(decisions.map((d) => [d.labeler, d.pageId])).toEqual([['grace', 'p1'], ['alan', 'p2']]);
    expect(controls.map((c) => [c.labeler, c.id, c.answered])).toEqual([['grace', 'p1:control:0', true], ['grace', 'p1:control:1', false]]);
  });

  it('counts a control answer only with its decision, and once', async () => {
    const file = path.join(dir, 'labeling', 'controls.jsonl');
    await mkdir(path.dirname(file), { recursive: true });
    // a crash between writing a page's controls and its decision; and a line written twice
    await appendFile(file, JSON.stringify(control('kim', 'lost', 'x:control:0', true)) + '\n' + JSON.stringify(control('grace', 'r1', 'p1:control:0', true)) + '\n');
    const { controls } = await new LabelingLog(dir).read();
    expect(controls.map((c) => [c.labeler, c.id])).toEqual([['grace', 'p1:control:0'], ['grace', 'p1:control:1']]);
  });

  it('names the file and line of a damaged log', async () => {
    await appendFile(path.join(dir, 'labeling', 'decisions.jsonl'), '{"labeler":\n');
    await expect(new LabelingLog(dir).read()).rejects.toThrow(/labeling\/decisions\.jsonl:3: not valid JSON/);
  });
});

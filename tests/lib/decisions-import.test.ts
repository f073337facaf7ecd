import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageResolver, matchRound, parseDecisions, readDecisions } from '../../lib/decisions-import';
import { InputError } from '../../lib/errors';
import { tempDir } from '../helpers/build';

const T = '2026-11-29T10:00:00Z';
const line = (o: object) => JSON.stringify({ labeler: 'ana', time: T, ...o });

/** Corpus rows of a small pool: TinyImages index, pool id, pool path. */
const ROWS = [
  { row: 0, id: 'jet-1', path: 'airplane/jetliner/a.png' },
  { row: 1, id: 'jet-2', path: 'airplane/jetliner/b.png' },
  { row: 2, id: 'jet-3', path: 'airplane/jetliner/c.png' },
  { row: 3, id: 'tabby-1', path: 'cat/tabby/x.jpg' },
  { row: 4, id: 'tabby-2', path: 'cat/tabby/y.jpg' },
];
const TASKS = [
  { id: 'r1-jetliner', keyword: 'jetliner', offered: [2, 0, 1] },
  { id: 'r1-tabby', keyword: 'tabby', offered: [3, 4] },
];
const resolve = imageResolver(ROWS);

describe('parseDecisions', () => {
  it('reads a decisions file, grouped by round and keyword, blank lines ignored', async () => {
    const file = path.join(await tempDir('decisions'), 'decisions.jsonl');
    await writeFile(file, [
      line({ round: 1, keyword: 'jetliner', image: 'jet-1', accepted: true }),
      '',
      line({ round: 2, keyword: 'jetliner', image: 0, accepted: false, labeler: 'bo', time: '2026-11-30T08:00:00+01:00' }),
      line({ round: 1, keyword: 'jetliner', image: 'airplane/jetliner/b.png', accepted: false }),
      line({ round: 1, keyword: 'tabby', image: 4, accepted: true }),
    ].join('\n') + '\n');
    const parsed = await readDecisions(file);
    expect(parsed.file).toBe(file);
    expect([...parsed.rounds[1].keys()]).toEqual(['jetliner', 'tabby']);
    expect(parsed.rounds[1].get('jetliner')!.map((d) => [d.line, d.image, d.accepted])).toEqual([[1, 'jet-1', true], [4, 'airplane/jetliner/b.png', false]]);
    await expect(readDecisions(`${file}.missing`)).rejects.toThrow(`${file}.missing: file not found`);
    expect(parsed.rounds[2].get('jetliner')).toEqual([{ line: 3, round: 2, keyword: 'jetliner', image: 0, accepted: false, labeler: 'bo', time: '2026-11-30T08:00:00+01:00' }]);
  });

  it('fails the whole file on any bad line, naming the file and every bad line', () => {
    const text = [
      line({ round: 1, keyword: 'jetliner', image: 'jet-1', accepted: true }),
      line({ round: 3, keyword: 'jetliner', image: 'jet-2', accepted: true }),
      '{"round": 1,',
      line({ round: 1, keyword: 'jetliner', image: -1, accepted: 'yes' }),
      line({ round: 1, keyword: 'jetliner', image: 'jet-3', accepted: true, time: 'yesterday' }),
      line({ round: 1, keyword: 'jetliner', image: 'jet-3', accepted: true, note: 'x' }),
      JSON.stringify({ round: 1, keyword: 'jetliner', image: 'jet-3', accepted: true, time: T }),
    ].join('\n');
    let error: unknown;
    try {
      parseDecisions(text, 'in.jsonl');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message.startsWith('in.jsonl: line 2: round: expected 1 or 2; ')).toBe(true);
    for (const expected of ['line 3: not JSON', 'line 4: image: ', 'line 4: ', 'accepted: Invalid input: expected boolean', 'line 5: time: expected an ISO 8601 time with its offset', 'line 6: Unrecognized key: "note"', 'line 7: labeler: Invalid input']) {
      expect(message).toContain(expected);
    }
    expect(message).not.toContain('line 1:');
  });

  it('lists at most ten bad lines, then how many more', () => {
    const text = Array.from({ length: 13 }, () => '{').join('\n');
    expect(() => parseDecisions(text, 'f')).toThrow(/line 10: not JSON; and 3 more$/);
  });
});

describe('matchRound', () => {
  const decisions = (...lines: object[]) => parseDecisions(lines.map(line).join('\n'), 'decisions.jsonl');

  it('gives each task its accepted images in offer order, by id, path or index, and what was left undecided', () => {
    const file = decisions(
      { round: 1, keyword: 'jetliner', image: 'jet-1', accepted: true },
      { round: 1, keyword: 'jetliner', image: 'airplane/jetliner/c.png', accepted: true, labeler: 'bo', time: '2026-11-29T12:00:00+01:00' },
      { round: 1, keyword: 'jetliner', image: 1, accepted: false },
      { round: 1, keyword: 'tabby', image: 'tabby-2', accepted: false },
      { round: 2, keyword: 'nothing', image: 'x', accepted: true }, // another round: not looked at
    );
    expect(matchRound(file, 1, TASKS, resolve)).toEqual([
      { taskId: 'r1-jetliner', accepted: [2, 0], undecided: [], labeler: 'ana, bo', at: '2026-11-29T11:00:00.000Z' },
      { taskId: 'r1-tabby', accepted: [], undecided: [3], labeler: 'ana', at: '2026-11-29T10:00:00.000Z' },
    ]);
    expect(matchRound(file, 2, [{ id: 'r2-nothing', keyword: 'nothing', offered: [9] }], (image) => (image === 'x' ? 9 : undefined))).toEqual([
      { taskId: 'r2-nothing', accepted: [9], undecided: [], labeler: 'ana', at: '2026-11-29T10:00:00.000Z' },
    ]);
    expect(matchRound(decisions(), 1, TASKS, resolve)).toEqual([
      { taskId: 'r1-jetliner', accepted: [], undecided: [2, 0, 1] },
      { taskId: 'r1-tabby', accepted: [], undecided: [3, 4] },
    ]);
  });

  it('rejects decisions for images not offered, unknown ids, keywords without a task, and twice-decided images, with their line numbers', () => {
    const file = decisions(
      { round: 1, keyword: 'jetliner', image: 'jet-1', accepted: true },
      { round: 1, keyword: 'jetliner', image: 'tabby-1', accepted: true }, // a real image, but of another task
      { round: 1, keyword: 'tabby', image: 'no-such-id', accepted: true },
      { round: 1, keyword: 'wren', image: 7, accepted: false },
      { round: 1, keyword: 'jetliner', image: 'airplane/jetliner/a.png', accepted: false }, // jet-1 again, by path
    );
    expect(() => matchRound(file, 1, TASKS, resolve)).toThrow(InputError);
    expect(() => matchRound(file, 1, TASKS, resolve)).toThrow(
      'decisions.jsonl: line 2: image "tabby-1" was not offered for keyword "jetliner" in round 1; ' +
        'line 3: image "no-such-id" was not offered for keyword "tabby" in round 1; ' +
        'line 4: keyword "wren" has no task in round 1; ' +
        'line 5: image "airplane/jetliner/a.png" was decided already on line 1',
    );
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClaimBoard, ClaimFile, formatDuration, type ClaimSnapshot } from '../../lib/claims';

const MIN = 60_000;
const T0 = Date.parse('2026-12-01T09:00:00Z');

describe('ClaimBoard', () => {
  it('gives a free page to the first person and shows it taken, with the name and time left, to others', () => {
    const board = new ClaimBoard({ leaseMs: 5 * MIN });
    expect(board.claim('t1#p1', 'alice', T0)).toEqual({ ok: true, pageId: 't1#p1', expires: T0 + 5 * MIN, expiresIn: 5 * MIN });
    expect(board.claim('t1#p1', 'bob', T0 + 2 * MIN)).toEqual({
      ok: false, reason: 'taken', holder: 'alice', expires: T0 + 5 * MIN, expiresIn: 3 * MIN, message: 'page "t1#p1" is claimed by alice (3 min left)',
    });
    expect(board.holderOf('t1#p1', T0 + 2 * MIN)).toEqual({ holder: 'alice', expires: T0 + 5 * MIN, expiresIn: 3 * MIN });
    // a second page of the same task is free for bob
    expect(board.claim('t1#p2', 'bob', T0 + 2 * MIN).ok).toBe(true);
  });

  it('extends the lease when the holder claims again, keeping when they started', () => {
    const board = new ClaimBoard({ leaseMs: 5 * MIN });
    board.claim('p', 'alice', T0);
    expect(board.claim('p', 'alice', T0 + 4 * MIN)).toMatchObject({ ok: true, expires: T0 + 9 * MIN });
    expect(board.list(T0 + 4 * MIN)).toEqual([{ pageId: 'p', holder: 'alice', since: T0, expires: T0 + 9 * MIN, expiresIn: 5 * MIN }]);
  });

  it('releases an expired claim by itself: another person can take the page', () => {
    const board = new ClaimBoard({ leaseMs: 5 * MIN });
    board.claim('p', 'alice', T0);
    expect(board.holderOf('p', T0 + 5 * MIN - 1)?.holder).toBe('alice');
    expect(board.holderOf('p', T0 + 5 * MIN)).toBeNull();
    expect(board.claim('p', 'bob', T0 + 5 * MIN)).toMatchObject({ ok: true });
    expect(board.list(T0 + 5 * MIN).map((c) => c.holder)).toEqual(['bob']);
  });

  it('renews only a live claim of the holder, and says when it lapsed', () => {
    const board = new ClaimBoard({ leaseMs: 5 * MIN });
    board.claim('p', 'alice', T0);
    expect(board.renew('p', 'alice', T0 + 3 * MIN)).toMatchObject({ ok: true, expires: T0 + 8 * MIN });
    expect(board.renew('p', 'bob', T0 + 3 * MIN)).toMatchObject({ ok: false, reason: 'taken', holder: 'alice' });
    expect(board.renew('p', 'alice', T0 + 8 * MIN)).toEqual({ ok: false, reason: 'not-held', message: 'alice holds no claim on page "p" (it may have expired)' });
    expect(board.holderOf('p', T0 + 8 * MIN)).toBeNull();
  });

  it('rejects a submission for a page someone else holds, accepts the holder\'s and a free page\'s', () => {
    const board = new ClaimBoard({ leaseMs: 5 * MIN });
    board.claim('p', 'alice', T0);
    expect(board.checkSubmission('p', 'bob', T0 + 30_000)).toEqual({ ok: false, holder: 'alice', message: 'page "p" is claimed by alice (5 min left)' });
    expect(board.checkSubmission('p', 'bob', T0 + 4 * MIN + 15_000)).toMatchObject({ ok: false, message: 'page "p" is claimed by alice (45 s left)' });
    expect(board.checkSubmission('p', 'alice', T0 + MIN)).toEqual({ ok: true });
    expect(board.checkSubmission('q', 'bob', T0)).toEqual({ ok: true });
    expect(board.checkSubmission('p', 'bob', T0 + 6 * MIN)).toEqual({ ok: true });
  });

  it('releases only for the holder', () => {
    const board = new ClaimBoard();
    board.claim('p', 'alice', T0);
    expect(board.release('p', 'bob', T0)).toBe(false);
    expect(board.holderOf('p', T0)?.holder).toBe('alice');
    expect(board.release('p', 'alice', T0)).toBe(true);
    expect(board.holderOf('p', T0)).toBeNull();
    expect(board.release('p', 'alice', T0)).toBe(false);
  });

  it('bounds the pages one person holds; renewing a held page does not count as a new one', () => {
    const board = new ClaimBoard({ maxPerPerson: 2 });
    board.claim('a', 'alice', T0);
    board.claim('b', 'alice', T0);
    expect(board.claim('c', 'alice', T0)).toEqual({ ok: false, reason: 'limit', held: ['a', 'b'], max: 2, message: 'alice already holds 2 pages (at most 2): a, b' });
    expect(board.claim('b', 'alice', T0 + 1).ok).toBe(true);
    expect(board.claim('c', 'bob', T0).ok).toBe(true);
    board.release('a', 'alice', T0);
    expect(board.claim('c', 'alice', T0)).toMatchObject({ ok: false, reason: 'taken', holder: 'bob' });
    expect(board.claim('d', 'alice', T0).ok).toBe(true);
  });

  it('releases everything one person holds (sign-out, revocation)', () => {
    const board = new ClaimBoard();
    board.claim('a', 'alice', T0);
    board.claim('b', 'bob', T0);
    board.claim('c', 'alice', T0);
    expect(board.releaseAll('alice', T0)).toEqual(['a', 'c']);
    expect(board.list(T0).map((c) => c.pageId)).toEqual(['b']);
  });

  it('uses the injected clock when no time is passed', () => {
    let t = T0;
    const board = new ClaimBoard({ leaseMs: MIN, clock: () => t });
    board.claim('p', 'alice');
    t += MIN;
    expect(board.claim('p', 'bob')).toMatchObject({ ok: true, expires: T0 + 2 * MIN });
  });

  it('reports each change and starts again from a snapshot, dropping what expired meanwhile', () => {
    const seen: ClaimSnapshot[] = [];
    const board = new ClaimBoard({ leaseMs: 5 * MIN, onChange: (s) => seen.push(s) });
    board.claim('p', 'alice', T0);
    board.claim('q', 'bob', T0 + 2 * MIN);
    board.claim('p', 'bob', T0 + 3 * MIN); // refused: no change
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({ version: 1, claims: [
      { pageId: 'p', holder: 'alice', since: '2026-12-01T09:00:00.000Z', expires: '2026-12-01T09:05:00.000Z' },
      { pageId: 'q', holder: 'bob', since: '2026-12-01T09:02:00.000Z', expires: '2026-12-01T09:07:00.000Z' },
    ] });
    const restarted = new ClaimBoard({ initial: seen[1], clock: () => T0 + 6 * MIN });
    expect(restarted.list().map((c) => [c.pageId, c.holder, c.expiresIn])).toEqual([['q', 'bob', MIN]]);
  });

  it('refuses nonsense options', () => {
    expect(() => new ClaimBoard({ leaseMs: 0 })).toThrow('leaseMs must be positive');
    expect(() => new ClaimBoard({ maxPerPerson: 0 })).toThrow('maxPerPerson must be a positive integer');
  });
});

describe('ClaimFile', () => {
  it('saves in call order and loads the last snapshot; a damaged file is named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'claims-'));
    try {
      const f = new ClaimFile(path.join(dir, 'claims.json'));
      expect(await f.load()).toEqual({ version: 1, claims: [] });
      const board = new ClaimBoard({ onChange: (s) => void f.save(s) });
      board.claim('p', 'alice', T0);
      board.claim('q', 'bob', T0);
      board.release('p', 'alice', T0);
      await f.save(board.snapshot(T0));
      expect((await new ClaimFile(f.file).load()).claims.map((c) => c.pageId)).toEqual(['q']);
      await writeFile(f.file, JSON.stringify({ version: 1, claims: [{ pageId: 'p', holder: 'alice', since: 'yesterday', expires: 'never' }] }));
      await expect(new ClaimFile(f.file).load()).rejects.toThrow(`${f.file}: unexpected content: claims.0.since:`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('formatDuration', () => {
  it('rounds up, in seconds under a minute and minutes above', () => {
    expect([1, 999, 1000, 59_001, 60_000, 60_001, 299_000].map(formatDuration)).toEqual(['1 s', '1 s', '1 s', '1 min', '1 min', '2 min', '5 min']);
  });
});

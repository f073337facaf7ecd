import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDenied, can, LabelerRegistry, type LabelerRegistryOptions } from '../../lib/labelers';

const HOUR = 3600_000;
let root: string;
let clock: { t: number };
const registry = (opts: LabelerRegistryOptions = {}) => new LabelerRegistry(root, { now: () => new Date(clock.t), ...opts });

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'labelers-'));
  clock = { t: Date.parse('2026-12-01T09:00:00Z') };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('roles', () => {
  it('form a ladder: labeler < verifier < reviewer < admin', () => {
    const table = (['labeler', 'verifier', 'reviewer', 'admin'] as const).map((role) =>
      (['label', 'verify', 'review', 'administer'] as const).filter((a) => can(role, a)).join(','));
    expect(table).toEqual(['label', 'label,verify', 'label,verify,review', 'label,verify,review,administer']);
  });
});

describe('LabelerRegistry', () => {
  it('adds people and lists them without tokens; the file holds only hashes', async () => {
    const reg = registry();
    const { loginToken, expires } = await reg.add('alice', 'labeler');
    expect(loginToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expires.toISOString()).toBe('2026-12-08T09:00:00.000Z');
    await reg.add('bob', 'verifier');
    const list = await reg.list();
    expect(list).toEqual([
      { name: 'alice', role: 'labeler', added: '2026-12-01T09:00:00.000Z', revoked: null, lastLogin: null, linkPending: true, sessions: 0 },
      { name: 'bob', role: 'verifier', added: '2026-12-01T09:00:00.000Z', revoked: null, lastLogin: null, linkPending: true, sessions: 0 },
    ]);
    const text = await readFile(path.join(root, 'labelers.json'), 'utf8');
    expect(text).not.toContain(loginToken);
    expect(text).toMatch(/"sha256": "[0-9a-f]{64}"/);
  });

  it('exchanges a login token for a session once; the link used twice is refused', async () => {
    const reg = registry();
    const { loginToken } = await reg.add('alice', 'verifier');
    clock.t += 60_000;
    const login = await reg.login(loginToken);
    expect(login).toMatchObject({ name: 'alice', role: 'verifier', expires: new Date(clock.t + 12 * HOUR) });
    expect(await reg.session(login.sessionToken)).toEqual({ name: 'alice', role: 'verifier', expires: login.expires, renewed: false });
    await expect(reg.login(loginToken)).rejects.toThrow(new AccessDenied('this login link was already used (2026-12-01T09:01:00.000Z); ask an admin for a new one'));
    const [alice] = await reg.list();
    expect(alice).toMatchObject({ lastLogin: '2026-12-01T09:01:00.000Z', linkPending: false, sessions: 1 });
  });

  it('refuses forged and malformed tokens, and never mixes login tokens with session tokens', async () => {
    const reg = registry();
    const { loginToken } = await reg.add('alice', 'labeler');
    const forged = 'A'.repeat(43);
    await expect(reg.login(forged)).rejects.toBeInstanceOf(AccessDenied);
    await expect(reg.login(forged)).rejects.toThrow('not a valid login link');
    await expect(reg.login('../../etc/passwd')).rejects.toThrow('not a valid login link');
    expect(await reg.session(forged)).toBeNull();
    expect(await reg.session('')).toBeNull();
    expect(await reg.session(undefined)).toBeNull();
    // a login token is not a session, and a session token is not a login link
    expect(await reg.session(loginToken)).toBeNull();
    const { sessionToken } = await reg.login(loginToken);
    await expect(reg.login(sessionToken)).rejects.toThrow('not a valid login link');
  });

  it('revoking ends the sessions and the pending link, here and in another registry on the same store', async () => {
    const reg = registry();
    const other = registry(); // the CLI in another process: shares only the file
    const { loginToken } = await reg.add('alice', 'labeler');
    const { sessionToken } = await reg.login(loginToken);
    const bob = await reg.add('bob', 'labeler');
    expect(await reg.session(sessionToken)).not.toBeNull();
    expect(await other.revoke('alice')).toEqual({ sessionsEnded: 1 });
    await other.revoke('bob');
    expect(await reg.session(sessionToken)).toBeNull();
    await expect(reg.login(bob.loginToken)).rejects.toThrow('labeler "bob" was revoked');
    expect((await reg.list()).map((l) => [l.name, l.revoked, l.sessions, l.linkPending])).toEqual([
      ['alice', '2026-12-01T09:00:00.000Z', 0, false], ['bob', '2026-12-01T09:00:00.000Z', 0, false],
    ]);
    expect(await reg.activeCount()).toBe(0);
    await expect(reg.revoke('alice')).rejects.toThrow('labeler "alice": was revoked on 2026-12-01T09:00:00.000Z');
    await expect(reg.revoke('carol')).rejects.toThrow('labeler "carol": not on the team');
  });

  it('keeps names as identities: a taken name is refused, a revoked one too unless reinstated', async () => {
    const reg = registry();
    await reg.add('alice', 'labeler');
    await expect(reg.add('alice', 'admin')).rejects.toThrow('labeler "alice": already on the team (role labeler); for a new login link: cifar101 labelers link alice');
    await reg.revoke('alice');
    await expect(reg.add('alice', 'labeler')).rejects.toThrow(/was revoked on .*; choose another name, or reinstate them/);
    clock.t += HOUR;
    const { loginToken } = await reg.add('alice', 'verifier', { reinstate: true });
    expect((await reg.list())[0]).toMatchObject({ name: 'alice', role: 'verifier', added: '2026-12-01T09:00:00.000Z', revoked: null, linkPending: true });
    expect((await reg.login(loginToken)).role).toBe('verifier');
  });

  it('validates names and roles, and reserves the names the build signs with', async () => {
    const reg = registry();
    for (const bad of ['Alice', '', '-x', '../x', 'a b', 'x'.repeat(33), 'al/ice']) {
      await expect(reg.add(bad, 'labeler')).rejects.toThrow('a name is 1 to 32 lowercase letters');
    }
    await expect(reg.add('simulated', 'labeler')).rejects.toThrow('labeler name "simulated": is reserved');
    await expect(reg.add('auto', 'admin')).rejects.toThrow('reserved');
    await expect(reg.add('carol', 'boss' as never)).rejects.toThrow('role "boss": unknown role; one of labeler, verifier, reviewer, admin');
    await reg.add('a.b_c-9', 'labeler');
    expect((await reg.list()).map((l) => l.name)).toEqual(['a.b_c-9']);
  });

  it('ends a session after its lifetime without use, and extends one used in its second half', async () => {
    const reg = registry({ sessionTtlMs: 12 * HOUR });
    const { sessionToken, expires } = await reg.login((await reg.add('alice', 'labeler')).loginToken);
    clock.t += 5 * HOUR;
    expect(await reg.session(sessionToken)).toMatchObject({ renewed: false, expires });
    clock.t += 2 * HOUR; // 5 h left: renewed to 12 h from now
    const renewed = await reg.session(sessionToken);
    expect(renewed).toMatchObject({ renewed: true, expires: new Date(clock.t + 12 * HOUR) });
    clock.t += 12 * HOUR - 1;
    expect(await reg.session(sessionToken)).not.toBeNull();
    clock.t += 12 * HOUR + 1; // unused for a whole lifetime
    expect(await reg.session(sessionToken)).toBeNull();
  });

  it('refuses an expired login link and a replaced one; a new link works', async () => {
    const reg = registry({ loginTtlMs: HOUR });
    const first = await reg.add('alice', 'labeler');
    clock.t += HOUR;
    await expect(reg.login(first.loginToken)).rejects.toThrow('this login link expired at 2026-12-01T10:00:00.000Z');
    const second = await reg.link('alice');
    const third = await reg.link('alice');
    await expect(reg.login(second.loginToken)).rejects.toThrow('not a valid login link (it may have been replaced');
    expect((await reg.login(third.loginToken)).name).toBe('alice');
    await expect(reg.link('nobody')).rejects.toThrow('labeler "nobody": not on the team');
  });

  it('survives a restart: a new registry on the store knows the session', async () => {
    const { sessionToken } = await registry().login((await registry().add('alice', 'admin')).loginToken);
    expect(await registry().session(sessionToken)).toMatchObject({ name: 'alice', role: 'admin' });
  });

  it('applies a role change to open sessions, and logs out', async () => {
    const reg = registry();
    const { sessionToken } = await reg.login((await reg.add('alice', 'labeler')).loginToken);
    await reg.setRole('alice', 'reviewer');
    expect((await reg.session(sessionToken))?.role).toBe('reviewer');
    expect(await reg.logout(sessionToken)).toBe(true);
    expect(await reg.logout(sessionToken)).toBe(false);
    expect(await reg.session(sessionToken)).toBeNull();
  });

  it('loses no write under concurrent changes, in one registry and across two on one file', async () => {
    const a = registry();
    const b = registry();
    const names = Array.from({ length: 24 }, (_, i) => `p${i}`);
    const tokens = await Promise.all(names.map((n, i) => (i % 2 ? a : b).add(n, 'labeler')));
    const sessions = await Promise.all(tokens.map((t, i) => (i % 3 ? a : b).login(t.loginToken)));
    expect((await a.list()).map((l) => l.name).sort()).toEqual([...names].sort());
    for (const s of sessions) expect(await b.session(s.sessionToken)).not.toBeNull();
  });

  it('refuses a damaged file, naming it and what is wrong', async () => {
    const file = path.join(root, 'labelers.json');
    await writeFile(file, '{"version": 1, "labelers": [');
    await expect(registry().list()).rejects.toThrow(`${file}: not valid JSON`);
    await writeFile(file, JSON.stringify({ version: 1, sessions: [], labelers: [
      { name: 'alice', role: 'boss', added: '2026-12-01T09:00:00.000Z', revoked: null, lastLogin: null, login: null },
    ] }));
    await expect(registry().list()).rejects.toThrow(`${file}: unexpected content: labelers.0.role:`);
  });
});

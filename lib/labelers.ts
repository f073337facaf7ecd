// The labeling team: who may sign in, in which role, and their sessions, kept in
// `<store>/labelers.json`. Tokens are never stored, only their SHA-256 hashes.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from './errors';
import { sha256 } from './hash';
import { JsonFile, type JsonFileOptions } from './json-file';

export const ROLES = ['labeler', 'verifier', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a person may do: label round 1, verify (round 2), review near-duplicates, administer (team, quality page). */
export const ACTIONS = ['label', 'verify', 'review', 'administer'] as const;
export type Action = (typeof ACTIONS)[number];

// A ladder: each role adds one thing to the one below it. A verifier also labels
// round 1 (the two-person rule keeps them off their own keywords in round 2);
// a reviewer of near-duplicates is trusted to verify too.
const PERMISSIONS: Record<Role, readonly Action[]> = {
  labeler: ['label'],
  verifier: ['label', 'verify'],
  reviewer: ['label', 'verify', 'review'],
  admin: ACTIONS,
};

/** Whether `role` may do `action`. */
export function can(role: Role, action: Action): boolean {
  return PERMISSIONS[role].includes(action);
}

/** Lowercase letters, digits, `.`, `_`, `-`; 1–32 characters, starting with a letter or digit. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
/** Names the build itself writes into decisions (the simulated labeler, the automatic review): nobody may sign as them. */
const RESERVED = new Set(['simulated', 'auto']);
/** 32 random bytes in base64url, without padding. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const iso = z.iso.datetime();
const hash = z.string().regex(/^[0-9a-f]{64}$/);
const labelerRecord = z.strictObject({
  name: z.string().regex(NAME),
  role: z.enum(ROLES),
  added: iso,
  revoked: iso.nullable(),
  lastLogin: iso.nullable(),
  /** The latest login link: its hash, when it stops working, and when it was used (it works once). */
  login: z.strictObject({ sha256: hash, issued: iso, expires: iso, used: iso.nullable() }).nullable(),
});
const sessionRecord = z.strictObject({ sha256: hash, name: z.string().regex(NAME), created: iso, expires: iso });
const registryFile = z.strictObject({
  version: z.literal(1),
  labelers: z.array(labelerRecord).refine((ls) => new Set(ls.map((l) => l.name)).size === ls.length, 'names must be unique'),
  sessions: z.array(sessionRecord),
});
type LabelerRecord = z.infer<typeof labelerRecord>;
type RegistryFile = z.infer<typeof registryFile>;

/** A team member as `list` shows them: never a token or a hash. */
export interface LabelerInfo {
  name: string;
  role: Role;
  /** ISO times. */
  added: string;
  revoked: string | null;
  lastLogin: string | null;
  /** Whether an unused, unexpired login link is out. */
  linkPending: boolean;
  /** Sessions not yet expired. */
  sessions: number;
}

/** A signed-in person, as every authenticated request sees them. */
export interface Session {
  name: string;
  role: Role;
  expires: Date;
  /** The expiry moved forward on this request: the server should send the cookie again with the new Max-Age. */
  renewed: boolean;
}

/** A login link or session that does not let anyone in: forged, used, expired, revoked. The server answers 401. */
export class AccessDenied extends Error {
  override name = 'AccessDenied';
}

export interface LabelerRegistryOptions extends JsonFileOptions {
  /** How long a session lasts without use (default 12 h); using it in its second half extends it by as much again. */
  sessionTtlMs?: number;
  /** How long a login link stays usable (default 7 days). */
  loginTtlMs?: number;
  /** The clock, for tests. */
  now?: () => Date;
}

/**
 * The team registry in `<storeRoot>/labelers.json`.
 *
 * Tokens (login links and sessions) are 32 random bytes; only their SHA-256 is
 * stored. A slow password hash (scrypt, argon2) would add nothing: it protects
 * guessable secrets, and 256 random bits cannot be guessed from the hash.
 *
 * Sessions live in the same file, so a restarted server keeps people signed
 * in. Every change goes through one locked read-modify-write (see JsonFile), so
 * concurrent requests in one server lose nothing, and neither do two processes
 * (the server and `cifar101 labelers revoke`, or two servers on one store):
 * each sees the other's writes on its next read, and a revocation ends the
 * person's sessions in every process at once.
 */
export class LabelerRegistry {
  readonly file: string;
  private readonly store: JsonFile<RegistryFile>;
  private readonly sessionTtlMs: number;
  private readonly loginTtlMs: number;
  private readonly now: () => Date;

  constructor(storeRoot: string, opts: LabelerRegistryOptions = {}) {
    this.file = path.join(storeRoot, 'labelers.json');
    this.store = new JsonFile(this.file, registryFile, () => ({ version: 1, labelers: [], sessions: [] }), opts);
    this.sessionTtlMs = opts.sessionTtlMs ?? 12 * 3600_000;
    this.loginTtlMs = opts.loginTtlMs ?? 7 * 24 * 3600_000;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Adds a person and returns their one-time login token. A name is an identity:
   * decisions and quality figures are kept under it. So a taken name is refused,
   * a revoked one too unless `reinstate` says it is the same person coming back
   * (then they get the new role and a new link, and their past decisions stay theirs).
   */
  async add(name: string, role: Role, opts: { reinstate?: boolean } = {}): Promise<{ loginToken: string; expires: Date }> {
    checkName(name);
    checkRole(role);
    return this.store.update((reg) => {
      const now = this.now();
      let person = reg.labelers.find((l) => l.name === name);
      if (person && !person.revoked) {
        throw new InputError(`already on the team (role ${person.role}); for a new login link: cifar101 labelers link ${name}`, `labeler "${name}"`);
      }
      if (person && !opts.reinstate) {
        throw new InputError(`was revoked on ${person.revoked}; choose another name, or reinstate them (--reinstate) if it is the same person`, `labeler "${name}"`);
      }
      if (!person) {
        person = { name, role, added: now.toISOString(), revoked: null, lastLogin: null, login: null };
        reg.labelers.push(person);
      }
      person.role = role;
      person.revoked = null;
      return this.issue(person, now);
    });
  }

  /** A new one-time login token for someone on the team (lost link, expired session); any earlier unused link stops working. */
  async link(name: string): Promise<{ loginToken: string; expires: Date }> {
    return this.store.update((reg) => this.issue(this.active(reg, name), this.now()));
  }

  /** Changes someone's role; their open sessions carry the new role from their next request. */
  async setRole(name: string, role: Role): Promise<void> {
    checkRole(role);
    await this.store.update((reg) => {
      this.active(reg, name).role = role;
    });
  }

  /** The team, revoked members included, sorted by name. */
  async list(): Promise<LabelerInfo[]> {
    const reg = await this.store.read();
    const now = this.now().getTime();
    return reg.labelers.map((l) => ({
      name: l.name,
      role: l.role,
      added: l.added,
      revoked: l.revoked,
      lastLogin: l.lastLogin,
      linkPending: !l.revoked && !!l.login && !l.login.used && Date.parse(l.login.expires) > now,
      sessions: l.revoked ? 0 : reg.sessions.filter((s) => s.name === l.name && Date.parse(s.expires) > now).length,
    })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** How many people can sign in (not revoked): the server refuses to listen beyond loopback with none. */
  async activeCount(): Promise<number> {
    return (await this.store.read()).labelers.filter((l) => !l.revoked).length;
  }

  /** Revokes someone: their sessions end and their login link stops working, in every server on this store. */
  async revoke(name: string): Promise<{ sessionsEnded: number }> {
    return this.store.update((reg) => {
      const person = this.active(reg, name);
      person.revoked = this.now().toISOString();
      const before = reg.sessions.length;
      reg.sessions = reg.sessions.filter((s) => s.name !== name);
      return { sessionsEnded: before - reg.sessions.length };
    });
  }

  /**
   * Exchanges a login token for a session. The token works once: a second use,
   * an expired or replaced link, a revoked person or a made-up token is an AccessDenied.
   */
  async login(loginToken: string): Promise<{ name: string; role: Role; sessionToken: string; expires: Date }> {
    if (typeof loginToken !== 'string' || !TOKEN.test(loginToken)) throw new AccessDenied('not a valid login link');
    return this.store.update((reg) => {
      const now = this.now();
      const person = findByHash(reg.labelers, (l) => l.login?.sha256, tokenHash(loginToken));
      if (!person?.login) throw new AccessDenied('not a valid login link (it may have been replaced by a newer one)');
      if (person.revoked) throw new AccessDenied(`labeler "${person.name}" was revoked`);
      if (person.login.used) throw new AccessDenied(`this login link was already used (${person.login.used}); ask an admin for a new one`);
      if (Date.parse(person.login.expires) <= now.getTime()) throw new AccessDenied(`this login link expired at ${person.login.expires}; ask an admin for a new one`);
      person.login.used = now.toISOString();
      person.lastLogin = now.toISOString();
      const sessionToken = newToken();
      const expires = new Date(now.getTime() + this.sessionTtlMs);
      pruneSessions(reg, now);
      reg.sessions.push({ sha256: tokenHash(sessionToken), name: person.name, created: now.toISOString(), expires: expires.toISOString() });
      return { name: person.name, role: person.role, sessionToken, expires };
    });
  }

  /** Who holds this session token, or null (unknown, malformed, expired, or the person was revoked). */
  async session(sessionToken: string | null | undefined): Promise<Session | null> {
    if (typeof sessionToken !== 'string' || !TOKEN.test(sessionToken)) return null;
    const h = tokenHash(sessionToken);
    const found = this.lookup(await this.store.read(), h);
    if (!found) return null;
    const now = this.now().getTime();
    // Sliding expiry, written at most once per half-life: a session in use does not end mid-task,
    // and a request does not cost a file write.
    if (Date.parse(found.session.expires) - now >= this.sessionTtlMs / 2) {
      return { name: found.person.name, role: found.person.role, expires: new Date(found.session.expires), renewed: false };
    }
    return this.store.update((reg) => {
      const again = this.lookup(reg, h);
      if (!again) return null;
      const expires = new Date(this.now().getTime() + this.sessionTtlMs);
      again.session.expires = expires.toISOString();
      pruneSessions(reg, this.now());
      return { name: again.person.name, role: again.person.role, expires, renewed: true };
    });
  }

  /** Ends a session (sign out); false when it was not there. */
  async logout(sessionToken: string): Promise<boolean> {
    if (typeof sessionToken !== 'string' || !TOKEN.test(sessionToken)) return false;
    const h = tokenHash(sessionToken);
    return this.store.update((reg) => {
      const found = findByHash(reg.sessions, (s) => s.sha256, h);
      reg.sessions = reg.sessions.filter((s) => s !== found);
      pruneSessions(reg, this.now());
      return !!found;
    });
  }

  private lookup(reg: RegistryFile, h: string) {
    const session = findByHash(reg.sessions, (s) => s.sha256, h);
    if (!session || Date.parse(session.expires) <= this.now().getTime()) return null;
    const person = reg.labelers.find((l) => l.name === session.name);
    return person && !person.revoked ? { session, person } : null;
  }

  private active(reg: RegistryFile, name: string): LabelerRecord {
    const person = reg.labelers.find((l) => l.name === name);
    if (!person) throw new InputError('not on the team', `labeler "${name}"`);
    if (person.revoked) throw new InputError(`was revoked on ${person.revoked}`, `labeler "${name}"`);
    return person;
  }

  private issue(person: LabelerRecord, now: Date): { loginToken: string; expires: Date } {
    const loginToken = newToken();
    const expires = new Date(now.getTime() + this.loginTtlMs);
    person.login = { sha256: tokenHash(loginToken), issued: now.toISOString(), expires: expires.toISOString(), used: null };
    return { loginToken, expires };
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InputError('a name is 1 to 32 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit', `labeler name ${JSON.stringify(name)}`);
  }
  if (RESERVED.has(name)) throw new InputError('is reserved for decisions the build makes itself', `labeler name "${name}"`);
}

function checkRole(role: string): void {
  if (!(ROLES as readonly string[]).includes(role)) throw new InputError(`unknown role; one of ${ROLES.join(', ')}`, `role ${JSON.stringify(role)}`);
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function tokenHash(token: string): string {
  return sha256(token);
}

/**
 * The item whose hash equals `wanted`, comparing every item in constant time
 * and never stopping early, so response timing says nothing about stored hashes.
 */
function findByHash<T>(items: T[], hashOf: (item: T) => string | undefined, wanted: string): T | undefined {
  const want = Buffer.from(wanted, 'hex');
  let found: T | undefined;
  for (const item of items) {
    const h = hashOf(item);
    if (h !== undefined && timingSafeEqual(Buffer.from(h, 'hex'), want) && found === undefined) found = item;
  }
  return found;
}

function pruneSessions(reg: RegistryFile, now: Date): void {
  reg.sessions = reg.sessions.filter((s) => Date.parse(s.expires) > now.getTime());
}

// Claims on label pages: a lease that keeps two people from doing the same page.
import { z } from 'zod';
import { JsonFile } from './json-file';

/** A live claim. Times are epoch milliseconds. */
export interface Claim {
  pageId: string;
  holder: string;
  since: number;
  expires: number;
}

export type ClaimResult =
  | { ok: true; pageId: string; expires: number; expiresIn: number }
  /** Someone else holds the page. */
  | { ok: false; reason: 'taken'; holder: string; expires: number; expiresIn: number; message: string }
  /** The person already holds as many pages as they may. */
  | { ok: false; reason: 'limit'; held: string[]; max: number; message: string }
  /** `renew` only: the person holds no live claim on the page (it lapsed, or never was). */
  | { ok: false; reason: 'not-held'; message: string };

export interface ClaimBoardOptions {
  /** How long a claim lasts without renewal (default 5 min). */
  leaseMs?: number;
  /** Most pages one person may hold at once (default 3: a couple of tabs, not a hoard). */
  maxPerPerson?: number;
  /** The clock (epoch ms) used when a call passes no `now`. */
  clock?: () => number;
  /** Claims to start from (a snapshot saved before a restart); expired ones are dropped. */
  initial?: ClaimSnapshot;
  /** Called after every change with the live claims, e.g. to save them (see ClaimFile). */
  onChange?: (snapshot: ClaimSnapshot) => void;
}

/**
 * The claims of one label server, in memory.
 *
 * Why memory and not a file per change: a claim lives minutes and every open
 * page renews its own about once a minute, while the task list reads them all
 * on each refresh; none of it needs a disk. Nor is a claim the guard of record:
 * the workflow takes one decision per page (its Update validator refuses a page
 * that is no longer pending), so a claim only spares people duplicate work. A
 * restart forgets the claims; an open page's next `claim` takes its page again
 * if nobody else has. To keep them across restarts exactly, pass `onChange` and
 * `initial` (ClaimFile saves and loads them). Two label servers on one store
 * would each have their own claims: run one label server per store.
 *
 * Expiry needs no timer: every call first drops the claims whose lease has run
 * out at its `now`, so tests move time by passing `now`.
 */
export class ClaimBoard {
  readonly leaseMs: number;
  readonly maxPerPerson: number;
  private readonly clock: () => number;
  private readonly onChange?: (snapshot: ClaimSnapshot) => void;
  private readonly claims = new Map<string, Claim>();

  constructor(opts: ClaimBoardOptions = {}) {
    this.leaseMs = opts.leaseMs ?? 5 * 60_000;
    this.maxPerPerson = opts.maxPerPerson ?? 3;
    if (!(this.leaseMs > 0)) throw new RangeError(`leaseMs must be positive, got ${this.leaseMs}`);
    if (!(Number.isInteger(this.maxPerPerson) && this.maxPerPerson >= 1)) throw new RangeError(`maxPerPerson must be a positive integer, got ${this.maxPerPerson}`);
    this.clock = opts.clock ?? Date.now;
    this.onChange = opts.onChange;
    for (const c of opts.initial?.claims ?? []) {
      this.claims.set(c.pageId, { pageId: c.pageId, holder: c.holder, since: Date.parse(c.since), expires: Date.parse(c.expires) });
    }
    this.expire(this.clock());
  }

  /**
   * Claims `pageId` for `name` for one lease, or extends the lease if they hold
   * it already (opening the page and its heartbeat are the same call). Refused
   * while someone else holds it, or when `name` holds `maxPerPerson` other pages.
   */
  claim(pageId: string, name: string, now = this.clock()): ClaimResult {
    this.expire(now);
    const current = this.claims.get(pageId);
    if (current && current.holder !== name) return taken(current, now);
    if (!current) {
      const held = this.heldBy(name).map((c) => c.pageId);
      if (held.length >= this.maxPerPerson) {
        return { ok: false, reason: 'limit', held, max: this.maxPerPerson, message: `${name} already holds ${held.length} pages (at most ${this.maxPerPerson}): ${held.join(', ')}` };
      }
    }
    const claim = { pageId, holder: name, since: current?.since ?? now, expires: now + this.leaseMs };
    this.claims.set(pageId, claim);
    this.changed(now);
    return { ok: true, pageId, expires: claim.expires, expiresIn: this.leaseMs };
  }

  /**
   * Extends a live claim `name` holds, and nothing else: unlike `claim` it never
   * takes a page anew, so a caller learns that the claim had lapsed (`not-held`).
   */
  renew(pageId: string, name: string, now = this.clock()): ClaimResult {
    this.expire(now);
    const current = this.claims.get(pageId);
    if (!current) return { ok: false, reason: 'not-held', message: `${name} holds no claim on page "${pageId}" (it may have expired)` };
    if (current.holder !== name) return taken(current, now);
    return this.claim(pageId, name, now);
  }

  /** Gives a page up (submitted, or closed); false when `name` did not hold it. */
  release(pageId: string, name: string, now = this.clock()): boolean {
    this.expire(now);
    if (this.claims.get(pageId)?.holder !== name) return false;
    this.claims.delete(pageId);
    this.changed(now);
    return true;
  }

  /** Gives up every page `name` holds (signed out or revoked); the pages released. */
  releaseAll(name: string, now = this.clock()): string[] {
    this.expire(now);
    const pages = this.heldBy(name).map((c) => c.pageId);
    for (const pageId of pages) this.claims.delete(pageId);
    if (pages.length) this.changed(now);
    return pages;
  }

  /** Who holds `pageId` and for how much longer, or null when it is free. */
  holderOf(pageId: string, now = this.clock()): { holder: string; expires: number; expiresIn: number } | null {
    this.expire(now);
    const c = this.claims.get(pageId);
    return c ? { holder: c.holder, expires: c.expires, expiresIn: c.expires - now } : null;
  }

  /**
   * Whether `name` may submit `pageId`: yes when they hold it or nobody does (a
   * lapsed claim nobody took over costs nothing); no while someone else holds it.
   */
  checkSubmission(pageId: string, name: string, now = this.clock()): { ok: true } | { ok: false; holder: string; message: string } {
    const h = this.holderOf(pageId, now);
    if (!h || h.holder === name) return { ok: true };
    return { ok: false, holder: h.holder, message: `page "${pageId}" is claimed by ${h.holder} (${formatDuration(h.expiresIn)} left)` };
  }

  /** Every live claim, by page id, with the time left: the task list shows them as taken. */
  list(now = this.clock()): Array<Claim & { expiresIn: number }> {
    this.expire(now);
    return [...this.claims.values()].sort((a, b) => (a.pageId < b.pageId ? -1 : a.pageId > b.pageId ? 1 : 0)).map((c) => ({ ...c, expiresIn: c.expires - now }));
  }

  /** The live claims, to save. */
  snapshot(now = this.clock()): ClaimSnapshot {
    return {
      version: 1,
      claims: this.list(now).map((c) => ({ pageId: c.pageId, holder: c.holder, since: new Date(c.since).toISOString(), expires: new Date(c.expires).toISOString() })),
    };
  }

  private heldBy(name: string): Claim[] {
    return [...this.claims.values()].filter((c) => c.holder === name);
  }

  private expire(now: number): void {
    for (const [pageId, c] of this.claims) if (c.expires <= now) this.claims.delete(pageId);
  }

  private changed(now: number): void {
    this.onChange?.(this.snapshot(now));
  }
}

function taken(c: Claim, now: number): ClaimResult {
  const expiresIn = c.expires - now;
  return { ok: false, reason: 'taken', holder: c.holder, expires: c.expires, expiresIn, message: `page "${c.pageId}" is claimed by ${c.holder} (${formatDuration(expiresIn)} left)` };
}

/** "45 s", "4 min": time left as the page and messages show it (rounded up, so never "0 s" while held). */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

const claimSnapshot = z.strictObject({
  version: z.literal(1),
  claims: z.array(z.strictObject({ pageId: z.string().min(1), holder: z.string().min(1), since: z.iso.datetime(), expires: z.iso.datetime() })),
});
/** Claims as saved: `{ version: 1, claims: [{ pageId, holder, since, expires }] }`, times in ISO. */
export type ClaimSnapshot = z.infer<typeof claimSnapshot>;

/**
 * Claims saved in a file (`<store>/claims.json`), for a server that wants them
 * to outlive a restart: `new ClaimBoard({ initial: await f.load(), onChange: (s) => void f.save(s) })`.
 * Saves are written one after another in call order, so the last snapshot wins.
 */
export class ClaimFile {
  private readonly json: JsonFile<ClaimSnapshot>;

  constructor(readonly file: string) {
    this.json = new JsonFile(file, claimSnapshot, () => ({ version: 1, claims: [] }));
  }

  /** The saved claims (none when the file does not exist); a damaged file is an InputError naming it. */
  load(): Promise<ClaimSnapshot> {
    return this.json.read();
  }

  /** Replaces the saved claims with `snapshot`, atomically. */
  save(snapshot: ClaimSnapshot): Promise<void> {
    return this.json.update((value) => {
      value.claims = snapshot.claims;
    });
  }
}

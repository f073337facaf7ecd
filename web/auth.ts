// What the label server needs to let a team in safely: sessions from cookies,
// same-origin checks, bounded bodies, store paths that stay in the store, and
// where it may listen. Functions over requests and headers; no server here.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { can, type Action, type LabelerRegistry, type Session } from '../lib/labelers';

/** An error with the HTTP status to answer, and headers to send with it (e.g. `connection: close` after a 413). */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

type WithHeaders = { headers: IncomingHttpHeaders };

/** The session cookie's name. */
export const SESSION_COOKIE = 'cifar101_session';

/** The cookies of a request (`Cookie` header), first value of a name winning, values URI-decoded when they decode. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as sent: a malformed escape is not ours to fix
    }
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The session token the request carries in its cookie, or null. */
export function sessionTokenOf(req: WithHeaders): string | null {
  return parseCookies(req.headers.cookie).get(SESSION_COOKIE) || null;
}

/**
 * The `Set-Cookie` value that starts (or renews) a session: HttpOnly (page
 * scripts cannot read it), SameSite=Strict (other sites' requests do not carry
 * it), Path=/, Max-Age from the session's expiry, and Secure when served over TLS.
 */
export function sessionCookie(token: string, opts: { tls: boolean; expires: Date; now?: Date }): string {
  const maxAge = Math.max(0, Math.floor((opts.expires.getTime() - (opts.now ?? new Date()).getTime()) / 1000));
  return cookie(token, maxAge, opts.tls);
}

/** The `Set-Cookie` value that ends the session in the browser (sign-out, a refused token). */
export function clearSessionCookie(opts: { tls: boolean }): string {
  return cookie('', 0, opts.tls);
}

function cookie(value: string, maxAge: number, tls: boolean): string {
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`;
}

/**
 * The signed-in person behind a request: no cookie, or a token that is forged,
 * expired or revoked, is a 401. When `renewed`, send `sessionCookie` again.
 */
export async function authenticate(req: WithHeaders, registry: Pick<LabelerRegistry, 'session'>): Promise<Session> {
  const token = sessionTokenOf(req);
  if (!token) throw new HttpError(401, 'not signed in: open the login link an admin gave you');
  const session = await registry.session(token);
  if (!session) throw new HttpError(401, 'your session has ended (expired, signed out or revoked): ask an admin for a new login link');
  return session;
}

/** A 403 unless the person's role allows `action`. */
export function requireRole(session: Pick<Session, 'name' | 'role'>, action: Action): void {
  if (!can(session.role, action)) throw new HttpError(403, `${session.name} (${session.role}) may not ${action}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses (403) a state-changing request that does not come from the server's
 * own pages. The origin is the `Origin` header, else the `Referer`'s. With
 * neither, the request is refused too: every browser sends `Origin` on a POST,
 * so only a non-browser client lacks both, and it has no business with a
 * cookie session. `allowedOrigins` lists the origins the page is served under;
 * without it, the origin must match the request's own `Host` (fine beyond
 * loopback, where every request needs a session cookie bound to that host; on
 * loopback pass `loopbackOrigins`, or a DNS-rebinding page would pass as same-origin).
 */
export function checkSameOrigin(req: WithHeaders & { method?: string }, opts: { tls: boolean; allowedOrigins?: readonly string[] }): void {
  if (SAFE_METHODS.has((req.method ?? 'GET').toUpperCase())) return;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') throw new HttpError(403, `cross-origin request refused (Sec-Fetch-Site: ${site})`);
  const claimed = firstHeader(req.headers.origin) ?? firstHeader(req.headers.referer);
  if (!claimed) throw new HttpError(403, 'request refused: no Origin or Referer header (changes must come from the labeling page)');
  const origin = originOf(claimed);
  const host = firstHeader(req.headers.host);
  const allowed = opts.allowedOrigins?.map((o) => originOf(o)) ?? (host ? [originOf(`${opts.tls ? 'https' : 'http'}://${host}`)] : []);
  if (!origin || !allowed.includes(origin)) throw new HttpError(403, `cross-origin request refused (from ${claimed.slice(0, 200)})`);
}

/** The origins a page served on loopback port `port` has (127.0.0.1, localhost, [::1]). */
export function loopbackOrigins(port: number, tls: boolean): string[] {
  const scheme = tls ? 'https' : 'http';
  return ['127.0.0.1', 'localhost', '[::1]'].map((h) => `${scheme}://${h}:${port}`);
}

function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}

/**
 * The request body, at most `limit` bytes: a larger `Content-Length` is a 413
 * before reading, a body that grows past it (chunked, or a lying header) a 413
 * as soon as it does. The 413 asks for `connection: close`, so the server does
 * not read the rest of a huge body to reuse the connection.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `request body over ${limit} bytes`, { connection: 'close' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  // destroyOnReturn: false, so leaving the loop early does not tear the socket down before the 413 is sent.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The JSON body of a request, read with `readBody`. Only `application/json`
 * (415 otherwise): a cross-site form cannot send that without a CORS preflight
 * the server never grants. Malformed JSON is a 400.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send JSON (content-type: application/json)');
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** A store path's segments: letters, digits, `.`, `_`, `-` (what the store writes); no `%`, so no encoding trick gets through a second decode. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * The real path of a file inside the artifact store, from a store-relative
 * path the page sent (already URL-decoded once). A path that is not plainly
 * relative (absolute, `..`, `.`, empty segments, backslashes, `%`, NUL) is a
 * 400; a missing file, or one whose real path (symlinks followed) is outside
 * the store, is a 404. `ext` requires a file name ending.
 */
export async function resolveStorePath(root: string, relative: unknown, opts: { ext?: string } = {}): Promise<string> {
  const bad = (why: string) => new HttpError(400, `not a path in the artifact store (${why}): ${JSON.stringify(String(relative).slice(0, 200))}`);
  if (typeof relative !== 'string' || !relative) throw bad('empty');
  if (relative.length > 1024) throw bad('too long');
  for (const segment of relative.split('/')) {
    if (!SEGMENT.test(segment)) throw bad(relative.startsWith('/') ? 'absolute' : 'unexpected characters or an empty segment');
    if (segment === '.' || segment === '..') throw bad('a "." or ".." segment');
  }
  if (opts.ext && !relative.endsWith(opts.ext)) throw bad(`not a ${opts.ext} file`);
  const missing = () => new HttpError(404, `no such artifact: ${relative}`);
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(path.join(realRoot, relative));
  } catch {
    throw missing();
  }
  // A symlink inside the store may point anywhere; only what resolves inside it is served.
  if (!real.startsWith(realRoot + path.sep)) throw missing();
  if (!(await stat(real)).isFile()) throw missing();
  return real;
}

/**
 * Whether a listen address keeps the server on this machine: 127.0.0.0/8,
 * ::1 (also IPv4-mapped), `localhost`. Empty, `0.0.0.0` and `::` mean every
 * interface; any other name might resolve anywhere, so it is not loopback.
 */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.split('.')[0] === '127';
  if (isIP(h) !== 6) return false;
  const canonical = new URL(`http://[${h}]/`).hostname; // "[::1]", "[::ffff:7f00:1]"
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/**
 * Whether the server may listen on `host`, and what to warn about. Beyond
 * loopback every request must be signed in, so with nobody on the team the
 * server refuses; over plain HTTP there, cookies and login links cross the
 * network in clear text, so it warns.
 */
export function listenPolicy(host: string | undefined, opts: { labelers: number; tls: boolean }): { refuse: string | null; warn: string | null } {
  if (isLoopback(host)) return { refuse: null, warn: null };
  const where = host || 'every interface';
  if (opts.labelers < 1) {
    return { refuse: `refusing to listen on ${where}: beyond loopback everyone must sign in, and no labeler is defined (npx cifar101 labelers add NAME --role labeler)`, warn: null };
  }
  return {
    refuse: null,
    warn: opts.tls ? null : `serving plain HTTP on ${where}: session cookies and login links cross the network unencrypted; pass --tls-cert and --tls-key, or put a TLS proxy in front`,
  };
}

/**
 * The login link for a token. The token goes in the fragment (`#token=`):
 * browsers never send a fragment to the server, so link previewers (chat
 * unfurling) cannot spend the one-time token, and it stays out of proxy logs
 * and Referer headers; the login page's script posts it to the server.
 */
export function loginUrl(baseUrl: string, loginToken: string): string {
  const url = new URL('login', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.hash = `token=${loginToken}`;
  return url.toString();
}

/**
 * Headers for every response: no framing by other sites (a framed page could
 * be clicked into submitting), no MIME sniffing, Referer only to this origin,
 * and HSTS over TLS.
 */
export function securityHeaders(opts: { tls: boolean }): Record<string, string> {
  return {
    'x-frame-options': 'DENY',
    'content-security-policy': "frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    ...(opts.tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

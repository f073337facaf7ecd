import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelerRegistry } from '../../lib/labelers';
import {
  authenticate, checkSameOrigin, clearSessionCookie, HttpError, isLoopback, listenPolicy, loginUrl, loopbackOrigins,
  parseCookies, readJsonBody, requireRole, resolveStorePath, securityHeaders, sessionCookie, sessionTokenOf,
} from '../../web/auth';

/** The HttpError a call throws, to check status and message together. */
async function httpError(fn: () => unknown): Promise<{ status: number; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected an HttpError');
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'auth-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, with Max-Age, and Secure only over TLS', () => {
    const now = new Date('2026-12-01T09:00:00Z');
    const expires = new Date('2026-12-01T21:00:00Z');
    expect(sessionCookie('tok', { tls: false, expires, now })).toBe('cifar101_session=tok; Max-Age=43200; Path=/; HttpOnly; SameSite=Strict');
    expect(sessionCookie('tok', { tls: true, expires, now })).toBe('cifar101_session=tok; Max-Age=43200; Path=/; HttpOnly; SameSite=Strict; Secure');
    expect(clearSessionCookie({ tls: true })).toBe('cifar101_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict; Secure');
  });

  it('is found among other cookies; the first one of the name wins', () => {
    expect(sessionTokenOf({ headers: { cookie: 'theme=dark; cifar101_session=abc; cifar101_session=evil' } })).toBe('abc');
    expect(sessionTokenOf({ headers: {} })).toBeNull();
    expect(sessionTokenOf({ headers: { cookie: 'cifar101_session=' } })).toBeNull();
    expect([...parseCookies('a="b c"; broken; d=%zz; e=%41')]).toEqual([['a', 'b c'], ['d', '%zz'], ['e', 'A']]);
  });
});

describe('authenticate', () => {
  it('lets in a live session and answers 401 without one, with a forged token, or after revocation', async () => {
    const registry = new LabelerRegistry(path.join(tmp, 'team'));
    const { sessionToken } = await registry.login((await registry.add('alice', 'labeler')).loginToken);
    const withCookie = (token: string) => ({ headers: { cookie: `cifar101_session=${token}` } });
    expect(await authenticate(withCookie(sessionToken), registry)).toMatchObject({ name: 'alice', role: 'labeler' });
    expect(await httpError(() => authenticate({ headers: {} }, registry))).toEqual({ status: 401, message: 'not signed in: open the login link an admin gave you' });
    expect(await httpError(() => authenticate(withCookie('B'.repeat(43)), registry))).toMatchObject({ status: 401, message: expect.stringContaining('your session has ended') });
    await registry.revoke('alice');
    expect((await httpError(() => authenticate(withCookie(sessionToken), registry))).status).toBe(401);
  });

  it('answers 403 when the role does not allow the action', async () => {
    expect(() => requireRole({ name: 'alice', role: 'admin' }, 'verify')).not.toThrow();
    expect(await httpError(() => requireRole({ name: 'bob', role: 'labeler' }, 'verify'))).toEqual({ status: 403, message: 'bob (labeler) may not verify' });
  });
});

describe('checkSameOrigin', () => {
  const post = (headers: http.IncomingHttpHeaders) => ({ method: 'POST', headers: { host: 'label.example.org:8300', ...headers } });
  const refused = async (req: ReturnType<typeof post>, opts: Parameters<typeof checkSameOrigin>[1] = { tls: false }) => httpError(() => checkSameOrigin(req, opts));

  it('lets reads through and a POST from the page itself', () => {
    expect(() => checkSameOrigin({ method: 'GET', headers: {} }, { tls: false })).not.toThrow();
    expect(() => checkSameOrigin(post({ origin: 'http://label.example.org:8300' }), { tls: false })).not.toThrow();
    expect(() => checkSameOrigin(post({ referer: 'http://label.example.org:8300/?task=1' }), { tls: false })).not.toThrow();
    expect(() => checkSameOrigin(post({ origin: 'https://label.example.org:8300', 'sec-fetch-site': 'same-origin' }), { tls: true })).not.toThrow();
  });

  it('refuses a cross-origin POST with 403, by Origin, by Referer, or by Sec-Fetch-Site', async () => {
    expect(await refused(post({ origin: 'https://evil.example' }))).toEqual({ status: 403, message: 'cross-origin request refused (from https://evil.example)' });
    expect((await refused(post({ origin: 'null' }))).status).toBe(403);
    expect((await refused(post({ referer: 'https://evil.example/page' }))).status).toBe(403);
    expect((await refused(post({ origin: 'http://label.example.org:9999' }))).status).toBe(403);
    // the right host but plain HTTP to a TLS server is another origin
    expect((await refused(post({ origin: 'http://label.example.org:8300' }), { tls: true })).status).toBe(403);
    expect(await refused(post({ origin: 'http://label.example.org:8300', 'sec-fetch-site': 'cross-site' }))).toEqual({ status: 403, message: 'cross-origin request refused (Sec-Fetch-Site: cross-site)' });
  });

  it('refuses a POST with neither Origin nor Referer', async () => {
    expect(await refused(post({}))).toEqual({ status: 403, message: 'request refused: no Origin or Referer header (changes must come from the labeling page)' });
  });

  it('on loopback, with the loopback origins given, refuses a DNS-rebinding page that names itself as host', async () => {
    const opts = { tls: false, allowedOrigins: loopbackOrigins(8300, false) };
    expect(() => checkSameOrigin({ method: 'POST', headers: { host: 'localhost:8300', origin: 'http://localhost:8300' } }, opts)).not.toThrow();
    expect(() => checkSameOrigin({ method: 'POST', headers: { host: '[::1]:8300', origin: 'http://[::1]:8300' } }, opts)).not.toThrow();
    const rebound = { method: 'POST', headers: { host: 'rebind.evil.example:8300', origin: 'http://rebind.evil.example:8300' } };
    expect(() => checkSameOrigin(rebound, { tls: false })).not.toThrow(); // why loopback needs the list
    expect((await httpError(() => checkSameOrigin(rebound, opts))).status).toBe(403);
  });
});

describe('readJsonBody', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      void readJsonBody(req, 1024).then(
        (body) => res.end(JSON.stringify(body)),
        (err: HttpError) => {
          res.writeHead(err.status, err.headers);
          res.end(err.message);
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends `chunks` as the body (chunked, so without Content-Length unless given). */
  const send = (chunks: string[], headers: Record<string, string | number> = { 'content-type': 'application/json' }) =>
    new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
      });
      req.on('error', reject);
      let i = 0;
      const next = () => {
        if (i === chunks.length) return req.end();
        req.write(chunks[i++], next);
      };
      next();
    });

  it('reads a JSON body within the limit', async () => {
    expect(await send(['{"a":', '[1,2]}'])).toMatchObject({ status: 200, body: '{"a":[1,2]}' });
  });

  it('answers 413 to a declared oversized body before reading it, and to a chunked one that grows too large', async () => {
    // Content-Length says 5000 and one byte is sent: the server answers from the header alone.
    expect(await send(['x'], { 'content-type': 'application/json', 'content-length': 5000 })).toMatchObject({ status: 413, body: 'request body over 1024 bytes' });
    const chunked = await send(Array.from({ length: 8 }, () => 'y'.repeat(200)));
    expect(chunked).toMatchObject({ status: 413, body: 'request body over 1024 bytes', connection: 'close' });
  });

  it('answers 415 to another content type and 400 to malformed JSON', async () => {
    expect(await send(['a=1'], { 'content-type': 'application/x-www-form-urlencoded' })).toMatchObject({ status: 415 });
    expect(await send(['{"a":'])).toMatchObject({ status: 400, body: 'request body is not valid JSON' });
  });
});

describe('resolveStorePath', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(tmp, 'store');
    await mkdir(path.join(root, 'cache', 'stage', 'key'), { recursive: true });
    await mkdir(path.join(tmp, 'outside'), { recursive: true });
    await writeFile(path.join(root, 'cache', 'stage', 'key', 'images.npy'), 'npy');
    await writeFile(path.join(tmp, 'outside', 'secret.npy'), 'secret');
    await symlink(path.join(tmp, 'outside', 'secret.npy'), path.join(root, 'cache', 'escape.npy'));
    await symlink(path.join(tmp, 'outside'), path.join(root, 'cache', 'out'));
    await symlink(path.join(root, 'cache', 'stage', 'key', 'images.npy'), path.join(root, 'cache', 'inside.npy'));
  });

  it('resolves a store-relative path, following symlinks that stay in the store', async () => {
    const real = await realpath(path.join(root, 'cache', 'stage', 'key', 'images.npy'));
    expect(await resolveStorePath(root, 'cache/stage/key/images.npy', { ext: '.npy' })).toBe(real);
    expect(await resolveStorePath(root, 'cache/inside.npy')).toBe(real);
  });

  it('answers 400 to traversal, however it is spelled', async () => {
    const decoded = new URL('http://x/img/sheet?ref=%2e%2e%2f%2e%2e%2fetc%2fpasswd').searchParams.get('ref');
    expect(decoded).toBe('../../etc/passwd');
    for (const ref of [
      '../outside/secret.npy', 'cache/../../outside/secret.npy', decoded, '%2e%2e/outside/secret.npy', '%252e%252e/x.npy',
      '/etc/passwd', 'C:\\Windows\\x.npy', 'cache\\..\\..\\x.npy', 'cache/./stage/key/images.npy', 'cache//stage', 'a\0.npy', '', 'x'.repeat(2000), 42,
    ]) {
      expect((await httpError(() => resolveStorePath(root, ref))).status, String(ref)).toBe(400);
    }
    expect(await httpError(() => resolveStorePath(root, '../x'))).toEqual({ status: 400, message: 'not a path in the artifact store (a "." or ".." segment): "../x"' });
  });

  it('answers 404 to a missing file, a directory, and a symlink out of the store', async () => {
    expect(await httpError(() => resolveStorePath(root, 'cache/none.npy'))).toEqual({ status: 404, message: 'no such artifact: cache/none.npy' });
    expect((await httpError(() => resolveStorePath(root, 'cache/stage'))).status).toBe(404);
    expect(await httpError(() => resolveStorePath(root, 'cache/escape.npy'))).toEqual({ status: 404, message: 'no such artifact: cache/escape.npy' });
    expect((await httpError(() => resolveStorePath(root, 'cache/out/secret.npy'))).status).toBe(404);
  });

  it('answers 400 to another kind of file than asked for', async () => {
    expect((await httpError(() => resolveStorePath(root, 'cache/stage/key/images.npy', { ext: '.png' }))).status).toBe(400);
  });
});

describe('where the server may listen', () => {
  it('knows loopback addresses, and takes nothing else for one', () => {
    const yes = ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'];
    const no = ['0.0.0.0', '::', '', undefined, '192.168.1.5', '10.0.0.1', 'example.org', 'localhost.evil.example', '::ffff:10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io'];
    expect(yes.filter((h) => !isLoopback(h))).toEqual([]);
    expect(no.filter((h) => isLoopback(h))).toEqual([]);
  });

  it('refuses beyond loopback without labelers, and warns about plain HTTP there', () => {
    expect(listenPolicy('127.0.0.1', { labelers: 0, tls: false })).toEqual({ refuse: null, warn: null });
    expect(listenPolicy('0.0.0.0', { labelers: 0, tls: true }).refuse).toMatch(/^refusing to listen on 0\.0\.0\.0: .*no labeler is defined/);
    expect(listenPolicy(undefined, { labelers: 0, tls: false }).refuse).toMatch(/^refusing to listen on every interface/);
    expect(listenPolicy('0.0.0.0', { labelers: 2, tls: false })).toEqual({ refuse: null, warn: expect.stringMatching(/^serving plain HTTP on 0\.0\.0\.0/) });
    expect(listenPolicy('10.0.0.1', { labelers: 2, tls: true })).toEqual({ refuse: null, warn: null });
  });
});

describe('loginUrl and securityHeaders', () => {
  it('put the token in the fragment, never in what the server receives', () => {
    const url = new URL(loginUrl('https://label.example.org:8300', 'T0k_-'));
    expect(url.toString()).toBe('https://label.example.org:8300/login#token=T0k_-');
    expect(url.search).toBe('');
    expect(loginUrl('http://127.0.0.1:8300/lab/', 'x')).toBe('http://127.0.0.1:8300/lab/login#token=x');
  });

  it('forbid framing and sniffing, and add HSTS over TLS only', () => {
    expect(securityHeaders({ tls: false })).toEqual({
      'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'", 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin',
    });
    expect(securityHeaders({ tls: true })['strict-transport-security']).toBe('max-age=31536000');
  });
});

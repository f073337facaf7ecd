// Bad and hostile requests against a running label server, over HTTP, on a stand-in build
// (tests/browser/fake-build.workflow.ts: fixed rounds, the build's own validators) whose config
// asks for control images: each case answers with its status and reason, and the rounds'
// histories hold none of what was refused.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelerRegistry } from '../../lib/labelers';
import { type LabelPage, splitPages } from '../../lib/labeling';
import type { AdminPageResponse, BuildsResponse, LabelTask, QualityResponse } from '../../web/api';
import { startLabelServer } from '../../web/server';
import { roundPending, submitLabels } from '../../workflows/messages';
import type { PageDecision } from '../../workflows/types';
import { CANDIDATES, type FakeBuild, startFakeBuild } from '../browser/fake-build';
import { apiAs, type KnownTask, pendingOfBuild, signIn, writeImages } from '../browser/helpers';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
const page1 = (round: 1 | 2, className: string, keyword: string, offered: number[], rows: number[]): LabelPage =>
  splitPages({ round, className, keyword, needed: 2, offered, rows, preselect: round === 2, references: range(0, 6) })[0];
const rounds: Record<1 | 2, LabelPage[]> = {
  1: [page1(1, 'cat', 'tabby cat', range(1000, 12), range(0, 12)), page1(1, 'dog', 'puppy', range(2000, 8), range(12, 8))],
  2: [page1(2, 'cat', 'tabby cat', [1000, 1002, 1004], [0, 2, 4])],
};
const [TABBY, PUPPY] = rounds[1].map((p) => p.id);
const CONFIRM = rounds[2][0].id;

const release = `hostile${randomBytes(3).toString('hex')}`;
const workflowId = `cifar101-${release}-0123456789ab`;
let fake: FakeBuild;
let dir: string;
let store: string;
let client: FakeBuild['client'];
let server: FakeBuild['server'];
/** Session cookies: grace labels round 1 and is a verifier; alan labels; ada verifies; lin is the admin. */
const cookies: Record<string, string> = {};
const as = (name: string | null) => apiAs(server.url, name ? cookies[name] : null);
const json = async (res: Response) => [res.status, await res.json() as any] as const;
const taskQuery = (task: string) => `workflow=${encodeURIComponent(workflowId)}&task=${encodeURIComponent(task)}`;
const decision = (taskId: string, accepted: number[], requestId = randomBytes(8).toString('hex')) => ({ workflowId, requestId, decision: { taskId, accepted } });

beforeAll(async () => {
  fake = await startFakeBuild({
    name: 'hostile', workflowId, release, rounds, candidates: 20, cifar: 40, cifarLabels: true,
    // Round 2's page excludes its keyword's round-1 labeler, as confirmCandidates makes it.
    excluded: (round) => (round === 2 ? ['grace'] : undefined),
    config: { seed: 7, classes: CLASSES, labeling: { controls: { rate: 0.25, minAccuracy: 0.8, minControls: 2 } } },
  });
  ({ dir, store, client, server } = fake);
  for (const [name, role] of [['grace', 'verifier'], ['alan', 'labeler'], ['ada', 'verifier'], ['lin', 'admin'], ['mallory', 'labeler']] as const) {
    cookies[name] = await signIn(server.url, store, name, role);
  }
});

afterAll(() => fake?.close());

/** Sends a request with exactly these headers (fetch will not send a forged Host), and the answer. */
function raw(method: string, route: string, headers: Record<string, string | number>, body = ''): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(route, server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function roundPendingIds(round: 1 | 2): Promise<string[] | null> {
  return client.workflow.getHandle(`${workflowId}/round${round}`).query(roundPending).then((r) => r.pending, () => null);
}

async function until<T>(what: string, get: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await get();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tabby: KnownTask;
/** grace's accepted display indices on the tabby page: every other candidate, the positive controls, and one negative control (wrongly). */
let graceAccepts: number[];

describe('a label server refuses', () => {
  it('a request without a session, or with a forged or revoked token: 401', async () => {
    expect(await json(await as(null).get('/api/builds'))).toEqual([401, { error: 'not signed in: open the login link an admin gave you' }]);
    expect((await as(null).get(`/img/task?${taskQuery(TABBY)}`)).status).toBe(401);
    expect((await as(null).post('/api/labels', decision(TABBY, []))).status).toBe(401);
    const forged = apiAs(server.url, `cifar101_session=${'A'.repeat(43)}`);
    const res = await forged.get('/api/me');
    expect(await json(res)).toEqual([401, { error: 'your session has ended (expired, signed out or revoked): ask an admin for a new login link' }]);
    expect(res.headers.get('set-cookie')).toBe('cifar101_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict'); // the browser drops it
    expect((await as('mallory').get('/api/me')).status).toBe(200);
    await new LabelerRegistry(store).revoke('mallory'); // as `cifar101 labelers revoke mallory` does, from another process
    expect((await as('mallory').get('/api/me')).status).toBe(401);
    expect((await as('mallory').post('/api/labels', decision(TABBY, [0]))).status).toBe(401);
  });

  it('a login link used twice, or made up', async () => {
    const { loginToken } = await new LabelerRegistry(store).add('kim', 'labeler');
    const login = (token: string) => as(null).post('/api/login', { token });
    const first = await login(loginToken);
    expect(await json(first)).toEqual([200, { name: 'kim', role: 'labeler', can: { label: true, verify: false, review: false, administer: false } }]);
    expect(first.headers.get('set-cookie')).toMatch(/^cifar101_session=[A-Za-z0-9_-]{43}; Max-Age=43[12]\d\d; Path=\/; HttpOnly; SameSite=Strict$/);
    const [status, body] = await json(await login(loginToken));
    expect(status).toBe(401);
    expect(body.error).toMatch(/^this login link was already used \(.+\); ask an admin for a new one$/);
    expect(await json(await login('x'.repeat(43)))).toEqual([401, { error: 'not a valid login link (it may have been replaced by a newer one)' }]);
  });

  it('a cross-origin POST, one with no origin, and one from a DNS-rebinding page: 403', async () => {
    const grace = { cookie: cookies.grace, 'content-type': 'application/json' };
    const port = new URL(server.url).port;
    const body = JSON.stringify(decision(TABBY, [0]));
    const evil = await raw('POST', '/api/labels', { ...grace, host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, body);
    expect([evil.status, JSON.parse(evil.body)]).toEqual([403, { error: 'cross-origin request refused (from http://evil.example)' }]);
    const none = await raw('POST', '/api/labels', { ...grace, host: `127.0.0.1:${port}` }, body);
    expect([none.status, JSON.parse(none.body)]).toEqual([403, { error: 'request refused: no Origin or Referer header (changes must come from the labeling page)' }]);
    // A page on rebind.example whose name resolves to 127.0.0.1 is same-origin with itself, but not one of the server's origins.
    const rebound = await raw('POST', '/api/labels', { ...grace, host: `rebind.example:${port}`, origin: `http://rebind.example:${port}` }, body);
    expect(rebound.status).toBe(403);
    const fetched = await raw('POST', '/api/labels', { ...grace, host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'cross-site' }, body);
    expect(JSON.parse(fetched.body)).toEqual({ error: 'cross-origin request refused (Sec-Fetch-Site: cross-site)' });
    // Signing someone in from another site (login CSRF) is refused the same way.
    expect((await raw('POST', '/api/login', { host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'content-type': 'application/json' }, '{"token":"x"}')).status).toBe(403);
    expect(await roundPendingIds(1)).toEqual([TABBY, PUPPY]);
  });

  it('a task claimed by someone else: others see it taken, and opening or submitting it is 409', async () => {
    const [status, { task }] = await json(await as('grace').get(`/api/task?${taskQuery(TABBY)}`)) as [number, { task: LabelTask }];
    expect(status).toBe(200);
    // 12 candidates and 4 hidden controls (a quarter of what is shown); nothing says which is which.
    expect(Object.keys(task).sort()).toEqual(['claim', 'className', 'digest', 'id', 'items', 'keyword', 'needed', 'references', 'round']);
    expect(task).toMatchObject({ id: TABBY, items: 16, references: 6, claim: { leaseMs: 300_000, expiresIn: 300_000 } });
    const { builds } = await (await as('alan').get('/api/builds')).json() as BuildsResponse;
    expect(builds[0].tasks.map((t) => [t.id, t.offered, t.claim?.holder ?? null, t.claim?.mine ?? null])).toEqual([[TABBY, 16, 'grace', false], [PUPPY, 11, null, null]]);
    const taken = [409, { error: `page "${TABBY}" is claimed by grace (5 min left)` }];
    expect(await json(await as('alan').get(`/api/task?${taskQuery(TABBY)}`))).toEqual(taken);
    expect(await json(await as('alan').post('/api/labels', decision(TABBY, [0, 1])))).toEqual(taken);
    expect(await json(await as('alan').post('/api/claim', { workflowId, taskId: TABBY }))).toEqual(taken);
    expect(await json(await as('grace').post('/api/claim', { workflowId, taskId: TABBY }))).toEqual([200, { expiresIn: 300_000 }]);
  });

  it('a submission for an image not offered, or listed twice: 409 with the reason', async () => {
    expect(await json(await as('grace').post('/api/labels', decision(TABBY, [0, 16])))).toEqual([409, { error: `image 16 was not offered in task "${TABBY}" (it shows 16)` }]);
    expect(await json(await as('grace').post('/api/labels', decision(TABBY, [-1])))).toEqual([409, { error: `image -1 was not offered in task "${TABBY}" (it shows 16)` }]);
    expect(await json(await as('grace').post('/api/labels', decision(TABBY, [2, 2])))).toEqual([409, { error: 'image 2 is listed twice' }]);
    expect(await json(await as('grace').post('/api/labels', decision('r1/cat/nothing', [0])))).toEqual([404, { error: `task "r1/cat/nothing" is not pending in ${workflowId}` }]);
    expect(await json(await as('grace').post('/api/labels', { workflowId, decision: { taskId: TABBY, accepted: [0] } }))).toEqual([400, { error: 'requestId is missing' }]);
    expect(await roundPendingIds(1)).toEqual([TABBY, PUPPY]);
  });

  it('an oversized body: 413, without reading it, and the connection closes', async () => {
    const port = new URL(server.url).port;
    const res = await raw('POST', '/api/labels', {
      cookie: cookies.grace, host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': 300_000,
    }, '{"workflowId":');
    expect([res.status, JSON.parse(res.body), res.headers.connection]).toEqual([413, { error: 'request body over 262144 bytes' }, 'close']);
  });

  it('an image outside the store: 400 or 404', async () => {
    const sheet = (refPath: string, who = 'lin') => as(who).get(`/img/sheet?ref=${refPath}&rows=0`);
    expect(await json(await sheet(encodeURIComponent('../../../etc/passwd.npy')))).toEqual([400, { error: 'not a path in the artifact store (a "." or ".." segment): "../../../etc/passwd.npy"' }]);
    expect((await sheet(encodeURIComponent('/etc/passwd.npy'))).status).toBe(400);
    expect((await sheet('cache%2F..%2F..%2Fsecret.npy')).status).toBe(400);
    expect((await sheet('%252e%252e%252fsecret.npy')).status).toBe(400); // encoded twice: "%" is no store path's
    expect((await sheet(encodeURIComponent('cache/missing.npy'))).status).toBe(404);
    await writeImages(path.join(dir, 'secret.npy'), 1);
    await symlink(path.join(dir, 'secret.npy'), path.join(store, 'cache', 'link.npy'));
    expect(await json(await sheet(encodeURIComponent('cache/link.npy')))).toEqual([404, { error: 'no such artifact: cache/link.npy' }]);
    expect((await sheet(encodeURIComponent(CANDIDATES))).status).toBe(200);
    // The store's arrays by path are for reviewers (near-duplicates) and admins; a labeler sees a task's images only.
    expect(await json(await sheet(encodeURIComponent(CANDIDATES), 'alan'))).toEqual([403, { error: 'alan (labeler) may not review' }]);
    expect((await as('alan').get(`/img/task?${taskQuery('../../../etc/passwd')}`)).status).toBe(404);
    const png = await as('alan').get(`/img/task?${taskQuery(TABBY)}&cols=16&scale=1`);
    expect([png.status, png.headers.get('content-type')]).toEqual([200, 'image/png']);
  });

  it('answers a retried submission (the same request id) once, and records it once; the id cannot be reused for another task', async () => {
    tabby = (await pendingOfBuild(client, store, workflowId))!.tasks.find((t) => t.id === TABBY)!;
    expect(tabby.shown.filter((s) => s.kind === 'control').map((s) => (s as { expected: boolean }).expected).sort()).toEqual([false, false, true, true]);
    let wrong = 1;
    graceAccepts = tabby.shown.flatMap((s, i) => {
      if (s.kind === 'candidate') return s.ti % 2 === 0 ? [i] : [];
      if (s.expected) return [i];
      return wrong-- > 0 ? [i] : [];
    });
    // The body's name for the labeler is ignored: decisions are signed with the session's.
    const body = { ...decision(TABBY, graceAccepts, 'retried-request-1'), labeler: 'mallory' };
    const answers = await Promise.all([as('grace').post('/api/labels', body), as('grace').post('/api/labels', body)]);
    for (const res of answers) expect(await json(res)).toEqual([200, { accepted: 9 }]);
    expect(await json(await as('grace').post('/api/labels', body))).toEqual([200, { accepted: 9 }]);
    expect(await json(await as('grace').post('/api/labels', decision(PUPPY, [0], 'retried-request-1')))).toEqual([409, { error: `request retried-request-1 was already used for task "${TABBY}"` }]);
    expect(await roundPendingIds(1)).toEqual([PUPPY]);
    // Temporal itself records an Update id once: what makes a retry after a restart of the server safe.
    const puppy = rounds[1][1];
    const send = () => client.workflow.getHandle(`${workflowId}/round1`).executeUpdate(submitLabels, {
      args: [{ decisions: [{ page: PUPPY, digest: puppy.digest, accepted: [1, 3], labeler: 'alan', at: new Date().toISOString(), via: 'page' }] }],
      updateId: 'page-alan-direct-1',
    });
    expect(await send()).toEqual({ recorded: 1 });
    expect(await send()).toEqual({ recorded: 1 });
  });

  it('a verifier on their own round-1 keyword, up front and in the workflow\'s validator; a labeler in round 2', async () => {
    await until('round 2', () => roundPendingIds(2));
    const rule = `two-person rule: grace made round-1 decisions on this keyword and cannot confirm them (page "${CONFIRM}")`;
    const { builds } = await (await as('grace').get('/api/builds')).json() as BuildsResponse;
    expect(builds[0].tasks.map((t) => [t.id, t.blocked])).toEqual([[CONFIRM, rule]]);
    expect(await json(await as('grace').get(`/api/task?${taskQuery(CONFIRM)}`))).toEqual([409, { error: rule }]);
    expect(await json(await as('grace').post('/api/labels', decision(CONFIRM, [0, 1, 2])))).toEqual([409, { error: rule }]);
    // Sent straight to the round (a client that is not the page): the validator refuses it with the same words.
    const direct = client.workflow.getHandle(`${workflowId}/round2`).executeUpdate(submitLabels, {
      args: [{ decisions: [{ page: CONFIRM, digest: rounds[2][0].digest, accepted: [0], labeler: 'grace', at: new Date().toISOString(), via: 'page' }] }],
    });
    await expect(direct).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(direct).rejects.toMatchObject({ cause: { message: rule } });
    expect(await json(await as('alan').get(`/api/task?${taskQuery(CONFIRM)}`))).toEqual([403, { error: 'alan (labeler) may not verify' }]);
    expect(await json(await as('ada').post('/api/labels', decision(CONFIRM, [0, 2])))).toEqual([200, { accepted: 2 }]);
  });

  it('records nothing it refused: the rounds\' histories hold the three accepted decisions only, signed by the session', async () => {
    const result = await fake.handle.result();
    const positions = tabby.shown.flatMap((s) => (s.kind === 'candidate' && s.ti % 2 === 0 ? [s.ti - 1000] : []));
    expect(result.decisions.map((d) => [d.page, d.accepted, d.labeler, d.via])).toEqual([
      [TABBY, positions, 'grace', 'page'],
      [PUPPY, [1, 3], 'alan', 'page'],
      [CONFIRM, [0, 2], 'ada', 'page'],
    ]);
    const accepted: PageDecision[] = [];
    for (const round of [1, 2]) {
      const history = await client.workflow.getHandle(`${workflowId}/round${round}`).fetchHistory();
      for (const e of history.events ?? []) {
        const input = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads?.[0];
        if (input) accepted.push(...(defaultPayloadConverter.fromPayload(input) as { decisions: PageDecision[] }).decisions);
      }
    }
    expect(accepted.map((d) => [d.page, d.labeler])).toEqual([[TABBY, 'grace'], [PUPPY, 'alan'], [CONFIRM, 'ada']]);
  });

  it('keeps control answers apart from the decisions, and scores them on the admin\'s quality route', async () => {
    const lines = async (file: string) => (await readFile(path.join(store, 'labeling', file), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const decisions = await lines('decisions.jsonl');
    expect(decisions.map((d) => [d.labeler, d.pageId, d.accepted.length, d.offered.length])).toEqual([['grace', TABBY, 6, 12], ['ada', CONFIRM, 2, 3]]);
    expect(decisions[0].offered).toEqual(range(1000, 12)); // candidates only
    const controls = await lines('controls.jsonl');
    expect(controls.map((c) => [c.labeler, c.expected, c.answered]).sort()).toEqual([['grace', false, false], ['grace', false, true], ['grace', true, true], ['grace', true, true]]);
    expect(await json(await as('grace').get('/api/quality'))).toEqual([403, { error: 'grace (verifier) may not administer' }]);
    const quality = await (await as('lin').get('/api/quality')).json() as QualityResponse;
    const grace = quality.labelers.find((l) => l.labeler === 'grace')!;
    expect(grace.controls).toMatchObject({ answered: 4, correct: 3, accuracy: 0.75 });
    expect(grace.flagReason).toBe('control accuracy 75% (3 of 4) is under 80%');
    expect(quality.review.map((r) => [r.labeler, r.pages.map((p) => p.pageId)])).toEqual([['grace', [TABBY]]]);
    const page = await (await as('lin').get(`/api/admin/page?entry=${quality.review[0].pages[0].entry}`)).json() as AdminPageResponse;
    expect(page.accepted).toEqual(range(0, 12).map((i) => i % 2 === 0));
    expect(quality.team.map((t) => [t.name, t.role, t.revoked !== null])).toContainEqual(['mallory', 'labeler', true]);
  });
});

describe('where a label server listens', () => {
  it('refuses beyond loopback with nobody on the team; warns over plain HTTP there', async () => {
    const empty = path.join(dir, 'empty-store');
    await mkdir(empty);
    await expect(startLabelServer({ client, storeRoot: empty, host: '0.0.0.0' })).rejects.toThrow(
      '--host: refusing to listen on 0.0.0.0: beyond loopback everyone must sign in, and no labeler is defined (npx cifar101 labelers add NAME --role labeler)');
    const open = await startLabelServer({ client, storeRoot: store, host: '0.0.0.0' });
    try {
      expect(open.warning).toBe('serving plain HTTP on 0.0.0.0: session cookies and login links cross the network unencrypted; pass --tls-cert and --tls-key, or put a TLS proxy in front');
    } finally {
      await open.close();
    }
  });

  it('serves HTTPS with --tls-cert/--tls-key: Secure cookies, HSTS, and no warning', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const pem = { cert: await readFile(cert), key: await readFile(key) };
    const tls = await startLabelServer({ client, storeRoot: store, host: '0.0.0.0', tls: pem });
    try {
      expect(tls.warning).toBeNull();
      const port = new URL(tls.url).port;
      expect(tls.url).toBe(`https://0.0.0.0:${port}/`);
      const { loginToken } = await new LabelerRegistry(store).add('tess', 'labeler');
      const res = await new Promise<http.IncomingMessage & { text: string }>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: '/api/login', method: 'POST', ca: pem.cert, headers: { 'content-type': 'application/json', origin: `https://127.0.0.1:${port}` } }, (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c));
          r.on('end', () => resolve(Object.assign(r, { text })));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ token: loginToken }));
      });
      expect([res.statusCode, JSON.parse(res.text).name]).toEqual([200, 'tess']);
      expect(res.headers['set-cookie']?.[0]).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await tls.close();
    }
  });
});

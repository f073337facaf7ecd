// The labeling server for a team: the page, its JSON API over the running builds, and the images.
// Everyone signs in with a one-time login link (lib/labelers.ts); every route but the page itself
// and the login needs that session, every change must come from the page's own origin, and every
// decision is signed with the session's name, never with anything the request says.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import { ClaimBoard } from '../lib/claims';
import { InputError, innermostMessage } from '../lib/errors';
import { labelerQuality, DEFAULT_QUALITY_OPTIONS } from '../lib/labeler-quality';
import { AccessDenied, ACTIONS, can, LabelerRegistry, type Session } from '../lib/labelers';
import { acceptedOf, type LabelPage, PageReader } from '../lib/labeling';
import { splitSubmission } from '../lib/controls';
import { ArtifactStore } from '../lib/store';
import { reviewDuplicates, submitLabels } from '../workflows/messages';
import type { ArtifactRef, DuplicatePair, PageDecision } from '../workflows/types';
import { HANDING_OVER, twoPersonRule } from '../workflows/validators';
import {
  ClaimRequest, DuplicatesRequest, LabelsRequest, LoginRequest,
  type AdminPageResponse, type BuildsResponse, type ClaimResponse, type DuplicatesResponse, type ErrorResponse, type LabelsResponse,
  type Me, type QualityResponse, type ReviewPage, type ReviewResponse, type TaskResponse, type TaskSummary,
} from './api';
import {
  authenticate, checkSameOrigin, clearSessionCookie, HttpError, isLoopback, listenPolicy, loopbackOrigins, readJsonBody,
  requireRole, securityHeaders, sessionCookie, sessionTokenOf,
} from './auth';
import { type BuildPending, queryPending, runningBuilds } from './builds';
import { ImageSource } from './images';
import { LabelingLog, type LoggedDecision } from './labeling-log';
import { type BuildSettings, buildSettings, TaskPlanner, taskSheet } from './tasks';

export interface LabelServerOptions {
  client: Client;
  /** The artifact store root (`--out`): the builds' images, the team (labelers.json) and the labeling log. */
  storeRoot: string;
  /** Only builds of this release. */
  release?: string;
  /** Temporal Web UI base URL and namespace, for links to each build's history. */
  uiUrl?: string | null;
  namespace?: string;
  /** How long opening a task claims it without renewal (default 5 min; the page renews it while the person works). */
  claimMs?: number;
}

/** How the server is reached: over TLS or not, and the origins its page has (on loopback; else its Host). */
export interface Site {
  tls: boolean;
  allowedOrigins?: string[];
}

const PAGE_DIR = path.join(__dirname, 'page');

let pageScript: Promise<string> | undefined;

/**
 * The page's script: web/page/app.ts and what it imports, bundled by esbuild
 * in memory, once per process (tens of milliseconds). Bundled from the source
 * when the server runs rather than by a build step, so that a fresh clone
 * needs none and the page served is always the page checked in.
 */
function bundlePage(): Promise<string> {
  pageScript ??= build({
    entryPoints: [path.join(PAGE_DIR, 'app.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0].text);
  pageScript.catch(() => (pageScript = undefined)); // a failed bundle is tried again at the next request
  return pageScript;
}

const indexHtml = () => readFile(path.join(PAGE_DIR, 'index.html'));
/** The page and its parts: public (they hold no data); `/login` is the page too, where it takes the link's token. */
const STATIC: Record<string, { type: string; body: () => Promise<string | Buffer> }> = {
  '/': { type: 'text/html; charset=utf-8', body: indexHtml },
  '/login': { type: 'text/html; charset=utf-8', body: indexHtml },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: bundlePage },
  '/style.css': { type: 'text/css; charset=utf-8', body: () => readFile(path.join(PAGE_DIR, 'style.css')) },
};
/** Most images one sheet request may ask for, and the largest scale: a sheet stays a few MB at most. */
const MAX_ROWS = 2048;
const MAX_SCALE = 8;
/** A decision of the largest page (5,000 images and their controls) is under 64 KB of JSON; other bodies are tiny. */
const MAX_BODY = 256 * 1024;
const MAX_SMALL_BODY = 4 * 1024;
/**
 * Updates this server has in flight per workflow at once: Temporal takes at
 * most 10 per execution and refuses more, so a team submitting together
 * queues here instead of seeing errors.
 */
const MAX_IN_FLIGHT = 8;

/** How often a submission is sent while a round hands over to its next execution (a second or two at most), 250 ms apart. */
const HAND_OVER_TRIES = 40;

/** What a route gets: the request, its URL, and (except the login) the signed-in person. */
interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  session: Session;
}
type Route = (ctx: Ctx) => Promise<unknown>;

/** A page of the round a build waits for, whether it is still pending, and who may not answer it. */
interface RoundTask {
  build: BuildPending;
  /** The round's workflow (the Updates go there). */
  roundId: string;
  page: LabelPage;
  reader: PageReader;
  pages: ArtifactRef;
  pending: boolean;
  excluded: string[];
}

/** The HTTP handler of the labeling app (not listening yet); `close` releases the open image files. */
export function createLabelApp(opts: LabelServerOptions, site: Site = { tls: false }): { handler: http.RequestListener; close: () => Promise<void> } {
  const images = new ImageSource(opts.storeRoot);
  const store = new ArtifactStore(opts.storeRoot);
  const registry = new LabelerRegistry(opts.storeRoot);
  const log = new LabelingLog(opts.storeRoot);
  const planner = new TaskPlanner(store);
  const namespace = opts.namespace ?? 'default';
  const historyUrl = (workflowId: string) => (opts.uiUrl ? `${opts.uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}` : null);
  const limited = limiter(MAX_IN_FLIGHT);
  // A round's pages never change under their store path: read each index once.
  const readers = new Map<string, Promise<PageReader>>();
  const pagesOf = (ref: ArtifactRef) => cached(readers, ref.path, () => PageReader.open(store, ref));
  // A build's config never changes under its workflow ID (the ID holds the config's hash).
  const settings = new Map<string, Promise<BuildSettings>>();
  const settingsOf = (workflowId: string) => cached(settings, workflowId, () => buildSettings(opts.client, workflowId, namespace));
  // Claims live in memory, one board per round's workflow (page ids repeat across builds): see lib/claims.ts.
  const boards = new Map<string, ClaimBoard>();
  const boardOf = (roundId: string) => {
    let board = boards.get(roundId);
    if (!board) boards.set(roundId, (board = new ClaimBoard({ leaseMs: opts.claimMs })));
    return board;
  };
  /** When each person first opened a page they have not submitted yet (the log's openedAt). */
  const opened = new Map<string, string>();
  /** Submissions being sent, by person and request id: a retry sent meanwhile waits for the same answer. */
  const inflight = new Map<string, { task: string; result: Promise<unknown> }>();
  /** Reviews answered, by person and request id: the review is gone once accepted, so a retry is answered from here. */
  const reviewed = new Map<string, { workflowId: string; result: ReviewResponse }>();

  bundlePage().catch(() => undefined); // ready by the first request; a failure is answered there

  const routes: Record<string, Route> = {
    'GET /api/me': async ({ session }) => me(session),

    'POST /api/logout': async ({ req, res, session }) => {
      await registry.logout(sessionTokenOf(req) ?? '');
      for (const board of boards.values()) board.releaseAll(session.name);
      res.setHeader('set-cookie', clearSessionCookie(site));
      return { signedOut: session.name };
    },

    'GET /api/builds': async ({ session }): Promise<BuildsResponse> => {
      const builds = await runningBuilds(opts.client, await store.id(), opts.release);
      return {
        release: opts.release ?? null,
        builds: await Promise.all(builds.map(async (b) => ({
          workflowId: b.workflowId,
          release: b.release,
          stage: b.stage,
          ...(b.error ? { error: b.error } : {}),
          historyUrl: historyUrl(b.workflowId),
          tasks: await pendingTasks(b, session),
          duplicates: b.pending?.duplicates
            ? { round: b.pending.duplicates.round, pairs: b.pending.duplicates.count, blocked: can(session.role, 'review') ? null : `reviewing near-duplicates needs the reviewer role (${session.name} is a ${session.role})` }
            : null,
        }))),
      };
    },

    'GET /api/task': async ({ url, session }): Promise<TaskResponse> => {
      const workflowId = param(url, 'workflow');
      const task = await roundTask(workflowId, param(url, 'task'));
      if (!task.pending) throw new HttpError(404, `task "${task.page.id}" is not pending in ${workflowId}`);
      checkMayAnswer(session, task);
      const claim = boardOf(task.roundId).claim(task.page.id, session.name);
      if (!claim.ok) throw new HttpError(409, claim.message);
      const openKey = `${session.name}\0${task.roundId}\0${task.page.id}`;
      if (!opened.has(openKey)) opened.set(openKey, new Date().toISOString());
      const { page } = task;
      const items = await planner.items(await settingsOf(workflowId), page, task.reader.index);
      const preselected = new Set(page.preselected ?? []);
      return {
        workflowId,
        historyUrl: historyUrl(workflowId),
        task: {
          id: page.id, round: page.round, className: page.className, keyword: page.keyword, digest: page.digest, needed: page.needed,
          items: items.length,
          ...(page.preselected ? { preselected: items.flatMap((item, i) => (item.kind === 'candidate' && preselected.has(item.position) ? [i] : [])) } : {}),
          references: page.references.length,
          claim: { expiresIn: claim.expiresIn, leaseMs: boardOf(task.roundId).leaseMs },
        },
      };
    },

    'POST /api/claim': async ({ req, session }): Promise<ClaimResponse> => {
      const { workflowId, taskId } = await jsonBody(req, ClaimRequest, MAX_SMALL_BODY);
      const task = await roundTask(workflowId, taskId);
      if (!task.pending) throw new HttpError(404, `task "${taskId}" is not pending in ${workflowId}`);
      checkMayAnswer(session, task);
      const board = boardOf(task.roundId);
      let claim = board.renew(taskId, session.name);
      if (!claim.ok && claim.reason === 'not-held') claim = board.claim(taskId, session.name); // lapsed: take it again if nobody has
      if (!claim.ok) throw new HttpError(409, claim.message);
      return { expiresIn: claim.expiresIn };
    },

    'POST /api/release': async ({ req, session }) => {
      const { workflowId, taskId } = await jsonBody(req, ClaimRequest, MAX_SMALL_BODY);
      const build = await queryPending(opts.client, workflowId);
      const released = build.round ? boardOf(build.round.workflowId).release(taskId, session.name) : false;
      return { released };
    },

    'POST /api/labels': async ({ req, session }): Promise<LabelsResponse> => {
      const body = await jsonBody(req, LabelsRequest, MAX_BODY);
      const key = `${session.name}\0${body.requestId}`;
      const task = `${body.workflowId}\0${body.decision.taskId}`;
      const usedFor = (other: string) => new HttpError(409, `request ${body.requestId} was already used for task "${other.split('\0')[1]}"`);
      const running = inflight.get(key);
      if (running) {
        if (running.task !== task) throw usedFor(running.task);
        return running.result as Promise<LabelsResponse>;
      }
      // Registered before anything is awaited, so a retry arriving meanwhile waits for this one.
      const result = (async (): Promise<LabelsResponse> => {
        const logged = await log.request(session.name, body.requestId);
        if (!logged) return submitDecision(session, body);
        if (`${logged.build}\0${logged.pageId}` !== task) throw usedFor(`${logged.build}\0${logged.pageId}`);
        return { accepted: logged.selected };
      })();
      inflight.set(key, { task, result });
      try {
        return await result;
      } finally {
        inflight.delete(key);
      }
    },

    'GET /api/duplicates': async ({ url, session }): Promise<DuplicatesResponse> => {
      requireRole(session, 'review');
      const workflowId = param(url, 'workflow');
      const { pending, pairs } = await pendingPairs(workflowId);
      return { workflowId, historyUrl: historyUrl(workflowId), duplicates: { round: pending.round, pairs, candidates: pending.candidates, cifar: pending.cifar } };
    },

    'POST /api/duplicates': async ({ req, session }): Promise<ReviewResponse> => {
      requireRole(session, 'review');
      const { workflowId, requestId, review } = await jsonBody(req, DuplicatesRequest, MAX_BODY);
      const key = `${session.name}\0${requestId}`;
      const done = reviewed.get(key);
      if (done) {
        if (done.workflowId !== workflowId) throw new HttpError(409, `request ${requestId} was already used for another review`);
        return done.result;
      }
      const { pending, pairs } = await pendingPairs(workflowId);
      const position = new Map(pairs.map((p, i) => [p.id, i]));
      const positions = (ids: string[]) => ids.map((id) => {
        if (!position.has(id)) throw new HttpError(409, `pair "${id}" is not under review`);
        return position.get(id)!;
      });
      const args = { round: review.round, digest: pending.digest, confirmed: positions(review.confirmed), dismissed: positions(review.dismissed), labeler: session.name, at: new Date().toISOString() };
      const result = await limited(workflowId, () => update(workflowId, () => opts.client.workflow.getHandle(workflowId).executeUpdate(reviewDuplicates, {
        args: [args], updateId: `review-${session.name}-${requestId}`,
      })));
      reviewed.set(key, { workflowId, result });
      return result;
    },

    'GET /api/quality': async ({ session }): Promise<QualityResponse> => {
      requireRole(session, 'administer');
      const { decisions, controls } = await log.read();
      const options = await qualityOptions(decisions);
      const labelers = labelerQuality(decisions, controls, options);
      const review = labelers.filter((l) => l.flagged).map((l) => ({
        labeler: l.labeler,
        pages: decisions.flatMap((d, entry) => (d.labeler === l.labeler ? [reviewPage(d, entry)] : [])).reverse(),
      }));
      const claims = [...boards].flatMap(([workflowId, board]) => board.list().map((c) => ({ workflowId, pageId: c.pageId, holder: c.holder, expiresIn: c.expiresIn })));
      return { options: { minAccuracy: options.minAccuracy, minControls: options.minControls }, labelers, review, team: await registry.list(), claims };
    },

    'GET /api/admin/page': async ({ url, session }): Promise<AdminPageResponse> => {
      requireRole(session, 'administer');
      const entry = int(url, 'entry', 0, Number.MAX_SAFE_INTEGER);
      const d = (await log.read()).decisions[entry];
      if (!d) throw new HttpError(404, `no logged decision ${entry}`);
      const reader = await pagesOf({ path: d.pages, sha256: '', bytes: 0 });
      const page = await reader.page(d.pageId);
      if (!page) throw new HttpError(404, `page "${d.pageId}" is no longer in the store (${d.pages})`);
      const accepted = new Set(d.accepted);
      return { page: { ...reviewPage(d, entry), labeler: d.labeler }, images: reader.index.images, rows: page.rows, accepted: page.offered.map((ti) => accepted.has(ti)) };
    },
  };

  function me(session: Pick<Session, 'name' | 'role'>): Me {
    return { name: session.name, role: session.role, can: Object.fromEntries(ACTIONS.map((a) => [a, can(session.role, a)])) as Me['can'] };
  }

  /** The pending pages of the round a build waits for, as the task list shows them to `session`. */
  async function pendingTasks(build: BuildPending, session: Session): Promise<TaskSummary[]> {
    const round = build.round;
    if (!round?.pages) return [];
    const pending = new Set(round.pending);
    const [{ index }, config] = await Promise.all([pagesOf(round.pages), settingsOf(build.workflowId)]);
    const board = boardOf(round.workflowId);
    return index.pages.filter((p) => pending.has(p.id)).map((p) => {
      const held = board.holderOf(p.id);
      return {
        id: p.id, round: round.round, className: p.className, keyword: p.keyword, needed: p.needed,
        offered: TaskPlanner.shown(config, { round: round.round, className: p.className, count: p.count }),
        claim: held ? { holder: held.holder, expiresIn: held.expiresIn, mine: held.holder === session.name } : null,
        blocked: whyNot(session, round.round, p.id, round.excluded?.[p.id] ?? []),
      };
    });
  }

  /** Why `session` may not answer a page, or null: the role (round 2 needs a verifier), the two-person rule. */
  function whyNot(session: Session, round: 1 | 2, pageId: string, excluded: string[]): string | null {
    const action = round === 1 ? 'label' : 'verify';
    if (!can(session.role, action)) return `${session.name} (${session.role}) may not ${action}`;
    if (excluded.includes(session.name)) return twoPersonRule(session.name, pageId);
    return null;
  }

  /** A 403 when the role may not answer the task's round; a 409, as the round's validator says it, under the two-person rule. */
  function checkMayAnswer(session: Session, task: RoundTask): void {
    requireRole(session, task.page.round === 1 ? 'label' : 'verify');
    if (task.excluded.includes(session.name)) throw new HttpError(409, twoPersonRule(session.name, task.page.id));
  }

  /** A page of the round a build waits for (pending or already decided), and that round's workflow. */
  async function roundTask(workflowId: string, pageId: string): Promise<RoundTask> {
    const build = await queryPending(opts.client, workflowId);
    if (!build.pending) throw new HttpError(404, `${workflowId}: ${build.error}`);
    const round = build.round;
    if (!round?.pages) throw new HttpError(404, `task "${pageId}" is not pending in ${workflowId} (the build is at ${build.stage})`);
    const reader = await pagesOf(round.pages);
    const page = await reader.page(pageId);
    if (!page) throw new HttpError(404, `task "${pageId}" is not pending in ${workflowId}`);
    return { build, roundId: round.workflowId, page, reader, pages: round.pages, pending: round.pending.includes(pageId), excluded: round.excluded?.[pageId] ?? [] };
  }

  /**
   * Sends one page decision as the round's Update, signed with the session's
   * name, its id the request's: Temporal records an Update id once, so a
   * retry that reaches it again (after this server lost track: a restart) is
   * answered with the first one's outcome and recorded once.
   */
  async function submitDecision(session: Session, body: LabelsRequest): Promise<LabelsResponse> {
    const task = await roundTask(body.workflowId, body.decision.taskId);
    const { page } = task;
    checkMayAnswer(session, task);
    const board = boardOf(task.roundId);
    if (task.pending) {
      const claim = board.checkSubmission(page.id, session.name);
      if (!claim.ok) throw new HttpError(409, claim.message);
    }
    const items = await planner.items(await settingsOf(body.workflowId), page, task.reader.index);
    const seen = new Set<number>();
    for (const i of body.decision.accepted) {
      if (i < 0 || i >= items.length) throw new HttpError(409, `image ${i} was not offered in task "${page.id}" (it shows ${items.length})`);
      if (seen.has(i)) throw new HttpError(409, `image ${i} is listed twice`);
      seen.add(i);
    }
    const { candidatePositionsAccepted: accepted, controlAnswers } = splitSubmission(items, body.decision.accepted);
    const submittedAt = new Date().toISOString();
    const decision: PageDecision = { page: page.id, digest: page.digest, accepted, labeler: session.name, at: submittedAt, via: 'page' };
    await limited(task.roundId, () => update(task.roundId, () => opts.client.workflow.getHandle(task.roundId).executeUpdate(submitLabels, {
      args: [{ decisions: [decision] }], updateId: `page-${session.name}-${body.requestId}`,
    })));
    const openKey = `${session.name}\0${task.roundId}\0${page.id}`;
    const record: LoggedDecision = {
      labeler: session.name, round: page.round, pageId: page.id, className: page.className, keyword: page.keyword,
      offered: page.offered, accepted: acceptedOf(page, accepted), openedAt: opened.get(openKey) ?? submittedAt, submittedAt,
      workflowId: task.roundId, build: body.workflowId, requestId: body.requestId, pages: task.pages.path, selected: body.decision.accepted.length,
    };
    await log.append(record, controlAnswers.map((c) => ({ labeler: session.name, pageId: page.id, expected: c.expected, answered: c.answered, at: submittedAt, requestId: body.requestId, id: c.id, cifarRow: c.cifarRow })));
    opened.delete(openKey);
    board.release(page.id, session.name);
    return { accepted: body.decision.accepted.length };
  }

  async function pendingPairs(workflowId: string) {
    const build = await queryPending(opts.client, workflowId);
    if (!build.pending) throw new HttpError(404, `${workflowId}: ${build.error}`);
    const pending = build.pending.duplicates;
    if (!pending) throw new HttpError(404, `no near-duplicate review is pending in ${workflowId}`);
    return { pending, pairs: await store.readJson<DuplicatePair[]>(pending.pairs) };
  }

  /**
   * Sends an Update; the build's validator rejecting it is a 409 with the validator's message. A round
   * handing over to its next execution (past its Update budget) refuses everything for a moment: sent
   * again, under the same id, until the next execution takes it.
   */
  async function update<T>(workflowId: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          const message = innermostMessage(err);
          if (message.includes(HANDING_OVER) && attempt < HAND_OVER_TRIES) {
            await new Promise((resolve) => setTimeout(resolve, 250));
            continue;
          }
          throw new HttpError(409, message);
        }
        if (err instanceof WorkflowNotFoundError) throw new HttpError(404, `no running build ${workflowId}`);
        throw new HttpError(502, `${workflowId}: ${innermostMessage(err)}`);
      }
    }
  }

  /** The flagging thresholds: those of the config of the latest build in the log with controls, else the defaults. */
  async function qualityOptions(decisions: LoggedDecision[]) {
    for (const workflowId of [...new Set(decisions.map((d) => d.build).reverse())]) {
      const controls = (await settingsOf(workflowId).catch(() => null))?.controls;
      if (controls) return { ...DEFAULT_QUALITY_OPTIONS, minAccuracy: controls.minAccuracy, minControls: controls.minControls };
    }
    return DEFAULT_QUALITY_OPTIONS;
  }

  async function serveImage(res: http.ServerResponse, url: URL, session: Session): Promise<void> {
    let png: Buffer;
    const scale = int(url, 'scale', 1, MAX_SCALE, 4);
    try {
      if (url.pathname === '/img/task') {
        // A task's images by display index: the page never learns which are controls.
        const workflowId = param(url, 'workflow');
        const task = await roundTask(workflowId, param(url, 'task'));
        requireRole(session, task.page.round === 1 ? 'label' : 'verify');
        const { page, reader } = task;
        if (url.searchParams.has('reference')) {
          const i = int(url, 'reference', 0, page.references.length - 1);
          png = await images.sheet(reader.index.cifarImages.path, [page.references[i]], 1, scale);
        } else {
          const items = await planner.items(await settingsOf(workflowId), page, reader.index);
          png = await taskSheet(images, { page, index: reader.index, items }, { columns: int(url, 'cols', 1, 256, 16), scale });
        }
      } else {
        // Rows of any image array of the store: for the near-duplicate review and the admin's look at a page.
        requireRole(session, 'review');
        const single = url.pathname === '/img/candidate';
        const rows = single ? [int(url, 'row', 0, Number.MAX_SAFE_INTEGER)] : intList(url, 'rows');
        png = await images.sheet(param(url, 'ref'), rows, single ? 1 : int(url, 'cols', 1, 256, 16), scale);
      }
    } catch (err) {
      if (err instanceof InputError) throw new HttpError(400, err.message);
      throw err;
    }
    // Store files never change under a path (it holds their content key), nor does a page under its digest.
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'private, max-age=86400' });
    res.end(png);
  }

  /** POST /api/login: a login link's token for a session cookie (the link works once). */
  async function login(req: http.IncomingMessage, res: http.ServerResponse): Promise<Me> {
    const { token } = await jsonBody(req, LoginRequest, MAX_SMALL_BODY);
    const session = await registry.login(token);
    res.setHeader('set-cookie', sessionCookie(session.sessionToken, { tls: site.tls, expires: session.expires }));
    return me(session);
  }

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    for (const [name, value] of Object.entries(securityHeaders(site))) res.setHeader(name, value);
    void (async () => {
      try {
        if (req.method === 'GET' && STATIC[url.pathname]) {
          const { type, body: read } = STATIC[url.pathname];
          const body = await read();
          res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
          res.end(body);
          return;
        }
        checkSameOrigin(req, site);
        if (route === 'POST /api/login') {
          sendJson(res, 200, await login(req, res));
          return;
        }
        if (!routes[route] && !(req.method === 'GET' && url.pathname.startsWith('/img/'))) throw new HttpError(404, `no route ${route}`);
        const session = await authenticate(req, registry);
        if (session.renewed) res.setHeader('set-cookie', sessionCookie(sessionTokenOf(req)!, { tls: site.tls, expires: session.expires }));
        if (routes[route]) sendJson(res, 200, await routes[route]({ req, res, url, session }));
        else if (['/img/task', '/img/sheet', '/img/candidate'].includes(url.pathname)) await serveImage(res, url, session);
        else throw new HttpError(404, `no route ${route}`);
      } catch (err) {
        const status = err instanceof HttpError ? err.status : err instanceof AccessDenied ? 401 : 500;
        if (status === 500) console.error(`label server: ${route}:`, err);
        if (res.headersSent) {
          res.end();
          return;
        }
        if (err instanceof HttpError) for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
        // A refused session cookie is of no more use to the browser.
        if (status === 401 && sessionTokenOf(req)) res.setHeader('set-cookie', clearSessionCookie(site));
        sendJson(res, status, { error: innermostMessage(err) } satisfies ErrorResponse);
      }
    })();
  };
  return { handler, close: () => images.close() };
}

export interface StartOptions extends LabelServerOptions {
  /** Where to listen (default 127.0.0.1); beyond loopback only with someone on the team. */
  host?: string;
  port?: number;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/**
 * Starts the labeling server on host:port (port 0: any free one). Beyond
 * loopback it refuses to start with nobody on the team (an InputError), and
 * over plain HTTP there it starts with a `warning` to show.
 */
export async function startLabelServer(opts: StartOptions): Promise<{ url: string; warning: string | null; close: () => Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  const site: Site = { tls: Boolean(opts.tls) };
  const policy = listenPolicy(host, { labelers: await new LabelerRegistry(opts.storeRoot).activeCount(), tls: site.tls });
  if (policy.refuse) throw new InputError(policy.refuse, '--host');
  const app = createLabelApp(opts, site);
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, app.handler) : http.createServer(app.handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // On loopback the page's origins are known: a DNS-rebinding page naming itself as the host is not one of them.
  if (isLoopback(host)) site.allowedOrigins = loopbackOrigins(port, site.tls);
  return {
    url: `${site.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    warning: policy.warn,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

/** A promise kept by key, forgotten if it fails (so the next call tries again). */
function cached<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let found = map.get(key);
  if (!found) {
    found = make();
    map.set(key, found);
    found.catch(() => map.delete(key));
  }
  return found;
}

/** Runs calls with at most `limit` at once per key, the rest in order of arrival. */
function limiter(limit: number) {
  const keys = new Map<string, { running: number; waiting: Array<() => void> }>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    let state = keys.get(key);
    if (!state) keys.set(key, (state = { running: 0, waiting: [] }));
    if (state.running < limit) state.running++;
    else await new Promise<void>((resolve) => state.waiting.push(resolve)); // the finishing call hands its slot over
    try {
      return await fn();
    } finally {
      const next = state.waiting.shift();
      if (next) next();
      else if (--state.running === 0) keys.delete(key);
    }
  };
}

function reviewPage(d: LoggedDecision, entry: number): ReviewPage {
  return { entry, workflowId: d.build, round: d.round, pageId: d.pageId, className: d.className, keyword: d.keyword, offered: d.offered.length, accepted: d.accepted.length, submittedAt: d.submittedAt };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** The JSON body of a POST (at most `limit` bytes, `application/json`), checked against its schema: a 400 names the field at fault. */
async function jsonBody<T>(req: http.IncomingMessage, schema: z.ZodType<T>, limit: number): Promise<T> {
  const parsed = schema.safeParse(await readJsonBody(req, limit));
  if (!parsed.success) throw new HttpError(400, parsed.error.issues[0].message);
  return parsed.data;
}

function param(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (!value) throw new HttpError(400, `missing query parameter "${name}"`);
  return value;
}

function int(url: URL, name: string, min: number, max: number, fallback?: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null && fallback !== undefined) return fallback;
  const value = Number(raw);
  if (raw === null || raw === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `"${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function intList(url: URL, name: string): number[] {
  const raw = param(url, name);
  const values = raw.split(',').map(Number);
  if (values.length > MAX_ROWS || !values.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new HttpError(400, `"${name}" must be up to ${MAX_ROWS} comma-separated row numbers`);
  }
  return values;
}

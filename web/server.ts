// The labeling server: the page, its JSON API over the running builds, and the images.
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import { InputError, innermostMessage } from '../lib/errors';
import { type LabelPage, PageReader, positionsOf } from '../lib/labeling';
import { ArtifactStore } from '../lib/store';
import { reviewDuplicates, submitLabels } from '../workflows/messages';
import type { ArtifactRef, DuplicatePair } from '../workflows/types';
import { DuplicatesRequest, LabelsRequest, type BuildsResponse, type DuplicatesResponse, type DuplicatesWork, type ErrorResponse, type LabelsResponse, type LabelTask, type ReviewResponse, type TaskResponse } from './api';
import { type BuildPending, queryPending, runningBuilds } from './builds';
import { ImageSource } from './images';

export interface LabelServerOptions {
  client: Client;
  /** The artifact store root (`--out`), where the images of the builds are. */
  storeRoot: string;
  /** Only builds of this release. */
  release?: string;
  /** Temporal Web UI base URL and namespace, for links to each build's history. */
  uiUrl?: string | null;
  namespace?: string;
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

const STATIC: Record<string, { type: string; body: () => Promise<string | Buffer> }> = {
  '/': { type: 'text/html; charset=utf-8', body: () => readFile(path.join(PAGE_DIR, 'index.html')) },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: bundlePage },
  '/style.css': { type: 'text/css; charset=utf-8', body: () => readFile(path.join(PAGE_DIR, 'style.css')) },
};
/** Most images one sheet request may ask for, and the largest scale: a sheet stays a few MB at most. */
const MAX_ROWS = 2048;
const MAX_SCALE = 8;
const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The HTTP handler of the labeling app (not listening yet); `close` releases the open image files. */
export function createLabelApp(opts: LabelServerOptions): { handler: http.RequestListener; close: () => Promise<void> } {
  const images = new ImageSource(opts.storeRoot);
  const store = new ArtifactStore(opts.storeRoot);
  const namespace = opts.namespace ?? 'default';
  const historyUrl = (workflowId: string) => (opts.uiUrl ? `${opts.uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}` : null);
  // A round's pages never change under their store path: read each index once.
  const readers = new Map<string, Promise<PageReader>>();
  const pagesOf = (ref: ArtifactRef) => {
    let reader = readers.get(ref.path);
    if (!reader) {
      reader = PageReader.open(store, ref);
      readers.set(ref.path, reader);
      reader.catch(() => readers.delete(ref.path));
    }
    return reader;
  };

  bundlePage().catch(() => undefined); // ready by the first request; a failure is answered there

  const routes: Record<string, (req: http.IncomingMessage, url: URL) => Promise<unknown>> = {
    'GET /api/builds': async (): Promise<BuildsResponse> => {
      const builds = await runningBuilds(opts.client, await store.id(), opts.release);
      return {
        release: opts.release ?? null,
        builds: await Promise.all(builds.map(async (b) => ({
          workflowId: b.workflowId,
          release: b.release,
          stage: b.stage,
          ...(b.error ? { error: b.error } : {}),
          historyUrl: historyUrl(b.workflowId),
          tasks: await pendingTasks(b),
          duplicates: b.pending?.duplicates ? { round: b.pending.duplicates.round, pairs: b.pending.duplicates.count } : null,
        }))),
      };
    },
    'GET /api/task': async (_req, url): Promise<TaskResponse> => {
      const workflowId = param(url, 'workflow');
      const { page, reader } = await pendingPage(workflowId, param(url, 'task'));
      return { workflowId, historyUrl: historyUrl(workflowId), task: taskOf(page, reader) };
    },
    'GET /api/duplicates': async (_req, url): Promise<DuplicatesResponse> => {
      const workflowId = param(url, 'workflow');
      const { pending, pairs } = await pendingPairs(workflowId);
      const duplicates: DuplicatesWork = { round: pending.round, pairs, candidates: pending.candidates, cifar: pending.cifar };
      return { workflowId, historyUrl: historyUrl(workflowId), duplicates };
    },
    'POST /api/labels': async (req): Promise<LabelsResponse> => {
      const { workflowId, decision } = await jsonBody(req, LabelsRequest);
      const { page, round } = await pendingPage(workflowId, decision.taskId);
      const twice = decision.accepted.find((ti, i) => decision.accepted.indexOf(ti) !== i);
      if (twice !== undefined) throw new HttpError(409, `image ${twice} is listed twice`);
      const found = positionsOf(page, decision.accepted);
      if ('foreign' in found) throw new HttpError(409, `image ${found.foreign[0]} was not offered in task "${page.id}"`);
      await update(round, () => opts.client.workflow.getHandle(round).executeUpdate(submitLabels, {
        args: [{ decisions: [{ page: page.id, digest: page.digest, accepted: found.positions, labeler: decision.labeler, at: decision.at, via: 'page' }] }],
      }));
      return { accepted: found.positions.length };
    },
    'POST /api/duplicates': async (req): Promise<ReviewResponse> => {
      const { workflowId, review } = await jsonBody(req, DuplicatesRequest);
      const { pending, pairs } = await pendingPairs(workflowId);
      const position = new Map(pairs.map((p, i) => [p.id, i]));
      const positions = (ids: string[]) => ids.map((id) => {
        if (!position.has(id)) throw new HttpError(409, `pair "${id}" is not under review`);
        return position.get(id)!;
      });
      return update(workflowId, () => opts.client.workflow.getHandle(workflowId).executeUpdate(reviewDuplicates, {
        args: [{ round: review.round, digest: pending.digest, confirmed: positions(review.confirmed), dismissed: positions(review.dismissed), labeler: review.labeler, at: review.at }],
      }));
    },
  };

  /** The pending pages of the round a build waits for, as the task list shows them. */
  async function pendingTasks(build: BuildPending) {
    if (!build.round?.pages) return [];
    const pending = new Set(build.round.pending);
    const { index } = await pagesOf(build.round.pages);
    return index.pages.filter((p) => pending.has(p.id)).map((p) => ({
      id: p.id, round: build.round!.round, className: p.className, keyword: p.keyword, needed: p.needed, offered: p.count,
    }));
  }

  /** A page the build's current round still waits for, and the round's workflow. */
  async function pendingPage(workflowId: string, pageId: string): Promise<{ page: LabelPage; reader: PageReader; round: string }> {
    const build = await queryPending(opts.client, workflowId);
    if (!build.pending) throw new HttpError(404, `${workflowId}: ${build.error}`);
    if (!build.round?.pages || !build.round.pending.includes(pageId)) throw new HttpError(404, `task "${pageId}" is not pending in ${workflowId}`);
    const reader = await pagesOf(build.round.pages);
    const page = await reader.page(pageId);
    if (!page) throw new HttpError(404, `task "${pageId}" is not in the round's pages`);
    return { page, reader, round: build.round.workflowId };
  }

  async function pendingPairs(workflowId: string) {
    const build = await queryPending(opts.client, workflowId);
    if (!build.pending) throw new HttpError(404, `${workflowId}: ${build.error}`);
    const pending = build.pending.duplicates;
    if (!pending) throw new HttpError(404, `no near-duplicate review is pending in ${workflowId}`);
    return { pending, pairs: await store.readJson<DuplicatePair[]>(pending.pairs) };
  }

  /** Sends an Update; the build's validator rejecting it is a 409 with the validator's message. */
  async function update<T>(workflowId: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, innermostMessage(err));
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, `no running build ${workflowId}`);
      throw new HttpError(502, `${workflowId}: ${innermostMessage(err)}`);
    }
  }

  async function serveImage(res: http.ServerResponse, url: URL, single: boolean): Promise<void> {
    const ref = param(url, 'ref');
    const rows = single ? [int(url, 'row', 0, Number.MAX_SAFE_INTEGER)] : intList(url, 'rows');
    const cols = single ? 1 : int(url, 'cols', 1, 256, 16);
    const scale = int(url, 'scale', 1, MAX_SCALE, 4);
    let png: Buffer;
    try {
      png = await images.sheet(ref, rows, cols, scale);
    } catch (err) {
      if (err instanceof InputError) throw new HttpError(/no such artifact/.test(err.message) ? 404 : 400, err.message);
      throw err;
    }
    // Store files never change under a path (it holds their content key).
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'cache-control': 'private, max-age=86400' });
    res.end(png);
  }

  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    void (async () => {
      try {
        if (req.method === 'GET' && STATIC[url.pathname]) {
          const { type, body: read } = STATIC[url.pathname];
          const body = await read();
          res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
          res.end(body);
        } else if (req.method === 'GET' && (url.pathname === '/img/sheet' || url.pathname === '/img/candidate')) {
          await serveImage(res, url, url.pathname === '/img/candidate');
        } else if (routes[route]) {
          sendJson(res, 200, await routes[route](req, url));
        } else {
          throw new HttpError(404, `no route ${route}`);
        }
      } catch (err) {
        const status = err instanceof HttpError ? err.status : 500;
        if (status === 500) console.error(`label server: ${route}:`, err);
        if (!res.headersSent) sendJson(res, status, { error: innermostMessage(err) } satisfies ErrorResponse);
        else res.end();
      }
    })();
  };
  return { handler, close: () => images.close() };
}

/** Starts the labeling server on host:port (port 0: any free one). */
export async function startLabelServer(opts: LabelServerOptions & { host?: string; port?: number }): Promise<{ url: string; close: () => Promise<void> }> {
  const app = createLabelApp(opts);
  const server = http.createServer(app.handler);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

/** A page as the labeling page shows it: TinyImages indices, pre-selected ones among them. */
function taskOf(page: LabelPage, reader: PageReader): LabelTask {
  return {
    id: page.id, round: page.round, className: page.className, keyword: page.keyword, offered: page.offered,
    ...(page.preselected ? { preselected: page.preselected.map((p) => page.offered[p]) } : {}),
    needed: page.needed, images: reader.index.images, rows: page.rows, references: page.references, cifarImages: reader.index.cifarImages,
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * The JSON body of a POST, checked against its schema (a 400 names the field at fault). Only
 * `application/json`: a cross-site form cannot send that without the page's consent (CORS).
 */
async function jsonBody<T>(req: http.IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send JSON (content-type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(body);
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

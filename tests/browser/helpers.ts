// Shared by the browser and HTTP tests: Debian's chromium through playwright-core, small image arrays,
// signing in to a label server, and what a build's tasks show (the server's own display plan).
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { writeNpy } from '../../lib/formats/npy';
import { LabelerRegistry, type Role } from '../../lib/labelers';
import { type LabelPage, PageReader } from '../../lib/labeling';
import { ArtifactStore } from '../../lib/store';
import { loginUrl } from '../../web/auth';
import { queryPending } from '../../web/builds';
import { buildSettings, TaskPlanner } from '../../web/tasks';
import type { DuplicatesPending } from '../../workflows/types';

/** Where Debian's `chromium` package puts the browser; CHROMIUM overrides it. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Headless chromium, with nothing that reaches for the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A PNG of a local HTML file as chromium shows it, at `width`×`height` (or the whole page); the
 * README's picture of a release report comes from a real build this way:
 * `npx tsx -e "require('./tests/browser/helpers').screenshotFile('artifacts/releases/v6/report.html', 'report.png')"`.
 */
export async function screenshotFile(
  file: string,
  out: string,
  { width = 1280, height = 1100, fullPage = false, browser }: { width?: number; height?: number; fullPage?: boolean; browser?: Browser } = {},
): Promise<void> {
  const owned = browser ? null : await launchChromium();
  const page = await (browser ?? owned!).newPage({ viewport: { width, height } });
  try {
    await page.goto(`file://${path.resolve(file)}`, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage });
  } finally {
    await page.close();
    await owned?.close();
  }
}

/** A 32×32 RGB image that differs from every other index: a hue from `i`, stripes whose width is `i % 7 + 1`. */
export function syntheticImage(i: number): Uint8Array {
  const px = new Uint8Array(32 * 32 * 3);
  const hue = (i * 47) % 360;
  const [r, g, b] = [0, 120, 240].map((shift) => Math.round(127 + 120 * Math.cos(((hue - shift) * Math.PI) / 180)));
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const light = Math.floor((x + y) / ((i % 7) + 1)) % 2 === 0 ? 1 : 0.55;
      const o = (y * 32 + x) * 3;
      px[o] = r * light;
      px[o + 1] = g * light;
      px[o + 2] = b * light;
    }
  }
  return px;
}

/** Writes `count` synthetic images (starting at `first`) as an uint8 N×32×32×3 .npy. */
export async function writeImages(file: string, count: number, first = 0): Promise<Uint8Array> {
  const data = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) data.set(syntheticImage(first + i), i * 3072);
  await writeNpy(file, { dtype: 'uint8', shape: [count, 32, 32, 3], data });
  return data;
}

/**
 * Makes the page's next POST to /api/labels carry `extra` among its accepted display indices, as a tampered
 * client would send it. Done in the page, around its `fetch`: routing the request through the
 * DevTools protocol needs its body, which chromium does not always hand over (the handler then
 * throws and the request hangs).
 */
export async function tamperNextSubmission(page: Page, extra: number): Promise<void> {
  await page.evaluate((image) => {
    const w = globalThis as unknown as { fetch: (url: unknown, init?: { body?: unknown }) => Promise<unknown> };
    const original = w.fetch;
    w.fetch = (url, init) => {
      if (String(url).endsWith('/api/labels') && typeof init?.body === 'string') {
        w.fetch = original;
        const body = JSON.parse(init.body);
        body.decision.accepted.push(image);
        return original(url, { ...init, body: JSON.stringify(body) });
      }
      return original(url, init);
    };
  }, extra);
}

/** Adds `name` to the store's team in `role` and gives their one-time login link for the server at `serverUrl`. */
export async function addToTeam(serverUrl: string, storeRoot: string, name: string, role: Role): Promise<string> {
  const { loginToken } = await new LabelerRegistry(storeRoot).add(name, role);
  return loginUrl(serverUrl, loginToken);
}

/** Signs `name` in through the server's login route, as their link's page does: their session cookie (`name=value`). */
export async function signIn(serverUrl: string, storeRoot: string, name: string, role: Role): Promise<string> {
  const link = new URL(await addToTeam(serverUrl, storeRoot, name, role));
  const token = new URLSearchParams(link.hash.slice(1)).get('token');
  const res = await fetch(new URL('/api/login', serverUrl), {
    method: 'POST', headers: { 'content-type': 'application/json', origin: new URL(serverUrl).origin }, body: JSON.stringify({ token }),
  });
  if (!res.ok) throw new Error(`login of ${name}: ${res.status} ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0];
}

/** A browser context of its own (its own cookies: another person) signed in as `name` by opening their login link. */
export async function personInBrowser(browser: Browser, serverUrl: string, storeRoot: string, name: string, role: Role, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(await addToTeam(serverUrl, storeRoot, name, role));
  await page.waitForSelector('#who:not([hidden])');
  return page;
}

/** Calls to the label server's API as one signed-in person (the cookie), from the page's origin. */
export function apiAs(serverUrl: string, cookie: string | null) {
  const headers = (extra: Record<string, string> = {}) => ({ origin: new URL(serverUrl).origin, ...(cookie ? { cookie } : {}), ...extra });
  return {
    get: (route: string) => fetch(new URL(route, serverUrl), { headers: headers() }),
    post: (route: string, body: unknown, extra: Record<string, string> = {}) =>
      fetch(new URL(route, serverUrl), { method: 'POST', headers: headers({ 'content-type': 'application/json', ...extra }), body: JSON.stringify(body) }),
  };
}

/** One image of a task in display order: a candidate (its TinyImages index) or a hidden control (its right answer). */
export type ShownImage = { kind: 'candidate'; ti: number } | { kind: 'control'; expected: boolean };

/** A pending task as the test knows it: the page in the store and what the server shows of it, controls included. */
export interface KnownTask {
  id: string;
  round: 1 | 2;
  className: string;
  keyword: string;
  page: LabelPage;
  shown: ShownImage[];
}

/**
 * What a build waits for, from the build and the store (not through the server, whose task route claims
 * what it opens): its pending pages with their display lists as the server plans them, and its near-duplicate review.
 */
export async function pendingOfBuild(client: Client, storeRoot: string, workflowId: string): Promise<{ stage: string; tasks: KnownTask[]; duplicates: DuplicatesPending | null } | null> {
  const build = await queryPending(client, workflowId);
  if (!build.pending) return null;
  const tasks: KnownTask[] = [];
  if (build.round?.pages) {
    const store = new ArtifactStore(storeRoot);
    const reader = await PageReader.open(store, build.round.pages);
    const settings = await buildSettings(client, workflowId);
    const planner = new TaskPlanner(store);
    for (const id of build.round.pending) {
      const page = (await reader.page(id))!;
      const items = await planner.items(settings, page, reader.index);
      tasks.push({
        id, round: page.round, className: page.className, keyword: page.keyword, page,
        shown: items.map((item) => (item.kind === 'candidate' ? { kind: 'candidate', ti: page.offered[item.position] } : { kind: 'control', expected: item.expected })),
      });
    }
    const order = new Map(reader.index.pages.map((p, i) => [p.id, i]));
    tasks.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  }
  return { stage: build.stage, tasks, duplicates: build.pending.duplicates };
}

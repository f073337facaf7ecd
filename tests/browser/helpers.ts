// Shared by the browser tests: Debian's chromium through playwright-core, and small image arrays.
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeNpy } from '../../lib/formats/npy';
import type { BuildsResponse, DuplicatesWork, LabelTask } from '../../web/api';

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
 * Makes the page's next POST to /api/labels carry `extra` among its accepted images, as a tampered
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

/** What a build waits for, as the label server at `serverUrl` tells the page: its pending tasks (whole) and near-duplicate pairs. */
export async function pendingViaServer(serverUrl: string, workflowId: string): Promise<{ stage: string; tasks: LabelTask[]; duplicates: DuplicatesWork | null } | null> {
  const get = async <T>(route: string): Promise<T> => {
    const res = await fetch(new URL(route, serverUrl));
    if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const { builds } = await get<BuildsResponse>('/api/builds');
  const build = builds.find((b) => b.workflowId === workflowId);
  if (!build || build.error) return null;
  const q = (task?: string) => `workflow=${encodeURIComponent(workflowId)}${task ? `&task=${encodeURIComponent(task)}` : ''}`;
  const tasks = await Promise.all(build.tasks.map(async (t) => (await get<{ task: LabelTask }>(`/api/task?${q(t.id)}`)).task));
  const duplicates = build.duplicates ? (await get<{ duplicates: DuplicatesWork }>(`/api/duplicates?${q()}`)).duplicates : null;
  return { stage: build.stage, tasks, duplicates };
}

// The report of a real release (a demo v4 build), opened from disk in chromium: no console error,
// every image drawn, and its numbers equal to the release's own files (provenance, exclusions,
// labels, the evaluation's accuracy and agreement tables).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readNpy } from '../../lib/formats/npy';
import { EXCLUSION_REASONS, exclusionCounts, type ExclusionRow } from '../../lib/provenance';
import { runBuild } from '../../worker/build';
import { readJsonLines } from '../../worker/explain';
import { tempDir, uniqueQueue, useTestServer, writeConfigs } from '../helpers/build';
import { keepScreenshot } from '../helpers/screenshots';
import { launchChromium } from './helpers';

let outDir: string;
let release: string;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  useTestServer();
  // The report links to the build's workflows in the Web UI of the server it ran on.
  process.env.TEMPORAL_UI_URL = inject('temporalUi');
  outDir = await tempDir('release-report');
  const { result } = await runBuild({ config: (await writeConfigs(outDir)).v4, outDir, quiet: true, taskQueue: uniqueQueue('report') });
  release = result.releaseDir;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`file://${path.join(release, 'report.html')}`, { waitUntil: 'load' });
}, 600_000);

afterAll(() => browser?.close());

const numbers = (selector: string, attr: string) =>
  page.$$eval(selector, (els, a) => Object.fromEntries(els.map((e: any) => [e.getAttribute(a), Number(e.dataset.value)])), attr);

describe('the report of a demo v4 release', () => {
  it('renders from disk with no console error, every image drawn', async () => {
    expect(problems).toEqual([]);
    const images = await page.$$eval('img', (imgs) => imgs.map((i: any) => i.complete && i.naturalWidth > 0));
    expect(images.length).toBeGreaterThanOrEqual(10);
    expect(images.every(Boolean)).toBe(true);
    await page.screenshot({ path: path.join(outDir, 'report.png') });
    await keepScreenshot(path.join(outDir, 'report.png'), 'release-report.png');
  });

  it('shows the numbers of the release\'s files', async () => {
    const provenance = await readJsonLines(path.join(release, 'cifar10.1_v4_provenance.jsonl'));
    const exclusions = await readJsonLines<ExclusionRow>(path.join(release, 'cifar10.1_v4_exclusions.jsonl'));
    const totals = await numbers('[data-total]', 'data-total');
    expect(totals.images).toBe(provenance.length);
    expect(totals.candidates).toBe(provenance.length + exclusions.length);
    expect(totals.excluded).toBe(exclusions.length);
    const counts = exclusionCounts(exclusions);
    const shown = await numbers('[data-reason]', 'data-reason');
    for (const reason of EXCLUSION_REASONS) expect(shown[reason], reason).toBe(counts[reason]);

    const labels = Array.from((await readNpy(path.join(release, 'cifar10.1_v4_labels.npy'))).data as Int32Array);
    const perClass = await numbers('td[data-class]', 'data-class');
    expect(Object.values(perClass)).toEqual(Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length));

    const agreement = JSON.parse(await readFile(path.join(outDir, 'evaluation', 'v4', 'labeling_agreement.json'), 'utf8'));
    expect(totals.kappa).toBeCloseTo(agreement.at(-1).kappa, 9);
    const accuracy = JSON.parse(await readFile(path.join(outDir, 'evaluation', 'v4', 'accuracy.json'), 'utf8')).v4 as Array<{ newAccuracy: number }>;
    const shownAccuracy = await page.$$eval('#accuracy tbody td[data-field=newAccuracy]', (tds) => tds.map((td: any) => Number(td.dataset.value)));
    expect(shownAccuracy.sort()).toEqual(accuracy.map((r) => r.newAccuracy).sort());
    const links = await page.$$eval('#history a', (as) => as.map((a: any) => a.href));
    expect(links[0]).toMatch(new RegExp(`^${inject('temporalUi')}/namespaces/default/workflows/`));
    expect(links.some((l) => l.endsWith(encodeURIComponent('/round1')))).toBe(true);
  });
});

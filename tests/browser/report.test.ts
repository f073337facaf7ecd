// The release report in chromium, opened from disk: it loads nothing from anywhere, logs no
// error, shows every image, and the numbers on the page are those of the data it was written from.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCLUSION_REASONS } from '../../lib/provenance';
import { writeReleaseReport, type ReleaseReportData } from '../../lib/release-report';
import { HISTORY, reportData, TRAP_KEYWORD, TRAP_MODEL } from '../helpers/report-data';
import { keepScreenshot } from '../helpers/screenshots';
import { useTempDir } from '../helpers/temp';
import { launchChromium, screenshotFile, syntheticImage } from './helpers';

// Functions handed to page.evaluate run in the page; the tests compile without the DOM's types.
declare const document: any;
declare function getComputedStyle(e: unknown): { imageRendering: string; display: string };

const tempDir = useTempDir('report');
let data: ReleaseReportData;
let file: string;
let bytes: number;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  // The v6 shape: ten classes of 200 images.
  data = await reportData(Array(10).fill(200), syntheticImage);
  file = path.join(tempDir(), 'report.html');
  ({ bytes } = await writeReleaseReport(file, data));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  page.on('console', (m) => m.type() !== 'log' && m.type() !== 'info' && problems.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('dialog', (d) => problems.push(`dialog: ${d.message()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
});
afterAll(() => browser?.close());

/** Every element with the attribute, as its data-value and its text. */
const values = (selector: string, attr: string) =>
  page.$$eval(selector, (els, a) => els.map((e: any) => ({ key: e.getAttribute(a), value: e.dataset.value, text: e.textContent.trim() })), attr);

/** Rows of a table: the row's data-* attributes and each cell's data-field → data-value. */
const tableRows = (selector: string) =>
  page.$$eval(selector, (trs) =>
    trs.map((tr: any) => ({
      ...tr.dataset,
      ...Object.fromEntries([...tr.querySelectorAll('[data-field]')].map((td: any) => [td.dataset.field, td.dataset.value === '' ? null : Number(td.dataset.value)])),
    })),
  );

const grouped = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace('-', '−');

describe('the release report in chromium', () => {
  it('opens from disk with no request but its own file, no error and every image drawn', async () => {
    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('data:'))).toEqual([`file://${file}`]);
    const images = await page.$$eval('img', (imgs) => imgs.map((i: any) => ({ complete: i.complete, width: i.naturalWidth, height: i.naturalHeight })));
    expect(images).toHaveLength(10 + 3);
    for (const img of images) expect(img.complete && img.width > 0 && img.height > 0).toBe(true);
    expect(await page.title()).toBe('CIFAR-10.1 v9: release report');
    expect(bytes).toBeLessThan(8 << 20);
  });

  it('draws the contact sheets crisply at twice their pixels', async () => {
    const sheets = await page.$$eval('figure.sheet', (figs) =>
      figs.map((f: any) => {
        const img = f.querySelector('img');
        return { className: f.dataset.class, images: Number(f.querySelector('[data-images]').dataset.value), natural: img.naturalWidth, shown: img.getBoundingClientRect().width, rendering: getComputedStyle(img).imageRendering };
      }),
    );
    expect(sheets.map((s) => [s.className, s.images])).toEqual(data.contactSheets.map((s) => [s.className, s.images]));
    for (const s of sheets) {
      expect(s.shown).toBe(2 * s.natural);
      expect(s.rendering).toBe('pixelated');
    }
  });

  it('shows the numbers of the data it was written from', async () => {
    const excluded = EXCLUSION_REASONS.reduce((s, r) => s + data.exclusions[r], 0);
    const totals = Object.fromEntries((await values('[data-total]', 'data-total')).map((t) => [t.key, [Number(t.value), t.text]]));
    expect(totals.images).toEqual([2000, '2,000']);
    expect(totals.candidates).toEqual([data.candidates, grouped(data.candidates)]);
    expect(totals.excluded).toEqual([excluded, grouped(excluded)]);
    expect(totals['quotas-short']).toEqual([1, '1 short of it']);
    expect(totals.kappa).toEqual([data.agreement!.at(-1)!.kappa, data.agreement!.at(-1)!.kappa!.toFixed(3)]);
    expect((await values('td[data-class]', 'data-class')).map((c) => [c.key, Number(c.value), c.text])).toEqual(data.classes.map((c, i) => [c, data.perClass[i], String(data.perClass[i])]));
    expect(await page.$$eval('[data-check]', (els) => els.map((e: any) => e.dataset.ok))).toEqual(['true', 'true']);

    expect((await values('[data-reason]', 'data-reason')).map((r) => [r.key, Number(r.value), r.text])).toEqual([
      ...EXCLUSION_REASONS.map((r) => [r, data.exclusions[r], grouped(data.exclusions[r])]),
      ['all', excluded, grouped(excluded)],
    ]);

    expect(await tableRows('#quotas tbody tr')).toEqual(
      data.quotas.map((q) => ({ class: q.className, keyword: q.keyword, quota: q.quota, confirmed: q.confirmed, drawn: q.drawn, difference: q.drawn - q.quota })),
    );

    const rounds = await page.$$eval('#near-duplicates [data-round]', (els) =>
      els.map((e: any) => [Number(e.dataset.round), Number(e.querySelector('[data-pairs]').dataset.value), Number(e.querySelector('[data-confirmed]').dataset.value)]),
    );
    expect(rounds).toEqual(data.nearDuplicates.map((r) => [r.round, r.pairs.length, r.pairs.filter((p) => p.confirmed).length]));
    expect(await tableRows('#near-duplicates tbody tr')).toEqual(
      data.nearDuplicates.flatMap((r) => r.pairs).map((p) => ({ pair: p.id, confirmed: String(p.confirmed), ti: p.ti, other: p.other, distance: p.distance })),
    );

    const fields = ['images', 'bothAccepted', 'onlyRound1', 'onlyRound2', 'bothRejected', 'observed', 'kappa'] as const;
    expect(await tableRows('#agreement tbody tr, #agreement tfoot tr')).toEqual(
      data.agreement!.map((r) => ({ class: r.className, keyword: r.keyword, ...Object.fromEntries(fields.map((f) => [f, r[f]])) })),
    );

    expect(await tableRows('#accuracy tbody tr')).toEqual(
      data.accuracy!.rows.map((r) => ({ model: r.model, originalAccuracy: r.originalAccuracy, originalCI: r.originalCI[0], newAccuracy: r.newAccuracy, newCI: r.newCI[0], gap: r.gap, errorRatio: r.errorRatio })),
    );
    expect(await page.$$eval('#accuracy tbody td[data-field=newAccuracy]', (tds) => tds.map((td: any) => td.textContent))).toEqual(data.accuracy!.rows.map((r) => r.newAccuracy.toFixed(1)));

    expect(await page.$$eval('#history a', (as) => as.map((a: any) => ({ label: a.textContent, url: a.getAttribute('href') })))).toEqual(HISTORY);
    expect(await tableRows('#files tbody tr')).toEqual(data.files.map((f) => ({ file: f.name, bytes: f.bytes })));
  });

  it('shows a keyword or model name with markup as text, running nothing', async () => {
    expect(await page.$$eval('#quotas tbody tr.short td:nth-child(2)', (tds) => tds.map((td: any) => td.textContent))).toEqual([TRAP_KEYWORD]);
    expect(await page.$$eval('#accuracy tbody td:first-child', (tds) => tds.map((td: any) => td.textContent))).toContain(TRAP_MODEL);
    expect(await page.$$eval('script', (s) => s.length)).toBe(1);
    expect(await page.$$eval('#accuracy b', (b) => b.length)).toBe(0);
  });

  it('has the scatter plot inline, one point per model', async () => {
    const plot = await page.$eval('#accuracy figure.plot svg', (svg: any) => ({ width: svg.getBoundingClientRect().width, points: svg.querySelectorAll('[aria-roledescription="point"]').length }));
    expect(plot.width).toBeGreaterThan(400);
    expect(plot.points).toBe(data.accuracy!.rows.length);
  });

  it('sorts a table by the column clicked, and back', async () => {
    const keywords = () => page.$$eval('#quotas tbody tr', (trs) => trs.map((tr: any) => tr.dataset.keyword));
    await page.click('#quotas th:nth-child(6) button');
    expect((await keywords())[0]).toBe(TRAP_KEYWORD);
    await page.click('#quotas th:nth-child(3) button');
    await page.click('#quotas th:nth-child(3) button');
    const quotas = await page.$$eval('#quotas tbody td[data-field=quota]', (tds) => tds.map((td: any) => Number(td.dataset.value)));
    expect(quotas).toEqual([...quotas].sort((a, b) => b - a));
    expect(await page.$eval('#quotas th:nth-child(3)', (th: any) => th.getAttribute('aria-sort'))).toBe('descending');
    expect(problems).toEqual([]);
  });

  it('looks right, on screen and printed: nothing wider than the page', async () => {
    const shots = tempDir();
    await screenshotFile(file, path.join(shots, 'report.png'), { browser });
    await screenshotFile(file, path.join(shots, 'report-full.png'), { browser, fullPage: true });
    await keepScreenshot(path.join(shots, 'report.png'), 'release-report.png');
    await keepScreenshot(path.join(shots, 'report-full.png'), 'release-report-full.png');
    // A4 at 96 dpi less the page's 14 mm margins: 688 CSS pixels.
    await page.setViewportSize({ width: 680, height: 1000 });
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => ({ overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, nav: getComputedStyle(document.querySelector('nav')).display }));
    expect(printed).toEqual({ overflow: 0, nav: 'none' });
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(problems).toEqual([]);
  });
});

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 as sha256Of } from '../../lib/hash';
import { linearFit } from '../../lib/evaluation/stats';
import { EXCLUSION_REASONS } from '../../lib/provenance';
import { escapeHtml, imageSize, renderReleaseReport, writeReleaseReport, type ReleaseReportData } from '../../lib/release-report';
import { mulberry32 } from '../helpers/random';
import { HISTORY, reportData, TRAP_KEYWORD, TRAP_MODEL } from '../helpers/report-data';
import { useTempDir } from '../helpers/temp';

const SECTIONS = ['contact-sheets', 'quotas', 'exclusions', 'near-duplicates', 'agreement', 'accuracy', 'history', 'files'];
const random = mulberry32(11);
const noise = () => Uint8Array.from({ length: 3072 }, () => Math.floor(random() * 256));
const tempDir = useTempDir('release-report');

let data: ReleaseReportData;
let page: string;
beforeAll(async () => {
  data = await reportData([12, 7, 9], noise, 'png');
  page = renderReleaseReport(data);
});

/** The HTML of one top-level section, up to the next one. */
function section(id: string): string {
  const start = page.indexOf(`<section id="${id}">`);
  expect(start).toBeGreaterThan(0);
  const end = page.slice(start + 1).search(/<section id=|<\/main>/);
  return page.slice(start, start + 1 + end);
}

const unescape = (s: string) => s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);

/** Table rows with the attributes named in `keys`, each as those attributes and its cells' data-field → data-value. */
function rows(html: string, keys: string[]): Array<Record<string, string | number | null>> {
  return [...html.matchAll(/<tr ([^>]*)>([\s\S]*?)<\/tr>/g)]
    .map(([, attrs, body]) => {
      const attr = (name: string) => new RegExp(`(?:^|\\s)data-${name}="([^"]*)"`).exec(attrs)?.[1];
      const row: Record<string, string | number | null> = {};
      for (const key of keys) {
        const v = attr(key);
        if (typeof v !== 'string') return null;
        row[key] = unescape(v);
      }
      for (const [, field, value] of body.matchAll(/data-field="(\w+)" data-value="([^"]*)"/g)) row[field] = value === '' ? null : Number(value);
      return row;
    })
    .filter((r): r is Record<string, string | number | null> => r !== null);
}

describe('renderReleaseReport', () => {
  it('has every section, in order, each in the table of contents and explained', () => {
    const ids = [...page.matchAll(/<section id="([\w-]+)">/g)].map((m) => m[1]);
    expect(ids).toEqual(SECTIONS);
    const toc = /<nav id="contents"[\s\S]*?<\/nav>/.exec(page)![0];
    expect([...toc.matchAll(/href="#([\w-]+)"/g)].map((m) => m[1])).toEqual(SECTIONS);
    for (const id of SECTIONS) expect(section(id), id).toMatch(/<p class="explain">[^<]{40,}/);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).toContain('<title>CIFAR-10.1 v9: release report</title>');
  });

  it('heads the page with the totals and the per-class counts, and checks that every candidate is accounted for', () => {
    const excluded = EXCLUSION_REASONS.reduce((s, r) => s + data.exclusions[r], 0);
    const rowsOf = data.accuracy!.rows;
    const totals = Object.fromEntries([...page.matchAll(/data-total="([\w-]+)" data-value="([^"]*)"/g)].map(([, k, v]) => [k, Number(v)]));
    expect(totals).toEqual({
      images: 28,
      classes: 3,
      candidates: 28 + excluded,
      excluded,
      keywords: 6,
      'quotas-short': 1,
      'duplicate-pairs': 4,
      kappa: data.agreement!.at(-1)!.kappa,
      'kappa-low': data.agreement!.filter((r) => r.keyword !== 'all' && (r.kappa === null || r.kappa < 0.4)).length,
      'mean-gap': rowsOf.reduce((s, r) => s + r.gap, 0) / rowsOf.length,
    });
    expect([...page.matchAll(/<td class="num" data-class="(\w+)" data-value="(\d+)">/g)].map(([, c, n]) => [c, Number(n)])).toEqual([
      ['airplane', 12], ['automobile', 7], ['bird', 9],
    ]);
    expect(page).toContain('<li data-check="classes" data-ok="true"');
    expect(page).toContain('<li data-check="candidates" data-ok="true" class="ok"><span aria-hidden="true">✓</span> 28 in the release + 4,375 excluded = 4,403; the build had 4,403 candidates</li>');

    const broken = renderReleaseReport({ ...data, candidates: data.candidates + 5 });
    expect(broken).toContain('<li data-check="candidates" data-ok="false" class="bad">');
    expect(broken).toContain('5 candidates are neither in the release nor excluded');
  });

  it('shows a contact sheet per class at twice its size, whose data URL is the image given', async () => {
    const html = section('contact-sheets');
    const figures = [...html.matchAll(/<figure class="sheet" data-class="(\w+)">[\s\S]*?data-value="(\d+)"[\s\S]*?<img src="data:image\/png;base64,([^"]+)" width="(\d+)" height="(\d+)"/g)];
    expect(figures.map((f) => [f[1], Number(f[2])])).toEqual([['airplane', 12], ['automobile', 7], ['bird', 9]]);
    for (const [i, f] of figures.entries()) {
      const bytes = Buffer.from(f[3], 'base64');
      expect(bytes.equals(Buffer.from(data.contactSheets[i].image))).toBe(true);
      const meta = await sharp(bytes).metadata();
      expect([Number(f[4]), Number(f[5])]).toEqual([2 * meta.width!, 2 * meta.height!]);
    }
    expect(page).toContain('image-rendering: pixelated');
    const none = renderReleaseReport({ ...data, contactSheets: [] });
    expect(none).toContain('This release has no pixels');
  });

  it('lists each keyword’s quota, confirmed and drawn, marking the keywords short of their quota', () => {
    const got = rows(section('quotas'), ['class', 'keyword']);
    expect(got).toEqual(data.quotas.map((q) => ({ class: q.className, keyword: q.keyword, quota: q.quota, confirmed: q.confirmed, drawn: q.drawn, difference: q.drawn - q.quota })));
    expect([...section('quotas').matchAll(/<tr [^>]*class="short"/g)]).toHaveLength(1);
    expect(section('quotas')).toContain('1 of 6 keywords are short of their quota, by 3 images in all.');
    expect(section('quotas')).toMatch(/<tfoot><tr><th scope="row" colspan="2">all keywords<\/th><td class="num" data-field="quota" data-value="31">31<\/td>/);
  });

  it('counts the excluded by reason, every reason in the build’s order, zeros included', () => {
    const html = section('exclusions');
    const got = [...html.matchAll(/data-reason="([\w-]+)" data-value="(\d+)">([\d,]+)</g)].map(([, r, v, text]) => [r, Number(v), text]);
    expect(got).toEqual([
      ...EXCLUSION_REASONS.map((r) => [r, data.exclusions[r], data.exclusions[r].toLocaleString('en-US')]),
      ['all', 4375, '4,375'],
    ]);
  });

  it('shows each near-duplicate round with its pairs, their verdicts and images', () => {
    const html = section('near-duplicates');
    const rounds = [...html.matchAll(/<section class="round" data-round="(\d+)">\s*<h3>[^<]*<span data-pairs data-value="(\d+)">[\s\S]*?<span data-confirmed data-value="(\d+)">/g)];
    expect(rounds.map((m) => m.slice(1).map(Number))).toEqual([[1, 3, 2], [2, 1, 1], [3, 0, 0]]);
    expect(rows(html, ['pair', 'confirmed'])).toEqual(
      data.nearDuplicates.flatMap((r) => r.pairs).map((p) => ({ pair: p.id, confirmed: String(p.confirmed), ti: p.ti, other: p.other, distance: p.distance })),
    );
    expect(html).toContain('Round 3 found no pairs: the release is clean.');
    const pairImages = [...html.matchAll(/<img class="pair" src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
    const given = data.nearDuplicates.flatMap((r) => r.pairs).flatMap((p) => (p.image ? [Buffer.from(p.image)] : []));
    expect(pairImages.length).toBe(3);
    pairImages.forEach((b, i) => expect(b.equals(given[i])).toBe(true));
    expect(renderReleaseReport({ ...data, nearDuplicates: [] })).toContain('No near-duplicate check ran for this build.');
  });

  it('gives κ per keyword with the pooled row last, marking κ below 0.4 or undefined', () => {
    const html = section('agreement');
    const fields = ['images', 'bothAccepted', 'onlyRound1', 'onlyRound2', 'bothRejected', 'observed', 'kappa'] as const;
    expect(rows(html, ['class', 'keyword'])).toEqual(
      data.agreement!.map((r) => ({ class: r.className, keyword: r.keyword, ...Object.fromEntries(fields.map((f) => [f, r[f]])) })),
    );
    const low = data.agreement!.filter((r) => r.keyword !== 'all' && (r.kappa === null || r.kappa < 0.4));
    expect(low.length).toBeGreaterThan(0);
    expect([...html.matchAll(/<tr [^>]*class="low"/g)]).toHaveLength(low.length);
    expect(html).toMatch(/<tfoot><tr data-class="all" data-keyword="all">/);
    const none = renderReleaseReport({ ...data, agreement: null });
    expect(none).toContain('This build had no labeling rounds');
    expect(none).not.toContain('id="agreement-table"');
  });

  it('has the accuracy table, its linear fit and the scatter plot inline', () => {
    const html = section('accuracy');
    const acc = data.accuracy!;
    expect(rows(html, ['model'])).toEqual(
      acc.rows.map((r) => ({ model: r.model, originalAccuracy: r.originalAccuracy, originalCI: r.originalCI[0], newAccuracy: r.newAccuracy, newCI: r.newCI[0], gap: r.gap, errorRatio: r.errorRatio })),
    );
    expect([...html.matchAll(/data-hi="([^"]*)"/g)].map((m) => Number(m[1]))).toEqual(acc.rows.flatMap((r) => [r.originalCI[1], r.newCI[1]]));
    const fit = linearFit(acc.rows.map((r) => r.originalAccuracy), acc.rows.map((r) => r.newAccuracy));
    expect(html).toContain(`data-slope="${fit.slope}" data-intercept="${fit.intercept}" data-r2="${fit.r2}"`);
    expect(html).toContain(acc.scatterSvg.trim());
    expect(html).toContain('CIFAR-10.1 v9: new vs original test accuracy');
    expect(renderReleaseReport({ ...data, accuracy: null })).toContain('No model predictions were given for this build');
  });

  it('links the build history and lists the files with their SHA-256', () => {
    const links = [...section('history').matchAll(/<a href="([^"]+)" rel="noopener noreferrer">([^<]+)<\/a>/g)].map(([, href, label]) => ({ url: unescape(href), label: unescape(label) }));
    expect(links).toEqual(HISTORY);
    expect(rows(section('files'), ['file'])).toEqual(data.files.map((f) => ({ file: f.name, bytes: f.bytes })));
    expect(section('files')).toContain(`<code class="hash">${'a'.repeat(64)}</code>`);
  });

  it('escapes every string: a keyword or model name with markup stays text', () => {
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).not.toContain(TRAP_KEYWORD);
    expect(page).not.toContain(TRAP_MODEL);
    expect(page).toContain(escapeHtml(TRAP_KEYWORD));
    expect(page).toContain(`<td>${escapeHtml(TRAP_MODEL)}</td>`);
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    const hostile = renderReleaseReport({ ...data, release: '</title><script>1</script>', configFile: '"><img src=x>' });
    expect(hostile.match(/<script/g)).toHaveLength(1);
    expect(hostile).not.toContain('<img src=x>');
  });

  it('fetches nothing: images are data URLs, the only addresses are the history links', () => {
    const refs = [...page.matchAll(/\b(src|href)="([^"]*)"/g)].map(([, attr, value]) => [attr, unescape(value)]);
    for (const [attr, value] of refs) {
      if (attr === 'src') expect(value).toMatch(/^data:image\/(png|webp);base64,/);
      else expect(value.startsWith('#') || value === 'data:,' || HISTORY.some((h) => h.url === value), value).toBe(true);
    }
    // Elsewhere only the SVG's namespace names, which are never fetched.
    const addresses = new Set([...unescape(page).matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]));
    const allowed = [...HISTORY.map((h) => h.url.split('"')[0]), 'http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink'];
    expect([...addresses].filter((a) => !allowed.includes(a))).toEqual([]);
    expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:;/);
    expect(page).not.toMatch(/@import|url\((?!#)/);
  });

  it('refuses what could run code or fetch, and malformed input, naming it', () => {
    expect(() => renderReleaseReport({ ...data, history: [{ label: 'ui', url: 'javascript:alert(1)' }] })).toThrow('history link "ui": javascript:alert(1) is not an http(s) address');
    expect(() => renderReleaseReport({ ...data, history: [{ label: 'ui', url: 'not a url' }] })).toThrow('history link "ui": not a URL');
    const svg = (s: string) => renderReleaseReport({ ...data, accuracy: { ...data.accuracy!, scatterSvg: s } });
    expect(() => svg('<svg><script>alert(1)</script></svg>')).toThrow('accuracy.scatterSvg: refused: <script');
    expect(() => svg('<svg><image href="http://x/y.png"/></svg>')).toThrow('accuracy.scatterSvg: refused');
    expect(() => svg('<svg><rect onclick="x()"/></svg>')).toThrow('accuracy.scatterSvg: refused');
    expect(() => svg('<div></div>')).toThrow('accuracy.scatterSvg: not an <svg> element');
    expect(svg('<?xml version="1.0"?>\n<svg width="4" height="4"><rect fill="url(#g)"/></svg>')).toContain('<figure class="plot"><svg width="4" height="4">');
    const notImage = { ...data.contactSheets[0], image: new TextEncoder().encode('GIF89a, not really an image of ours') };
    expect(() => renderReleaseReport({ ...data, contactSheets: [notImage] })).toThrow('contact sheet of airplane: not a PNG or WebP image');
    expect(() => renderReleaseReport({ ...data, perClass: [1, 2] })).toThrow('perClass: 2 counts for 3 classes');
  });

  it('is the same bytes for the same data, and its size is the images’ base64 plus little', () => {
    expect(renderReleaseReport(data)).toBe(page);
    const imageBytes = [...data.contactSheets.map((s) => s.image), ...data.nearDuplicates.flatMap((r) => r.pairs.flatMap((p) => (p.image ? [p.image] : [])))]
      .reduce((s, b) => s + Math.ceil(b.length / 3) * 4, 0);
    const size = Buffer.byteLength(page);
    expect(size).toBeGreaterThan(imageBytes);
    expect(size - imageBytes).toBeLessThan(100_000);
  });
});

describe('imageSize', () => {
  it('reads the size of a PNG and of lossless, lossy and extended WebP', async () => {
    const pixels = Buffer.from(Uint8Array.from({ length: 37 * 21 * 3 }, (_, i) => (i * 7) % 256));
    const img = () => sharp(pixels, { raw: { width: 37, height: 21, channels: 3 } });
    for (const bytes of [
      await img().png().toBuffer(),
      await img().webp({ lossless: true }).toBuffer(),
      await img().webp({ quality: 80 }).toBuffer(),
      await img().ensureAlpha(0.5).webp({ quality: 80 }).toBuffer(),
    ]) {
      expect(imageSize(bytes, 'x')).toEqual({ width: 37, height: 21 });
    }
  });
});

describe('writeReleaseReport', () => {
  it('writes the rendered page whole, returning its size and SHA-256', async () => {
    const file = path.join(tempDir(), 'report.html');
    const { bytes, sha256 } = await writeReleaseReport(file, data);
    const written = await readFile(file);
    expect(written.toString()).toBe(page);
    expect(bytes).toBe(written.length);
    expect(sha256).toBe(sha256Of(written));
    expect(await readdir(tempDir())).toEqual(['report.html']);
    await expect(writeReleaseReport(path.join(tempDir(), 'missing', 'report.html'), data)).rejects.toThrow('ENOENT');
    expect(await readdir(tempDir())).toEqual(['report.html']);
  });
});

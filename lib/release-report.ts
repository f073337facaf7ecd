// The release report: one HTML file per release (`releases/<v>/report.html`)
// that opens from disk and fetches nothing: styles inline, images as data
// URLs, the scatter plot as inline SVG. The page is readable without
// JavaScript; a small inline script sorts tables. Every number sits in an
// element with its exact value in `data-value`, so a test can read it back.
import { createHash } from 'node:crypto';
import type { KeywordAgreement } from './agreement';
import type { ClassSheet } from './contact-sheet';
import type { AccuracyRow } from './evaluation/accuracy';
import { linearFit, type LinearFit } from './evaluation/stats';
import { InputError, check } from './errors';
import { writeFileAtomic } from './formats/files';
import { sha256 } from './hash';
import type { DuplicatePair } from './near-duplicates';
import { EXCLUSION_REASONS, type ExclusionReason } from './provenance';

/** One keyword's quota beside what the labelers confirmed and what the release drew. */
export interface QuotaRow {
  className: string;
  keyword: string;
  quota: number;
  /** Images of the keyword confirmed in round 2 (what sampling could draw from). */
  confirmed: number;
  /** Images of the keyword in the release. */
  drawn: number;
}

/** One near-duplicate round: the pairs it found in its sample, and whether the review confirmed each. */
export interface DuplicateRound {
  round: number;
  /** `image`: the pair's two images side by side (`contactSheet([a, b], tile, { columns: 2, gap: 1 })`), optional. */
  pairs: Array<DuplicatePair & { confirmed: boolean; image?: Uint8Array }>;
}

/** Everything the report shows, as plain data (the build's JSON files and images). */
export interface ReleaseReportData {
  release: string;
  /** When the build finished (shown as given; ISO 8601). */
  builtAt: string;
  configFile?: string;
  /** What the candidates came from: "TinyImages", "pool <dir>", "the published files". */
  source?: string;
  /** Images in the release, and per class (in `classes` order). */
  images: number;
  classes: string[];
  perClass: number[];
  /** Candidates of the build: the release's images plus the excluded. */
  candidates: number;
  /** One sheet per class with images (lib/contact-sheet `classContactSheets`); empty for a release without pixels. */
  contactSheets: ClassSheet[];
  quotas: QuotaRow[];
  /** Excluded candidates by reason (lib/provenance `exclusionCounts`). */
  exclusions: Record<ExclusionReason, number>;
  nearDuplicates: DuplicateRound[];
  /** κ per keyword, last row "all" (lib/agreement `agreementTable`); null for a build without labeling rounds. */
  agreement: KeywordAgreement[] | null;
  /** The models' accuracy table (accuracy.json) and its scatter plot (lib/evaluation `scatterSvg`); null without predictions. */
  accuracy: { rows: AccuracyRow[]; scatterSvg: string } | null;
  /** The build's workflows in the Temporal Web UI (http or https). */
  history: Array<{ label: string; url: string }>;
  /** The release's files, as manifest.json lists them. */
  files: Array<{ name: string; sha256: string; bytes?: number }>;
}

/** Below this κ a keyword is marked: at best "fair" agreement on the Landis & Koch scale. */
export const LOW_KAPPA = 0.4;

/** Contact sheets are shown at this many screen pixels per image pixel (a whole number keeps them crisp). */
const SHEET_ZOOM = 2;
const PAIR_ZOOM = 3;

/** What each exclusion reason means, in the words of the report. */
export const EXCLUSION_MEANINGS: Record<ExclusionReason, string> = {
  'keyword-excluded': 'its keyword is excluded by the config (keywords.excluded)',
  'keyword-not-in-top-k': 'its keyword is not among the top keywords of its class',
  'no-quota': 'its keyword has a quota of 0',
  'rejected-round1': 'the first labeler rejected it',
  'too-close-to-cifar10': 'it is within the threshold of a CIFAR-10 image (checked before round 2)',
  'rejected-round2': 'the second labeler rejected it',
  blacklisted: 'a near-duplicate review confirmed it as a duplicate',
  'not-drawn': 'confirmed, but its keyword’s quota was filled by other images',
};

/** The report as one self-contained HTML document. */
export function renderReleaseReport(data: ReleaseReportData): string {
  validate(data);
  const sections: Array<[string, string, Html]> = [
    ['contact-sheets', 'Contact sheets', contactSheetsSection(data)],
    ['quotas', 'Quotas', quotasSection(data)],
    ['exclusions', 'Exclusions', exclusionsSection(data)],
    ['near-duplicates', 'Near-duplicates', nearDuplicatesSection(data)],
    ['agreement', 'Agreement (κ)', agreementSection(data)],
    ['accuracy', 'Accuracy', accuracySection(data)],
    ['history', 'Build history', historySection(data)],
    ['files', 'Files', filesSection(data)],
  ];
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>CIFAR-10.1 ${data.release}: release report</title>
<link rel="icon" href="data:,">
<style>${raw(STYLE)}</style>
</head>
<body>
${header(data)}
<nav id="contents" aria-label="Contents"><h2>Contents</h2><ol>${sections.map(([id, title]) => html`<li><a href="#${id}">${title}</a></li>`)}</ol></nav>
<main>
${sections.map(([id, title, body]) => html`<section id="${id}">
<h2>${title}</h2>
${body}
</section>
`)}</main>
<footer>CIFAR-10.1 ${data.release} release report, written by the cifar101 build. Everything it shows is in this file.</footer>
<script>${raw(SORT_SCRIPT)}</script>
</body>
</html>
`;
  return page.text;
}

/** Writes the report to `file` atomically; returns its size and SHA-256 (for a manifest). */
export async function writeReleaseReport(file: string, data: ReleaseReportData): Promise<{ bytes: number; sha256: string }> {
  const bytes = Buffer.from(renderReleaseReport(data));
  await writeFileAtomic(file, bytes);
  return { bytes: bytes.length, sha256: sha256(bytes) };
}

// ---------------------------------------------------------------------------
// Sections

function header(data: ReleaseReportData): Html {
  const excluded = excludedTotal(data);
  const short = data.quotas.filter((q) => q.drawn < q.quota).length;
  const pairs = data.nearDuplicates.flatMap((r) => r.pairs);
  const overall = data.agreement?.find(isPooled)?.kappa ?? null;
  const lowKappa = data.agreement ? keywordAgreement(data.agreement).filter(isLowKappa).length : null;
  const rows = data.accuracy?.rows ?? [];
  const meanGap = rows.length ? sum(rows.map((r) => r.gap)) / rows.length : null;
  const sumPerClass = sum(data.perClass);
  const total = (key: string, label: string, value: number | null, digits = 0, note?: Html | string) =>
    html`<div class="total"><dt>${label}</dt><dd><span class="value" data-total="${key}" data-value="${value ?? ''}">${fmt(value, digits)}</span>${note ? html`<span class="note">${note}</span>` : ''}</dd></div>`;
  const checks = [
    { key: 'classes', ok: sumPerClass === data.images, text: `the per-class counts add up to ${fmt(sumPerClass)} images; the release has ${fmt(data.images)}` },
    {
      key: 'candidates',
      ok: data.images + excluded === data.candidates,
      text: `${fmt(data.images)} in the release + ${fmt(excluded)} excluded = ${fmt(data.images + excluded)}; the build had ${fmt(data.candidates)} candidates`,
    },
  ];
  return html`<header id="summary">
<p class="kicker">CIFAR-10.1 release report</p>
<h1>${data.release}</h1>
<p class="meta">Built <time>${data.builtAt}</time>${data.configFile ? html` from <code>${data.configFile}</code>` : ''}${data.source ? html` · candidates from ${data.source}` : ''}</p>
<dl class="totals">
${total('images', 'images', data.images)}
${total('classes', 'classes', data.classes.length)}
${total('candidates', 'candidates', data.candidates)}
${total('excluded', 'excluded', excluded)}
${total('keywords', 'keywords with a quota', data.quotas.length, 0, short ? html`<span class="warn" data-total="quotas-short" data-value="${short}">${fmt(short)} short of it</span>` : 'all met')}
${total('duplicate-pairs', 'near-duplicate pairs', pairs.length, 0, `${fmt(pairs.filter((p) => p.confirmed).length)} confirmed`)}
${total('kappa', 'κ, all keywords', overall, 3, lowKappa === null ? 'no labeling rounds' : lowKappa ? html`<span class="warn" data-total="kappa-low" data-value="${lowKappa}">${count(lowKappa, 'keyword')} below ${LOW_KAPPA}</span>` : `none below ${LOW_KAPPA}`)}
${total('mean-gap', 'mean accuracy gap (points)', meanGap, 1, data.accuracy ? `${fmt(rows.length)} models` : 'no predictions')}
</dl>
<table class="per-class">
<caption>Images per class</caption>
<thead><tr>${data.classes.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody><tr>${data.perClass.map((n, i) => html`<td class="num" data-class="${data.classes[i]}" data-value="${n}">${fmt(n)}</td>`)}</tr></tbody>
</table>
<ul class="checks">${checks.map(({ key, ok, text }) => html`<li data-check="${key}" data-ok="${ok}" class="${ok ? 'ok' : 'bad'}"><span aria-hidden="true">${ok ? '✓' : '✗'}</span> ${text}</li>`)}</ul>
</header>`;
}

function contactSheetsSection(data: ReleaseReportData): Html {
  if (!data.contactSheets.length) return html`<p class="explain">This release has no pixels (it was built from the published files, which carry indices and labels only), so there are no contact sheets.</p>`;
  return html`<p class="explain">Every image of the release, one sheet per class, in release order (left to right, then down), each pixel drawn as a ${SHEET_ZOOM}×${SHEET_ZOOM} block. Look for images of another class, drawings or text, and near-identical images.</p>
${data.contactSheets.map((sheet) => {
    const { width, height } = imageSize(sheet.image, `contact sheet of ${sheet.className}`);
    return html`<figure class="sheet" data-class="${sheet.className}">
<figcaption><strong>${sheet.className}</strong> · <span data-images data-value="${sheet.images}">${fmt(sheet.images)}</span> images</figcaption>
<img src="${dataUrl(sheet.image, sheet.className)}" width="${width * SHEET_ZOOM}" height="${height * SHEET_ZOOM}" alt="The ${sheet.images} ${sheet.className} images of the release">
</figure>`;
  })}`;
}

function quotasSection(data: ReleaseReportData): Html {
  if (!data.quotas.length) return html`<p class="explain">The build set no per-keyword quotas.</p>`;
  const short = data.quotas.filter((q) => q.drawn < q.quota);
  return html`<p class="explain">What each keyword was to contribute (its quota), how many of its images the labelers confirmed, and how many the release drew. A keyword short of its quota (marked) did not have enough confirmed images to fill it.</p>
<p class="finding${short.length ? ' warn' : ''}">${short.length ? `${fmt(short.length)} of ${fmt(data.quotas.length)} keywords are short of their quota, by ${fmt(short.reduce((s, q) => s + q.quota - q.drawn, 0))} images in all.` : `All ${fmt(data.quotas.length)} quotas are met.`}</p>
<table class="sortable" id="quotas-table">
<thead><tr>${sortableHead(['class', 'keyword'])}${sortableHead(['quota', 'confirmed', 'drawn', 'drawn − quota'], true)}</tr></thead>
<tbody>
${data.quotas.map((q) => html`<tr data-class="${q.className}" data-keyword="${q.keyword}"${q.drawn < q.quota ? raw(' class="short"') : ''}>
<td>${q.className}</td><td>${q.keyword}</td>${num('quota', q.quota)}${num('confirmed', q.confirmed)}${num('drawn', q.drawn)}${num('difference', q.drawn - q.quota, { signed: true })}
</tr>
`)}</tbody>
<tfoot><tr><th scope="row" colspan="2">all keywords</th>${num('quota', sum(data.quotas.map((q) => q.quota)))}${num('confirmed', sum(data.quotas.map((q) => q.confirmed)))}${num('drawn', sum(data.quotas.map((q) => q.drawn)))}${num('difference', sum(data.quotas.map((q) => q.drawn - q.quota)), { signed: true })}</tr></tfoot>
</table>`;
}

function exclusionsSection(data: ReleaseReportData): Html {
  const excluded = excludedTotal(data);
  return html`<p class="explain">Every candidate that is not in the release, counted under the first reason the build excluded it for, in the order the build decides. The exclusions file lists each image with its evidence.</p>
<table id="exclusions-table">
<thead><tr><th scope="col">reason</th><th scope="col" class="num">images</th><th scope="col" class="bar-col">share of the excluded</th><th scope="col">meaning</th></tr></thead>
<tbody>
${EXCLUSION_REASONS.map((reason) => {
    const n = data.exclusions[reason];
    const share = excluded ? n / excluded : 0;
    return html`<tr><th scope="row"><code>${reason}</code></th><td class="num" data-reason="${reason}" data-value="${n}">${fmt(n)}</td><td class="bar-col"><span class="bar" style="--share: ${share.toFixed(4)}"></span> ${(100 * share).toFixed(1)}%</td><td>${EXCLUSION_MEANINGS[reason]}</td></tr>
`;
  })}</tbody>
<tfoot>
<tr><th scope="row">excluded</th><td class="num" data-reason="all" data-value="${excluded}">${fmt(excluded)}</td><td colspan="2"></td></tr>
<tr><th scope="row">in the release</th><td class="num" data-value="${data.images}">${fmt(data.images)}</td><td colspan="2"></td></tr>
<tr><th scope="row">candidates</th><td class="num" data-value="${data.candidates}">${fmt(data.candidates)}</td><td colspan="2">${data.images + excluded === data.candidates ? 'every candidate is accounted for' : html`<span class="bad">${fmt(data.candidates - data.images - excluded)} candidates are neither in the release nor excluded</span>`}</td></tr>
</tfoot>
</table>`;
}

function nearDuplicatesSection(data: ReleaseReportData): Html {
  if (!data.nearDuplicates.length) return html`<p class="explain">No near-duplicate check ran for this build.</p>`;
  const rounds = data.nearDuplicates;
  const last = rounds.at(-1)!;
  return html`<p class="explain">Each round looked in the sampled release for pairs of its images closer than the threshold, and for images close to a CIFAR-10 image. A confirmed pair puts its new image on the blacklist and the next round draws again; a round with no pairs left means the release is clean. The distance is L2 over the 3,072 pixel values.</p>
<p class="finding${last.pairs.length ? ' warn' : ''}">${last.pairs.length ? `The last round (${last.round}) still found ${fmt(last.pairs.length)} pairs.` : `Round ${last.round} found no pairs: the release is clean.`}</p>
${rounds.map((round) => {
    const confirmed = round.pairs.filter((p) => p.confirmed).length;
    return html`<section class="round" data-round="${round.round}">
<h3>Round ${round.round}: <span data-pairs data-value="${round.pairs.length}">${fmt(round.pairs.length)}</span> ${round.pairs.length === 1 ? 'pair' : 'pairs'}, <span data-confirmed data-value="${confirmed}">${fmt(confirmed)}</span> confirmed</h3>
${round.pairs.length
      ? html`<table class="sortable">
<thead><tr>${sortableHead(['pair', 'kind'])}${sortableHead(['new image', 'other image', 'distance'], true)}${sortableHead(['review'])}<th scope="col">images</th></tr></thead>
<tbody>
${round.pairs.map((p) => html`<tr data-pair="${p.id}" data-confirmed="${p.confirmed}"${p.confirmed ? raw(' class="confirmed"') : ''}>
<td><code>${p.id}</code></td><td>${p.kind === 'within' ? 'within the release' : 'with CIFAR-10'}</td>${num('ti', p.ti, { id: true })}<td class="num" data-field="other" data-value="${p.other}">${p.kind === 'cifar' ? 'CIFAR-10 ' : ''}${p.other}</td>${num('distance', p.distance, { digits: 1 })}<td>${p.confirmed ? 'confirmed: blacklisted' : 'dismissed'}</td><td>${p.image ? pairImage(p.image, p.id) : '–'}</td>
</tr>
`)}</tbody>
</table>`
      : html`<p>No pairs.</p>`}
</section>`;
  })}`;
}

function pairImage(image: Uint8Array, id: string): Html {
  const { width, height } = imageSize(image, `image of pair ${id}`);
  return html`<img class="pair" src="${dataUrl(image, `pair ${id}`)}" width="${width * PAIR_ZOOM}" height="${height * PAIR_ZOOM}" alt="The two images of pair ${id}">`;
}

function agreementSection(data: ReleaseReportData): Html {
  if (!data.agreement) return html`<p class="explain">This build had no labeling rounds (it was built from the published files, which do not say who decided what), so there is no agreement to report.</p>`;
  const rows = keywordAgreement(data.agreement);
  const all = data.agreement.find(isPooled);
  const low = rows.filter(isLowKappa);
  const cells = (r: KeywordAgreement) =>
    html`${num('images', r.images)}${num('bothAccepted', r.bothAccepted)}${num('onlyRound1', r.onlyRound1)}${num('onlyRound2', r.onlyRound2)}${num('bothRejected', r.bothRejected)}${num('observed', r.observed, { digits: 3 })}${num('kappa', r.kappa, { digits: 3 })}`;
  return html`<p class="explain">Cohen’s κ between the two labeling rounds on each keyword’s images: 1 is full agreement, 0 is what chance alone would give. Keywords below ${LOW_KAPPA} (marked, with those where κ is undefined) are where the two people read the keyword differently: their images deserve a second look.</p>
<p class="finding${low.length ? ' warn' : ''}">${low.length ? `${fmt(low.length)} of ${fmt(rows.length)} keywords have κ below ${LOW_KAPPA} or undefined.` : `Every keyword has κ of ${LOW_KAPPA} or more.`}</p>
<table class="sortable" id="agreement-table">
<thead><tr>${sortableHead(['class', 'keyword'])}${sortableHead(['images', 'both accepted', 'round 1 only', 'round 2 only', 'both rejected', 'agreement', 'κ'], true)}</tr></thead>
<tbody>
${rows.map((r) => html`<tr data-class="${r.className}" data-keyword="${r.keyword}"${isLowKappa(r) ? raw(' class="low"') : ''}><td>${r.className}</td><td>${r.keyword}</td>${cells(r)}</tr>
`)}</tbody>
${all ? html`<tfoot><tr data-class="all" data-keyword="all"><th scope="row" colspan="2">all keywords</th>${cells(all)}</tr></tfoot>` : ''}
</table>`;
}

/** The per-keyword rows, without the pooled "all". */
function keywordAgreement(rows: KeywordAgreement[]): KeywordAgreement[] {
  return rows.filter((r) => !isPooled(r));
}

function isPooled(r: KeywordAgreement): boolean {
  return r.className === 'all' && r.keyword === 'all';
}

function isLowKappa(r: KeywordAgreement): boolean {
  return r.kappa === null || r.kappa < LOW_KAPPA;
}

function accuracySection(data: ReleaseReportData): Html {
  if (!data.accuracy) return html`<p class="explain">No model predictions were given for this build, so there is no accuracy table.</p>`;
  const { rows } = data.accuracy;
  const fit: LinearFit | null = rows.length >= 2 ? linearFit(rows.map((r) => r.originalAccuracy), rows.map((r) => r.newAccuracy)) : null;
  const ci = (field: string, [lo, hi]: [number, number]) => html`<td class="num" data-field="${field}" data-value="${lo}" data-hi="${hi}">${fmt(lo, 1)} – ${fmt(hi, 1)}</td>`;
  return html`<p class="explain">Each model’s accuracy on the CIFAR-10 test set and on this release, in percent with 95% Clopper-Pearson intervals. The paper’s finding is the gap: models lose accuracy on the new test set, and the loss is close to linear in the original accuracy (the plot).</p>
<p class="finding" id="fit"${fit ? raw(` data-slope="${fit.slope}" data-intercept="${fit.intercept}" data-r2="${fit.r2}"`) : ''}>${fit ? `Linear fit: new = ${fit.slope.toFixed(3)} × original ${fit.intercept < 0 ? '−' : '+'} ${Math.abs(fit.intercept).toFixed(2)} (r² = ${fit.r2.toFixed(3)}).` : 'Too few models for a linear fit.'}</p>
<table class="sortable" id="accuracy-table">
<thead><tr>${sortableHead(['model'])}${sortableHead(['original', 'original 95% CI', 'new', 'new 95% CI', 'gap', 'error ratio'], true)}</tr></thead>
<tbody>
${rows.map((r) => html`<tr data-model="${r.model}"><td>${r.model}</td>${num('originalAccuracy', r.originalAccuracy, { digits: 1 })}${ci('originalCI', r.originalCI)}${num('newAccuracy', r.newAccuracy, { digits: 1 })}${ci('newCI', r.newCI)}${num('gap', r.gap, { digits: 1 })}${num('errorRatio', r.errorRatio, { digits: 2 })}</tr>
`)}</tbody>
</table>
<figure class="plot">${raw(inlineSvg(data.accuracy.scatterSvg))}<figcaption>New vs original test accuracy per model, with 95% intervals on both axes, the least-squares line and y = x.</figcaption></figure>`;
}

function historySection(data: ReleaseReportData): Html {
  if (!data.history.length) return html`<p class="explain">No links to the build’s history were recorded.</p>`;
  return html`<p class="explain">The build’s workflows in the Temporal Web UI: every stage with its inputs, attempts, worker and timing. The links open the server that ran the build, for as long as it keeps the history; they are the only addresses in this file.</p>
<ul class="links">${data.history.map((h) => html`<li><a href="${h.url}" rel="noopener noreferrer">${h.label}</a> <span class="url">${h.url}</span></li>`)}</ul>`;
}

function filesSection(data: ReleaseReportData): Html {
  if (!data.files.length) return html`<p class="explain">No files were listed.</p>`;
  const sized = data.files.some((f) => f.bytes !== undefined);
  return html`<p class="explain">The release’s files and their SHA-256, as manifest.json lists them: <code>sha256sum -c</code> checks a copy.</p>
<table id="files-table">
<thead><tr><th scope="col">file</th>${sized ? html`<th scope="col" class="num">bytes</th>` : ''}<th scope="col">SHA-256</th></tr></thead>
<tbody>
${data.files.map((f) => html`<tr data-file="${f.name}"><td><code>${f.name}</code></td>${sized ? num('bytes', f.bytes ?? null) : ''}<td><code class="hash">${f.sha256}</code></td></tr>
`)}</tbody>
</table>`;
}

// ---------------------------------------------------------------------------
// Checks on the input

function validate(data: ReleaseReportData): void {
  check(data.perClass.length === data.classes.length, 'perClass', `${data.perClass.length} counts for ${data.classes.length} classes`);
  for (const reason of EXCLUSION_REASONS) check(Number.isFinite(data.exclusions[reason]), `exclusions.${reason}`, 'missing');
  for (const h of data.history) {
    let url: URL;
    try {
      url = new URL(h.url);
    } catch {
      throw new InputError('not a URL', `history link "${h.label}"`);
    }
    check(url.protocol === 'http:' || url.protocol === 'https:', `history link "${h.label}"`, `${h.url} is not an http(s) address`);
  }
}

/** The width and height of a PNG or WebP image, from its header. */
export function imageSize(bytes: Uint8Array, what: string): { width: number; height: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(b)) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (isWebp(b)) {
    const chunk = b.toString('latin1', 12, 16);
    if (chunk === 'VP8L') {
      const bits = b.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
    if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  throw new InputError('not a PNG or WebP image', what);
}

function dataUrl(bytes: Uint8Array, what: string): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(b)) return `data:image/png;base64,${b.toString('base64')}`;
  if (isWebp(b)) return `data:image/webp;base64,${b.toString('base64')}`;
  throw new InputError('not a PNG or WebP image', what);
}

function isPng(b: Buffer): boolean {
  return b.length > 24 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a;
}

function isWebp(b: Buffer): boolean {
  return b.length > 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP';
}

/**
 * The scatter plot's SVG, ready to sit in the page: without an XML prolog or
 * doctype, and refused if it could run code or fetch anything (it is written
 * by vega, but the report is the one file an auditor opens).
 */
function inlineSvg(svg: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>/, '').replace(/^\s*<!DOCTYPE[^>]*>/i, '').trim();
  check(body.startsWith('<svg') && body.endsWith('</svg>'), 'accuracy.scatterSvg', 'not an <svg> element');
  const unsafe = /<script|<foreignObject|<iframe|\son[a-z]+\s*=|\b(?:xlink:)?href\s*=\s*["'](?!#)|url\(\s*["']?(?!#)/i.exec(body);
  check(!unsafe, 'accuracy.scatterSvg', `refused: ${unsafe?.[0]} (the plot must be a plain drawing)`);
  return body;
}

// ---------------------------------------------------------------------------
// HTML, escaped by construction: every value put into an `html` template is
// escaped unless it is itself Html.

class Html {
  constructor(readonly text: string) {}
}

function raw(text: string): Html {
  return new Html(text);
}

function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined) return '';
  return escapeHtml(String(value));
}

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);
}

/** A number as people read it: grouped thousands, `digits` decimals, "–" for null. */
function fmt(value: number | null, digits = 0): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).replace('-', '−');
}

/** A table cell with a number: formatted as text, exact in `data-value` (for sorting, and tests). */
function num(field: string, value: number | null, { digits = 0, signed = false, id = false } = {}): Html {
  let text = id && value !== null ? String(value) : fmt(value, digits);
  if (signed && value !== null && value > 0) text = `+${text}`;
  return html`<td class="num" data-field="${field}" data-value="${value ?? ''}">${text}</td>`;
}

function sortableHead(labels: string[], numeric = false): Html {
  return html`${labels.map((label) => html`<th scope="col"${numeric ? raw(' class="num"') : ''}><button type="button">${label}</button></th>`)}`;
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

function excludedTotal(data: ReleaseReportData): number {
  return sum(EXCLUSION_REASONS.map((r) => data.exclusions[r]));
}

/** "1 keyword", "4 keywords". */
function count(n: number, noun: string): string {
  return `${fmt(n)} ${n === 1 ? noun : `${noun}s`}`;
}

// ---------------------------------------------------------------------------
// Style and script

const STYLE = `
:root { --ink: #1d2330; --muted: #5b6474; --rule: #d9dde5; --band: #f4f6f9; --accent: #2458a6; --warn: #fff3d1; --warn-edge: #d49b00; --bad: #b42318; --bad-bg: #fde8e6; --good: #1a7f37; color-scheme: light; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1120px; padding: 0 24px 48px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
h1, h2, h3 { line-height: 1.2; }
h1 { font-size: 40px; margin: 0 0 4px; letter-spacing: -0.02em; }
h2 { font-size: 24px; margin: 48px 0 8px; padding-top: 12px; border-top: 2px solid var(--ink); }
h3 { font-size: 17px; margin: 28px 0 8px; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
a { color: var(--accent); }
header { padding: 32px 0 8px; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: 0.08em; font-size: 12px; font-weight: 600; color: var(--muted); }
.meta { margin: 0 0 20px; color: var(--muted); }
.totals { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 0 0 20px; }
.total { background: var(--band); border-radius: 6px; padding: 10px 14px; }
.total dt { font-size: 12px; color: var(--muted); }
.total dd { margin: 0; }
.total .value { display: block; font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.total .note { display: block; font-size: 12px; color: var(--muted); }
.checks { list-style: none; padding: 0; margin: 12px 0 0; }
.checks li { margin: 2px 0; }
.checks .ok span { color: var(--good); font-weight: 700; }
.checks .bad { color: var(--bad); font-weight: 600; }
nav { margin: 8px 0 0; padding: 12px 16px; background: var(--band); border-radius: 6px; }
nav h2 { font-size: 13px; margin: 0 0 4px; padding: 0; border: 0; text-transform: uppercase; letter-spacing: 0.08em; color: var(--muted); }
nav ol { margin: 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 4px 20px; }
.explain { max-width: 75ch; color: #333a48; }
.finding { font-weight: 600; max-width: 75ch; }
.finding.warn, .warn { color: #7a5200; }
.bad { color: var(--bad); }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-size: 12px; color: var(--muted); padding-bottom: 2px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: middle; }
thead th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid var(--ink); font-size: 13px; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #fafbfc; }
tfoot th, tfoot td { border-top: 2px solid var(--ink); border-bottom: 0; font-weight: 600; }
.num { text-align: right; }
th button { all: unset; cursor: pointer; }
th button:hover, th button:focus-visible { text-decoration: underline; }
th[aria-sort="ascending"] button::after { content: " ▲"; font-size: 10px; }
th[aria-sort="descending"] button::after { content: " ▼"; font-size: 10px; }
tr.short, tr.low { background: var(--warn) !important; box-shadow: inset 4px 0 var(--warn-edge); }
tr.confirmed td:nth-child(6) { color: var(--bad); font-weight: 600; }
.per-class th, .per-class td { padding: 4px 8px; font-size: 13px; }
.bar-col { min-width: 190px; white-space: nowrap; font-size: 13px; color: var(--muted); }
.bar { display: inline-block; vertical-align: middle; height: 10px; width: calc(var(--share) * 120px); min-width: 1px; background: var(--accent); border-radius: 2px; margin-right: 6px; }
.sheet { margin: 0 0 28px; break-inside: avoid; }
.sheet figcaption { margin-bottom: 6px; }
img { image-rendering: pixelated; max-width: 100%; height: auto; }
.sheet img { display: block; border: 1px solid var(--rule); }
img.pair { display: block; }
.plot { margin: 16px 0; }
.plot svg { max-width: 100%; height: auto; display: block; }
.plot figcaption { font-size: 13px; color: var(--muted); }
.links { padding-left: 20px; }
.links .url { color: var(--muted); font-size: 12px; word-break: break-all; }
.hash { word-break: break-all; font-size: 12px; }
footer { margin-top: 48px; padding-top: 12px; border-top: 1px solid var(--rule); color: var(--muted); font-size: 12px; }
@media screen and (max-width: 720px) { .totals { grid-template-columns: repeat(2, 1fr); } table { display: block; overflow-x: auto; } }
.per-class th, .per-class td.num { text-align: center; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  table { font-size: 9pt; }
  th, td { padding: 3px 6px; }
  td:not(.num) { overflow-wrap: break-word; }
  nav { display: none; }
  h2 { break-after: avoid; }
  tr, .total, figure { break-inside: avoid; }
  thead th { position: static; }
  tr.short, tr.low, .total, .bar { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
@page { margin: 14mm; }
`;

/** Sorts a table by a column when its heading is clicked (again: the other way), by `data-value` where a cell has one. */
const SORT_SCRIPT = `
for (const table of document.querySelectorAll('table.sortable')) {
  const heads = [...table.tHead.rows[0].cells];
  heads.forEach((th, col) => {
    const button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', () => {
      const up = th.getAttribute('aria-sort') !== 'ascending';
      heads.forEach((h) => h.removeAttribute('aria-sort'));
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      const key = (row) => { const cell = row.cells[col]; return cell.dataset.value ?? cell.textContent.trim(); };
      const compare = (a, b) => (a !== '' && b !== '' && !isNaN(a) && !isNaN(b) ? a - b : a.localeCompare(b));
      const body = table.tBodies[0];
      body.append(...[...body.rows].sort((a, b) => compare(key(a), key(b)) * (up ? 1 : -1)));
    });
  });
}
`;

/** Only what the report itself holds: data-URL images, inline styles, and the sorting script above (by its hash). */
const CSP = [
  "default-src 'none'",
  'img-src data:',
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${createHash('sha256').update(SORT_SCRIPT).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

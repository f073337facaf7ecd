// A release report's data as the lead's stage would gather it, made with the
// real helpers (per-class contact sheets, agreementTable, evaluateRelease and
// vega's scatter plot) over hand-chosen numbers; shared by the unit and browser tests.
import { agreementTable, type AcceptedMap } from '../../lib/agreement';
import { classContactSheets, contactSheet } from '../../lib/contact-sheet';
import { CLASSES, evaluateRelease, type PredictionSet } from '../../lib/evaluation/accuracy';
import { scatterSvg } from '../../lib/evaluation/plot';
import type { DuplicateRound, QuotaRow, ReleaseReportData } from '../../lib/release-report';

/** A keyword name from a user's pool that would run as code if the report did not escape it. */
export const TRAP_KEYWORD = `<script>alert("kw")</script> & 'co'`;
/** A model name that would be markup if not escaped. */
export const TRAP_MODEL = '<b>resnet</b>&co';

export const HISTORY = [
  { label: 'build cifar101-v9-0123456789ab', url: 'http://127.0.0.1:8233/namespaces/default/workflows/cifar101-v9-0123456789ab' },
  { label: 'round 1 <labels>', url: 'http://127.0.0.1:8233/namespaces/default/workflows/cifar101-v9-0123456789ab%2Fround1/history?a=1&b="2"' },
];

const EXCLUSIONS = {
  'keyword-excluded': 120,
  'keyword-not-in-top-k': 1534,
  'no-quota': 0,
  'rejected-round1': 412,
  'too-close-to-cifar10': 37,
  'rejected-round2': 58,
  blacklisted: 4,
  'not-drawn': 2210,
};

/**
 * A report of `perClass[c]` images of CLASSES[c] (tile(i) draws image i, 32×32 RGB), two keywords
 * a class: the first class's second keyword is TRAP_KEYWORD and 3 short of its quota. Three
 * near-duplicate rounds (3 pairs, then 1, then none), κ from two labeling rounds, four models.
 */
export async function reportData(perClass: number[], tile: (i: number) => Uint8Array, format: 'png' | 'webp' = 'webp'): Promise<ReleaseReportData> {
  const classes = CLASSES.slice(0, perClass.length);
  const images = perClass.reduce((s, n) => s + n, 0);
  const labels = perClass.flatMap((n, c) => Array<number>(n).fill(c));
  const pixels = new Uint8Array(images * 3072);
  labels.forEach((_, i) => pixels.set(tile(i), i * 3072));

  const quotas: QuotaRow[] = classes.flatMap((className, c) => {
    const first = Math.round(perClass[c] * 0.6);
    const second = perClass[c] - first;
    return [
      { className, keyword: `${className}_first`, quota: first, confirmed: first + 5, drawn: first },
      c === 0
        ? { className, keyword: TRAP_KEYWORD, quota: second + 3, confirmed: second, drawn: second }
        : { className, keyword: `${className}_second`, quota: second, confirmed: second + 1, drawn: second },
    ];
  });

  // Round 1 judged 10 images per keyword and accepted the first 7; round 2 accepted a share of those.
  const offered: AcceptedMap = {};
  const round1: AcceptedMap = {};
  const round2: AcceptedMap = {};
  let next = 1000;
  quotas.forEach((q, k) => {
    const ids = Array.from({ length: 10 }, () => next++);
    (offered[q.className] ??= {})[q.keyword] = ids;
    (round1[q.className] ??= {})[q.keyword] = ids.slice(0, 7);
    (round2[q.className] ??= {})[q.keyword] = ids.slice(0, 7 - (k % 4)).concat(k % 3 === 0 ? [ids[8]] : []);
  });

  const pair = async (a: number, b: number) => contactSheet([tile(a), tile(b)], { height: 32, width: 32, channels: 3 }, { columns: 2, gap: 1 });
  const nearDuplicates: DuplicateRound[] = [
    {
      round: 1,
      pairs: [
        { id: 'within:10:11', kind: 'within', ti: 11, other: 10, distance: 812.43, rows: [11, 10], confirmed: true, image: await pair(1, 2) },
        { id: 'cifar:14:5907', kind: 'cifar', ti: 14, other: 5907, distance: 1503.94, rows: [14, 5907], confirmed: true, image: await pair(3, 4) },
        { id: 'within:20:31', kind: 'within', ti: 31, other: 20, distance: 1999.5, rows: [31, 20], confirmed: false },
      ],
    },
    { round: 2, pairs: [{ id: 'within:40:47', kind: 'within', ti: 47, other: 40, distance: 640.12, rows: [47, 40], confirmed: true, image: await pair(5, 6) }] },
    { round: 3, pairs: [] },
  ];

  return {
    release: 'v9',
    builtAt: '2026-11-30T09:15:00Z',
    configFile: 'configs/v9.yaml',
    source: 'TinyImages',
    images,
    classes: [...classes],
    perClass,
    candidates: images + Object.values(EXCLUSIONS).reduce((s, n) => s + n, 0),
    contactSheets: await classContactSheets(pixels, labels, classes, { format }),
    quotas,
    exclusions: EXCLUSIONS,
    nearDuplicates,
    agreement: agreementTable({ round1Offered: offered, round1, round2 }),
    accuracy: await accuracy(),
    history: HISTORY,
    files: [
      { name: 'cifar10.1_v9_data.npy', sha256: 'a'.repeat(64), bytes: images * 3072 + 128 },
      { name: 'cifar10.1_v9_labels.npy', sha256: 'b'.repeat(64), bytes: images * 8 + 128 },
      { name: 'manifest.json', sha256: 'c'.repeat(64), bytes: 579 },
    ],
  };
}

/** Four models on 200 CIFAR-10 and 100 new images, each wrong on every k-th image (k per model and test set). */
async function accuracy(): Promise<ReleaseReportData['accuracy']> {
  const set = (n: number, every: Record<string, number>): PredictionSet => {
    const labels = Array.from({ length: n }, (_, i) => i % 10);
    const predictions = Object.fromEntries(Object.entries(every).map(([model, k]) => [model, labels.map((l, i) => (i % k === 0 ? (l + 1) % 10 : l))]));
    return { labels, predictions };
  };
  const ev = evaluateRelease('v9', set(200, { densenet: 25, [TRAP_MODEL]: 12, vgg: 6, linear: 3 }), set(100, { densenet: 9, [TRAP_MODEL]: 6, vgg: 4, linear: 2 }));
  return { rows: ev.rows, scatterSvg: await scatterSvg(ev) };
}

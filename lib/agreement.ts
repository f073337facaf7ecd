// Agreement between the two labeling rounds, for the release report.
import { InputError } from './errors';

/** Accepted TinyImages indices per class and keyword, as `labels-round<N>/accepted.json` stores them. */
export type AcceptedMap = Record<string, Record<string, number[]>>;

/** The 2×2 table of two yes/no judgements over the same images. */
export interface Agreement {
  /** Images both rounds judged. */
  images: number;
  bothAccepted: number;
  onlyRound1: number;
  onlyRound2: number;
  bothRejected: number;
  /** Fraction of images with the same verdict. */
  observed: number | null;
  /** Cohen's kappa; null when undefined (no images, or both rounds gave every image the same single verdict). */
  kappa: number | null;
}

/**
 * Cohen's kappa between two rounds' accept/reject verdicts on `offered`:
 * an offered image a round did not accept counts as rejected by it.
 * Accepted images that were not offered are an error (they are not in the table).
 */
export function cohensKappa(round1Accepted: Iterable<number>, round2Accepted: Iterable<number>, offered: Iterable<number>): Agreement {
  const items = new Set(offered);
  const r1 = acceptedWithin(round1Accepted, items, 'round 1');
  const r2 = acceptedWithin(round2Accepted, items, 'round 2');
  let bothAccepted = 0;
  let onlyRound1 = 0;
  let onlyRound2 = 0;
  for (const ti of items) {
    if (r1.has(ti) && r2.has(ti)) bothAccepted++;
    else if (r1.has(ti)) onlyRound1++;
    else if (r2.has(ti)) onlyRound2++;
  }
  const n = items.size;
  const bothRejected = n - bothAccepted - onlyRound1 - onlyRound2;
  if (n === 0) return { images: 0, bothAccepted, onlyRound1, onlyRound2, bothRejected, observed: null, kappa: null };
  const observed = (bothAccepted + bothRejected) / n;
  const yes1 = (bothAccepted + onlyRound1) / n;
  const yes2 = (bothAccepted + onlyRound2) / n;
  const expected = yes1 * yes2 + (1 - yes1) * (1 - yes2);
  // expected === 1 only when both rounds gave one and the same verdict to every image: kappa is 0/0.
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { images: n, bothAccepted, onlyRound1, onlyRound2, bothRejected, observed, kappa };
}

function acceptedWithin(accepted: Iterable<number>, offered: Set<number>, round: string): Set<number> {
  const out = new Set<number>();
  for (const ti of accepted) {
    if (!offered.has(ti)) throw new InputError(`image ${ti} is accepted but was not offered`, round);
    out.add(ti);
  }
  return out;
}

export interface KeywordAgreement extends Agreement {
  className: string;
  keyword: string;
}

/**
 * Per-keyword agreement between the rounds, over the images the first round
 * was offered. Round 2 only re-judges what round 1 accepted, so an image round
 * 1 rejected counts as rejected by round 2 too; images accepted in round 1 but
 * left out of round 2 (too close to CIFAR-10) are not counted, when
 * `round2Offered` says which those are. The last row ("all") pools every keyword.
 */
export function agreementTable(input: {
  round1Offered: AcceptedMap;
  round1: AcceptedMap;
  round2: AcceptedMap;
  round2Offered?: AcceptedMap;
}): KeywordAgreement[] {
  const rows: KeywordAgreement[] = [];
  const pooled = { r1: [] as number[], r2: [] as number[], offered: [] as number[] };
  for (const className of Object.keys(input.round1Offered).sort()) {
    for (const keyword of Object.keys(input.round1Offered[className]).sort()) {
      const r1 = input.round1[className]?.[keyword] ?? [];
      const r2 = input.round2[className]?.[keyword] ?? [];
      const shown2 = input.round2Offered ? new Set(input.round2Offered[className]?.[keyword] ?? []) : null;
      const r1Set = new Set(r1);
      // Keep what round 2 judged: everything round 1 rejected, and what round 1 accepted that was shown again.
      const offered = input.round1Offered[className][keyword].filter((ti) => !shown2 || !r1Set.has(ti) || shown2.has(ti));
      const kept = new Set(offered);
      const a1 = r1.filter((ti) => kept.has(ti));
      const where = `${className}/${keyword}`;
      let agreement: Agreement;
      try {
        agreement = cohensKappa(a1, r2, offered);
      } catch (err) {
        throw new InputError((err as Error).message, where);
      }
      rows.push({ className, keyword, ...agreement });
      // Pool with keyword-qualified ids: one image can be a candidate of two keywords.
      const base = pooled.offered.length;
      const id = (ti: number) => base + offered.indexOf(ti);
      pooled.r1.push(...a1.map(id));
      pooled.r2.push(...r2.map(id));
      pooled.offered.push(...offered.map(id));
    }
  }
  rows.push({ className: 'all', keyword: 'all', ...cohensKappa(pooled.r1, pooled.r2, pooled.offered) });
  return rows;
}

/** The table as Markdown, for the release report. */
export function formatAgreementTable(rows: KeywordAgreement[]): string {
  const fmt = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  const lines = [
    '| class | keyword | images | both accepted | round 1 only | round 2 only | both rejected | agreement | Cohen\'s κ |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.className} | ${r.keyword} | ${r.images} | ${r.bothAccepted} | ${r.onlyRound1} | ${r.onlyRound2} | ${r.bothRejected} | ${fmt(r.observed)} | ${fmt(r.kappa)} |`);
  }
  return lines.join('\n') + '\n';
}

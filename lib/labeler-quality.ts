// Per-labeler quality for the admin page: accuracy on hidden controls, pace,
// time spent and agreement with the others, from the decision log.
import { z } from 'zod';
import { cohensKappa } from './agreement';
import { InputError } from './errors';

const iso = z.iso.datetime({ offset: true });
const imageIndex = z.int().nonnegative();

/** One submitted page, as the decision log keeps it (controls are not in it). */
export const decisionRecordSchema = z.object({
  labeler: z.string().min(1),
  round: z.union([z.literal(1), z.literal(2)]),
  pageId: z.string().min(1),
  className: z.string(),
  keyword: z.string(),
  /** The candidates decided: every image shown on the page (TinyImages indices), controls excluded. */
  offered: z.array(imageIndex),
  /** The candidates accepted; the rest of `offered` were rejected. */
  accepted: z.array(imageIndex),
  /** When the page was opened (claimed) and submitted, ISO. */
  openedAt: iso,
  submittedAt: iso,
});
export type DecisionRecord = z.infer<typeof decisionRecordSchema>;

/** One answer on a hidden control image. */
export const controlAnswerRecordSchema = z.object({
  labeler: z.string().min(1),
  pageId: z.string().min(1),
  /** Accept is the right answer (a positive control). */
  expected: z.boolean(),
  /** The labeler accepted it. */
  answered: z.boolean(),
  at: iso,
});
export type ControlAnswerRecord = z.infer<typeof controlAnswerRecordSchema>;

export interface QualityOptions {
  /** Flag a labeler whose control accuracy is under this (0–1)… */
  minAccuracy: number;
  /** …once they answered at least this many controls (fewer say too little to judge). */
  minControls: number;
  /** Most time one page counts for: an idle tab left open over lunch adds at most this. */
  maxPageMs: number;
}

/**
 * Defaults for when the config says nothing. 30 min per page: a page of a
 * couple of hundred images takes a few minutes at 1–2 s an image, so half an
 * hour is generous for real work and stops an overnight tab counting for hours.
 */
export const DEFAULT_QUALITY_OPTIONS: QualityOptions = { minAccuracy: 0.8, minControls: 10, maxPageMs: 30 * 60_000 };

/** Less working time than this gives no rate: a page sent seconds after it opened (or sent by a script) would read as thousands an hour. */
const MIN_RATE_MS = 60_000;

export interface ControlTally {
  answered: number;
  correct: number;
}

export interface PairAgreement {
  labeler: string;
  /** Images both decided (the same class, keyword and image). */
  images: number;
  /** Fraction with the same verdict; null without images. */
  observed: number | null;
  kappa: number | null;
}

export interface LabelerQuality {
  labeler: string;
  /** Pages submitted, sorted. */
  pages: string[];
  /** Candidate images decided (controls not included). */
  decisions: number;
  controls: ControlTally & {
    /** correct / answered; null with no controls answered. */
    accuracy: number | null;
    /** Split by the right answer: accepting everything shows as perfect positives and failed negatives. */
    positives: ControlTally;
    negatives: ControlTally;
  };
  /** Working time: the union of the pages' open→submit spans, each capped at `maxPageMs` (two tabs at once count once). */
  timeMs: number;
  /** Items judged (candidates and controls) per hour of working time; null under a minute of it. */
  perHour: number | null;
  /** Cohen's kappa with everyone else, pooled over the images decided by both, and per person. */
  agreement: Omit<PairAgreement, 'labeler'> & { with: PairAgreement[] };
  /** Control accuracy is under `minAccuracy` with at least `minControls` answered: their pages want review. */
  flagged: boolean;
  /** Why, in words; null when not flagged. */
  flagReason: string | null;
}

/**
 * Quality per labeler, sorted by name, for everyone with a decision or a control answer.
 *
 * Agreement compares verdicts on the same image of the same keyword, whatever
 * the round. Note what that means for round 2: a verifier sees only what round
 * 1 accepted, so against the round-1 labeler every shared image is an "accept"
 * on one side, and kappa there is 0 or undefined by construction; `observed`
 * (the share of their accepts the verifier confirmed) is the figure to read.
 * Kappa is informative where two people judged the same pool (overlapping
 * round-1 pages). When one person decided an image twice, the later submission counts.
 */
export function labelerQuality(
  decisions: readonly DecisionRecord[],
  controls: readonly ControlAnswerRecord[],
  options: Partial<QualityOptions> = {},
): LabelerQuality[] {
  const opts = { ...DEFAULT_QUALITY_OPTIONS, ...options };
  const names = [...new Set([...decisions.map((d) => d.labeler), ...controls.map((c) => c.labeler)])].sort();
  const verdicts = new Map(names.map((n) => [n, new Map<string, boolean>()]));
  const spans = new Map(names.map((n) => [n, [] as Array<[number, number]>]));
  const pages = new Map(names.map((n) => [n, new Set<string>()]));
  const decided = new Map(names.map((n) => [n, 0]));

  const ordered = decisions.map((d) => ({ d, opened: time(d.openedAt, d, 'openedAt'), submitted: time(d.submittedAt, d, 'submittedAt') }));
  // Sorted by submission (stable), so a later decision on the same image overwrites an earlier one.
  ordered.sort((a, b) => a.submitted - b.submitted);
  for (const { d, opened, submitted } of ordered) {
    const where = `${d.labeler}, page "${d.pageId}"`;
    if (submitted < opened) throw new InputError(`submitted (${d.submittedAt}) before it was opened (${d.openedAt})`, where);
    const offered = new Set(d.offered);
    const accepted = new Set(d.accepted);
    for (const ti of accepted) if (!offered.has(ti)) throw new InputError(`image ${ti} is accepted but was not offered`, where);
    const mine = verdicts.get(d.labeler)!;
    for (const ti of offered) mine.set(imageKey(d, ti), accepted.has(ti));
    spans.get(d.labeler)!.push([opened, Math.min(submitted, opened + opts.maxPageMs)]);
    pages.get(d.labeler)!.add(d.pageId);
    decided.set(d.labeler, decided.get(d.labeler)! + offered.size);
  }

  return names.map((labeler) => {
    const own = controls.filter((c) => c.labeler === labeler);
    const tally = (list: readonly ControlAnswerRecord[]): ControlTally => ({ answered: list.length, correct: list.filter((c) => c.answered === c.expected).length });
    const all = tally(own);
    const accuracy = all.answered ? all.correct / all.answered : null;
    const timeMs = unionLength(spans.get(labeler)!);
    const items = decided.get(labeler)! + all.answered;
    const flagged = accuracy !== null && all.answered >= opts.minControls && accuracy < opts.minAccuracy;
    return {
      labeler,
      pages: [...pages.get(labeler)!].sort(),
      decisions: decided.get(labeler)!,
      controls: { ...all, accuracy, positives: tally(own.filter((c) => c.expected)), negatives: tally(own.filter((c) => !c.expected)) },
      timeMs,
      perHour: timeMs >= MIN_RATE_MS ? items / (timeMs / 3600_000) : null,
      agreement: agreementWithOthers(labeler, verdicts),
      flagged,
      flagReason: flagged
        ? `control accuracy ${percent(accuracy!)} (${all.correct} of ${all.answered}) is under ${percent(opts.minAccuracy)}`
        : null,
    };
  });
}

/** The quality table as Markdown, for the admin page and the CLI. */
export function formatQualityTable(rows: readonly LabelerQuality[]): string {
  const lines = [
    '| labeler | pages | decisions | controls correct | positives | negatives | time | per hour | κ with others | flag |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const c = r.controls;
    const controlsCell = c.accuracy === null ? '–' : `${percent(c.accuracy)} (${c.correct}/${c.answered})`;
    const kappa = r.agreement.kappa === null ? '–' : `${r.agreement.kappa.toFixed(2)} (${r.agreement.images} images)`;
    lines.push(`| ${r.labeler} | ${r.pages.length} | ${r.decisions} | ${controlsCell} | ${c.positives.correct}/${c.positives.answered} | ${c.negatives.correct}/${c.negatives.answered} | ${formatMinutes(r.timeMs)} | ${r.perHour === null ? '–' : Math.round(r.perHour)} | ${kappa} | ${r.flagReason ?? ''} |`);
  }
  return lines.join('\n') + '\n';
}

/** Kappa of `labeler` with each other person over the images both decided, and pooled over all of them. */
function agreementWithOthers(labeler: string, verdicts: Map<string, Map<string, boolean>>): LabelerQuality['agreement'] {
  const mine = verdicts.get(labeler)!;
  const pooled = { mine: [] as number[], theirs: [] as number[], images: [] as number[] };
  const withOthers: PairAgreement[] = [];
  for (const [other, theirs] of verdicts) {
    if (other === labeler) continue;
    const pair = { mine: [] as number[], theirs: [] as number[], images: [] as number[] };
    for (const [key, accepted] of mine) {
      if (!theirs.has(key)) continue;
      // Ids count up across all pairs, so one image compared with two people is two rows of the pooled table.
      const id = pooled.images.length;
      for (const table of [pair, pooled]) {
        table.images.push(id);
        if (accepted) table.mine.push(id);
        if (theirs.get(key)) table.theirs.push(id);
      }
    }
    if (!pair.images.length) continue;
    const a = cohensKappa(pair.mine, pair.theirs, pair.images);
    withOthers.push({ labeler: other, images: a.images, observed: a.observed, kappa: a.kappa });
  }
  const a = cohensKappa(pooled.mine, pooled.theirs, pooled.images);
  return { images: a.images, observed: a.observed, kappa: a.kappa, with: withOthers };
}

/** An image as a decision: the same TinyImages index under two keywords is two decisions. */
function imageKey(d: DecisionRecord, ti: number): string {
  return JSON.stringify([d.className, d.keyword, ti]);
}

function time(value: string, d: DecisionRecord, key: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InputError(`${key} is not a time: ${JSON.stringify(value)}`, `${d.labeler}, page "${d.pageId}"`);
  return t;
}

/** Total length of the union of [start, end] spans. */
function unionLength(spans: Array<[number, number]>): number {
  let total = 0;
  let current: [number, number] | null = null;
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (current && start <= current[1]) {
      current[1] = Math.max(current[1], end);
    } else {
      if (current) total += current[1] - current[0];
      current = [start, end];
    }
  }
  return total + (current ? current[1] - current[0] : 0);
}

function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** "50 min", "2 h 05 min". */
function formatMinutes(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

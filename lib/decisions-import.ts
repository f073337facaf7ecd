import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from './errors';
import { inputFileSize } from './formats/files';

/**
 * One line of a decisions file (`labeling.mode: import`): a person's verdict
 * on one image of one keyword in one labeling round. `image` names the image
 * by its pool id, its pool path, or its TinyImages index (a number).
 */
const decisionLine = z.strictObject({
  round: z.literal([1, 2], { error: 'expected 1 or 2' }),
  keyword: z.string().min(1),
  image: z.union([z.string().min(1), z.int().nonnegative()], { error: 'expected a pool id or path (a string) or a TinyImages index (an integer >= 0)' }),
  accepted: z.boolean(),
  labeler: z.string().min(1),
  time: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with its offset, such as 2026-11-29T10:00:00Z' }),
});

/** A decision as read, with the line it came from. */
export type ImportedDecision = z.output<typeof decisionLine> & { line: number };

/** A decisions file, every line valid: its decisions by round, then keyword, in file order. */
export interface DecisionsFile {
  file: string;
  rounds: Record<1 | 2, Map<string, ImportedDecision[]>>;
}

/** Most bad lines listed in one error; the count of the rest follows. */
const LISTED = 10;

/** Reads and checks a decisions file (JSONL); see parseDecisions. */
export async function readDecisions(file: string): Promise<DecisionsFile> {
  await inputFileSize(file);
  return parseDecisions(await readFile(file, 'utf8'), file);
}

/**
 * Checks every line of a decisions file (one JSON object a line; blank lines
 * ignored): `round` 1 or 2, `keyword`, `image` (pool id, path, or TinyImages
 * index), `accepted`, `labeler`, `time` (ISO 8601 with offset). Any bad line
 * fails the whole file, the error naming the file and each bad line, so a
 * file is taken whole or not at all.
 */
export function parseDecisions(text: string, file: string): DecisionsFile {
  const rounds: DecisionsFile['rounds'] = { 1: new Map(), 2: new Map() };
  const bad: string[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      bad.push(`line ${line}: not JSON`);
      return;
    }
    const parsed = decisionLine.safeParse(value);
    if (!parsed.success) {
      bad.push(`line ${line}: ${parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ')}`);
      return;
    }
    const decision = { ...parsed.data, line };
    const byKeyword = rounds[decision.round];
    byKeyword.set(decision.keyword, [...(byKeyword.get(decision.keyword) ?? []), decision]);
  });
  if (bad.length) throw new InputError(listed(bad), file);
  return { file, rounds };
}

/** A labeling task of the build, as the import needs it: its keyword and the TinyImages indices it offers. */
export interface OfferedTask {
  id: string;
  keyword: string;
  offered: number[];
}

/** A round's imported decisions for one task, in the shape of the labeling page's submission. */
export interface ImportedTaskDecision {
  taskId: string;
  /** Offered TinyImages indices accepted, in offer order. */
  accepted: number[];
  /** Offered indices the file says nothing about. */
  undecided: number[];
  /** The labelers, in order of first appearance, joined by ", "; absent when the file has no decision for the task. */
  labeler?: string;
  /** The latest time among the task's decisions (ISO, UTC). */
  at?: string;
}

/**
 * Matches a round's decisions to the round's tasks. `resolve` turns a
 * decision's `image` into a TinyImages index (a pool corpus maps ids and paths
 * through pool_rows.jsonl; see imageResolver). Every decision must be for an
 * image offered by its keyword's task, once; otherwise nothing is returned and
 * the InputError names the file and every line at fault (a keyword with no
 * task this round, an image not offered, an image decided twice).
 */
export function matchRound(
  decisions: DecisionsFile,
  round: 1 | 2,
  tasks: OfferedTask[],
  resolve: (image: string | number) => number | undefined,
): ImportedTaskDecision[] {
  const foreign: { line: number; why: string }[] = [];
  const taskOf = new Map(tasks.map((t) => [t.keyword, t]));
  for (const [keyword, list] of decisions.rounds[round]) {
    if (!taskOf.has(keyword)) foreign.push(...list.map((d) => ({ line: d.line, why: `keyword "${keyword}" has no task in round ${round}` })));
  }
  const results = tasks.map((task) => {
    const offered = new Set(task.offered);
    const verdicts = new Map<number, ImportedDecision>();
    for (const d of decisions.rounds[round].get(task.keyword) ?? []) {
      const index = resolve(d.image);
      const twin = index === undefined ? undefined : verdicts.get(index);
      if (index === undefined || !offered.has(index)) foreign.push({ line: d.line, why: `image ${JSON.stringify(d.image)} was not offered for keyword "${task.keyword}" in round ${round}` });
      else if (twin) foreign.push({ line: d.line, why: `image ${JSON.stringify(d.image)} was decided already on line ${twin.line}` });
      else verdicts.set(index, d);
    }
    const decided = [...verdicts.values()].sort((a, b) => a.line - b.line);
    const result: ImportedTaskDecision = {
      taskId: task.id,
      accepted: task.offered.filter((i) => verdicts.get(i)?.accepted),
      undecided: task.offered.filter((i) => !verdicts.has(i)),
    };
    if (decided.length) {
      result.labeler = [...new Set(decided.map((d) => d.labeler))].join(', ');
      result.at = decided.map((d) => new Date(d.time).toISOString()).sort().at(-1);
    }
    return result;
  });
  if (foreign.length) throw new InputError(listed(foreign.sort((a, b) => a.line - b.line).map((f) => `line ${f.line}: ${f.why}`)), decisions.file);
  return results;
}

/**
 * Resolves a decision's `image` for matchRound: a number is a TinyImages index
 * as is; a string is a pool id, else a pool path, looked up in the corpus rows
 * (pool_rows.jsonl: `row` is the index).
 */
export function imageResolver(rows: { row: number; id: string; path: string }[]): (image: string | number) => number | undefined {
  const byId = new Map(rows.map((r) => [r.id, r.row]));
  const byPath = new Map(rows.map((r) => [r.path, r.row]));
  return (image) => (typeof image === 'number' ? image : byId.get(image) ?? byPath.get(image));
}

function listed(lines: string[]): string {
  const more = lines.length > LISTED ? `; and ${lines.length - LISTED} more` : '';
  return lines.slice(0, LISTED).join('; ') + more;
}

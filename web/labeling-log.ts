// What people did in the label server, kept in the store beside the builds' own decision log:
// `<store>/labeling/decisions.jsonl`, one line per submitted page (the candidates offered and
// accepted, when the page was opened and submitted, the request id), and `controls.jsonl`, one
// line per answer on a hidden control image. The admin page's figures come from them; controls
// never reach the builds.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseJsonLines } from '../lib/json-file';
import { controlAnswerRecordSchema, decisionRecordSchema } from '../lib/labeler-quality';

/** One submitted page, as logged: what quality needs, and where the page and its Update are. */
export const loggedDecisionSchema = decisionRecordSchema.extend({
  /** The round's workflow the decision went to, and the build it belongs to. */
  workflowId: z.string(),
  build: z.string(),
  /** The page's request id: a retried submission is answered from here. */
  requestId: z.string(),
  /** The round's pages (`pages.json`, store-relative), to show the page again for review. */
  pages: z.string(),
  /** How many images the person selected (candidates and controls): what the page was told. */
  selected: z.int().nonnegative(),
});
export type LoggedDecision = z.infer<typeof loggedDecisionSchema>;

export const loggedControlSchema = controlAnswerRecordSchema.extend({
  requestId: z.string(),
  id: z.string(),
  cifarRow: z.int().nonnegative(),
});
export type LoggedControl = z.infer<typeof loggedControlSchema>;

/**
 * The label server's log. Appends run one at a time; a page's control answers
 * are written before its decision, and read back only when the decision is
 * there, so a crash between the two leaves no orphan answers counted.
 */
export class LabelingLog {
  readonly decisionsFile: string;
  readonly controlsFile: string;
  private queue: Promise<unknown> = Promise.resolve();
  private byRequest: Promise<Map<string, LoggedDecision>> | null = null;

  constructor(storeRoot: string) {
    this.decisionsFile = path.join(storeRoot, 'labeling', 'decisions.jsonl');
    this.controlsFile = path.join(storeRoot, 'labeling', 'controls.jsonl');
  }

  /** The decision `name` sent under `requestId`, if it was recorded. */
  async request(name: string, requestId: string): Promise<LoggedDecision | null> {
    this.byRequest ??= this.read().then(({ decisions }) => new Map(decisions.map((d) => [requestKey(d.labeler, d.requestId), d])));
    return (await this.byRequest).get(requestKey(name, requestId)) ?? null;
  }

  /** Logs a submitted page and its control answers. */
  append(decision: LoggedDecision, controls: LoggedControl[]): Promise<void> {
    const run = this.queue.then(async () => {
      await mkdir(path.dirname(this.decisionsFile), { recursive: true });
      if (controls.length) await appendFile(this.controlsFile, controls.map((c) => JSON.stringify(c) + '\n').join(''));
      await appendFile(this.decisionsFile, JSON.stringify(decision) + '\n');
      if (this.byRequest) (await this.byRequest).set(requestKey(decision.labeler, decision.requestId), decision);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Everything logged: decisions in order, and the control answers of logged decisions (each once). */
  async read(): Promise<{ decisions: LoggedDecision[]; controls: LoggedControl[] }> {
    await this.queue;
    const decisions = parseJsonLines(await readOrEmpty(this.decisionsFile), loggedDecisionSchema, this.decisionsFile);
    const logged = new Set(decisions.map((d) => requestKey(d.labeler, d.requestId)));
    const seen = new Set<string>();
    const controls = parseJsonLines(await readOrEmpty(this.controlsFile), loggedControlSchema, this.controlsFile).filter((c) => {
      const key = `${requestKey(c.labeler, c.requestId)}\0${c.id}`;
      if (!logged.has(requestKey(c.labeler, c.requestId)) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { decisions, controls };
  }
}

const requestKey = (name: string, requestId: string) => `${name}\0${requestId}`;

async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../lib/errors';
import { writeFileAtomic } from '../lib/formats/files';
import { ArtifactStore, type StageOutput } from '../lib/store';
import { submitLabels } from '../workflows/messages';
import type { LabelDecision, LabelTask } from '../workflows/types';
import { loadNeighbors, loadSubsets, type ActivityDeps, type ExtractSummary, type SubsetsSummary } from './common';
import { quotaOf, type Quotas } from './compute-counts';
import { runStage } from './context';

const VERSION = 1;
const LABELS_VERSION = 2;
/** CIFAR-10 images of a keyword shown beside its task, for reference. */
const REFERENCES = 16;

export interface PreparedRound {
  stage: string;
  key: string;
  cached: boolean;
  /** Tasks still waiting for a labeler. */
  tasks: LabelTask[];
  /** Decisions found in the store for identical tasks (same round, keyword and offered images). */
  decided: LabelDecision[];
  /** Every task of the round. */
  all: LabelTask[];
}

/** Decisions are stored per task content, so an identical task (a rebuild, or v6 after v4) is never asked twice. */
function decisionKey(task: LabelTask, mode: string): string {
  return ArtifactStore.key('decision', VERSION, { mode, round: task.round, className: task.className, keyword: task.keyword, offered: task.offered });
}

async function prepareRound(
  store: ArtifactStore,
  stage: string,
  round: 1 | 2,
  mode: string,
  inputs: { extract: StageOutput<ExtractSummary>; keywords: StageOutput; subsets: StageOutput<SubsetsSummary>; counts: StageOutput },
  offer: (entry: { className: string; keyword: string; rows: number[] }, subsets: { tiIndices: Int32Array; rowOf: Map<number, number> }) => { offered: number[]; preselected?: number[] },
): Promise<PreparedRound> {
  const { tiIndices, entries, rowOf } = await loadSubsets(store, inputs.subsets);
  const quotas = await store.readJson<Quotas>(inputs.counts.files['quotas.json']);
  const cifarKeywords = await store.readJson<Array<string | null>>(inputs.keywords.files['cifar_keywords.json']);
  const all: LabelTask[] = [];
  for (const entry of entries) {
    const needed = quotaOf(quotas, entry.className, entry.keyword);
    if (needed === 0) continue;
    const { offered, preselected } = offer(entry, { tiIndices, rowOf });
    const references: number[] = [];
    for (let i = 0; i < cifarKeywords.length && references.length < REFERENCES; i++) if (cifarKeywords[i] === entry.keyword) references.push(i);
    all.push({
      id: `r${round}/${entry.className}/${entry.keyword}`,
      round,
      className: entry.className,
      keyword: entry.keyword,
      offered,
      ...(preselected ? { preselected } : {}),
      needed,
      images: inputs.subsets.files['candidate_images.npy'],
      rows: offered.map((ti) => rowOf.get(ti)!),
      references,
      cifarImages: inputs.extract.files['cifar10_images.npy'],
    });
  }
  const tasks: LabelTask[] = [];
  const decided: LabelDecision[] = [];
  for (const task of all) {
    const found = await store.lookup<LabelDecision>('decisions', decisionKey(task, mode));
    if (found) decided.push({ ...found.summary, taskId: task.id });
    else tasks.push(task);
  }
  const key = ArtifactStore.key(stage, VERSION, { tasks: all.map((t) => [t.id, t.offered]) });
  return { stage, key, cached: tasks.length === 0, tasks, decided, all };
}

type RoundInputs = {
  extract: StageOutput<ExtractSummary>;
  keywords: StageOutput;
  subsets: StageOutput<SubsetsSummary>;
  distances: StageOutput<{ start: number; end: number; k: number }>[];
  counts: StageOutput;
  mode: string;
};

/**
 * Stage 5 (prepare): one task per keyword with a quota: its candidates that
 * are not CIFAR-10 images. The workflow then waits for the labeler's Update.
 */
export function labelCandidates({ store }: ActivityDeps) {
  return async function labelCandidates(input: RoundInputs): Promise<PreparedRound> {
    return runStage(() => prepareRound(store, 'labelCandidates', 1, input.mode, input, (entry, { tiIndices }) => ({ offered: entry.rows.map((row) => tiIndices[row]) })));
  };
}

/**
 * Stage 6 (prepare): the first round's accepted images, minus those within
 * L2 `minCifarDistance` of a CIFAR-10 image, offered for confirmation.
 */
export function confirmCandidates({ store }: ActivityDeps) {
  return async function confirmCandidates(input: RoundInputs & { labels: StageOutput; minCifarDistance: number }): Promise<PreparedRound> {
    return runStage(async () => {
      const neighbors = await loadNeighbors(store, input.distances);
      const accepted = await store.readJson<Record<string, Record<string, number[]>>>(input.labels.files['accepted.json']);
      return prepareRound(store, 'confirmCandidates', 2, input.mode, input, (entry, { rowOf }) => {
        const offered = (accepted[entry.className]?.[entry.keyword] ?? []).filter((ti) => neighbors.nearest(rowOf.get(ti)!) > input.minCifarDistance);
        return { offered, preselected: offered };
      });
    });
  };
}

/**
 * Stores a round's decisions: each under its task's content key (so it is
 * never asked again), the accepted images per class and keyword, and an
 * append-only log of who decided what and when.
 */
export function recordLabels({ store }: ActivityDeps) {
  return async function recordLabels(input: { round: 1 | 2; mode: string; tasks: LabelTask[]; decisions: LabelDecision[] }) {
    return runStage(async () => {
      const byId = new Map(input.decisions.map((d) => [d.taskId, d]));
      const accepted: Record<string, Record<string, number[]>> = {};
      const offered: Record<string, Record<string, number[]>> = {};
      for (const task of input.tasks) {
        const decision = byId.get(task.id);
        if (!decision) throw new InputError('no decision recorded', task.id);
        await store.stage('decisions', decisionKey(task, input.mode), async () => ({ files: [], summary: decision }));
        const chosen = new Set(decision.accepted);
        (accepted[task.className] ??= {})[task.keyword] = task.offered.filter((ti) => chosen.has(ti));
        (offered[task.className] ??= {})[task.keyword] = task.offered;
      }
      await appendDecisionLog(store, input.round, input.decisions);
      // Keyed by what was accepted, not by who or when: the same decisions give the same release.
      const key = ArtifactStore.key(`labels-round${input.round}`, LABELS_VERSION, { accepted, offered });
      return store.stage(`labels-round${input.round}`, key, async (dir) => {
        await writeFileAtomic(path.join(dir, 'accepted.json'), Buffer.from(JSON.stringify(accepted, null, 2)));
        await writeFileAtomic(path.join(dir, 'offered.json'), Buffer.from(JSON.stringify(offered, null, 2)));
        const total = Object.values(accepted).reduce((n, kws) => n + Object.values(kws).reduce((m, l) => m + l.length, 0), 0);
        return { files: ['accepted.json', 'offered.json'], summary: { round: input.round, keywords: input.tasks.length, accepted: total } };
      });
    });
  };
}

/** Appends decisions not yet logged to `<store>/decisions.jsonl` (a retry must not log twice). */
async function appendDecisionLog(store: ArtifactStore, round: number, decisions: LabelDecision[]): Promise<void> {
  const file = path.join(store.root, 'decisions.jsonl');
  await mkdir(store.root, { recursive: true });
  const logged = new Set((await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => {
    const d = JSON.parse(line) as LabelDecision;
    return `${d.taskId}@${d.at}`;
  }));
  const fresh = decisions.filter((d) => !logged.has(`${d.taskId}@${d.at}`));
  if (fresh.length) await appendFile(file, fresh.map((d) => JSON.stringify({ round, ...d }) + '\n').join(''));
}

interface GroundTruth {
  classes: string[];
  classOf: number[];
  ambiguous: number[];
}

/**
 * The simulated labeler of the demo and the tests: answers every pending task
 * through the same Update a person's page sends, from the corpus's ground truth.
 * Round 1 accepts what shows the keyword's class; round 2 also rejects the
 * ambiguous images.
 */
export function simulateLabeler({ client }: ActivityDeps) {
  return async function simulateLabeler(input: { workflowId: string; extract: StageOutput<ExtractSummary>; tasks: LabelTask[] }) {
    return runStage(async (heartbeat) => {
      if (!client) throw new Error('the simulated labeler needs a Temporal client');
      const file = input.extract.summary.groundTruth;
      if (!file) throw new InputError('simulated labeling needs a corpus with ground truth (use --source demo or labeling.mode: interactive)', 'labeling.mode');
      const truth = JSON.parse(await readFile(file, 'utf8')) as GroundTruth;
      const ambiguous = new Set(truth.ambiguous);
      const handle = client.workflow.getHandle(input.workflowId);
      let done = 0;
      for (const task of input.tasks) {
        const cls = truth.classes.indexOf(task.className);
        const accepted = task.offered.filter((ti) => truth.classOf[ti] === cls && (task.round === 1 || !ambiguous.has(ti)));
        try {
          await handle.executeUpdate(submitLabels, { args: [{ taskId: task.id, accepted, labeler: 'simulated', at: new Date().toISOString() }] });
        } catch (err) {
          // A retry after a crash finds the tasks it already answered no longer pending.
          if (!/is not pending/.test(String((err as Error).message) + String((err as { cause?: Error }).cause?.message))) throw err;
        }
        heartbeat.update({ done: ++done, total: input.tasks.length });
      }
      return { answered: done };
    });
  };
}

import { imageResolver, matchRound, readDecisions } from '../lib/decisions-import';
import { InputError } from '../lib/errors';
import { loadGroundTruth } from '../lib/ground-truth';
import { type LabelPage, PageReader, positionsOf } from '../lib/labeling';
import { readPoolRows } from '../lib/pool';
import type { ArtifactRef, StageOutput } from '../lib/store';
import { roundPending, submitLabels } from '../workflows/messages';
import type { ExtractSummary, PageDecision } from '../workflows/types';
import { MAX_BATCH_PAGES, MAX_BATCH_POSITIONS, validateBatch } from '../workflows/validators';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

/** Splits decisions into Updates that stay within what the round's validator takes at once. */
export function batches(decisions: PageDecision[]): PageDecision[][] {
  const out: PageDecision[][] = [];
  let current: PageDecision[] = [];
  let positions = 0;
  for (const d of decisions) {
    if (current.length && (current.length === MAX_BATCH_PAGES || positions + d.accepted.length > MAX_BATCH_POSITIONS)) {
      out.push(current);
      current = [];
      positions = 0;
    }
    current.push(d);
    positions += d.accepted.length;
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * The simulated labeler of the demo, the rehearsal and the tests: answers
 * every pending page of a round through the same Update a person's page sends,
 * from the corpus's ground truth. Round 1 accepts what shows the keyword's
 * class; round 2 also rejects the ambiguous images. The two rounds answer
 * under two names, as two people would (the two-person rule).
 */
export function simulateLabeler({ store, client }: ActivityDeps) {
  return async function simulateLabeler(input: { workflowId: string; extract: StageOutput<ExtractSummary>; pages: ArtifactRef; round: 1 | 2 }) {
    return runStage(async (heartbeat) => {
      if (!client) throw new Error('the simulated labeler needs a Temporal client');
      const file = input.extract.summary.groundTruth;
      if (!file) throw new InputError('simulated labeling needs a corpus with ground truth (the demo or synthetic source), or labeling.mode: interactive', 'labeling.mode');
      const truth = await loadGroundTruth(file);
      const handle = client.workflow.getHandle(input.workflowId);
      // After a crash, the pages answered before are no longer pending.
      const pending = new Set((await handle.query(roundPending)).pending);
      const pages = (await (await PageReader.open(store, input.pages)).all()).filter((p) => pending.has(p.id));
      const answer = (page: LabelPage): PageDecision => {
        const cls = truth.classes.indexOf(page.className);
        const accepted = page.offered.flatMap((ti, p) => (truth.classOf(ti) === cls && (page.round === 1 || !truth.isAmbiguous(ti)) ? [p] : []));
        return { page: page.id, digest: page.digest, accepted, labeler: `simulated labeler ${page.round}`, at: new Date().toISOString(), via: 'simulated' };
      };
      let done = 0;
      for (const batch of batches(pages.map(answer))) {
        // The update ID makes a retried send of the same batch count once.
        await handle.executeUpdate(submitLabels, { args: [{ decisions: batch }], updateId: `simulated-r${input.round}-${batch[0].page}` });
        done += batch.length;
        heartbeat.update({ done, total: pages.length });
      }
      return { answered: done };
    });
  };
}

/**
 * labeling.mode import: a round's decisions from a file (JSONL: round,
 * keyword, image, accepted, labeler, time), sent through the same Update and
 * validator as the page's. Everything is checked before anything is sent —
 * images not offered, keywords of no page, pages the file does not decide,
 * the two-person rule — so a bad file records nothing; the errors name its lines.
 */
export function importDecisions({ store, client }: ActivityDeps) {
  return async function importDecisions(input: { workflowId: string; pages: ArtifactRef; round: 1 | 2; file: string; poolRows?: ArtifactRef; round1Labelers?: ArtifactRef }) {
    return runStage(async (heartbeat) => {
      if (!client) throw new Error('importing decisions needs a Temporal client');
      const decisions = await readDecisions(input.file);
      const pages = await (await PageReader.open(store, input.pages)).all();
      const handle = client.workflow.getHandle(input.workflowId);
      const pendingIds = new Set((await handle.query(roundPending)).pending);
      const resolve = input.poolRows ? imageResolver(await readPoolRows(store.resolve(input.poolRows))) : (image: string | number) => (typeof image === 'number' ? image : undefined);

      // One task per keyword, all its pages' images: the file names keywords, not pages.
      const byKeyword = new Map<string, LabelPage[]>();
      for (const page of pages) byKeyword.set(page.keyword, [...(byKeyword.get(page.keyword) ?? []), page]);
      const tasks = [...byKeyword].map(([keyword, list]) => ({ id: keyword, keyword, offered: [...new Set(list.flatMap((p) => p.offered))] }));
      const matched = new Map(matchRound(decisions, input.round, tasks, resolve).map((m) => [m.taskId, m]));
      const missing = tasks.filter((t) => !matched.get(t.keyword)?.labeler && t.offered.length > 0).map((t) => t.keyword);
      if (missing.length) throw new InputError(`round ${input.round}: no decision for the keyword${missing.length > 1 ? 's' : ''} ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''} (every page of the round needs one)`, input.file);
      if (input.round === 2 && input.round1Labelers) {
        const round1 = await store.readJson<Record<string, string[]>>(input.round1Labelers);
        const broken = [...decisions.rounds[2].values()].flat().filter((d) => (byKeyword.get(d.keyword) ?? []).some((p) => round1[`${p.className}/${p.keyword}`]?.includes(d.labeler)));
        if (broken.length) {
          throw new InputError(`two-person rule: ${broken.slice(0, 10).map((d) => `line ${d.line}: ${d.labeler} made round-1 decisions on "${d.keyword}"`).join('; ')}${broken.length > 10 ? `; and ${broken.length - 10} more` : ''}`, input.file);
        }
      }
      const answers: PageDecision[] = pages.filter((p) => pendingIds.has(p.id)).map((page) => {
        const m = matched.get(page.keyword);
        const found = positionsOf(page, (m?.accepted ?? []).filter((ti) => page.offered.includes(ti)));
        if ('foreign' in found) throw new Error(`${page.id}: matched images not on the page`); // cannot happen: filtered above
        return { page: page.id, digest: page.digest, accepted: found.positions, labeler: m?.labeler ?? 'import', at: m?.at ?? new Date(0).toISOString(), via: 'import' };
      });
      // What the round's validator will say, said first: nothing is sent unless all of it would be taken.
      const pendingPages = new Map(pages.filter((p) => pendingIds.has(p.id)).map((p) => [p.id, { count: p.offered.length, digest: p.digest }]));
      const sends = batches(answers);
      try {
        for (const batch of sends) validateBatch(pendingPages, { decisions: batch });
      } catch (err) {
        throw new InputError((err as Error).message, input.file);
      }
      let done = 0;
      for (const batch of sends) {
        await handle.executeUpdate(submitLabels, { args: [{ decisions: batch }], updateId: `import-r${input.round}-${batch[0].page}` });
        done += batch.length;
        heartbeat.update({ done, total: answers.length });
      }
      return { answered: done };
    });
  };
}

import { loadGroundTruth } from '../lib/ground-truth';
import { InputError } from '../lib/errors';
import { type LabelPage, PageReader } from '../lib/labeling';
import type { ArtifactRef, StageOutput } from '../lib/store';
import { roundPending, submitLabels } from '../workflows/messages';
import type { ExtractSummary, PageDecision } from '../workflows/types';
import { MAX_BATCH_PAGES, MAX_BATCH_POSITIONS } from '../workflows/validators';
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

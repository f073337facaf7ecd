// Every Update and Query of the build and its labeling rounds, defined once:
// the workflows, the CLI, the labeling server and the tests import them.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DuplicateReview, LabelBatch, PendingWork, RoundPending, StageDone } from './types';

/**
 * Decisions on pages of a labeling round (sent to the round's workflow). An
 * Update, not a Signal: the validator rejects a bad submission back to its
 * sender, and it never enters history.
 */
export const submitLabels = defineUpdate<{ recorded: number }, [LabelBatch]>('submitLabels');

/** A reviewer's verdict on the near-duplicate pairs of one round (sent to the build). */
export const reviewDuplicates = defineUpdate<{ blacklisted: number }, [DuplicateReview]>('reviewDuplicates');

/** What the build waits for: a labeling round's workflow, or a near-duplicate review. */
export const pendingWork = defineQuery<PendingWork>('pendingWork');

/** What a labeling round waits for: its pending pages. */
export const roundPending = defineQuery<RoundPending>('roundPending');

/** The stage the build is in, and the stages done so far. */
export const progress = defineQuery<{ stage: string; done: StageDone[] }>('progress');

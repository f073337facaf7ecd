import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DuplicateReview, LabelDecision, PendingWork } from './types';

/** A labeler's decision on one keyword task. An Update, not a Signal: the validator rejects a bad submission back to its sender, and it never enters history. */
export const submitLabels = defineUpdate<{ accepted: number }, [LabelDecision]>('submitLabels');

/** A reviewer's verdict on the near-duplicate pairs of one round. */
export const reviewDuplicates = defineUpdate<{ blacklisted: number }, [DuplicateReview]>('reviewDuplicates');

/** What the build waits for: pending label tasks and duplicate pairs. */
export const pendingWork = defineQuery<PendingWork>('pendingWork');

/** The stage the build is in, and the stages done so far. */
export const progress = defineQuery<{ stage: string; done: Array<{ stage: string; cached: boolean }> }>('progress');

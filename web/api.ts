// The labeling page's JSON API, shared by the server (web/server.ts) and the page (web/page/app.ts):
// what each route answers, and the request bodies with the zod schemas the server checks them with.
// The page imports types only, so none of this (zod included) is in its bundle.
import { z } from 'zod';
import type { UpdateDefinition } from '@temporalio/common';
import type { reviewDuplicates, submitLabels } from '../workflows/messages';
import type { DuplicateReview, LabelDecision, LabelTask, PendingWork } from '../workflows/types';

/** What an Update answers (the POST routes answer with the build's). */
type UpdateResult<U> = U extends UpdateDefinition<infer Result, any> ? Result : never;

/** A keyword task as the list shows it (`offered`: how many images). */
export interface TaskSummary {
  id: string;
  round: 1 | 2;
  className: string;
  keyword: string;
  needed: number;
  offered: number;
}

/** A running build in the list, with what it waits for; `error` when it did not answer. */
export interface BuildSummary {
  workflowId: string;
  release: string;
  stage: string;
  error?: string;
  historyUrl: string | null;
  tasks: TaskSummary[];
  duplicates: { round: number; pairs: number } | null;
}

/** GET /api/builds */
export interface BuildsResponse {
  /** The release the server was started for, or null for every build. */
  release: string | null;
  builds: BuildSummary[];
}

/** GET /api/task?workflow=&task= */
export interface TaskResponse {
  workflowId: string;
  historyUrl: string | null;
  task: LabelTask;
}

export type DuplicatesWork = NonNullable<PendingWork['duplicates']>;

/** GET /api/duplicates?workflow= */
export interface DuplicatesResponse {
  workflowId: string;
  historyUrl: string | null;
  duplicates: DuplicatesWork;
}

/** Any route's answer when it fails (with a 4xx or 5xx status). */
export interface ErrorResponse {
  error: string;
}

// The server checks only the shape of a submission; whether it fits the task
// (pending, offered images, no duplicates) is the build's validator's call.
// Each message names the field at fault; the first one is the 400's answer. Fields in the order of the
// workflow's types (the page sends them so): the parsed body, unknown keys dropped, is what the build receives.
const workflowId = z.string({ error: 'workflowId is missing' }).min(1, 'workflowId is missing');
const signed = {
  labeler: z.string({ error: 'enter your name as the labeler' }).refine((name) => name.trim() !== '', 'enter your name as the labeler'),
  at: z.string({ error: '"at" must be an ISO time' }).refine((at) => !Number.isNaN(Date.parse(at)), '"at" must be an ISO time'),
};
const indices = 'decision.accepted must be a list of TinyImages indices';
const pairIds = (key: string) => z.array(z.string({ error: `review.${key} must be a list of pair ids` }), { error: `review.${key} must be a list of pair ids` });

/** POST /api/labels: a decision on one keyword task, for the build's `submitLabels` Update. */
export const LabelsRequest = z.object({
  workflowId,
  decision: z.object({
    taskId: z.string({ error: 'decision.taskId must be a string' }),
    accepted: z.array(z.int({ error: indices }), { error: indices }),
    ...signed,
  }, { error: 'the submission is missing' }) satisfies z.ZodType<LabelDecision>,
}, { error: 'the request body must be a JSON object' });
export type LabelsRequest = z.infer<typeof LabelsRequest>;
/** What POST /api/labels answers: the Update's result (`{ accepted }`, how many images the decision accepted). */
export type LabelsResponse = UpdateResult<typeof submitLabels>;

/** POST /api/duplicates: the verdicts on one round's near-duplicate pairs, for the `reviewDuplicates` Update. */
export const DuplicatesRequest = z.object({
  workflowId,
  review: z.object({
    round: z.int({ error: 'review.round must be an integer' }),
    confirmed: pairIds('confirmed'),
    dismissed: pairIds('dismissed'),
    ...signed,
  }, { error: 'the submission is missing' }) satisfies z.ZodType<DuplicateReview>,
}, { error: 'the request body must be a JSON object' });
export type DuplicatesRequest = z.infer<typeof DuplicatesRequest>;
/** What POST /api/duplicates answers: the Update's result (`{ blacklisted }`, how many images the review blacklisted). */
export type ReviewResponse = UpdateResult<typeof reviewDuplicates>;

// The labeling page's JSON API, shared by the server (web/server.ts) and the page (web/page/app.ts):
// what each route answers, and the request bodies with the zod schemas the server checks them with.
// The page imports types only, so none of this (zod included) is in its bundle.
// The page speaks in TinyImages indices and pair ids; the server turns them into the positions the
// build's Updates carry (workflows/types.ts).
import { z } from 'zod';
import type { UpdateDefinition } from '@temporalio/common';
import type { reviewDuplicates } from '../workflows/messages';
import type { ArtifactRef, DuplicatePair } from '../workflows/types';

export type { ArtifactRef, DuplicatePair };

/** A pending page of a labeling round, as the page shows it. */
export interface LabelTask {
  id: string;
  round: 1 | 2;
  className: string;
  keyword: string;
  /** TinyImages indices offered, in display order. */
  offered: number[];
  /** Round 2: the first round's accepted images (pre-selected in the page). */
  preselected?: number[];
  /** How many good images the release needs from this keyword. */
  needed: number;
  /** Candidate images of the build (uint8 N×32×32×3 .npy) and the row of each offered index. */
  images: ArtifactRef;
  rows: number[];
  /** CIFAR-10 images of the keyword, shown for reference: rows of `cifarImages`. */
  references: number[];
  cifarImages: ArtifactRef;
}

/** A labeler's decision on one page, as the page sends it (the server turns the indices into positions in the page). */
export interface LabelDecision {
  taskId: string;
  accepted: number[];
  labeler: string;
  /** ISO time the labeler submitted. */
  at: string;
}

/** A reviewer's verdict on a round's near-duplicate pairs, by pair id (the server turns them into positions). */
export interface DuplicateReview {
  round: number;
  confirmed: string[];
  dismissed: string[];
  labeler: string;
  at: string;
}

/** The pairs of a near-duplicate review, as the page shows them. */
export interface DuplicatesWork {
  round: number;
  pairs: DuplicatePair[];
  candidates: ArtifactRef;
  cifar: ArtifactRef;
}

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

// The server checks the shape of a submission here; whether it fits the page (pending, offered images,
// no repeats, the two-person rule) is checked against the page and by the round's validator.
// Each message names the field at fault; the first one is the 400's answer. Fields in the order of the
// workflow's types (the page sends them so): the parsed body, unknown keys dropped, is what the build receives.
const workflowId = z.string({ error: 'workflowId is missing' }).min(1, 'workflowId is missing');
const signed = {
  labeler: z.string({ error: 'enter your name as the labeler' }).refine((name) => name.trim() !== '', 'enter your name as the labeler'),
  at: z.string({ error: '"at" must be an ISO time' }).refine((at) => !Number.isNaN(Date.parse(at)), '"at" must be an ISO time'),
};
const indices = 'decision.accepted must be a list of TinyImages indices';
const pairIds = (key: string) => z.array(z.string({ error: `review.${key} must be a list of pair ids` }), { error: `review.${key} must be a list of pair ids` });

/** POST /api/labels: a decision on one page, for its round's `submitLabels` Update. */
export const LabelsRequest = z.object({
  workflowId,
  decision: z.object({
    taskId: z.string({ error: 'decision.taskId must be a string' }),
    accepted: z.array(z.int({ error: indices }), { error: indices }),
    ...signed,
  }, { error: 'the submission is missing' }) satisfies z.ZodType<LabelDecision>,
}, { error: 'the request body must be a JSON object' });
export type LabelsRequest = z.infer<typeof LabelsRequest>;
/** What POST /api/labels answers: how many images the decision accepted. */
export interface LabelsResponse {
  accepted: number;
}

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

// The labeling page's JSON API, shared by the server (web/server.ts) and the page (web/page/app.ts):
// what each route answers, and the request bodies with the zod schemas the server checks them with.
// The page imports types only, so none of this (zod included) is in its bundle.
//
// Every route but the login needs a session (the cookie a login link sets). The page speaks in display
// indices (the images of a task in the order shown, hidden controls among them in round 1) and pair ids;
// the server turns them into the positions in the page the build's Updates carry (workflows/types.ts),
// and signs every decision with the session's name: a body never says who decided.
import { z } from 'zod';
import type { UpdateDefinition } from '@temporalio/common';
import type { Action, LabelerInfo, Role } from '../lib/labelers';
import type { LabelerQuality } from '../lib/labeler-quality';
import type { reviewDuplicates } from '../workflows/messages';
import type { ArtifactRef, DuplicatePair } from '../workflows/types';

export type { ArtifactRef, DuplicatePair, LabelerInfo, LabelerQuality, Role };

/** GET /api/me, POST /api/login: who is signed in, and what they may do. */
export interface Me {
  name: string;
  role: Role;
  can: Record<Action, boolean>;
}

/** Someone's claim on a task: who, and for how much longer (ms). */
export interface TaskClaim {
  holder: string;
  expiresIn: number;
  mine: boolean;
}

/** A pending page of a labeling round, as the page shows it (GET /api/task, which claims it). */
export interface LabelTask {
  id: string;
  round: 1 | 2;
  className: string;
  keyword: string;
  /** Binds the images to the page's content (part of their address, so a browser may cache them). */
  digest: string;
  /** How many images the task shows; the page's sheet (/img/task) has them in this order, and a decision names them by display index. */
  items: number;
  /** Round 2: display indices of the first round's accepted images, pre-selected. */
  preselected?: number[];
  /** How many good images the release needs from this keyword. */
  needed: number;
  /** CIFAR-10 images of the keyword shown for reference (/img/task?reference=i). */
  references: number;
  /** The claim opening the task took: renew it (POST /api/claim) while working, within `leaseMs`. */
  claim: { expiresIn: number; leaseMs: number };
}

/** A labeler's decision on one page, as the page sends it: the display indices they accept. */
export interface LabelDecision {
  taskId: string;
  accepted: number[];
}

/** A reviewer's verdict on a round's near-duplicate pairs, by pair id (the server turns them into positions). */
export interface DuplicateReview {
  round: number;
  confirmed: string[];
  dismissed: string[];
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

/** A keyword task as the list shows it (`offered`: how many images it shows). */
export interface TaskSummary {
  id: string;
  round: 1 | 2;
  className: string;
  keyword: string;
  needed: number;
  offered: number;
  /** Who holds it now, or null when it is free. */
  claim: TaskClaim | null;
  /** Why the signed-in person may not take it (their role, the two-person rule), or null. */
  blocked: string | null;
}

/** A running build in the list, with what it waits for; `error` when it did not answer. */
export interface BuildSummary {
  workflowId: string;
  release: string;
  stage: string;
  error?: string;
  historyUrl: string | null;
  tasks: TaskSummary[];
  duplicates: { round: number; pairs: number; blocked: string | null } | null;
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

/** One submitted page of a labeler under review, as the admin page lists it. */
export interface ReviewPage {
  /** Where it is in the server's decision log (GET /api/admin/page?entry=). */
  entry: number;
  workflowId: string;
  round: 1 | 2;
  pageId: string;
  className: string;
  keyword: string;
  offered: number;
  accepted: number;
  submittedAt: string;
}

/** GET /api/quality (admins): each person's figures, the pages of those flagged, the team and the claims. */
export interface QualityResponse {
  options: { minAccuracy: number; minControls: number };
  labelers: LabelerQuality[];
  /** The pages of flagged labelers, newest first: their decisions stand; these are to look at again. */
  review: Array<{ labeler: string; pages: ReviewPage[] }>;
  team: LabelerInfo[];
  claims: Array<{ workflowId: string; pageId: string; holder: string; expiresIn: number }>;
}

/** GET /api/admin/page?entry=: one logged page as its labeler decided it. */
export interface AdminPageResponse {
  page: ReviewPage & { labeler: string };
  /** The candidate images (uint8 N×32×32×3) and the row of each offered image, in page order, with whether it was accepted. */
  images: ArtifactRef;
  rows: number[];
  accepted: boolean[];
}

/** Any route's answer when it fails (with a 4xx or 5xx status). */
export interface ErrorResponse {
  error: string;
}

// The server checks the shape of a request here; whether it fits the page (pending, offered images,
// claims, the two-person rule) is checked against the page and by the round's validator. Each
// message names the field at fault; the first one is the 400's answer. Unknown keys are dropped:
// a `labeler` or `at` in a body is ignored, the server signs and dates every decision itself.
const workflowId = z.string({ error: 'workflowId is missing' }).min(1, 'workflowId is missing');
const taskId = z.string({ error: 'taskId must be a string' }).min(1, 'taskId is missing');
/**
 * A submission's id, made by the page once per decision: a retried request with the same id is
 * recorded once (it is the Update's id, and the server remembers it).
 */
const requestId = z.string({ error: 'requestId is missing' }).regex(/^[A-Za-z0-9_-]{8,64}$/, 'requestId must be 8 to 64 letters, digits, "_" or "-"');
const indices = 'decision.accepted must be a list of display indices';
const pairIds = (key: string) => z.array(z.string({ error: `review.${key} must be a list of pair ids` }), { error: `review.${key} must be a list of pair ids` });
const object = <T extends z.ZodRawShape>(shape: T) => z.object(shape, { error: 'the request body must be a JSON object' });

/** POST /api/login: the token of a login link (from its `#token=` fragment). */
export const LoginRequest = object({ token: z.string({ error: 'token is missing' }) });
export type LoginRequest = z.infer<typeof LoginRequest>;

/** POST /api/claim (renew the claim on a task) and POST /api/release (give it up). */
export const ClaimRequest = object({ workflowId, taskId });
export type ClaimRequest = z.infer<typeof ClaimRequest>;
/** What POST /api/claim answers: the claim's time left (ms). */
export interface ClaimResponse {
  expiresIn: number;
}

/** POST /api/labels: a decision on one page, for its round's `submitLabels` Update. */
export const LabelsRequest = object({
  workflowId,
  requestId,
  decision: z.object({
    taskId,
    accepted: z.array(z.int({ error: indices }), { error: indices }),
  }, { error: 'the submission is missing' }) satisfies z.ZodType<LabelDecision>,
});
export type LabelsRequest = z.infer<typeof LabelsRequest>;
/** What POST /api/labels answers: how many images the decision accepted (as the person selected them). */
export interface LabelsResponse {
  accepted: number;
}

/** POST /api/duplicates: the verdicts on one round's near-duplicate pairs, for the `reviewDuplicates` Update. */
export const DuplicatesRequest = object({
  workflowId,
  requestId,
  review: z.object({
    round: z.int({ error: 'review.round must be an integer' }),
    confirmed: pairIds('confirmed'),
    dismissed: pairIds('dismissed'),
  }, { error: 'the submission is missing' }) satisfies z.ZodType<DuplicateReview>,
});
export type DuplicatesRequest = z.infer<typeof DuplicatesRequest>;
/** What POST /api/duplicates answers: the Update's result (`{ blacklisted }`, how many images the review blacklisted). */
export type ReviewResponse = UpdateResult<typeof reviewDuplicates>;

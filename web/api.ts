// The labeling page's JSON API: what the server answers and the page sends.
// The page speaks in TinyImages indices and pair ids; the server turns them
// into the positions the build's Updates carry (workflows/types.ts).
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

/** A labeler's decision on one page, as the page sends it. */
export interface LabelDecision {
  taskId: string;
  accepted: number[];
  labeler: string;
  /** ISO time the labeler submitted. */
  at: string;
}

/** A reviewer's verdict on a round's near-duplicate pairs, by pair id. */
export interface DuplicateReview {
  round: number;
  confirmed: string[];
  dismissed: string[];
  labeler: string;
  at: string;
}

export interface TaskSummary {
  id: string;
  round: number;
  className: string;
  keyword: string;
  needed: number;
  offered: number;
}

/** GET /api/builds: the running builds and what each waits for. */
export interface BuildsResponse {
  release: string | null;
  builds: Array<{
    workflowId: string;
    release: string;
    stage: string;
    error?: string;
    historyUrl: string | null;
    tasks: TaskSummary[];
    duplicates: { round: number; pairs: number } | null;
  }>;
}

/** The pairs of a near-duplicate review, as the page shows them. */
export interface DuplicatesPending {
  round: number;
  pairs: DuplicatePair[];
  candidates: ArtifactRef;
  cifar: ArtifactRef;
}

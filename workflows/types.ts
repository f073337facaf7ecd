// Types shared by the workflow, the activities, the CLI and the labeling page.
// Types only: the workflow bundle must not pull in Node modules.
import type { ReleaseConfigFile } from '../configs/schema';
import type { ArtifactRef, StageOutput } from '../lib/store';

export type { ArtifactRef, StageOutput };

/** Where the pixels and labels come from. */
export type SourceSpec =
  | { kind: 'demo'; seed: number }
  | { kind: 'files'; tinyimages: string; cifar10: string }
  | { kind: 'published'; dir: string };

/** A release config as the workflow receives it: parsed, with its base resolved. */
export type BuildConfig = ReleaseConfigFile & { hash: string; base?: BuildConfig };

export interface BuildInput {
  config: BuildConfig;
  source: SourceSpec;
  /** Folder the finished release is copied to (`<out>/releases/<release>/`). */
  outDir: string;
  /** Model predictions to evaluate (a folder like CIFAR-10.1's model_predictions/). */
  predictionsDir?: string;
  /** CIFAR-10 test labels for evaluating published predictions. */
  originalLabels?: string;
  /** Prefix of the build workflow IDs (the task queue), for the base release's child workflow. */
  idPrefix?: string;
}

export interface BuildResult {
  release: string;
  releaseDir: string;
  images: number;
  perClass: number[];
  manifest: ArtifactRef;
  /** The sample per keyword (`{keyword: [ti]}`), where a release grown from this one starts. */
  perKeyword: ArtifactRef;
  blacklist?: ArtifactRef;
  stages: Array<{ stage: string; cached: boolean }>;
}

/** One human task: a keyword's candidates to label (round 1) or confirm (round 2). */
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
  /** CIFAR-10 images of the keyword, shown for reference: rows of `cifarImages` (uint8 N×32×32×3 .npy). */
  references: number[];
  cifarImages: ArtifactRef;
}

export interface LabelDecision {
  taskId: string;
  accepted: number[];
  labeler: string;
  /** ISO time the labeler submitted. */
  at: string;
}

/** A near-duplicate pair for review: two new images, or a new image and a CIFAR-10 image. */
export interface DuplicatePair {
  id: string;
  kind: 'within' | 'cifar';
  ti: number;
  other: number;
  distance: number;
  /** Rows of the two images: `ti` in the candidate images, `other` there too (within) or in CIFAR-10 (cifar). */
  rows: [number, number];
}

export interface DuplicateReview {
  round: number;
  confirmed: string[];
  dismissed: string[];
  labeler: string;
  at: string;
}

export interface PendingWork {
  release: string;
  stage: string;
  tasks: LabelTask[];
  duplicates: { round: number; pairs: DuplicatePair[]; candidates: ArtifactRef; cifar: ArtifactRef } | null;
}

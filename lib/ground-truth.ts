// What a generated corpus really contains, as the simulated labeler asks it:
// which class each TinyImages image shows, and which ones a careful second
// labeler would reject.
import { readFile } from 'node:fs/promises';
import { InputError } from './errors';

export interface GroundTruthView {
  classes: string[];
  /** The class image `ti` shows; -1 for none (off-topic, filler). */
  classOf(ti: number): number;
  /** Whether the second labeler rejects image `ti` (it shows its class, but not clearly). */
  isAmbiguous(ti: number): boolean;
}

/** Reads a corpus's ground truth (the demo's `ground_truth.json`). */
export async function loadGroundTruth(file: string): Promise<GroundTruthView> {
  let truth: { classes: string[]; classOf: number[]; ambiguous: number[] };
  try {
    truth = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`unreadable ground truth (${(err as Error).message})`, file);
  }
  const ambiguous = new Set(truth.ambiguous);
  return { classes: truth.classes, classOf: (ti) => truth.classOf[ti] ?? -1, isAmbiguous: (ti) => ambiguous.has(ti) };
}

// What, besides its config, tells a build from another one under the same workflow ID.
import { InputError } from './errors';

export interface BuildIdentity {
  /** Where the build reads its pixels and labels (a SourceSpec). */
  source: unknown;
  /** The store's task queue: the same store under another path (a shared folder on another machine) has the same. */
  taskQueue: string;
  /** Where the release goes: shown, not compared. */
  outDir?: string;
}

/**
 * Why a build that wants `ours` must not attach to the running build `theirs`
 * (it would hand back a release made from other data, or kept in another
 * store); null when it may. A build without an identity (started by hand) may.
 */
export function attachConflict(theirs: BuildIdentity | undefined, ours: BuildIdentity): string | null {
  if (!theirs) return null;
  if (JSON.stringify(theirs.source) === JSON.stringify(ours.source) && theirs.taskQueue === ours.taskQueue) return null;
  const show = (b: BuildIdentity) => `source ${JSON.stringify(b.source)}, store queue ${b.taskQueue}${b.outDir ? `, --out ${b.outDir}` : ''}`;
  return `is already running (${show(theirs)}), and this build asks for ${show(ours)}; wait for it to finish (cifar101 status), or run this one on its own --task-queue`;
}

/**
 * Throws an InputError (about `subject`) if a build that wants `ours` must not
 * attach to the running build whose memo is `memo` (as `describe()` returns it).
 */
export function checkMayAttach(memo: Record<string, unknown> | undefined, ours: BuildIdentity, subject: string): void {
  const conflict = attachConflict(memo?.build as BuildIdentity | undefined, ours);
  if (conflict) throw new InputError(conflict, subject);
}

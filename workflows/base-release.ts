// The release a build grows from (v6 from v4): the record of a finished build
// of it in this store when there is one, otherwise its build, run as a child
// workflow (or the running one, attached to).
import { executeChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { BuildIdentity } from '../lib/build-identity';
import { buildWorkflowId, TASK_QUEUE } from './ids';
import { activity, type Progress } from './stages';
import type { BuildConfig, BuildInput, BuildResult } from './types';

export async function baseRelease(progress: Progress, input: BuildInput, baseConfig: BuildConfig): Promise<BuildResult> {
  progress.enter('baseRelease');
  const found = await activity('findRelease', `the ${baseConfig.release} release, if this store has it built already`)({
    release: baseConfig.release, configHash: baseConfig.hash, source: input.source,
  });
  if (found.result) return found.result;
  // From the input, not workflowInfo(): a replay must compute the same ID.
  const workflowId = buildWorkflowId(baseConfig, input.idPrefix ?? TASK_QUEUE);
  const identity: BuildIdentity = { source: input.source, taskQueue: workflowInfo().taskQueue, outDir: input.outDir };
  try {
    return await executeChild('buildRelease', {
      args: [{ ...input, config: baseConfig, predictionsDir: undefined }],
      workflowId,
      taskQueue: workflowInfo().taskQueue,
      staticSummary: `base release ${baseConfig.release}`,
      // what a build of the base release compares before attaching to it (lib/build-identity.ts)
      memo: { build: identity },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return activity('awaitRelease', `attach to running build ${workflowId}`)({ workflowId, identity });
  }
}

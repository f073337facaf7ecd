import type { BuildResult } from '../workflows/types';
import type { ActivityDeps } from './common';
import { runStage } from './context';

/** Waits for a release build that another client started (v6 needs v4 and finds it already running). */
export function awaitRelease({ client }: ActivityDeps) {
  return async function awaitRelease(input: { workflowId: string }): Promise<BuildResult> {
    return runStage(async () => {
      if (!client) throw new Error('awaitRelease needs a Temporal client');
      return client.workflow.getHandle(input.workflowId).result();
    });
  };
}

import { checkMayAttach, type BuildIdentity } from '../lib/build-identity';
import type { BuildResult } from '../workflows/types';
import { runStage } from './support/context';
import type { ActivityDeps } from './support/deps';

/**
 * Waits for a release build that another client started (v6 needs v4 and
 * finds it already running), if it reads the same source into the same store
 * as the build waiting for it: its files are no use from another store.
 */
export function awaitRelease({ client }: ActivityDeps) {
  return async function awaitRelease(input: { workflowId: string; identity?: BuildIdentity }): Promise<BuildResult> {
    return runStage(async () => {
      if (!client) throw new Error('awaitRelease needs a Temporal client');
      const handle = client.workflow.getHandle(input.workflowId);
      if (input.identity) checkMayAttach((await handle.describe()).memo, input.identity, `base release build ${input.workflowId}`);
      return handle.result();
    });
  };
}

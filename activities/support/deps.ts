import type { Client } from '@temporalio/client';
import type { VersionOverrides } from '../../lib/stage-keys';
import type { ArtifactStore } from '../../lib/store';

/** What every activity factory receives; only worker/ (and the tests' workers) build it. */
export interface ActivityDeps {
  store: ArtifactStore;
  /** Temporal client: for the simulated and imported labelers, attaching to other builds, counting workers. */
  client?: Client;
  /**
   * Called after each checkpointed chunk of a long stage. Tests slow a stage
   * down with it to kill a worker in the middle of one (at demo scale a shard
   * takes well under a second).
   */
  afterChunk?: (stage: string) => Promise<void>;
  /** Stage code versions other than lib/stage-keys.ts's: tests stand for a code change with them. */
  versions?: VersionOverrides;
}

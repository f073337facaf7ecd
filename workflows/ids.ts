// Names of builds and queues: how a build is found again. Pure functions, used
// by the workflows (replay must compute the same IDs), the CLI and the page.

/** The deployment's default name: workflow IDs start with it, workers poll `<name>-store-<id>`. */
export const TASK_QUEUE = 'cifar101';

/**
 * The stable workflow ID of a release build: the same config on the same task
 * queue attaches to the same build. The task queue is part of it so that
 * separate deployments (and tests) sharing one server never attach to each other.
 */
export function buildWorkflowId(config: { release: string; hash: string }, taskQueue = TASK_QUEUE): string {
  return `${taskQueue}-${config.release}-${config.hash.slice(0, 12)}`;
}

/** The release a build's workflow ID names ('?' for an ID not made by buildWorkflowId). */
export function releaseOfWorkflowId(workflowId: string): string {
  return /-([^-/]+)-[0-9a-f]{12}(\/.*)?$/.exec(workflowId)?.[1] ?? '?';
}

/**
 * The task queue a build runs on: one per artifact store under the deployment's
 * queue name, so that only workers of that store run its workflow and stages
 * (workers of another folder on the same server never write a stage into the
 * wrong store). The workflow ID keeps the plain name (see buildWorkflowId).
 */
export function storeQueue(taskQueue: string, storeId: string): string {
  return `${taskQueue}-store-${storeId}`;
}

/** The ID of a child workflow of a build: `<build id>/<part>` (a labeling round, a sharded stage). */
export function childWorkflowId(parentId: string, part: string): string {
  return `${parentId}/${part}`;
}

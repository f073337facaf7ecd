// Every workflow the worker registers: the build, and its child workflows.
export { buildRelease } from './build';
export { labelRound } from './labeling';
export { runShards } from './sharded';

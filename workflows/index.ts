export { buildRelease } from './build';

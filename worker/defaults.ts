/** The seed of the embedded demo corpus that `npm start` and `--source demo` build from. */
export const DEMO_SEED = 20181002;

/** The repository's copy of the published CIFAR-10.1 files, which `build --published` without a folder reads. */
export { PUBLISHED_DIR } from '../lib/published-data';

/** Where `cifar101 label` serves the labeling page. */
export const DEFAULT_LABEL_PORT = 8300;

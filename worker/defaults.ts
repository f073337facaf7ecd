import path from 'node:path';

/** The seed of the embedded demo corpus that `npm start` and `--source demo` build from. */
export const DEMO_SEED = 20181002;

/** The repository's copy of the published CIFAR-10.1 files, which `build --published` without a folder reads. */
export const PUBLISHED_DIR = path.resolve(__dirname, '..', 'data', 'cifar10.1');

/** Where `cifar101 label` serves the labeling page. */
export const DEFAULT_LABEL_PORT = 8300;

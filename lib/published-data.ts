import path from 'node:path';

/**
 * The published CIFAR-10.1 files carried in the repository (`data/cifar10.1`:
 * other_data/, datasets/, model_predictions/, cifar10/test_labels.npy; see its
 * README for provenance and licences). `--published` without a path uses them.
 */
export const PUBLISHED_DIR = path.resolve(__dirname, '..', 'data', 'cifar10.1');

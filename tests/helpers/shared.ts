import { PUBLISHED_DIR } from '../../lib/published-data';

/**
 * The published CIFAR-10.1 files the tests read: CIFAR101_SHARED when set (e.g.
 * `../shared/cifar10.1`, or a checkout of the public CIFAR-10.1 repository with
 * `cifar10/test_labels.npy` beside it), else the copy carried in the repository
 * (`data/cifar10.1`), so a clone with nothing beside it tests the same way.
 */
export const SHARED = process.env.CIFAR101_SHARED ?? PUBLISHED_DIR;

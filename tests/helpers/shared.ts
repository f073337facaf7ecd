import path from 'node:path';

/**
 * The published CIFAR-10.1 files: `../shared/cifar10.1` beside the checkout
 * (where CI puts it), or CIFAR101_SHARED (e.g. a checkout of the public
 * CIFAR-10.1 repository). Read from there, never copied into the tree.
 */
export const SHARED = process.env.CIFAR101_SHARED ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'cifar10.1');

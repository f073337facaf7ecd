"""Exactness of the merged computeDistances output, against a float64 brute force.

usage: exactness.py CANDIDATES.npy CIFAR10.npy NEIGHBORS.npy DISTANCES.npy SAMPLE SEED

For SAMPLE candidates drawn at random (numpy default_rng(SEED), without
replacement), the squared L2 distance to every CIFAR-10 image in float64
(|x|^2 + |y|^2 - 2 x.y: every term is an integer below 2^53, so exact), and
the build's top-k row compared with it: the k distances must equal the k
smallest exactly, and the indices at each distance must be images at exactly
that distance (ties may be ordered differently; at the k-th distance the build
may keep any of the tied images). Prints one JSON object.
"""
import json
import resource
import sys
import time

import numpy as np


def main():
    cand_path, cifar_path, nb_path, dist_path = sys.argv[1:5]
    sample, seed = int(sys.argv[5]), int(sys.argv[6])
    t0 = time.perf_counter()
    candidates = np.load(cand_path, mmap_mode='r')
    neighbors = np.load(nb_path, mmap_mode='r')
    distances = np.load(dist_path, mmap_mode='r')
    n = candidates.shape[0]
    k = neighbors.shape[1]
    rows = np.sort(np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False))
    y = np.load(cifar_path).reshape(-1, 3072).astype(np.float64)
    y2 = (y * y).sum(1)
    mismatches = []
    block = 256
    for at in range(0, len(rows), block):
        idx = rows[at:at + block]
        x = np.asarray(candidates[idx]).reshape(len(idx), -1).astype(np.float64)
        d = (x * x).sum(1)[:, None] + y2[None, :] - 2 * (x @ y.T)
        for r, row in enumerate(idx):
            full = d[r]
            order = np.argsort(full, kind='stable')[:k]
            want = full[order]
            got_d = np.asarray(distances[row], dtype=np.float64)
            got_i = np.asarray(neighbors[row])
            ok = np.array_equal(got_d, want) and len(set(got_i.tolist())) == k
            if ok:
                # each index at its distance, exactly
                ok = bool(np.all(full[got_i] == got_d))
            if not ok:
                mismatches.append({'row': int(row), 'expected': [[int(i), int(v)] for i, v in zip(order, want)],
                                   'got': [[int(i), int(v)] for i, v in zip(got_i, got_d)]})
    print(json.dumps({
        'candidates': int(n), 'references': int(y.shape[0]), 'k': int(k), 'checked': int(len(rows)), 'seed': seed,
        'mismatches': len(mismatches), 'examples': mismatches[:5],
        'seconds': time.perf_counter() - t0,
        'peakRssBytes': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


main()

"""numpy baselines for the kNN benchmark, on the files bench/run.ts wrote.

usage: numpy_knn.py QUERIES.bin REFERENCES.bin N M K REPEATS
Prints one JSON object: per method the best wall time of REPEATS runs (data
already in memory as uint8; conversion to float is timed, as the original's
pipeline pays it), the time of the matrix product alone, the neighbours of the
first queries (to check exactness against brute force), and which BLAS ran.
"""
import ctypes
import glob
import json
import os
import sys
import time

import numpy as np

SAMPLE = 8


def blas_info():
    info = {'numpy': np.__version__}
    try:
        info['build'] = np.show_config(mode='dicts')['Build Dependencies']['blas']
    except Exception as e:  # numpy < 2 prints instead of returning
        info['build'] = repr(e)
    try:
        import threadpoolctl
        info['threadpoolctl'] = threadpoolctl.threadpool_info()
    except ImportError:
        libs = glob.glob(os.path.join(os.path.dirname(np.__file__), '..', 'numpy.libs', 'libscipy_openblas*'))
        if libs:
            lib = ctypes.CDLL(libs[0])
            for key, fn in (('corename', 'scipy_openblas_get_corename64_'), ('config', 'scipy_openblas_get_config64_')):
                f = getattr(lib, fn, None)
                if f is not None:
                    f.restype = ctypes.c_char_p
                    info[key] = f().decode()
            f = getattr(lib, 'scipy_openblas_get_num_threads64_', None)
            if f is not None:
                f.restype = ctypes.c_int
                info['threads'] = f()
    info['env'] = {k: os.environ[k] for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS') if k in os.environ}
    return info


def squared_distances(x, y, dtype):
    """X·Yᵀ in dtype with the norms added: all squared L2 distances, and the GEMM's time."""
    xf = x.astype(dtype)
    yf = y.astype(dtype)
    t = time.perf_counter()
    dots = xf @ yf.T
    gemm = time.perf_counter() - t
    return (xf * xf).sum(1)[:, None] + (yf * yf).sum(1)[None, :] - 2 * dots, gemm


def float64_argsort(x, y, k):
    """The original's method: float64 distances, then a full argsort."""
    d, gemm = squared_distances(x, y, np.float64)
    idx = np.argsort(d, axis=1)[:, :k]
    return idx, np.take_along_axis(d, idx, 1), gemm


def float32_argpartition(x, y, k):
    """float32 distances, argpartition for the k smallest, then sort those k."""
    d, gemm = squared_distances(x, y, np.float32)
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(d, part, 1)
    order = np.argsort(vals, axis=1, kind='stable')
    idx = np.take_along_axis(part, order, 1)
    return idx, np.take_along_axis(vals, order, 1), gemm


def main():
    qpath, rpath, n, m, k, repeats = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
    x = np.fromfile(qpath, np.uint8).reshape(n, -1)
    y = np.fromfile(rpath, np.uint8).reshape(m, -1)
    out = {'blas': blas_info()}
    for name, fn in (('float64', float64_argsort), ('float32', float32_argpartition)):
        best = None
        for _ in range(repeats):
            t = time.perf_counter()
            idx, dist, gemm = fn(x, y, k)
            wall = time.perf_counter() - t
            if best is None or wall < best['seconds']:
                best = {'seconds': wall, 'gemmSeconds': gemm}
        best['sampleIndices'] = idx[:SAMPLE].tolist()
        best['sampleDistances'] = [[int(round(v)) for v in row] for row in dist[:SAMPLE]]
        out[name] = best
    print(json.dumps(out))


main()

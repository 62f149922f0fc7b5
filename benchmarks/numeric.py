"""Benchmarks of sum, fsum and sort (issue 3's targets, issue 9's rules), measured in one run.

    python benchmarks/numeric.py [--quick]

Medians of interleaved repeats; every ratio compares medians from this run.
numpy is required here (it is a baseline). OpenBLAS's worker threads are
limited to one before numpy loads: neither sum nor sort uses BLAS, and idle
OpenBLAS threads spinning on the two cores would slow every threaded kernel.
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math  # noqa: E402
import platform  # noqa: E402

import numpy as np  # noqa: E402

import fastkernels  # noqa: E402
from timing import describe, interleaved, medians  # noqa: E402


def compare(title: str, baseline_name: str, candidates: dict, repeats: int, target: str) -> dict[str, float]:
    times = interleaved(candidates, repeats)
    med = medians(times)
    print(title)
    for name, samples in times.items():
        print(f"  {name:28s} {describe(samples, 1e-3, 'ms')}")
    base = med[baseline_name]
    for name, value in med.items():
        if name != baseline_name:
            print(f"  {name}: {value / base:.3f}x the time of {baseline_name} ({base / value:.1f}x faster)  [{target}]")
    print()
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 10**5 if args.quick else 10**6
    big = 10**6 if args.quick else 10**7
    repeats = 5 if args.quick else 15
    print(f"fastkernels {fastkernels.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores; n = {n:,}\n")
    rng = np.random.default_rng(2024)
    ints = rng.integers(-(2**63), 2**63 - 1, size=n, dtype=np.int64)
    floats = rng.standard_normal(n)
    int_list, float_list = ints.tolist(), floats.tolist()
    small_int_list = rng.integers(0, 1000, size=n).tolist()

    # Every implementation must agree before it is timed.
    assert (fastkernels.sort(ints) == np.sort(ints)).all() and (fastkernels.sort(floats) == np.sort(floats)).all()
    assert fastkernels.sort(int_list) == sorted(int_list) and fastkernels.sort(float_list) == sorted(float_list)
    assert fastkernels.sum(ints) == sum(int_list) and fastkernels.sum(int_list) == sum(int_list)
    assert fastkernels.sum(small_int_list) == sum(small_int_list)
    exact = math.fsum(float_list)
    assert fastkernels.fsum(floats) == exact and fastkernels.fsum(float_list) == exact
    assert fastkernels.sum(floats).hex() == sum(float_list).hex()  # sum() is sequential, bit for bit
    ours, theirs = fastkernels.sum(floats), float(np.sum(floats))
    print(f"float64 sum error against math.fsum: fastkernels.sum {abs(ours - exact):.3g} (sum()'s own), "
          f"fastkernels.fsum 0, numpy.sum {abs(theirs - exact):.3g}\n")

    compare("sort int64 array", "numpy.sort", {"numpy.sort": lambda: np.sort(ints), "fastkernels.sort": lambda: fastkernels.sort(ints)}, repeats, "target <= 0.8x")
    compare("sort float64 array", "numpy.sort", {"numpy.sort": lambda: np.sort(floats), "fastkernels.sort": lambda: fastkernels.sort(floats)}, repeats, "target <= 0.8x")
    compare("sort list of ints (full 64-bit range)", "sorted", {"sorted": lambda: sorted(int_list), "fastkernels.sort": lambda: fastkernels.sort(int_list)}, max(3, repeats // 3), "target >= 15x faster")
    compare("sort list of floats", "sorted", {"sorted": lambda: sorted(float_list), "fastkernels.sort": lambda: fastkernels.sort(float_list)}, max(3, repeats // 3), "target >= 15x faster")
    compare("sum int64 array", "numpy.sum", {"numpy.sum": lambda: np.sum(ints), "fastkernels.sum": lambda: fastkernels.sum(ints)}, repeats * 5, "target <= 1.0x (exact)")
    compare("sum float64 array", "numpy.sum", {"numpy.sum": lambda: np.sum(floats), "fastkernels.sum": lambda: fastkernels.sum(floats), "fastkernels.fsum": lambda: fastkernels.fsum(floats)}, repeats * 5, "sum: sum()'s additions in order; fsum: correctly rounded")
    compare("fsum float64 array", "math.fsum", {"math.fsum": lambda: math.fsum(floats), "fastkernels.fsum": lambda: fastkernels.fsum(floats)}, max(3, repeats // 3), "exactly math.fsum")
    compare("sum list of ints (full 64-bit range)", "sum", {"sum": lambda: sum(int_list), "fastkernels.sum": lambda: fastkernels.sum(int_list)}, repeats, "target >= 3x faster")
    compare("sum list of small ints (0..999)", "sum", {"sum": lambda: sum(small_int_list), "fastkernels.sum": lambda: fastkernels.sum(small_int_list)}, repeats, "target >= 3x faster")
    compare("sum list of floats", "sum", {"sum": lambda: sum(float_list), "fastkernels.sum": lambda: fastkernels.sum(float_list)}, repeats, "target >= 3x faster")

    big_ints = rng.integers(-(2**63), 2**63 - 1, size=big, dtype=np.int64)
    big_floats = rng.standard_normal(big)
    for name, array in (("int64", big_ints), ("float64", big_floats)):
        med = compare(f"sort {big:,} {name}: threads=1 against threads=2", "threads=1",
                      {"threads=1": lambda a=array: fastkernels.sort(a, threads=1),
                       "threads=2": lambda a=array: fastkernels.sort(a, threads=2)},
                      max(3, repeats // 3), "target: threads=2 >= 1.6x faster")


if __name__ == "__main__":
    main()

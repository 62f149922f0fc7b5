"""Benchmarks of sort on this machine's vector tiers (issue 12's targets), measured in one run.

    python benchmarks/sort.py [--quick] [--tiers avx512,avx2] [--sizes 1000000,10000000]

For each instruction-set tier the CPU has (FASTKERNELS_ISA, read once at import: each tier
runs in a child process of its own), and each dtype (int64, float64, int32, float32) and
size: numpy.sort against fastkernels.sort with threads=1 and with every core, as medians
of interleaved repeats; then 1M-element lists against sorted(). Every ratio compares
medians measured in the same process. OpenBLAS's threads are limited to one before numpy
loads (sort uses no BLAS; idle OpenBLAS threads spinning would take the second core).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fastkernels  # noqa: E402
from timing import interleaved, medians  # noqa: E402

DTYPES = ("int64", "float64", "int32", "float32")


def values(dtype: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if dtype.startswith("int"):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    return rng.standard_normal(n).astype(dtype)


def arrays(sizes: list[int], repeats: int) -> None:
    rng = np.random.default_rng(12)
    print(f"FASTKERNELS_ISA={os.environ.get('FASTKERNELS_ISA', 'unset')} (capped to what the CPU has), "
          f"{os.cpu_count()} cores")
    for n in sizes:
        for dtype in DTYPES:
            a = values(dtype, n, rng)
            assert np.array_equal(fastkernels.sort(a), np.sort(a)), "sort differs from numpy.sort"
            times = medians(interleaved({
                "numpy.sort": lambda: np.sort(a),
                "threads=1": lambda: fastkernels.sort(a, threads=1),
                "all cores": lambda: fastkernels.sort(a),
            }, repeats if n < 5_000_000 else max(3, repeats // 3)))
            base = times["numpy.sort"]
            print(f"  {dtype:8s} n={n:>10,}: numpy.sort {base * 1e3:8.2f} ms;  fastkernels threads=1 "
                  f"{times['threads=1'] / base:5.2f}x, all cores {times['all cores'] / base:5.2f}x numpy's time"
                  f"  [targets <= 1.0x, <= 0.6x]")


def lists(repeats: int) -> None:
    rng = np.random.default_rng(13)
    for name, items in (("ints", rng.integers(-2**63, 2**63 - 1, 1_000_000).tolist()),
                        ("floats", rng.standard_normal(1_000_000).tolist())):
        assert fastkernels.sort(items) == sorted(items)
        times = medians(interleaved({"sorted": lambda: sorted(items), "fastkernels": lambda: fastkernels.sort(items)},
                                    max(3, repeats // 3)))
        print(f"  list of 1M {name}: {times['sorted'] / times['fastkernels']:5.1f}x faster than sorted()  [target >= 20x]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1M elements only, fewer repeats")
    parser.add_argument("--tiers", default="avx512,avx2", help="FASTKERNELS_ISA values to run (the CPU caps them)")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes (default 1M and 10M)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([1_000_000] if args.quick else
                                                                         [1_000_000, 10_000_000])
    repeats = 7 if args.quick else 15
    if args.child:
        arrays(sizes, repeats)
        return
    print(f"fastkernels {fastkernels.__version__}, numpy {np.__version__}, Python {sys.version.split()[0]}")
    for tier in args.tiers.split(","):
        command = [sys.executable, __file__, "--child", "--sizes", ",".join(map(str, sizes))]
        if args.quick:
            command.append("--quick")
        subprocess.run(command, env={**os.environ, "FASTKERNELS_ISA": tier}, check=True)
    lists(repeats)


if __name__ == "__main__":
    main()

"""Benchmarks of fastkernels.matmul against numpy (issue 10's targets), measured in one run.

    python benchmarks/matmul.py [--quick] [--full] [--section NAME ...]

Medians of interleaved repeats; every ratio compares medians from this run.
numpy's BLAS is OpenBLAS: run this once as the environment has it
(OPENBLAS_CORETYPE=Haswell on these machines) and once with OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE unset, where OpenBLAS picks its best kernels for the CPU
(`make bench-targets` does both). "1 thread" limits numpy's BLAS with
threadpoolctl and passes threads=1 to fastkernels; "all cores" lets both use
every core. OPENBLAS_THREAD_TIMEOUT=4 (as `make bench-targets` sets it) sends
OpenBLAS's idle threads to sleep at once instead of spinning for a while after
each product: spinning threads would take the cores from the next
fastkernels call of an interleaved run.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import fastkernels
from fastkernels.bench.measure import _PEAK_RSS_CODE
from timing import interleaved, medians

SECTIONS = ("floats", "ints", "lists", "small", "memory")


def gflops(m: int, n: int, k: int, seconds: float) -> float:
    return 2.0 * m * n * k / seconds / 1e9


def blas_description() -> str:
    info = [f"{entry.get('internal_api')} {entry.get('version')} ({entry.get('architecture')}, "
            f"{entry.get('num_threads')} threads)" for entry in threadpool_info() if entry.get("user_api") == "blas"]
    variables = {name: os.environ.get(name, "unset") for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return f"{', '.join(info) or 'no BLAS found'}; " + ", ".join(f"{k}={v}" for k, v in variables.items())


def check(a: np.ndarray, b: np.ndarray, got: np.ndarray) -> None:
    want = a @ b
    if np.issubdtype(want.dtype, np.integer):
        assert np.array_equal(got, want), "integer products differ from numpy"
        return
    eps = np.finfo(want.dtype).eps
    bound = 4 * a.shape[-1] * eps * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
    assert (np.abs(got.astype(np.float64) - want.astype(np.float64)) <= bound + 1e-300).all(), "outside the bound"


def floats(repeats: int, full: bool, quick: bool) -> None:
    rng = np.random.default_rng(10)
    sizes = [256, 1024] if quick else [256, 1024, 2048] + ([4096] if full else [])
    shapes = [(n, n, n) for n in sizes]
    big = 2048 if quick else 4096
    shapes += [(big, big, 64), (64, 64, big)]  # (m, n, k): (4096, 64) @ (64, 4096) and (64, 4096) @ (4096, 64)
    print("float64 and float32 GFLOP/s (higher is better); ratio = fastkernels / numpy")
    for dtype in (np.float64, np.float32):
        for m, n, k in shapes:
            a = rng.uniform(-1, 1, (m, k)).astype(dtype)
            b = rng.uniform(-1, 1, (k, n)).astype(dtype)
            check(a, b, fastkernels.matmul(a, b))
            # at least `repeats`; more for short products (0.4 ms at n = 256), whose medians
            # over a handful of calls moved by a third between runs on a shared machine
            count = max(repeats, min(200, int(2e10 / (2 * m * n * k))))
            for label, threads in (("1 thread", 1), ("all cores", None)):
                with threadpool_limits(limits=threads, user_api="blas"):
                    times = interleaved({"numpy": lambda: a @ b,
                                         "fastkernels": lambda: fastkernels.matmul(a, b, threads=threads)}, count)
                med = medians(times)
                ours, theirs = gflops(m, n, k, med["fastkernels"]), gflops(m, n, k, med["numpy"])
                print(f"  {np.dtype(dtype).name:8s} ({m}x{k}) @ ({k}x{n}) {label:9s}: fastkernels {ours:7.1f}, "
                      f"numpy {theirs:7.1f}  ratio {ours / theirs:.2f}x  [target >= 1.0x]")
    print()


def ints(repeats: int, quick: bool) -> None:
    rng = np.random.default_rng(11)
    print("integer products: time of numpy's a @ b / time of fastkernels (higher is better)")
    for dtype in (np.int64, np.int32):
        for n in ([256, 512] if quick else [512, 1024]):
            for label, low, high in (("values in [-1000, 1000]", -1000, 1001),
                                     ("full-range values", np.iinfo(dtype).min, np.iinfo(dtype).max)):
                a = rng.integers(low, high, (n, n), dtype=dtype)
                b = rng.integers(low, high, (n, n), dtype=dtype)
                check(a, b, fastkernels.matmul(a, b))
                times = interleaved({"numpy": lambda: a @ b, "fastkernels": lambda: fastkernels.matmul(a, b)},
                                    3 if n >= 1024 else max(3, repeats // 2))
                med = medians(times)
                print(f"  {np.dtype(dtype).name} n={n}, {label:24s}: numpy {med['numpy'] * 1e3:9.2f} ms, fastkernels "
                      f"{med['fastkernels'] * 1e3:8.2f} ms  {med['numpy'] / med['fastkernels']:6.1f}x  [target >= 20x]")
    print()


def triple_loop(a: list, b: list) -> list:
    from fastkernels.bench.workloads import matmul_python

    return matmul_python(a, b)


def lists(repeats: int) -> None:
    import random

    rng = random.Random(12)
    n = 128
    print(f"lists of lists, n={n}: time of the pure-Python triple loop / time of fastkernels.matmul (conversion included)")
    for label, make in (("floats", lambda: rng.uniform(-1, 1)), ("ints", lambda: rng.randint(-1000, 1000))):
        a = [[make() for _ in range(n)] for _ in range(n)]
        b = [[make() for _ in range(n)] for _ in range(n)]
        ours = fastkernels.matmul(a, b)
        want = [[sum(a[i][p] * b[p][j] for p in range(n)) for j in range(n)] for i in range(n)]
        if label == "ints":
            assert ours == want
        else:
            assert all(abs(x - y) <= 1e-12 for r, s in zip(ours, want) for x, y in zip(r, s))
        times = interleaved({"triple loop": lambda: triple_loop(a, b), "fastkernels": lambda: fastkernels.matmul(a, b)},
                            max(3, repeats // 3))
        med = medians(times)
        print(f"  {label:6s}: triple loop {med['triple loop'] * 1e3:8.1f} ms, fastkernels {med['fastkernels'] * 1e3:7.3f} ms"
              f"  {med['triple loop'] / med['fastkernels']:6.0f}x  [target >= 100x]")
    print()


def small(repeats: int) -> None:
    rng = np.random.default_rng(13)
    print("small products: time per call of fastkernels / numpy's a @ b (lower is better)")
    for n in (4, 16, 64):
        for dtype in (np.float64, np.float32):
            a, b = rng.uniform(-1, 1, (n, n)).astype(dtype), rng.uniform(-1, 1, (n, n)).astype(dtype)
            check(a, b, fastkernels.matmul(a, b))
            calls = max(10, 20000 // n)

            def ours() -> None:
                for _ in range(calls):
                    fastkernels.matmul(a, b)

            def theirs() -> None:
                for _ in range(calls):
                    a @ b

            med = medians(interleaved({"numpy": theirs, "fastkernels": ours}, max(5, repeats)))
            print(f"  n={n:3d} {np.dtype(dtype).name}: numpy {med['numpy'] / calls * 1e6:7.2f} µs, fastkernels "
                  f"{med['fastkernels'] / calls * 1e6:7.2f} µs  {med['fastkernels'] / med['numpy']:.2f}x  [target <= 1.0x]")
    print()


# peak_rss(): the child's own peak (VmHWM on Linux; ru_maxrss would also count the parent's
# peak, which Linux keeps across fork and exec, and this benchmark's parent is large).
MEMORY_CHILD = _PEAK_RSS_CODE + """
import numpy as np, fastkernels
n = int(sys.argv[1])
rng = np.random.default_rng(14)
a, b, c = np.empty((n, n)), np.empty((n, n)), np.zeros((n, n))
rng.standard_normal(out=a)  # filled in place: no temporaries raise the peak before the product
rng.standard_normal(out=b)
c.fill(1.0)  # written, so that its pages count before the product
before = peak_rss()
fastkernels.matmul(a, b, out=c) if sys.argv[2] == "fastkernels" else np.matmul(a, b, out=c)
after = peak_rss()
print(before, after)
"""


def memory(quick: bool) -> None:
    n = 2048 if quick else 4096
    matrices = 3 * n * n * 8 / 2**20
    print(f"peak RSS of a fresh process, float64 n={n} (three matrices: {matrices:.0f} MiB)")
    for who in ("fastkernels", "numpy"):
        result = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(n), who], capture_output=True, text=True,
                                check=True)
        before, after = (int(x) / 2**20 for x in result.stdout.split())
        print(f"  {who:12s}: peak {after:7.0f} MiB, {after - before:5.1f} MiB above the three matrices and the "
              f"interpreter ({(after - before) / matrices * 100:.1f}% of them)  [target <= 10%]")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--full", action="store_true", help="also n = 4096 square")
    parser.add_argument("--section", action="append", choices=SECTIONS, help="run only these sections")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    sections = args.section or list(SECTIONS)
    isa = fastkernels._native._isa() if hasattr(fastkernels._native, "_isa") else "?"
    print(f"fastkernels {fastkernels.__version__} (matmul kernels: {isa}), numpy {np.__version__}, "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"numpy's BLAS: {blas_description()}\n")
    started = time.perf_counter()
    if "floats" in sections:
        floats(repeats, args.full, args.quick)
    if "ints" in sections:
        ints(repeats, args.quick)
    if "lists" in sections:
        lists(repeats)
    if "small" in sections:
        small(repeats)
    if "memory" in sections:
        memory(args.quick)
    print(f"({time.perf_counter() - started:.0f} s; peak RSS of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()

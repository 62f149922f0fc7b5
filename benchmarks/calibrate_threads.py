"""Where do more workers pay? threads=1 against all cores, for every kernel with a parallel path.

    python benchmarks/calibrate_threads.py [--quick] [--kernel NAME ...]

For each kernel and a sweep of sizes (elements, bytes of text, or multiply-adds) around the
size from which the kernel starts using several workers (its threshold, as compiled in and
reported by ``fastkernels._native._parallel_thresholds()``), this times ``threads=1`` and
``threads=None`` (all cores) interleaved, prints the ratio of their medians, and the
crossover: the smallest size from which all cores are at least 5% faster at every larger
size measured. A threshold below the crossover means ``threads=None`` can be slower than
``threads=1`` just above it; one far above it leaves speed unused. docs/threads.md says how
the thresholds were chosen from this script's output.

Medians of interleaved repeats; ratios from this run only. OpenBLAS is limited to one thread
(matmul's baseline is not measured here; idle OpenBLAS threads spinning would skew the others).
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import platform  # noqa: E402
import statistics  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

import fastkernels  # noqa: E402
from fastkernels import _native  # noqa: E402
from fastkernels.bench.corpus import generate as generate_corpus  # noqa: E402
from fastkernels.bench.measure import calls_per_sample, repeat_call, time_interleaved  # noqa: E402

# kernel -> (what its size counts, how to make an input of that size, the call, the threshold's name)
Maker = Callable[[int, np.random.Generator], Any]


def ints_list(n: int, rng: np.random.Generator) -> Any:
    return rng.integers(-(2**62), 2**62, size=n).tolist()


def int64_array(n: int, rng: np.random.Generator) -> Any:
    return rng.integers(-(2**62), 2**62, size=n, dtype=np.int64)


def float64_array(n: int, rng: np.random.Generator) -> Any:
    return rng.standard_normal(n)


_TEXT: list[str] = []


def text(n: int, rng: np.random.Generator) -> Any:
    """The first n characters of the bench's generated corpus (made once, as large as needed)."""
    if not _TEXT or len(_TEXT[0]) < n:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as folder:
            path = generate_corpus(Path(folder) / "corpus.txt", size_mb=max(n / 1e6, 1.0) * 1.05)
            _TEXT[:] = [path.read_text(encoding="utf-8")]
    return _TEXT[0][:n]


def matrices(n: int, rng: np.random.Generator) -> Any:
    side = max(1, round(n ** (1 / 3)))  # n multiply-adds: side**3
    return rng.standard_normal((side, side)), rng.standard_normal((side, side))


def matrices32(n: int, rng: np.random.Generator) -> Any:
    a, b = matrices(n, rng)
    return a.astype(np.float32), b.astype(np.float32)


KERNELS: dict[str, tuple[str, Maker, str, str]] = {
    "sort list of ints": ("items", ints_list, "fastkernels.sort(x, threads=t)", "sort"),
    "sort int64 array": ("elements", int64_array, "fastkernels.sort(x, threads=t)", "sort"),
    # On AVX2 CPUs the vector quicksort (its own threshold); elsewhere the radix sort's.
    "sort float64 array": ("elements", float64_array, "fastkernels.sort(x, threads=t)", "sort_array_avx2"),
    "sum list of ints": ("items", ints_list, "fastkernels.sum(x, threads=t)", "sum_list"),
    "sum int64 array": ("elements", int64_array, "fastkernels.sum(x, threads=t)", "sum_int_array"),
    "fsum float64 array": ("elements", float64_array, "fastkernels.fsum(x, threads=t)", "fsum_array"),
    "word_count": ("bytes", text, "fastkernels.word_count(x, threads=t)", "word_count"),
    # Texts below 1 MiB: one block of scratch, counted in two halves at once from this threshold.
    "word_count short text": ("bytes", text, "fastkernels.word_count(x, threads=t)", "word_count_short_halves"),
    # Square products up to n = 256 or so share one packed B among the workers (their own
    # thresholds); larger ones, whose every worker packs all of B, start from 'matmul'.
    "matmul float64": ("multiply-adds", matrices, "fastkernels.matmul(x[0], x[1], threads=t)",
                       "matmul_shared_float64"),
    "matmul float32": ("multiply-adds", matrices32, "fastkernels.matmul(x[0], x[1], threads=t)",
                       "matmul_shared_float32"),
}


def measure(call: str, value: Any, repeats: int) -> float:
    """Median ratio time(threads=1) / time(threads=None) of interleaved samples of ~20 ms."""
    def make(count: int) -> list[Callable[[], object]]:
        return [repeat_call(call, count, {"fastkernels": fastkernels, "x": value, "t": t}) for t in (1, None)]

    count = calls_per_sample(make, 0.02)
    one, every = make(count)
    samples = time_interleaved({"1": one, "None": every}, repeats)
    return statistics.median(samples["1"].seconds) / statistics.median(samples["None"].seconds)


def crossover(ratios: dict[int, float], margin: float = 1.05) -> int | None:
    """The smallest size from which every ratio is at least `margin`."""
    found = None
    for size in sorted(ratios, reverse=True):
        if ratios[size] < margin:
            break
        found = size
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    parser.add_argument("--kernel", action="append", choices=sorted(KERNELS), help="only these kernels")
    args = parser.parse_args()
    thresholds = _native._parallel_thresholds()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"fastkernels {fastkernels.__version__}, Python {platform.python_version()}, {cores} usable cores")
    if cores is None or cores < 2:
        print("one core: threads=None is threads=1 here; nothing to calibrate")
        return
    repeats = 5 if args.quick else 11
    rng = np.random.default_rng(15)
    for name in args.kernel or list(KERNELS):
        unit, make_input, call, key = KERNELS[name]
        threshold = thresholds[key]
        low, high = max(threshold // 16, 1024), threshold * 16
        sizes = []
        size = low
        while size <= high:
            sizes.append(size)
            size *= 4 if args.quick else 2
        print(f"\n{name}: several workers from {threshold:,} {unit} (compiled-in threshold)")
        print(f"  {'size':>14}  threads=1 / threads=None")
        ratios: dict[int, float] = {}
        for size in sizes:
            value = make_input(size, rng)
            ratios[size] = measure(call, value, repeats)
            marker = "  <- threshold" if size == threshold else ""
            print(f"  {size:>14,}  {ratios[size]:.2f}x{marker}")
        found = crossover(ratios)
        below = [size for size in sizes if size >= threshold and ratios[size] < 0.95]
        print(f"  crossover (all cores >= 1.05x from here up): {found:,} {unit}" if found else
              "  crossover: none in this range")
        if below:
            print(f"  WARNING: threads=None more than 5% slower than threads=1 at {', '.join(f'{s:,}' for s in below)}")


if __name__ == "__main__":
    main()

"""The bench's workloads: each is one small function that returns the rows (cases) it measures.

A case lists implementations by column (Python, fastkernels, numpy, polars). Every implementation
is run once and its answer checked against the Python column's before anything is timed; a wrong
answer is reported as a failure, never as a speed. Add a workload by writing a function that
returns cases and decorating it with ``@workload(name, description)``.
"""
from __future__ import annotations

import array
import math
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Optional

import fastkernels
from fastkernels import _pure

from .corpus import generate as generate_corpus
from .measure import calls_per_sample, optional_module, peak_rss_of, repeat_call
from .model import Kind

COLUMNS = ("Python", "fastkernels", "numpy", "polars")
REFERENCE = "Python"


@dataclass(frozen=True)
class Sizes:
    """How big the workloads are at one scale (--quick, default, --full)."""
    elements: int                    # numbers to sum and sort
    fib_recursive: tuple[int, ...]   # n of the naive recursion
    fib_exact: tuple[int, ...]       # n of exact Fibonacci
    corpus_mb: float                 # size of the generated text
    repeats: int                     # timed runs of each implementation (after the checked warm-up)
    matmul_python: int               # n of the pure-Python triple loop
    matmul_native: int               # n of numpy's (and fastkernels') matmul
    parallel_n: tuple[int, int]      # n of the recursive Fibonacci jobs: Python, fastkernels
    calls: int                       # calls per run when timing call overhead
    sweep: tuple[int, ...] = (10, 100, 1_000, 10_000, 100_000)   # sizes of the `sizes` workload
    sweep_sample: float = 0.002      # seconds a batched sample of small sizes should take
    dask_corpus: tuple[int, float] = (2, 0.05)  # files and MB per file of the `dask` workload


SCALES = {
    "quick": Sizes(100_000, (20, 25), (90, 10**4, 10**5), 2, 3, 32, 256, (22, 30), 20_000, sweep_sample=0.001,
                   dask_corpus=(2, 0.25)),
    "default": Sizes(1_000_000, (30, 32), (90, 10**5, 10**6), 43, 5, 128, 1024, (25, 33), 200_000,
                     sweep=(10, 100, 1_000, 10_000, 100_000, 1_000_000), dask_corpus=(4, 1.0)),
    "full": Sizes(10_000_000, (30, 32, 35), (90, 10**5, 10**6, 10**7), 200, 9, 128, 2048, (27, 35), 1_000_000,
                  sweep=(10, 100, 1_000, 10_000, 100_000, 1_000_000), dask_corpus=(10, 10.0)),
}


@dataclass
class Implementation:
    """One cell of a row: what runs in one column."""
    column: str
    label: str                                  # what exactly runs, e.g. "sorted(list)"
    run: Optional[Callable[[], Any]] = None     # None when unavailable (see `missing`)
    missing: str = ""                           # why it cannot run, e.g. "not installed"
    flops: float = 0.0                          # floating-point operations of one run (GFLOP/s rows)
    verify: Optional[Callable[[], bool]] = None  # its own correctness check, instead of comparing answers


@dataclass(frozen=True)
class Point:
    """A case that is one point of a size sweep (the `sizes` workload): its series (kernel), the
    letter that marks it on the plot, its size, and the column whose time the plotted speed-up
    divides by fastkernels' (the idiom a user of that input would write)."""
    series: str
    letter: str
    n: int
    versus: str = REFERENCE
    versus_label: str = ""


@dataclass
class Case:
    """One row of the table.

    kind "time": run() is timed (cells show the median time, per call when per_call > 1);
    "rate": timed, shown as GFLOP/s from each implementation's flops; "memory": run() returns
    (bytes, answer); "scaling": run() returns (factor, answer). Answers are compared with the
    Python column's by `same`.
    """
    name: str
    size: str
    implementations: list[Implementation]
    kind: Kind = "time"
    same: Callable[[Any, Any], bool] = field(default=lambda a, b: bool(a == b))
    per_call: int = 1
    note: str = ""
    point: Optional[Point] = None


@dataclass
class Workload:
    name: str
    description: str
    build: Callable[[Sizes, "Resources"], list[Case]]


WORKLOADS: dict[str, Workload] = {}


def workload(name: str, description: str) -> Callable[[Callable[[Sizes, "Resources"], list[Case]]],
                                                      Callable[[Sizes, "Resources"], list[Case]]]:
    """Registers a function returning the cases of one workload."""
    def register(build: Callable[[Sizes, Resources], list[Case]]) -> Callable[[Sizes, Resources], list[Case]]:
        WORKLOADS[name] = Workload(name, description, build)
        return build
    return register


class Resources:
    """Things several workloads share and that cost time to make: data, the corpus file."""

    def __init__(self, workdir: Path, progress: Callable[[str], None] = lambda message: None) -> None:
        self.workdir = workdir
        self.progress = progress
        self._corpus: dict[float, Path] = {}
        self._dask: Optional[tuple[Any, Any]] = None

    def dask_client(self) -> Any:
        """A dask.distributed client of a LocalCluster on loopback: one worker process per CPU,
        one thread each; closed by `close()` or at exit."""
        if self._dask is None:
            import atexit
            import logging

            import dask.system
            import distributed

            self.progress("starting a dask.distributed LocalCluster")
            workers = dask.system.CPU_COUNT  # (affinity and cgroup quota included)
            start_cluster: Any = distributed.LocalCluster
            connect: Any = distributed.Client
            cluster = start_cluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=":0", silence_logs=logging.ERROR)
            self._dask = (cluster, connect(cluster, set_as_default=False))
            atexit.register(self.close)
        return self._dask[1]

    def close(self) -> None:
        """Stops what the workloads started (the LocalCluster)."""
        if self._dask is not None:
            cluster, client = self._dask
            self._dask = None
            client.close()
            cluster.close()

    def corpus(self, size_mb: float) -> Path:
        if size_mb not in self._corpus:
            self.progress(f"generating a {size_mb:g} MB text (deterministic, seeded Zipf vocabulary)")
            self._corpus[size_mb] = generate_corpus(self.workdir / f"corpus-{size_mb:g}mb.txt", size_mb=size_mb)
        return self._corpus[size_mb]

    def text(self, chars: int) -> str:
        """The first `chars` characters of the generated text. Its beginning does not depend on its
        size (same seed, written in order), so a corpus already made for another workload serves."""
        for size_mb in sorted(self._corpus, reverse=True):
            with open(self._corpus[size_mb], encoding="utf-8") as f:
                text = f.read(chars)
            if len(text) == chars:
                return text
        with open(self.corpus(round(chars / 1e6 + 0.05, 2)), encoding="utf-8") as f:
            return f.read(chars)


def count_label(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("K", 1_000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n:,}"


def unavailable(column: str, module: str) -> Implementation:
    return Implementation(column, module, missing="not installed")


def as_list(values: Any) -> list[Any]:
    """A plain list of the values of a list, array.array, numpy array or polars Series."""
    if isinstance(values, list):
        return values
    if hasattr(values, "to_list"):
        return list(values.to_list())
    return list(values.tolist())


def same_values(result: Any, expected: Any) -> bool:
    return as_list(result) == as_list(expected)


def close(result: Any, expected: Any) -> bool:
    """Float sums: equal to within what the order of additions can change."""
    return math.isclose(float(result), float(expected), rel_tol=1e-9, abs_tol=1e-9)


# ---- workloads --------------------------------------------------------------------------------

@workload("fib_recursive", "naive recursive Fibonacci: the double recursion, call for call")
def fib_recursive(sizes: Sizes, resources: Resources) -> list[Case]:
    return [Case(f"fibonacci_recursive({n})", f"n={n}", [
        Implementation("Python", "def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)",
                       partial(_pure.fibonacci_recursive, n)),
        Implementation("fastkernels", "fastkernels.fibonacci_recursive(n)",
                       partial(fastkernels.fibonacci_recursive, n)),
    ]) for n in sizes.fib_recursive]


@workload("fib_exact", "exact Fibonacci numbers (big integers)")
def fib_exact(sizes: Sizes, resources: Resources) -> list[Case]:
    return [Case(f"fibonacci({n:,})", f"n={n:,}", [
        Implementation("Python", "fast doubling on Python ints", partial(_pure.fibonacci_fast_doubling, n)),
        Implementation("fastkernels", "fastkernels.fibonacci(n)", partial(fastkernels.fibonacci, n)),
    ]) for n in sizes.fib_exact]


def random_ints(count: int, seed: int) -> list[int]:
    # |x| < 2**40: a million of them sum within int64, so numpy's and polars' sums are exact too.
    rng = random.Random(seed)
    return [rng.randrange(-(1 << 40), 1 << 40) for _ in range(count)]


def random_floats(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-1e6, 1e6) for _ in range(count)]


def numeric_rows(kind: str, values: list[Any], typecode: str, python: Callable[[Any], Any],
                 native: Callable[[Any], Any], numpy_op: str, polars_op: str,
                 same: Callable[[Any, Any], bool]) -> list[Case]:
    """Two rows for a numeric kernel: on a list, and on a packed array."""
    np, pl = optional_module("numpy"), optional_module("polars")
    size = count_label(len(values))
    packed = array.array(typecode, values)
    numpy_values = np.array(values, dtype=np.int64 if typecode == "q" else np.float64) if np else None
    polars_values = pl.Series(values) if pl else None
    name = python.__name__
    list_row = Case(f"{kind}, list", size, [
        Implementation("Python", f"{name}(list)", lambda: python(values)),
        Implementation("fastkernels", f"fastkernels.{native.__name__}(list)", lambda: native(values)),
    ], same=same)
    packed_input = numpy_values if numpy_values is not None else packed
    packed_row = Case(f"{kind}, packed array", size, [
        Implementation("Python", f"{name}(array.array('{typecode}'))", lambda: python(packed)),
        Implementation("fastkernels", f"fastkernels.{native.__name__}({'numpy array' if np else 'array.array'})",
                       lambda: native(packed_input)),
        Implementation("numpy", f"numpy.{numpy_op}(array)", lambda: getattr(np, numpy_op)(numpy_values))
        if np else unavailable("numpy", "numpy"),
        Implementation("polars", f"Series.{polars_op}()", lambda: getattr(polars_values, polars_op)())
        if pl else unavailable("polars", "polars"),
    ], same=same)
    return [list_row, packed_row]


@workload("sum", "sum and fsum of ints and of floats: a list and a packed array")
def sum_workload(sizes: Sizes, resources: Resources) -> list[Case]:
    ints, floats = random_ints(sizes.elements, 1), random_floats(sizes.elements, 2)
    # fastkernels.sum gives sum()'s bits exactly; numpy's and polars' pairwise sums are only close.
    return (numeric_rows(f"sum of {count_label(sizes.elements)} ints", ints, "q", sum, fastkernels.sum,
                         "sum", "sum", lambda a, b: int(a) == int(b))
            + numeric_rows(f"sum of {count_label(sizes.elements)} floats", floats, "d", sum, fastkernels.sum,
                           "sum", "sum", close)
            + numeric_rows(f"fsum of {count_label(sizes.elements)} floats", floats, "d", math.fsum, fastkernels.fsum,
                           "sum", "sum", close))


@workload("sort", "sort of ints and of floats: a list and a packed array")
def sort_workload(sizes: Sizes, resources: Resources) -> list[Case]:
    ints, floats = random_ints(sizes.elements, 3), random_floats(sizes.elements, 4)
    return (numeric_rows(f"sort {count_label(sizes.elements)} ints", ints, "q", sorted, fastkernels.sort,
                         "sort", "sort", same_values)
            + numeric_rows(f"sort {count_label(sizes.elements)} floats", floats, "d", sorted, fastkernels.sort,
                           "sort", "sort", same_values))


def traced_bytes(make: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes allocated (through Python's allocators, as tracemalloc sees them) by make()'s result."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        return tracemalloc.get_traced_memory()[0] - before, made
    finally:
        tracemalloc.stop()


@workload("int_memory", "memory of a million integers: Python list against packed int64")
def int_memory(sizes: Sizes, resources: Resources) -> list[Case]:
    np = optional_module("numpy")
    count = sizes.elements
    source = array.array("q", random_ints(count, 5))  # packed, so that the list's ints are made below

    def python() -> tuple[int, list[int]]:
        return traced_bytes(source.tolist)

    def packed() -> tuple[int, list[int]]:
        measured, values = traced_bytes(lambda: array.array("q", source))
        return measured, values.tolist()

    def numpy_array() -> tuple[int, list[int]]:
        measured, values = traced_bytes(lambda: np.array(source, dtype=np.int64))
        return measured, values.tolist()

    return [Case(f"memory of {count_label(count)} ints", count_label(count), [
        Implementation("Python", "list of int objects", python),
        Implementation("fastkernels", "array.array('q'), what fastkernels reads in place", packed),
        Implementation("numpy", "numpy int64 array", numpy_array) if np else unavailable("numpy", "numpy"),
    ], kind="memory", note="bytes allocated, measured with tracemalloc")]


_WORD_COUNT_CHILD = """
from collections import Counter
import hashlib, sys
path = sys.argv[2]
if sys.argv[1] == "idiom":
    with open(path, encoding="utf-8") as f:
        counts = Counter(f.read().lower().split())
else:
    import fastkernels
    counts = fastkernels.word_count_file(path)
"""
# The answer's digest, computed after the peak was read (sorting the items would add to it).
_WORD_COUNT_SUMMARY = """
digest = hashlib.sha256(repr(sorted(counts.items())).encode()).hexdigest()
result = f"{len(counts)} {sum(counts.values())} {digest}"
"""


@workload("word_count", "word frequencies of a generated text: Counter(text.lower().split())")
def word_count(sizes: Sizes, resources: Resources) -> list[Case]:
    path = resources.corpus(sizes.corpus_mb)
    size = f"{path.stat().st_size / 1e6:.1f} MB"

    def idiom() -> Counter[str]:
        with open(path, encoding="utf-8") as f:
            return Counter(f.read().lower().split())

    def peak(which: str) -> Callable[[], tuple[int, str]]:
        return lambda: peak_rss_of(_WORD_COUNT_CHILD, _WORD_COUNT_SUMMARY, which, str(path))

    return [
        Case("word frequencies", size, [
            Implementation("Python", "Counter(open(p).read().lower().split())", idiom),
            Implementation("fastkernels", "fastkernels.word_count_file(p)", lambda: fastkernels.word_count_file(path)),
        ]),
        Case("word frequencies, peak memory", size, [
            Implementation("Python", "the idiom, in a fresh process", peak("idiom")),
            Implementation("fastkernels", "word_count_file, in a fresh process", peak("fastkernels")),
        ], kind="memory", note="peak RSS of a fresh process, interpreter included"),
    ]


def matmul_python(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    n, m, p = len(a), len(b), len(b[0])
    result = [[0.0] * p for _ in range(n)]
    for i in range(n):
        row, out = a[i], result[i]
        for k in range(m):
            aik, bk = row[k], b[k]
            for j in range(p):
                out[j] += aik * bk[j]
    return result


@workload("matmul", "dense float64 matrix multiplication (GFLOP/s)")
def matmul(sizes: Sizes, resources: Resources) -> list[Case]:
    np = optional_module("numpy")
    rng = random.Random(6)
    small, large = sizes.matmul_python, sizes.matmul_native

    def matrix(n: int) -> list[list[float]]:
        return [[rng.uniform(-1, 1) for _ in range(n)] for _ in range(n)]

    a, b = matrix(small), matrix(small)
    check_a, check_b = matrix(32), matrix(32)
    expected = matmul_python(check_a, check_b)

    def agrees(result: Any) -> bool:
        return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9)
                   for got, want in zip(as_list(result), expected) for x, y in zip(got, want))

    # The check: every implementation multiplies the same 32x32 matrices, compared with the triple loop's.
    implementations = [Implementation("Python", f"triple loop on lists, n={small}", lambda: matmul_python(a, b),
                                      flops=2.0 * small**3, verify=lambda: agrees(matmul_python(check_a, check_b)))]
    native = getattr(fastkernels, "matmul", None)
    if np is not None:
        generator = np.random.default_rng(6)
        big_a, big_b = generator.uniform(-1, 1, (large, large)), generator.uniform(-1, 1, (large, large))
        np_check_a, np_check_b = np.array(check_a), np.array(check_b)
        if native is not None:
            implementations.append(Implementation(
                "fastkernels", f"fastkernels.matmul, n={large}", lambda: native(big_a, big_b),
                flops=2.0 * large**3, verify=lambda: agrees(native(np_check_a, np_check_b))))
        implementations.append(Implementation("numpy", f"a @ b, n={large}", lambda: big_a @ big_b,
                                              flops=2.0 * large**3, verify=lambda: agrees(np_check_a @ np_check_b)))
    else:  # fastkernels still multiplies lists of lists: timed on them (the conversion included)
        if native is not None:
            list_a, list_b = matrix(large), matrix(large)
            implementations.append(Implementation(
                "fastkernels", f"fastkernels.matmul on lists, n={large}", lambda: native(list_a, list_b),
                flops=2.0 * large**3, verify=lambda: agrees(native(check_a, check_b))))
        implementations.append(unavailable("numpy", "numpy"))
    if native is None:
        implementations.append(Implementation("fastkernels", "fastkernels.matmul", missing="not in fastkernels yet"))
    return [Case("matrix multiplication", f"n={small} / {large}", implementations, kind="rate",
                 note="GFLOP/s; pure Python at the smaller n")]


def scaling(job: Callable[[], Any], jobs: int, threads: int, repeats: int) -> tuple[float, list[Any]]:
    """How much faster `jobs` calls of job() finish on `threads` threads than on one (medians)."""
    def on_threads(count: int) -> tuple[float, list[Any]]:
        results: list[Any] = [None] * jobs

        def worker(first: int) -> None:
            for index in range(first, jobs, count):
                results[index] = job()

        started = time.perf_counter()
        workers = [threading.Thread(target=worker, args=(first,)) for first in range(count)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        return time.perf_counter() - started, results

    serial, parallel = [], []
    results: list[Any] = []
    for _ in range(repeats):
        seconds, results = on_threads(1)
        serial.append(seconds)
        seconds, results = on_threads(threads)
        parallel.append(seconds)
    serial.sort()
    parallel.sort()
    return serial[len(serial) // 2] / parallel[len(parallel) // 2], results


@workload("threads", "true parallelism: the same CPU-bound kernel on 1 and on N Python threads")
def threads_workload(sizes: Sizes, resources: Resources) -> list[Case]:
    count = max(os.cpu_count() or 1, 2)
    jobs = 2 * count
    python_n, native_n = sizes.parallel_n
    repeats = max(sizes.repeats // 2, 2)
    def correct(job: Callable[[], int], n: int) -> Callable[[], tuple[float, bool]]:
        def run() -> tuple[float, bool]:
            factor, results = scaling(job, jobs, count, repeats)
            return factor, results == [_pure.fibonacci_iterative(n)] * jobs
        return run

    return [Case(f"parallel speed-up, {count} threads", f"{jobs} jobs", [
        Implementation("Python", f"fib({python_n}) in Python, per thread",
                       correct(lambda: _pure.fibonacci_recursive(python_n), python_n)),
        Implementation("fastkernels", f"fastkernels.fibonacci_recursive({native_n}), per thread",
                       correct(lambda: fastkernels.fibonacci_recursive(native_n), native_n)),
    ], kind="scaling", note="time of the jobs on 1 thread / on N threads (the GIL holds Python at 1x)")]


@workload("call_overhead", "the cost of calling: a trivial fastkernels call against a C builtin")
def call_overhead(sizes: Sizes, resources: Resources) -> list[Case]:
    calls = sizes.calls
    gcd, fibonacci = math.gcd, fastkernels.fibonacci

    def builtin() -> int:
        for _ in range(calls):
            gcd(1, 1)
        return calls

    def native() -> int:
        for _ in range(calls):
            fibonacci(10)
        return calls

    return [Case("call overhead", f"{count_label(calls)} calls", [
        Implementation("Python", "math.gcd(1, 1), a C builtin", builtin, verify=lambda: gcd(12, 18) == 6),
        Implementation("fastkernels", "fastkernels.fibonacci(10)", native,
                       verify=lambda: fibonacci(10) == _pure.fibonacci_iterative(10)),
    ], per_call=calls, note="per call, loop included")]


def same_container(template: Any) -> Callable[[Any, Any], bool]:
    """Sorted buffers: the same values, in a container of the input's type, dtype or typecode."""
    def same(result: Any, expected: Any) -> bool:
        return (type(result) is type(template)
                and getattr(result, "dtype", None) == getattr(template, "dtype", None)
                and getattr(result, "typecode", None) == getattr(template, "typecode", None)
                and same_values(result, expected))
    return same


def same_counter(result: Any, expected: Any) -> bool:
    """A Counter equal to the idiom's, in the idiom's order (first occurrence)."""
    return type(result) is type(expected) and result == expected and list(result.items()) == list(expected.items())


def same_typed(result: Any, expected: Any) -> bool:
    """The same type and value (sum() of ints: an int)."""
    return type(result) is type(expected) and bool(result == expected)


def same_list(result: Any, expected: Any) -> bool:
    return type(result) is list and result == expected


SWEEP_SERIES = (("sort list of ints", "S"), ("sort int64 array", "A"), ("sum list of ints", "U"),
                ("word_count of text", "W"))


@workload("sizes", "speed-up against the idiom at every size, 10 to 1M: where fastkernels pays")
def sizes_workload(sizes: Sizes, resources: Resources) -> list[Case]:
    """One row per kernel and size. Small sizes are timed in batches (per_call calls a sample, the
    same compiled loop for every column), so that calls of a microsecond compare fairly."""
    np = optional_module("numpy")
    largest = max(sizes.sweep)
    ints = random_ints(largest, 7)
    text = resources.text(largest)
    names: dict[str, Any] = {"sorted": sorted, "sum": sum, "Counter": Counter, "sort": fastkernels.sort,
                             "fk_sum": fastkernels.sum, "word_count": fastkernels.word_count}
    if np is not None:
        names["np_sort"] = np.sort
    cases: list[Case] = []
    for n in sizes.sweep:
        values = ints[:n]
        packed = array.array("q", values)
        native_input = np.array(values, dtype=np.int64) if np is not None else packed
        words = text[:n]
        rows: list[tuple[str, str, list[tuple[str, str, str, Any]], Callable[[Any, Any], bool], str, str]] = [
            # (series, size, [(column, label, call, input)], same, versus, versus_label)
            ("sort list of ints", count_label(n), [
                ("Python", "sorted(list)", "sorted(x)", values),
                ("fastkernels", "fastkernels.sort(list)", "sort(x)", values)], same_list, REFERENCE, "sorted"),
            ("sort int64 array", count_label(n), [
                ("Python", "sorted(array.array('q'))", "sorted(x)", packed),
                ("fastkernels", f"fastkernels.sort({'numpy array' if np is not None else 'array.array'})",
                 "sort(x)", native_input),
                *([("numpy", "numpy.sort(array)", "np_sort(x)", native_input)] if np is not None else [])],
             same_container(native_input), "numpy" if np is not None else REFERENCE,
             "numpy.sort" if np is not None else "sorted"),
            ("sum list of ints", count_label(n), [
                ("Python", "sum(list)", "sum(x)", values),
                ("fastkernels", "fastkernels.sum(list)", "fk_sum(x)", values)], same_typed, REFERENCE, "sum"),
            ("word_count of text", f"{count_label(n)} chars", [
                ("Python", "Counter(text.lower().split())", "Counter(x.lower().split())", words),
                ("fastkernels", "fastkernels.word_count(text)", "word_count(x)", words)],
             same_counter, REFERENCE, "Counter(t.lower().split())"),
        ]
        for (series, size, columns, same, versus, versus_label), (_, letter) in zip(rows, SWEEP_SERIES):
            def batched(count: int, columns: list[tuple[str, str, str, Any]] = columns) -> list[Callable[[], Any]]:
                return [repeat_call(call, count, {**names, "x": data}) for _, _, call, data in columns]

            try:  # a kernel that raises is reported by run_case; here it gets one call a sample
                count = 1 if n >= 100_000 else calls_per_sample(batched, sizes.sweep_sample)
            except Exception:
                count = 1
            implementations = [Implementation(column, label + (f" x{count:,}" if count > 1 else ""), run)
                               for (column, label, _, _), run in zip(columns, batched(count))]
            if np is None and series == "sort int64 array":
                implementations.append(unavailable("numpy", "numpy"))
            cases.append(Case(series, size, implementations, same=same, per_call=count,
                              point=Point(series, letter, n, versus, versus_label)))
    return cases


@workload("dask", "word counts of many files and an exact fsum on Dask (a LocalCluster), when dask is installed")
def dask_workload(sizes: Sizes, resources: Resources) -> list[Case]:
    files, megabytes = sizes.dask_corpus
    size = f"{files} files x {megabytes:g} MB"
    if optional_module("distributed") is None or optional_module("dask.bag") is None:
        resources.progress("dask is not installed (pip install 'fastkernels[dask]'): the dask workload is skipped")
        return []
    import dask.array as da
    import dask.bag as db

    from fastkernels import dask as fkd

    read_text: Any = db.read_text
    default_rng: Any = da.random.default_rng

    client = resources.dask_client()
    text = resources.text(int(files * megabytes * 1e6))
    paths = []
    for i in range(files):
        piece = text[len(text) * i // files:len(text) * (i + 1) // files]
        path = resources.workdir / f"dask-corpus-{i:03}.txt"
        path.write_text(piece, encoding="utf-8")
        paths.append(str(path))

    def bag_idiom() -> Counter[str]:
        bag = read_text(paths).str.lower().str.split().flatten().frequencies()
        return Counter(dict(client.compute(bag, sync=True)))

    elements = sizes.elements
    values = default_rng(14).standard_normal(elements, chunks=max(1, elements // 10))
    values = client.persist(values)
    workers = len(client.nthreads())
    return [
        Case("word frequencies of a corpus on Dask", size, [
            Implementation("Python", "dask.bag: read_text(p).str.lower().str.split().flatten().frequencies()",
                           bag_idiom),
            Implementation("fastkernels", "fastkernels.dask.word_count_files(p)",
                           lambda: fkd.word_count_files(paths, client=client)),
        ], note=f"a LocalCluster of {workers} worker processes on loopback, the same for both"),
        Case("sum of a float64 dask array", f"{count_label(elements)} in 10 chunks", [
            Implementation("Python", "x.sum().compute() (dask; not exact)",
                           lambda: float(client.compute(values.sum(), sync=True))),
            Implementation("fastkernels", "fastkernels.dask.fsum(x) (correctly rounded)",
                           lambda: fkd.fsum(values, client=client)),
        ], same=close, note="chunks persisted on the cluster's workers"),
    ]

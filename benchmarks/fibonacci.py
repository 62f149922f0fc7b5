"""Benchmarks of the Fibonacci kernels (issue 2's targets), measured in one run.

    python benchmarks/fibonacci.py [--quick]

Every figure is a median over repeated runs after a warm-up; every ratio
compares medians measured in this same run, with the baseline interleaved
with the candidate so that machine noise hits both alike.

- call overhead: fastkernels.fibonacci(10) and fibonacci_recursive(0) against math.gcd(1, 1) (a C builtin)
- fibonacci_recursive(32) against the same recursion in pure Python and in C (gcc -O2, clang -O2),
  and fibonacci_recursive(36) against C only (issue 12: at most 1.0x either C)
- fibonacci(10**6) against a pure-Python fast doubling
- the cost of `import fastkernels`
"""
from __future__ import annotations

import argparse
import ctypes
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import fastkernels
from timing import describe, interleaved
from fastkernels._pure import fibonacci_fast_doubling as python_fast_doubling
from fastkernels._pure import fibonacci_recursive as python_fib

HERE = Path(__file__).resolve().parent


def build_c_fib(compiler_name: str) -> Callable[[int], int] | None:
    """fib.c compiled with `compiler_name` -O2 into a shared library, called through ctypes
    (the ctypes call costs about a microsecond: nothing next to milliseconds of recursion)."""
    compiler = shutil.which(compiler_name)
    if compiler is None:
        return None
    out = Path(tempfile.mkdtemp()) / "libfib.so"
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", str(HERE / "c" / "fib.c"), "-o", str(out)], check=True)
    library = ctypes.CDLL(str(out))
    library.fib.argtypes = [ctypes.c_uint32]
    library.fib.restype = ctypes.c_uint64
    return library.fib


def import_time_ms(runs: int) -> tuple[float, float]:
    """Median cumulative import time of fastkernels (python -X importtime) and its spread, with the
    package's bytecode cached as `pip install` leaves it: in a cache of its own (PYTHONPYCACHEPREFIX),
    written by a first import, even where PYTHONDONTWRITEBYTECODE is set (a source checkout then
    compiles the package on every import: about 4 ms more, measured 2026-12-07)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-c", "import fastkernels"], env=env, check=True)
        samples = []
        for _ in range(runs):
            err = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", "import fastkernels"], capture_output=True, text=True,
                env=env,
            ).stderr
            line = [l for l in err.splitlines() if l.rstrip().endswith("| fastkernels")][-1]
            samples.append(int(re.split(r"\s*\|\s*", line)[1]) / 1000)
    return statistics.median(samples), max(samples) - min(samples)


INTERRUPT_CHILD = """
import signal, sys, time, fastkernels
signal.signal(signal.SIGINT, signal.default_int_handler)  # a background shell starts it ignored
print("ready", flush=True)
try:
    fastkernels.{call}
except KeyboardInterrupt:
    print(time.monotonic(), flush=True)
"""


def interrupt_latency_ms(call: str, runs: int) -> list[float]:
    """Ctrl-C latency: SIGINT sent to a child inside `call` -> its KeyboardInterrupt handler running
    (both stamps from CLOCK_MONOTONIC, which every process shares)."""
    import signal

    latencies = []
    for _ in range(runs):
        child = subprocess.Popen([sys.executable, "-c", INTERRUPT_CHILD.format(call=call)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        child.stdout.readline()
        time.sleep(0.2)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        caught = float(child.stdout.readline())
        child.wait()
        latencies.append((caught - sent) * 1e3)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller n")
    parser.add_argument("--recursive-n", type=lambda text: [int(v) for v in text.split(",")], default=[32, 36],
                        help="the n of fibonacci_recursive to time, comma-separated (default 32,36)")
    args = parser.parse_args()
    quick = args.quick
    print(f"fastkernels {fastkernels.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {platform.processor() or platform.platform()}")
    print("medians of interleaved repeats; ratios of medians from this run\n")

    # 1. Call overhead.
    loops = 100_000
    fib, recursive, gcd = fastkernels.fibonacci, fastkernels.fibonacci_recursive, math.gcd

    def fib_loop() -> None:
        for _ in range(loops):
            fib(10)

    def recursive_loop() -> None:
        for _ in range(loops):
            recursive(0)

    def gcd_loop() -> None:
        for _ in range(loops):
            gcd(1, 1)

    def empty_loop() -> None:
        for _ in range(loops):
            pass

    t = interleaved({"fib": fib_loop, "recursive": recursive_loop, "gcd": gcd_loop, "empty": empty_loop},
                    11 if quick else 41)
    f_ns = statistics.median(t["fib"]) / loops * 1e9
    r_ns = statistics.median(t["recursive"]) / loops * 1e9
    g_ns = statistics.median(t["gcd"]) / loops * 1e9
    e_ns = statistics.median(t["empty"]) / loops * 1e9
    print("call overhead (per call, loop included)")
    print(f"  fastkernels.fibonacci(10) {f_ns:7.1f} ns")
    print(f"  fastkernels.fibonacci_recursive(0) {r_ns:7.1f} ns")
    print(f"  math.gcd(1, 1)            {g_ns:7.1f} ns")
    print(f"  empty loop iteration      {e_ns:7.1f} ns")
    print(f"  ratio fibonacci/gcd: {f_ns / g_ns:.3f} (target <= 1.1); "
          f"without the loop: {(f_ns - e_ns) / (g_ns - e_ns):.3f}")
    print(f"  ratio fibonacci_recursive/gcd: {r_ns / g_ns:.3f}; without the loop: {(r_ns - e_ns) / (g_ns - e_ns):.3f}\n")

    # 2. Naive recursion: n = 32 against pure Python too; larger n (milliseconds to tens of
    # milliseconds) against C only, where the ratio is steadier on a noisy machine.
    c_fibs = {f"C {compiler} -O2": c_fib for compiler in ("gcc", "clang")
              if (c_fib := build_c_fib(compiler)) is not None}
    for n in ([27] if quick else args.recursive_n):
        candidates: dict[str, Callable[[], object]] = {}
        if n <= 32:
            candidates["python"] = lambda n=n: python_fib(n)
        candidates["fastkernels"] = lambda n=n: fastkernels.fibonacci_recursive(n)
        for name, c_fib in c_fibs.items():
            candidates[name] = lambda c_fib=c_fib, n=n: c_fib(n)
        results = {name: f() for name, f in candidates.items()}
        assert len(set(results.values())) == 1, f"implementations disagree: {results}"
        t = interleaved(candidates, 3 if quick else (11 if n <= 32 else 15))
        med = {name: statistics.median(v) for name, v in t.items()}
        print(f"fibonacci_recursive({n})")
        for name, samples in t.items():
            print(f"  {name:14s} {describe(samples, 1e-3, 'ms')}")
        if "python" in med:
            print(f"  speed-up over Python: {med['python'] / med['fastkernels']:.1f}x (target >= 50x)")
        for name in c_fibs:
            # The median of the per-round ratios: each round runs both back to back.
            ratio = statistics.median(a / b for a, b in zip(t["fastkernels"], t[name]))
            print(f"  time vs {name}:  {med['fastkernels'] / med[name]:.2f}x, median of per-round ratios "
                  f"{ratio:.2f}x (target <= 1.0x)")
        print()

    # 3. Exact, large n.
    n = 10**5 if quick else 10**6
    assert fastkernels.fibonacci(n) == python_fast_doubling(n)
    t = interleaved(
        {"python fast doubling": lambda: python_fast_doubling(n), "fastkernels": lambda: fastkernels.fibonacci(n)},
        3 if quick else 7,
    )
    med = {name: statistics.median(v) for name, v in t.items()}
    print(f"fibonacci({n:.0e})".replace("+0", ""))
    for name, samples in t.items():
        print(f"  {name:22s} {describe(samples, 1e-3, 'ms')}")
    print(f"  speed-up: {med['python fast doubling'] / med['fastkernels']:.1f}x (target >= 1x)\n")

    # 4. Ctrl-C.
    for call in ("fibonacci_recursive(60)", "fibonacci(10**9)"):
        latencies = interrupt_latency_ms(call, 3 if quick else 9)
        print(f"Ctrl-C during {call}: KeyboardInterrupt after {statistics.median(latencies):.1f} ms median, "
              f"max {max(latencies):.1f} ms (target <= 100 ms)")
    print()

    # 5. Import.
    median, spread = import_time_ms(5 if quick else 15)
    print(f"import fastkernels: {median:.2f} ms ±{spread / 2:.2f} (python -X importtime, cumulative, bytecode cached; target <= 10 ms)")


if __name__ == "__main__":
    main()

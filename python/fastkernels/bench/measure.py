"""How the bench measures: timed repeats, peak memory in a fresh process, the machine."""
from __future__ import annotations

import importlib
import itertools
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from .model import MachineInfo


@dataclass
class Samples:
    """Seconds per run of one implementation, in the order they were taken."""
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """Half the range: the +/- printed beside the median."""
        return (max(self.seconds) - min(self.seconds)) / 2


def time_interleaved(functions: dict[str, Callable[[], object]], repeats: int,
                     progress: Optional[Callable[[int, int], None]] = None) -> dict[str, Samples]:
    """Times each function `repeats` times, round-robin (after the warm-up the caller
    did when it checked the results), so that machine noise hits every implementation alike."""
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for repeat in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
        if progress is not None:
            progress(repeat + 1, repeats)
    return {name: Samples(seconds) for name, seconds in samples.items()}


def repeat_call(call: str, count: int, names: dict[str, Any],
                over: Optional[tuple[Any, ...]] = None) -> Callable[[], Any]:
    """A function that evaluates the expression `call` `count` times and returns the last value.

    The loop is the one timeit compiles, with `names` bound as fast locals: two implementations
    batched this way pay the same loop (a few ns a call) and no wrapper function, so that calls of
    a few hundred nanoseconds can be timed and compared. `call` is source code, written by the
    bench itself (e.g. "sorted(x)"). With `over`, each of the `count` rounds evaluates `call` once
    for each of those values, bound to `x` in turn (`count * len(over)` calls)."""
    scope: dict[str, Any] = {**names, "_repeat": itertools.repeat}
    if over is not None:
        scope["_inputs"] = over
    parameters = ", ".join(f"{name}={name}" for name in names)
    body = (f"        result = {call}\n" if over is None
            else f"        for x in _inputs:\n            result = {call}\n")
    source = f"def run({parameters}):\n    result = None\n    for _ in _repeat(None, {int(count)}):\n{body}    return result\n"
    exec(compile(source, f"<repeat {call}>", "exec"), scope)
    return scope["run"]  # type: ignore[no-any-return]


def seconds_of(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def calls_per_sample(make: Callable[[int], Iterable[Callable[[], object]]], target: float,
                     limit: int = 1 << 24) -> int:
    """How many calls one timed sample should make so that the fastest implementation's sample
    takes about `target` seconds (timer resolution and per-sample noise then do not matter).
    `make(count)` returns the implementations batched `count` calls a sample."""
    count = 1
    while True:
        fastest = min(seconds_of(function) for function in make(count))
        if fastest >= target / 10 or count >= limit:
            break
        count *= 10
    return max(1, min(limit, math.ceil(count * target / max(fastest, 1e-9))))


# The child's own peak RSS: VmHWM on Linux (ru_maxrss can carry the parent's over from fork),
# ru_maxrss elsewhere (bytes on macOS, KiB on other systems).
_PEAK_RSS_CODE = """
import sys
def peak_rss():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
"""


def peak_rss_of(code: str, summary: str, *args: str) -> tuple[int, str]:
    """Runs `code` in a fresh interpreter (sys.argv[1:] are `args`), reads that process's
    peak RSS, then runs `summary`, which must set `result` to a str describing the answer.
    Returns the peak RSS in bytes and the summary."""
    program = _PEAK_RSS_CODE + code + "\npeak = peak_rss()\n" + summary + "\nprint(peak)\nprint(result)\n"
    completed = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"measuring peak memory failed:\n{completed.stderr.strip()}")
    peak, result = completed.stdout.split("\n", 1)
    return int(peak), result.strip()


def module_version(name: str) -> Optional[str]:
    """The version of an optional module, or None when it is not installed."""
    module = optional_module(name)
    return None if module is None else str(getattr(module, "__version__", "unknown"))


def optional_module(name: str) -> Any:
    """The module, or None when it is not installed (optional competitors: numpy, polars)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info() -> MachineInfo:
    """What the figures were measured on."""
    import fastkernels

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "fastkernels": fastkernels.__version__,
        "numpy": module_version("numpy"),
        "polars": module_version("polars"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }


def machine_line(info: MachineInfo) -> str:
    """One line describing the machine, for the table's caption."""
    extras = ", ".join(f"{name} {version}" for name, version in (("numpy", info["numpy"]), ("polars", info["polars"]))
                       if version)
    return (f"{info['cpu']}, {info['cores']} cores, {info['system']}; {info['python']}; "
            f"fastkernels {info['fastkernels']}" + (f"; {extras}" if extras else ""))

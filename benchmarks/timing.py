"""Timing helpers shared by the benchmark scripts: interleaved repeats, medians, spreads."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def interleaved(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Times each function `repeats` times, round-robin, after one warm-up call each,
    so that machine noise hits every implementation alike."""
    for f in functions.values():
        f()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, f in functions.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return times


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(samples) for name, samples in times.items()}


def describe(samples: list[float], unit: float, suffix: str) -> str:
    median = statistics.median(samples)
    spread = (max(samples) - min(samples)) / 2
    return f"{median / unit:10.3f} {suffix} ±{spread / unit:.3f}"

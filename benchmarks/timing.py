"""Timing helpers of the target-check scripts, on top of the bench's own (fastkernels.bench.measure)."""
from __future__ import annotations

import statistics
from typing import Callable

from fastkernels.bench.measure import Samples, time_interleaved


def interleaved(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Times each function `repeats` times, round-robin, after one warm-up call each,
    so that machine noise hits every implementation alike."""
    for f in functions.values():
        f()
    return {name: samples.seconds for name, samples in time_interleaved(functions, repeats).items()}


def medians(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(samples) for name, samples in times.items()}


def describe(samples: list[float], unit: float, suffix: str) -> str:
    measured = Samples(samples)
    return f"{measured.median / unit:10.3f} {suffix} ±{measured.spread / unit:.3f}"

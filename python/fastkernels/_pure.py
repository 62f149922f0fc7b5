"""Pure-Python implementations of the kernels' workloads.

The baselines of the benchmarks and the references of the differential
tests: the same algorithms as the native kernels, in plain Python. Not
imported by `import fastkernels`.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Sequence


def fibonacci_iterative(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fibonacci_fast_doubling(n: int) -> int:
    """F(n) by the textbook fast doubling (a different formula from the kernel's)."""

    def pair(k: int) -> tuple[int, int]:  # (F(k), F(k+1))
        if k == 0:
            return 0, 1
        a, b = pair(k >> 1)
        c = a * (2 * b - a)
        d = a * a + b * b
        return (d, c + d) if k & 1 else (c, d)

    return pair(n)[0]


def fibonacci_recursive(n: int) -> int:
    return n if n < 2 else fibonacci_recursive(n - 1) + fibonacci_recursive(n - 2)


def sum_numbers(values: Iterable[Any]) -> Any:
    """Python 3.12's sum() of a sequence, with compensated float addition.

    Ints are exact; the first float turns the total into a float
    (float(total) + x); floats, and ints that fit 64 bits, are then added with
    their rounding errors kept (TwoSum), which are added back at the end unless
    that would turn an infinity into a NaN. Anything else is added with `+` from
    then on, as Python does. A value `+` refuses raises TypeError naming its
    index and type.
    """
    total: Any = 0
    mode = "int"
    s = c = 0.0
    for index, x in enumerate(values):
        kind = type(x)
        if mode == "int":
            if kind is int or kind is bool:
                total += x
                continue
            if kind is float:
                s, c, mode = total + x, 0.0, "float"
                continue
            mode = "generic"
        elif mode == "float":
            if kind is float or ((kind is int or kind is bool) and -(2**63) <= x < 2**63):
                x = float(x)
                t = s + x
                bp = t - s
                c += (s - (t - bp)) + (x - bp)
                s = t
                continue
            total = s + c if c and math.isfinite(c) else s
            mode = "generic"
        try:
            total = total + x
        except TypeError:
            raise TypeError(f"sum() element {index} must be a number, not {kind.__name__}") from None
    if mode == "float":
        return s + c if c and math.isfinite(c) else s
    return total


def sorted_nans_last(values: Sequence[int | float], reverse: bool = False) -> list[int | float]:
    """sorted(values, reverse=reverse) for ints and floats, with every NaN moved
    to the end in its original order (the rule fastkernels.sort documents:
    Python's own order around NaN depends on where the NaNs happen to be)."""
    for index, x in enumerate(values):
        if not isinstance(x, (int, float)):
            raise TypeError(f"sort() element {index} must be int or float, not {type(x).__name__}")
    nans = [x for x in values if x != x]
    if not nans:
        return sorted(values, reverse=reverse)
    return sorted((x for x in values if x == x), reverse=reverse) + nans

"""Pure-Python implementations of the kernels' workloads.

The baselines of the benchmarks and the references of the differential
tests: the same algorithms as the native kernels, in plain Python. Not
imported by `import fastkernels`.
"""
from __future__ import annotations

import numbers
from typing import Any, Iterable


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


def sorted_nans_last(values: Iterable[Any], reverse: bool = False) -> list[Any]:
    """sorted(values, reverse=reverse), with every NaN moved to the end in its
    original order (the rule fastkernels.sort documents: Python's own order around
    NaN depends on where the NaNs happen to be). A NaN is a real number unequal
    to itself (float, numpy floating scalars...), or numpy's NaT; nothing else
    is compared with itself, so objects that sorted() handles are handled the
    same way."""
    items = list(values)
    kinds: dict[type, bool] = {}

    def is_nan(x: Any) -> bool:
        kind = type(x)
        may_be_nan = kinds.get(kind)
        if may_be_nan is None:
            may_be_nan = kinds[kind] = kind is float or issubclass(kind, numbers.Real) or (
                kind.__module__ == "numpy" and kind.__name__ in ("datetime64", "timedelta64"))
        return may_be_nan and bool(x != x)

    nans = [x for x in items if is_nan(x)]
    if not nans:
        return sorted(items, reverse=reverse)
    return sorted((x for x in items if not is_nan(x)), reverse=reverse) + nans

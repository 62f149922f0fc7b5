"""Pure-Python implementations of the kernels' workloads.

The baselines of the benchmarks and the references of the differential
tests: the same algorithms as the native kernels, in plain Python. Not
imported by `import fastkernels`.
"""
from __future__ import annotations

import math
import sys
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
    NaN depends on where the NaNs happen to be). A NaN is a float (or a float
    subclass) whose value is NaN, a numpy floating scalar that numpy.isnan calls
    one, or numpy's NaT; nothing else is asked whether it is a NaN (no user ``__ne__`` is
    called), so objects that sorted() handles are handled the same way."""
    items = list(values)
    others, nans = split_nans(items)
    if not nans:
        return sorted(items, reverse=reverse)
    return sorted(others, reverse=reverse) + nans


def split_nans(items: list[Any]) -> tuple[list[Any], list[Any]]:
    """(the items that are not NaN, the NaNs), each in the order of `items`;
    `items` itself and an empty list when there is no NaN."""
    checks: dict[type, Any] = {}

    def is_nan(x: Any) -> bool:
        kind = type(x)
        try:
            check = checks[kind]
        except KeyError:
            check = checks[kind] = _nan_check(kind)
        return check is not None and bool(check(x))

    others: list[Any] = []
    nans: list[Any] = []
    for x in items:
        (nans if is_nan(x) else others).append(x)
    return (others, nans) if nans else (items, nans)


def _nan_check(kind: type) -> Any:
    """How to tell whether an item of type `kind` is a NaN; None for a type that has
    none: ints, Fractions, Decimals (sorted() itself refuses to order a Decimal NaN)
    and every class of the program's own, int, float and Fraction subclasses with
    their own comparisons included."""
    if issubclass(kind, float):
        return math.isnan  # the stored value: a subclass's __ne__ is not asked
    numpy = sys.modules.get("numpy")  # (a numpy scalar cannot exist unless numpy was imported)
    if numpy is not None:
        if issubclass(kind, numpy.floating):
            return numpy.isnan  # float16, float32, longdouble and their subclasses, by numpy's own test
        if issubclass(kind, (numpy.datetime64, numpy.timedelta64)):
            return numpy.isnat
    return None

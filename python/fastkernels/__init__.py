"""fastkernels: native-speed kernels for Python, written in Swift.

Every function gives exactly what the Python idiom it replaces gives, only
faster, and turns bad input into an ordinary Python exception.

>>> import fastkernels
>>> fastkernels.fibonacci(100)
354224848179261915075
>>> fastkernels.fibonacci_recursive(20)
6765
>>> fastkernels.sum([1, 2, 3.5])
6.5
>>> fastkernels.sort([3, 1, 2])
[1, 2, 3]
"""
from __future__ import annotations

from . import _native
from ._native import fibonacci, fibonacci_recursive

# Annotations are strings (see the __future__ import): the names below are for
# type checkers only, so that `import fastkernels` does not pay for `typing`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections import Counter
    from collections.abc import Iterable
    from typing import Any, Optional, Union

__version__ = "0.1.0"

__all__ = ["fibonacci", "fibonacci_recursive", "sort", "sort_inplace", "sum", "word_count", "word_count_file"]


def sum(values: Iterable[Union[int, float]], /, *, threads: Optional[int] = None) -> Union[int, float]:
    """Return the sum of values, exactly as the built-in ``sum(values)`` does.

    values is a list or tuple of ints, floats and bools, any other iterable of
    numbers, or a 1-D numeric buffer (numpy array, ``array.array``,
    ``memoryview``, ``bytes``...; formats b B h H i I l L q Q n N f d ?).

    - Integers are exact however large the total (no wrap-around): an integer
      buffer gives an ``int``.
    - Floats are summed with compensation (Neumaier/TwoSum, as Python 3.12's
      ``sum``), so the result is at least as accurate as ``numpy.sum``; a float
      buffer gives a ``float``. inf and nan propagate as in Python.
    - Mixed ints and floats follow Python's rules; empty values give 0.
    - threads: None uses all cores, 1 stays on this thread; the result is the
      same whatever it is. Large buffers are summed with the GIL released and
      Ctrl-C interrupts the sum.

    Raises TypeError naming the index and type of an element that is not a
    number, and for unsupported buffer formats; ValueError for buffers that
    are not 1-D and for threads < 1.
    """
    result = _native._sum(values, threads)
    if result is not None:
        return result
    if not isinstance(values, (list, tuple)):
        values = _materialize("sum", values)
        result = _native._sum(values, threads)
        if result is not None:
            return result
    from ._pure import sum_numbers

    result = sum_numbers(values)
    return result  # type: ignore[no-any-return]  # int or float, as the built-in sum


def sort(values: Any, /, *, reverse: bool = False, threads: Optional[int] = None) -> Any:
    """Return a new sorted container of values.

    - A list, tuple or other iterable of ints and/or floats gives a new list equal
      to ``sorted(values, reverse=reverse)``: the same objects, equal keys in their
      original order, ints and floats compared exactly as Python compares them.
    - A 1-D numeric buffer gives a new container of the same type and dtype:
      numpy array in, numpy array out; ``array.array``, ``bytes``, ``bytearray``
      and ``memoryview`` likewise.

    NaN: every NaN goes last, in its original order, whether reverse or not (as
    numpy does; ``sorted`` leaves NaNs wherever comparisons happen to put them).

    Ints within 64 bits and floats are radix sorted, in parallel over threads
    (None = all cores, 1 = this thread only; the result does not depend on it),
    with the GIL released. Larger ints and mixed int/float lists take an exact
    slower path. Raises TypeError for elements that are not int or float and for
    unsupported buffer formats, ValueError for buffers that are not 1-D.
    """
    if isinstance(values, (list, tuple)):
        result = _native._sort(values, reverse, threads)
        if result is not None:
            return result
        # (_sort validated reverse and threads before it declined.)
        from ._pure import sorted_nans_last

        return sorted_nans_last(values, reverse=bool(reverse))
    copy = _new_buffer_like(values)
    if copy is None:
        return sort(_materialize("sort", values), reverse=reverse, threads=threads)
    _native._sort_inplace(copy, reverse, threads, "sort")
    return bytes(copy) if isinstance(values, bytes) else copy


def sort_inplace(values: Any, /, *, reverse: bool = False, threads: Optional[int] = None) -> None:
    """Sort values in place: a list (like ``list.sort``, NaNs last as in :func:`sort`)
    or a writable 1-D numeric buffer (numpy array, ``array.array``, ``bytearray``,
    writable ``memoryview``). Raises TypeError for read-only buffers and other
    types."""
    if isinstance(values, list):
        values[:] = sort(values, reverse=reverse, threads=threads)
        return
    if _native._sort_inplace(values, reverse, threads) is None:
        raise TypeError(
            f"sort_inplace() argument 'values' must be a list or a writable numeric buffer, "
            f"not {type(values).__name__}"
        )


def word_count(text: Union[str, bytes, bytearray, memoryview], /, *,
               threads: Optional[int] = None) -> Counter[str]:
    """Return ``Counter(text.lower().split())``, computed natively.

    text is a ``str``, or a bytes-like object holding UTF-8 (then the result
    equals ``Counter(data.decode('utf-8').lower().split())``). Splitting follows
    ``str.split()`` (all of Python's whitespace), lowering ``str.lower()`` of this
    interpreter (full Unicode case mapping, final sigma included).

    threads: None uses all cores, 1 this thread only. Raises UnicodeDecodeError,
    exactly as ``bytes.decode('utf-8')`` would, for invalid UTF-8; TypeError for
    other types.

    The result has the idiom's keys and counts; its iteration order (and so
    the order of equal counts in ``most_common()``) is not first occurrence.
    """
    from collections import Counter

    counts: Counter[str] = Counter()
    invalid = _native._word_count(text, counts, threads)
    if invalid == -1:  # a str with lone surrogates: UTF-8 cannot carry it
        assert isinstance(text, str)
        return Counter(text.lower().split())
    if invalid is not None:
        assert not isinstance(text, str)
        bytes(text).decode("utf-8")  # raises the UnicodeDecodeError Python would
        raise AssertionError(f"invalid UTF-8 reported at {invalid}, but the text decodes")
    return counts


def word_count_file(path: Union[str, bytes, os.PathLike[str], os.PathLike[bytes]], /, *,
                    encoding: str = "utf-8", threads: Optional[int] = None) -> Counter[str]:
    """Return ``Counter(open(path, encoding=encoding).read().lower().split())``.

    The file is read a chunk at a time, so memory does not grow with its size
    (beyond the counts themselves). UTF-8, ASCII and Latin-1 are decoded
    natively; any other encoding is decoded by Python, line by line, with the
    same result. Raises what ``open()`` raises (FileNotFoundError,
    IsADirectoryError, PermissionError, with errno and filename), LookupError
    for an unknown encoding, and UnicodeDecodeError where ``read()`` would.
    Iteration order is not first occurrence, as for ``word_count``.
    """
    import codecs
    from collections import Counter

    codec = codecs.lookup(encoding).name
    native = {"utf-8": "utf-8", "ascii": "ascii", "iso8859-1": "latin-1"}.get(codec)
    if native is None:
        counts: Counter[str] = Counter()
        with open(path, encoding=encoding) as lines:
            for line in lines:  # lines end at whitespace: tokens never span two of them
                counts.update(line.lower().split())
        return counts
    counts = Counter()
    with open(path, "rb") as file:
        invalid = _native._word_count_fd(file.fileno(), counts, native, threads)
        if invalid is not None:
            file.seek(0)
            file.read().decode(codec)  # raises the UnicodeDecodeError read() would
            raise AssertionError(f"undecodable byte reported at {invalid}, but the file decodes")
    return counts


def _materialize(function: str, values: Any) -> list[Any]:
    try:
        return list(values)
    except TypeError:
        raise TypeError(
            f"{function}() argument 'values' must be an iterable of numbers or a numeric buffer, "
            f"not {type(values).__name__}"
        ) from None


def _new_buffer_like(values: Any) -> Any:
    """A writable copy of a buffer in a container of the same type, or None for non-buffers."""
    try:
        view = memoryview(values)
    except TypeError:
        return None
    if view.ndim != 1:
        raise ValueError(
            f"sort() argument 'values' must be 1-dimensional, got shape {tuple(view.shape or ())}"
        )
    if hasattr(values, "__array_interface__") and hasattr(values, "copy"):
        return values.copy()  # numpy (and friends): same type, dtype, C-contiguous
    if isinstance(values, (bytes, bytearray)):
        return bytearray(values)
    import array

    if isinstance(values, array.array):
        return array.array(values.typecode, values)
    copy = memoryview(bytearray(view.tobytes()))
    try:
        return copy.cast(view.format) if view.format != "B" else copy  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise TypeError(
            f"sort() cannot build a new {type(values).__name__} of format {view.format!r}; "
            f"copy it and use sort_inplace()"
        ) from None

"""The general paths of the native functions ``sort``, ``sort_inplace`` and ``word_count``.

The native functions take what they count or sort natively (exact lists and
tuples of ints or floats, numpy arrays, exact str and bytes...) before any
Python runs, and call these for everything else: other buffers, other items,
subclasses, iterables. ``reverse`` and ``threads`` were checked by the native
function already.
"""
from __future__ import annotations

from . import _native
from ._pure import sorted_nans_last, split_nans

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections import Counter
    from typing import Any, Optional

_NATIVE_FORMATS = frozenset("bBhHiIlLqQnNfd?")


def sort(values: Any, reverse: bool, threads: Optional[int]) -> Any:
    """sort() of anything but an exact list or tuple of ints or floats, or a numpy array."""
    if type(values) is not list and type(values) is not tuple:
        copy = _new_buffer_like("sort", values)
        if copy is not None:
            _native._sort_buffer(copy, reverse, threads)
            return bytes(copy) if type(values) is bytes else copy
    return sorted_nans_last(values, reverse=bool(reverse))


def sort_inplace(values: Any, reverse: bool, threads: Optional[int]) -> None:
    """sort_inplace() of anything but an exact list of ints or floats, or a writable numeric buffer."""
    if isinstance(values, list):
        _sort_list_inplace(values, bool(reverse))
        return
    _reject_ndarray_subclass("sort_inplace", values)
    numpy = _numpy_if_imported()
    if numpy is not None and type(values) is numpy.ndarray and values.ndim == 1 and values.flags.writeable:
        # A dtype the native sort does not take (float16, object, datetime64...): sorted() of its items.
        items = sorted_nans_last(list(values), reverse=bool(reverse))
        if values.dtype.kind == "O":
            # One object at a time: asarray() would unpack items that are sequences (tuples of
            # equal length became a 2-D array; a one-item array's (5,) became 5).
            for index, item in enumerate(items):
                values[index] = item
        else:
            values[...] = numpy.asarray(items, dtype=values.dtype)
        return
    raise TypeError(
        f"sort_inplace() argument 'values' must be a list or a writable numeric buffer, "
        f"not {type(values).__name__}"
    )


def _sort_list_inplace(values: list[Any], reverse: bool) -> None:
    """A list of other items sorted by ``list.sort`` itself, on the list's own storage
    (a subclass's ``__iter__`` or ``__setitem__`` is not asked, as ``list.sort`` asks
    neither): what a comparison that raises leaves, and what it may do to the list
    (CPython hides the items while it sorts, and keeps every one of them), are then
    exactly the idiom's. NaNs are taken out first and put back at the end in their
    order, also when the sort raises or a KeyboardInterrupt arrives: no item is lost."""
    for _ in range(_RETRIES):
        items = list.copy(values)
        others, nans = split_nans(items)
        if not nans:
            list.sort(values, reverse=reverse)
            return
        taken_out = {id(nan) for nan in nans}
        try:
            try:
                # Checked and replaced with the GIL held: another thread's append between
                # the copy and here is never overwritten.
                _native._replace_list(values, items, others)
            except ValueError:
                continue  # changed before this sort began (another thread): start again from it
            list.sort(values, reverse=reverse)
            return
        finally:
            # The NaNs go back whenever they are out of the list, however this ends.
            if not any(id(item) in taken_out for item in list.copy(values)):
                list.extend(values, nans)
    raise ValueError("list modified during sort")


# How often sort_inplace starts again when another thread changes the list before its sort begins.
_RETRIES = 8


def word_count(text: Any, threads: Optional[int]) -> Counter[str]:
    """word_count() of what the native path did not count: subclasses of str and
    bytes (through their own ``lower``, ``split`` and ``decode``), other buffers,
    a str with lone surrogates, and invalid UTF-8 (which raises here)."""
    from collections import Counter

    if isinstance(text, str):  # a subclass, or lone surrogates (UTF-8 cannot carry them)
        return Counter(text.lower().split())
    if type(text) is not bytes and isinstance(text, (bytes, bytearray)):
        return Counter(text.decode("utf-8").lower().split())
    try:
        items = memoryview(text)
    except TypeError:
        if hasattr(text, "lower"):  # text of another kind (collections.UserString...): the idiom itself
            return Counter(text.lower().split())
        raise TypeError(f"word_count() argument 'text' must be str or a bytes-like object, "
                        f"not {type(text).__name__}") from None
    except (ValueError, BufferError) as refused:  # numpy's datetime64 arrays have no buffer format
        raise TypeError(f"word_count() argument 'text' must be str or a buffer of bytes, "
                        f"not {type(text).__name__} ({refused})") from None
    with items:
        if items.itemsize != 1 or items.format.lstrip("@=<>!") not in ("B", "b", "c"):
            # array('u'), numpy's str arrays, ints: their bytes are not text in UTF-8.
            raise TypeError(f"word_count() argument 'text' must be str or a buffer of bytes, "
                            f"not {type(text).__name__} of format {items.format!r}")
    counts: Counter[str] = Counter()
    try:
        invalid = _native._word_count(text, counts, threads)
    except (BufferError, ValueError) as refused:
        # A non-contiguous buffer (memoryview refuses it with BufferError, numpy with
        # ValueError): its bytes in order.
        view = _noncontiguous_view(text)
        if view is None:
            raise refused from None
        invalid = _native._word_count(view.tobytes(), counts, threads)
    if invalid is None:
        return counts
    bytes(memoryview(text)).decode("utf-8")  # raises the UnicodeDecodeError Python would
    raise ValueError("word_count() argument 'text' changed while it was being counted")


def _noncontiguous_view(text: Any) -> Optional[memoryview]:
    """A memoryview of `text` when it is a buffer whose bytes are not contiguous; else None."""
    try:
        view = memoryview(text)
    except (TypeError, ValueError, BufferError):
        return None
    return None if view.c_contiguous else view


def _numpy_if_imported() -> Any:
    """numpy, if the program imported it (a numpy array cannot exist otherwise)."""
    import sys

    return sys.modules.get("numpy")


def _reject_ndarray_subclass(function: str, values: Any) -> None:
    numpy = _numpy_if_imported()
    if numpy is None or not isinstance(values, numpy.ndarray) or type(values) is numpy.ndarray \
            or isinstance(values, numpy.memmap):
        return
    name = f"{type(values).__module__}.{type(values).__qualname__}"
    if isinstance(values, numpy.ma.MaskedArray):
        hint = "its buffer holds the data without the mask; pass values.compressed() or values.filled(...)"
    else:
        hint = "its buffer may not carry what the subclass means; pass numpy.asarray(values)"
    raise TypeError(f"{function}() argument 'values' is a {name}: {hint}")


def _new_buffer_like(function: str, values: Any) -> Any:
    """A writable copy of a 1-D numeric buffer in a container of the same type, or
    None for anything the native sort does not take (it is then sorted as an iterable)."""
    _reject_ndarray_subclass(function, values)
    import array

    if isinstance(values, (bytes, bytearray, array.array)) and type(values) not in (bytes, bytearray, array.array):
        return None  # a subclass: sorted() of what its own iteration gives, as the idiom
    try:
        view = memoryview(values)
    except (TypeError, ValueError, BufferError):  # no buffer, or one its exporter cannot give (datetime64)
        return None
    with view:
        code = view.format.lstrip("@=<>!")
        if view.ndim != 1 or len(code) != 1 or code not in _NATIVE_FORMATS:
            return None
        numpy = _numpy_if_imported()
        if numpy is not None and isinstance(values, numpy.ndarray):
            return values.copy()  # same type, dtype and byte order, C-contiguous
        if isinstance(values, (bytes, bytearray)):
            return bytearray(values)
        if isinstance(values, array.array):
            return array.array(values.typecode, values)
        copy = memoryview(bytearray(view.tobytes()))
        try:
            return copy.cast(view.format) if view.format != "B" else copy  # type: ignore[call-overload]
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"sort() cannot build a new {type(values).__name__} of format {view.format!r}; "
                f"copy it and use sort_inplace()"
            ) from error

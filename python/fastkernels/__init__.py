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
>>> fastkernels.matmul([[1, 2], [3, 4]], [[5], [6]])
[[17], [39]]

Threads: ``threads=None`` (every function's default) uses the CPUs this
process may run on (its affinity mask, within a cgroup CPU quota), or the
number in the environment variable ``FASTKERNELS_NUM_THREADS`` when it is set
(read once, the first time a kernel needs it, like ``OMP_NUM_THREADS``); that
number is also the most any ``threads=`` gets. The result never depends on it.
"""
from __future__ import annotations

from . import _native
from ._native import fibonacci, fibonacci_recursive, fsum, matmul, sum

# Annotations are strings (see the __future__ import): the names below are for
# type checkers only, so that `import fastkernels` does not pay for `typing`.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from collections import Counter
    from typing import Any, Optional, Union

__version__ = "0.1.0"


def _check_thread_environment() -> None:
    """Warns about a FASTKERNELS_NUM_THREADS the kernels will ignore (they read it themselves)."""
    import os

    value = os.environ.get("FASTKERNELS_NUM_THREADS", "").strip()
    if value and not (value.isdigit() and int(value) >= 1):
        import warnings

        warnings.warn(f"FASTKERNELS_NUM_THREADS={value!r} is not a positive integer: ignored "
                      f"(fastkernels uses the CPUs this process may run on)", RuntimeWarning, stacklevel=2)


_check_thread_environment()

__all__ = ["fibonacci", "fibonacci_recursive", "fsum", "matmul", "sort", "sort_inplace", "sum", "word_count",
           "word_count_file"]


def sort(values: Any, /, *, reverse: bool = False, threads: Optional[int] = None) -> Any:
    """Return a new sorted container of values.

    - A list, tuple or any other iterable gives a new list equal to
      ``sorted(values, reverse=reverse)``: the same objects, equal items in their
      original order (also with ``reverse=True``; ``-0.0`` and ``0.0`` are equal),
      compared as Python compares them; what ``sorted`` raises, this raises.
    - A 1-D numeric buffer (numpy array, ``array.array``, ``bytes``, ``bytearray``,
      ``memoryview``; formats b B h H i I l L q Q n N f d ?) gives a new container
      of the same type and dtype. Other numpy dtypes (float16, object, datetime64...)
      are sorted as ``sorted()`` sorts their items, into a list.

    NaN: every NaN (any real number unequal to itself) goes last, in its original
    order, whether reverse or not (numpy's rule; ``sorted`` leaves NaNs wherever
    its comparisons happen to put them).

    Lists and tuples of ints within 64 bits, or of floats, and numeric buffers are
    radix sorted, with the GIL released, in parallel over threads (None = all
    cores, 1 = this thread only; the result does not depend on it). Anything else
    takes ``sorted()`` itself. Raises TypeError for numpy masked arrays (their
    buffer does not carry the mask), ValueError for threads < 1.
    """
    result = _native._sort(values, reverse, threads)  # checks reverse and threads; None when it declines
    if result is not None:
        return result
    if type(values) is not list and type(values) is not tuple:
        copy = _new_buffer_like("sort", values)
        if copy is not None:
            _native._sort_buffer(copy, reverse, threads)
            return bytes(copy) if type(values) is bytes else copy
    from ._pure import sorted_nans_last

    return sorted_nans_last(values, reverse=bool(reverse))


def sort_inplace(values: Any, /, *, reverse: bool = False, threads: Optional[int] = None) -> None:
    """Sort values in place: a list (like ``list.sort``, with NaNs last as in
    :func:`sort`) or a writable 1-D numeric buffer (numpy array, ``array.array``,
    ``bytearray``, writable ``memoryview``).

    A list that another thread changes while it is being sorted raises
    ``ValueError("list modified during sort")``, as ``list.sort`` does, and keeps
    what that thread put in it: nothing is lost. Raises TypeError for read-only
    buffers, numpy masked arrays and other types.
    """
    if _native._sort_inplace(values, reverse, threads):
        return
    from ._pure import sorted_nans_last

    if type(values) is list:
        snapshot = values[:]
        _native._replace_list(values, snapshot, sorted_nans_last(snapshot, reverse=bool(reverse)))
        return
    if isinstance(values, list):  # a subclass: through its own protocols
        values[:] = sorted_nans_last(list(values), reverse=bool(reverse))
        return
    _reject_ndarray_subclass("sort_inplace", values)
    numpy = _numpy_if_imported()
    if numpy is not None and type(values) is numpy.ndarray and values.ndim == 1 and values.flags.writeable:
        # A dtype the native sort does not take (float16, object, datetime64...): sorted() of its items.
        values[...] = numpy.asarray(sorted_nans_last(list(values), reverse=bool(reverse)), dtype=values.dtype)
        return
    raise TypeError(
        f"sort_inplace() argument 'values' must be a list or a writable numeric buffer, "
        f"not {type(values).__name__}"
    )


def word_count(text: Union[str, bytes, bytearray, memoryview], /, *,
               threads: Optional[int] = None) -> Counter[str]:
    """Return ``Counter(text.lower().split())``, computed natively.

    text is a ``str``, or a bytes-like object holding UTF-8 (then the result
    equals ``Counter(text.decode('utf-8').lower().split())``). Splitting follows
    ``str.split()`` (all of Python's whitespace), lowering ``str.lower()`` of this
    interpreter (full Unicode case mapping, final sigma included). The Counter is
    the idiom's in every respect, its order included: words in the order of
    their first occurrence, so ``most_common()`` breaks ties as the idiom does.
    A subclass of str (or bytes) is counted through its own ``lower()`` and
    ``split()`` (or ``decode()``).

    threads: None uses all cores, 1 this thread only. A writable buffer
    (bytearray...) is copied first, so that another thread writing to it cannot
    tear the count. Raises UnicodeDecodeError, exactly as ``bytes.decode('utf-8')``
    would, for invalid UTF-8; TypeError for other types.
    """
    from collections import Counter

    if type(text) is not str and isinstance(text, (str, bytes, bytearray)):
        _check_threads("word_count", threads)
        if isinstance(text, str):
            return Counter(text.lower().split())
        return Counter(text.decode("utf-8").lower().split())
    counts: Counter[str] = Counter()
    try:
        invalid = _native._word_count(text, counts, threads)
    except BufferError:  # a non-contiguous buffer: its bytes in order
        invalid = _native._word_count(bytes(memoryview(text)), counts, threads)  # type: ignore[arg-type]
    if invalid is None:
        return counts
    if isinstance(text, str):  # lone surrogates: UTF-8 cannot carry them
        return Counter(text.lower().split())
    bytes(memoryview(text)).decode("utf-8")  # raises the UnicodeDecodeError Python would
    raise ValueError("word_count() argument 'text' changed while it was being counted")


def word_count_file(path: Union[str, bytes, int, os.PathLike[str], os.PathLike[bytes]], /, *,
                    encoding: Optional[str] = "utf-8", threads: Optional[int] = None) -> Counter[str]:
    """Return ``Counter(open(path, encoding=encoding).read().lower().split())``.

    The file is read a chunk at a time, so memory does not grow with its size
    (beyond the counts themselves); pipes and FIFOs work too. UTF-8, ASCII and
    Latin-1 are decoded natively; any other encoding by Python's own codec, a
    chunk at a time, with the same result. ``encoding=None`` means what ``open()``
    uses (the locale's encoding, or UTF-8 in UTF-8 mode). path may be an open
    file descriptor (an int), read from its current position, as ``open()`` takes it.

    Raises what ``open()`` raises (FileNotFoundError, IsADirectoryError,
    PermissionError, with errno and filename), LookupError for an unknown
    encoding, and the UnicodeDecodeError ``read()`` would raise, with the same
    positions (counted from where reading started). The Counter's order is the
    idiom's: words in the order of their first occurrence.
    """
    import codecs
    from collections import Counter

    _check_threads("word_count_file", threads)
    if encoding is not None and not isinstance(encoding, str):
        raise TypeError(f"word_count_file() argument 'encoding' must be str or None, not {type(encoding).__name__}")
    with open(path, "rb") as file:
        if encoding is None:
            encoding = _default_text_encoding()
        codec = codecs.lookup(encoding).name
        native = {"utf-8": "utf-8", "ascii": "ascii", "iso8859-1": "latin-1"}.get(codec)
        start = _position(file)
        counts: Counter[str] = Counter()
        if native is not None:
            invalid = _native._word_count_fd(file.fileno(), counts, native, threads)
            if invalid is not None:
                offset, following = invalid
                _raise_decode_error(file, start, encoding, offset, following)
            return counts
        _count_decoded_chunks(file, start, encoding, counts)
        return counts


def _count_decoded_chunks(file: Any, start: Optional[int], encoding: str, counts: Counter[str]) -> None:
    """Counts the words of a file in an encoding Python decodes: raw chunks through
    the codec's incremental decoder (as ``read()`` uses it), each chunk's complete
    words lowered and counted, the unfinished last word carried to the next."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0
    carried: list[str] = []  # the unfinished word, in pieces (a long token spans many chunks)
    while True:
        chunk = file.read(1 << 20)
        final = not chunk
        held = decoder.getstate()[0]
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            window_offset = consumed - len(held)
            _raise_decode_error(file, start, encoding, window_offset, error)
        consumed += len(chunk)
        if final:
            carried.append(text)
            counts.update("".join(carried).lower().split())
            return
        cut = len(text)
        while cut and not text[cut - 1].isspace():
            cut -= 1
        if cut == 0:
            carried.append(text)
            continue
        carried.append(text[:cut])
        counts.update("".join(carried).lower().split())
        carried = [text[cut:]]


def _raise_decode_error(file: Any, start: Optional[int], encoding: str, offset: int, found: Any) -> None:
    """Raises the UnicodeDecodeError that ``open(..., encoding=encoding).read()``
    raises: the whole text decoded at once, positions counted from where reading
    started. A seekable file is read again and decoded (the error's object is then
    the idiom's own). For a pipe, the error is rebuilt at its position from what
    is known there: `found` is the codec's error for a window of the text that
    starts at `offset`, or the bytes at the invalid position (the native decoders)."""
    import codecs

    if start is not None:
        file.seek(start)
        codecs.getincrementaldecoder(encoding)().decode(file.read(), True)
        raise ValueError("word_count_file(): the file changed while it was being counted")
    if isinstance(found, bytes):
        try:
            codecs.getincrementaldecoder(encoding)().decode(found, True)
        except UnicodeDecodeError as decoded:
            found = decoded
        else:  # pragma: no cover - the native decoder and the codec agree
            raise ValueError(f"word_count_file(): undecodable bytes reported at {offset}, but they decode")
    # Python's message shows the byte at found.start: the object holds zeros before the window.
    raise UnicodeDecodeError(found.encoding, bytes(offset) + found.object, offset + found.start,
                             offset + found.end, found.reason) from None


def _position(file: Any) -> Optional[int]:
    """Where reading starts, for a file that can be read again (None for pipes)."""
    try:
        if file.seekable():
            return int(file.tell())
    except OSError:
        pass
    return None


def _default_text_encoding() -> str:
    """The encoding ``open()`` uses when it is given none."""
    import locale
    import sys

    if sys.flags.utf8_mode:
        return "utf-8"
    getencoding = getattr(locale, "getencoding", None)  # 3.11+
    return str(getencoding() if getencoding is not None else locale.getpreferredencoding(False))


def _check_threads(function: str, threads: Any) -> None:
    """The native functions' check of ``threads``, for paths that do not reach them."""
    if threads is None:
        return
    import operator

    try:
        count = operator.index(threads)
    except TypeError as error:
        raise TypeError(f"{function}() argument 'threads' must be int, not {type(threads).__name__}") from error
    if count < 1:
        raise ValueError(f"{function}() argument 'threads' must be >= 1 (or None for all cores), got {count}")


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


_NATIVE_FORMATS = frozenset("bBhHiIlLqQnNfd?")


def _new_buffer_like(function: str, values: Any) -> Any:
    """A writable copy of a 1-D numeric buffer in a container of the same type, or
    None for anything the native sort does not take (it is then sorted as an iterable)."""
    _reject_ndarray_subclass(function, values)
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
        import array

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

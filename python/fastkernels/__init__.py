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
from ._native import fibonacci, fibonacci_recursive, fsum, matmul, sort, sort_inplace, sum, word_count

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

from . import _threadpoolctl  # noqa: E402

_threadpoolctl.install()

__all__ = ["fibonacci", "fibonacci_recursive", "fsum", "matmul", "show_config", "sort", "sort_inplace", "sum",
           "word_count", "word_count_file"]


def show_config(mode: str = "stdout") -> Optional[dict[str, Any]]:
    """Print what fastkernels found on this machine, or return it as a dict.

    The version and where it is installed, the Swift compiler that built it, the
    interpreter, the CPU and the instruction-set tier each kernel family runs on
    (baseline, AVX2 or AVX-512; ``FASTKERNELS_ISA`` may select a lower one), the
    number of threads ``threads=None`` resolves to and why (CPU affinity, a cgroup
    CPU quota or ``FASTKERNELS_NUM_THREADS``), and the versions of the optional
    libraries the benchmarks use. ``python -m fastkernels info --json`` prints the
    same as JSON, for bug reports.

    mode: ``"stdout"`` (the default) prints the report and returns None;
    ``"dicts"`` returns it as a dict and prints nothing (as ``numpy.show_config``).
    Raises ValueError for another mode.
    """
    from ._config import show_config as show

    return show(mode)


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
    encoding or one that is not a text encoding (``"hex"``, ``"base64"``), and
    what ``read()`` would raise for text it cannot decode: the UnicodeDecodeError
    with the same positions (counted from where reading started), or the
    UnicodeError of a UTF-16 or UTF-32 text without a byte-order mark. The
    Counter's order is the idiom's: words in the order of their first occurrence.
    """
    from collections import Counter

    _check_threads("word_count_file", threads)
    if encoding is not None and not isinstance(encoding, str):
        raise TypeError(f"word_count_file() argument 'encoding' must be str or None, not {type(encoding).__name__}")
    with open(path, "rb") as file:
        if encoding is None:
            encoding = _default_text_encoding()
        codec = _text_codec_name(encoding)
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


def _text_codec_name(encoding: str) -> str:
    """The codec's name (codecs.lookup's); LookupError, as open() raises it, for an unknown
    encoding or a codec that is not a text encoding (hex, base64, rot13...)."""
    import codecs

    info = codecs.lookup(encoding)
    if not getattr(info, "_is_text_encoding", True):
        raise LookupError(f"{encoding!r} is not a text encoding; use codecs.open() to handle arbitrary codecs")
    return str(info.name)


# The reason the UTF-16 and UTF-32 codecs give for a text without a byte-order mark.
_NO_BYTE_ORDER_MARK = "Stream does not start with BOM"


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
        except UnicodeError as error:
            if isinstance(error, UnicodeDecodeError) and error.reason != _NO_BYTE_ORDER_MARK:
                window_offset = consumed - len(held)
                _raise_decode_error(file, start, encoding, window_offset, error)
            # The codec's complaint about the stream itself (UTF-16 or UTF-32 without a
            # byte-order mark: a UnicodeError, a UnicodeDecodeError from Python 3.13), made at
            # its start, before any text: read() decodes the whole text at once, and may find
            # another error first (b"abc" as UTF-16 is truncated).
            if start is not None:
                file.seek(start)
                data = file.read()
            else:  # a pipe: what the decoder holds is all that was read, then the rest
                data = held + chunk + file.read()
            codecs.getincrementaldecoder(encoding)().decode(data, True)
            raise
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

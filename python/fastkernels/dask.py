"""fastkernels on Dask: the native kernels as the per-task step of a distributed job.

``pip install 'fastkernels[dask]'``. Importing fastkernels never imports dask;
importing this module does.

- :func:`word_count_files`: ``Counter`` of the words of many files (a corpus, local
  or behind any fsspec URL), counted natively on the workers, block by block.
- :func:`sum` and :func:`fsum`: exact sums of a ``dask.array.Array`` (a
  ``da.reduction`` whose chunk step is the native kernel and whose combine step
  is exact), the same answer for every chunking and every number of workers.

Each function computes its result (it does not return a lazy collection), on
``client`` when given, else on the current ``dask.distributed`` client when
there is one, else on dask's default scheduler. Only partial results move
between processes: a block's distinct words and their counts (two bytes
objects), an int per array chunk. See docs/distributed.md.
"""
from __future__ import annotations

import builtins
import errno
import os
import re
from collections import Counter

from . import _native

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Sequence, Union

    PathArgument = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__all__ = ["fsum", "sum", "word_count_files"]

# The bytes at which a block may end: ASCII whitespace. In UTF-8, ASCII and Latin-1 such a
# byte is always a whole character, and str.split() separates words there; str.lower()'s
# only context rule (a final sigma) looks at letters, never across whitespace. So the words
# of the blocks, in order, are the words of the file.
_ASCII_WHITESPACE = re.compile(rb"[\t\n\x0b\x0c\r\x1c-\x1f ]")
# Codecs whose blocks are cut at whitespace and counted natively (codecs.lookup names).
_NATIVE_CODECS = {"utf-8": "utf-8", "ascii": "ascii", "iso8859-1": "latin-1"}
# Fan-in of the tree reductions.
_SPLIT_EVERY = 8
_SEARCH_STEP = 1 << 16
# Blocks of one call at most: each is a task of the graph (about a kilobyte of scheduler state).
_MAX_BLOCKS = 100_000


# ---------------------------------------------------------------------------------------------
# word_count_files

def word_count_files(urlpath: Union[PathArgument, Sequence[PathArgument]], /, *,
                     encoding: Optional[str] = "utf-8", blocksize: Union[int, str, None] = "64MiB",
                     client: Any = None, storage_options: Optional[dict[str, Any]] = None) -> Counter[str]:
    """Return the ``Counter`` of the words of every file, counted on Dask.

    Equals ``c = Counter(); for path in paths: c.update(open(path,
    encoding=encoding).read().lower().split())`` over the files in order (a list
    in its order, a glob's matches sorted, as ``dask.bag.read_text`` orders them):
    keys, counts and the order of first occurrence. Each file is its own text (a
    word never spans two files, as in ``read_text``).

    urlpath: a path, a glob, or a list of them; any URL fsspec opens (``s3://``,
    ``gs://``... with their fsspec packages; ``storage_options`` go to the file
    system). blocksize: the bytes per task (an int, or a string such as
    ``"64MiB"``; None: one task per file); each block is cut at ASCII whitespace,
    so no word spans two blocks, and counted natively with the GIL released. With
    UTF-8, ASCII and Latin-1 files are split into blocks; any other encoding is
    decoded by Python's codec, one task per file. ``encoding=None`` means what
    ``open()`` uses here. client: a ``distributed.Client`` (default: the current
    one, or dask's default scheduler when there is none).

    Raises, before any work is scheduled: FileNotFoundError for a missing path or
    a glob that matches nothing, IsADirectoryError for a directory, LookupError
    for an unknown encoding or one that is not a text encoding ("hex"),
    TypeError/ValueError for bad arguments. A file that
    does not decode raises the UnicodeDecodeError ``read()`` would raise (the
    first such file, positions counted from its start), with the file named in a
    note.
    """
    if encoding is None:
        from . import _default_text_encoding

        encoding = _default_text_encoding()
    elif not isinstance(encoding, str):
        raise TypeError(f"word_count_files() argument 'encoding' must be str or None, not {type(encoding).__name__}")
    from . import _text_codec_name

    codec = _text_codec_name(encoding)
    native = _NATIVE_CODECS.get(codec)
    step = _parse_blocksize(blocksize)
    if native is None:
        step = None  # a codec Python decodes: the whole file in one task
    if storage_options is not None and not isinstance(storage_options, dict):
        raise TypeError("word_count_files() argument 'storage_options' must be a dict or None, "
                        f"not {type(storage_options).__name__}")
    files = _expand_paths(urlpath, storage_options or {})
    if not files:
        return Counter()

    from dask.delayed import delayed

    specs = []
    for fs, path, size, name in files:
        if size == 0:
            # Empty, or a file whose size says nothing (/proc, /sys): read to its end in one task.
            specs.append((fs, path, name, 0, 0, _UNKNOWN_SIZE))
            continue
        for start in range(0, size, step or size):
            specs.append((fs, path, name, start, min(size, start + step) if step else size, size))
    if not specs:
        return Counter()
    if len(specs) > _MAX_BLOCKS:
        raise ValueError(f"word_count_files(): blocksize={blocksize!r} cuts the files into {len(specs):,} blocks, "
                         f"more tasks than a graph should hold (at most {_MAX_BLOCKS:,}): use a larger blocksize")
    client = _current_client(client)
    threads = 1 if len(specs) >= _worker_slots(client) else None
    parts = [delayed(_count_block, pure=False)(fs, path, name, start, stop, size, native or codec, threads)
             for fs, path, name, start, stop, size in specs]
    total = _tree(parts, _merge_counts)
    result = _compute(total, client)
    if isinstance(result, _DecodeFailure):
        result.raise_error()
    if not isinstance(result, _WordCounts):  # pragma: no cover - a merge always returns one of the two
        raise TypeError(f"word_count_files(): a task returned {type(result).__name__}")
    return result.decode()


def _parse_blocksize(blocksize: Any) -> Optional[int]:
    if blocksize is None:
        return None
    if isinstance(blocksize, str):
        from dask.utils import parse_bytes

        try:
            size = int(parse_bytes(blocksize))
        except (ValueError, TypeError) as error:
            raise ValueError(f"word_count_files() argument 'blocksize' is not a size: {blocksize!r}") from error
    elif isinstance(blocksize, bool):
        raise TypeError("word_count_files() argument 'blocksize' must be int, str or None, not bool")
    else:
        import operator

        try:
            size = operator.index(blocksize)
        except TypeError:
            raise TypeError("word_count_files() argument 'blocksize' must be int, str or None, "
                            f"not {type(blocksize).__name__}") from None
    if size < 1:
        raise ValueError(f"word_count_files() argument 'blocksize' must be at least 1 byte, got {size}")
    return size


def _expand_paths(urlpath: Any, storage_options: dict[str, Any]) -> list[tuple[Any, str, int, str]]:
    """(file system, path, size, name in messages) of every file, in order; raises for what is missing."""
    from fsspec.core import url_to_fs  # type: ignore[import-untyped, unused-ignore]

    if isinstance(urlpath, (str, bytes, os.PathLike)):
        items = [urlpath]
    elif isinstance(urlpath, (list, tuple)):
        items = list(urlpath)
    else:
        raise TypeError("word_count_files() argument 'urlpath' must be a path, a glob or a list of them, "
                        f"not {type(urlpath).__name__}")
    files: list[tuple[Any, str, int, str]] = []
    for item in items:
        if not isinstance(item, (str, bytes, os.PathLike)):
            raise TypeError(f"word_count_files() argument 'urlpath' must hold paths, not {type(item).__name__}")
        name = os.fsdecode(os.fspath(item))
        if "://" not in name and os.path.exists(name):
            # A local file as open() finds it: not an fsspec URL ("a::b" chained, "~" expanded).
            from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped, unused-ignore]

            fs, path = LocalFileSystem(), os.path.abspath(name)
        else:
            fs, path = url_to_fs(name, **storage_options)
        if any(magic in path for magic in "*?[") and not fs.exists(path):
            matches = [match for match in sorted(fs.glob(path)) if not fs.isdir(match)]
            if not matches:
                raise FileNotFoundError(errno.ENOENT, "no file matches the pattern", name)
            for match in matches:
                shown = _display_name(fs, match)
                files.append((fs, match, _file_size(fs, match, shown), shown))
        else:
            files.append((fs, path, _file_size(fs, path, name), name))
    for fs, path, _, _ in files:
        if _is_local(fs):
            open(path, "rb").close()  # PermissionError now, not from a worker
    return files


def _file_size(fs: Any, path: str, name: str) -> int:
    """The size of a regular file; the error open() would raise for what is not one."""
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name) from None
    kind = info.get("type")
    if kind == "directory":
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
    if kind not in (None, "file"):
        # A FIFO or a device has no size to cut into blocks (and no worker elsewhere could open it).
        raise ValueError(f"word_count_files() reads regular files; {name} is not one (a pipe or a device: "
                         f"use fastkernels.word_count_file)")
    if _is_local(fs) and os.path.realpath(path).startswith(_PSEUDO_FILE_SYSTEMS):
        return 0  # the size of a /proc or /sys file says nothing of its text (4096, or 0): read to its end
    return int(info["size"])


# Where local files report sizes that are not their length.
_PSEUDO_FILE_SYSTEMS = ("/proc/", "/sys/")


def _is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped, unused-ignore]

    return isinstance(fs, LocalFileSystem)


def _display_name(fs: Any, path: str) -> str:
    """A file's name in messages: its path, or its URL on a remote file system."""
    return path if _is_local(fs) else str(fs.unstrip_protocol(path))


def _cut(file: Any, offset: int, size: int) -> int:
    """Where a block that nominally starts at `offset` starts: just after the first
    ASCII whitespace byte at or after offset - 1 (0 at 0; the end when there is none)."""
    if offset <= 0:
        return 0
    if offset >= size:
        return size
    position = offset - 1
    file.seek(position)
    while position < size:
        chunk = file.read(min(_SEARCH_STEP, size - position))
        if not chunk:
            break
        found = _ASCII_WHITESPACE.search(chunk)
        if found is not None:
            return position + found.start() + 1
        position += len(chunk)
    return size


def _count_block(fs: Any, path: str, name: str, start: int, stop: int, size: int, encoding: str,
                 threads: Optional[int]) -> Union[_WordCounts, _DecodeFailure]:
    """The words of the block of `path` (of `size` bytes when planned; `name` in
    messages) that nominally spans [start, stop): from the cut at start to the cut
    at stop. Runs on a worker. A codec Python decodes takes the whole file in one task."""
    from . import word_count

    if encoding not in _NATIVE_CODECS.values():
        return _count_decoded_file(fs, path, name, encoding)
    with _open(fs, path) as file:
        if size == _UNKNOWN_SIZE:
            begin, data = 0, file.read()
        else:
            begin = _cut(file, start, size)
            end = _cut(file, stop, size) if stop < size else size
            if end <= begin:
                return _WordCounts(b"", b"")
            file.seek(begin)
            data = file.read(end - begin)
            if len(data) != end - begin:
                raise ValueError(f"word_count_files(): {name} changed while it was being counted")
    try:
        if encoding == "latin-1":
            return _WordCounts.encode(word_count(data.decode("latin-1"), threads=threads))
        if encoding == "ascii" and not data.isascii():
            data.decode("ascii")
        return _WordCounts.encode(word_count(data, threads=threads))
    except UnicodeDecodeError as error:
        return _DecodeFailure(name, error, begin)


def _count_decoded_file(fs: Any, path: str, name: str, encoding: str) -> Union[_WordCounts, _DecodeFailure]:
    """A whole file in a codec Python decodes, a chunk at a time (word_count_file's way)."""
    from . import _count_decoded_chunks

    counts: Counter[str] = Counter()
    with _open(fs, path) as file:
        try:
            _count_decoded_chunks(file, 0, encoding, counts)
        except UnicodeError as error:  # UnicodeDecodeError, or UTF-16/32's "no BOM" before Python 3.13
            return _DecodeFailure(name, error, 0)
    return _WordCounts.encode(counts)


# The size planned for a file whose size is unknown (0 reported): read to its end.
_UNKNOWN_SIZE = -1


def _open(fs: Any, path: str) -> Any:
    """The file for reading bytes: Python's own file for a local path (fsspec's local
    opener asks for the end of /proc files, which they refuse), fsspec's otherwise."""
    if _is_local(fs):
        return open(path, "rb")
    return fs.open(path, "rb")


class _DecodeFailure:
    """A block's UnicodeDecodeError, kept (picklable, small) so that the first one in
    path order is raised, whichever task finished first."""

    __slots__ = ("name", "encoding", "start", "end", "reason", "window")

    def __init__(self, name: str, error: UnicodeError, offset: int) -> None:
        self.name = name
        if not isinstance(error, UnicodeDecodeError):  # the stream's own complaint: a message only
            self.encoding, self.start, self.end, self.reason, self.window = "", 0, 0, str(error), b""
            return
        self.encoding = error.encoding
        self.start = offset + error.start
        self.end = offset + error.end
        self.reason = error.reason
        self.window = bytes(error.object[error.start:error.end])

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_failure, (self.name, self.encoding, self.start, self.end, self.reason, self.window))

    def raise_error(self) -> None:
        # The idiom's object is the whole file; this one holds zeros before the bad bytes
        # (allocated lazily by the OS), so that the message shows the byte at `start`.
        error: UnicodeError
        if self.encoding:
            error = UnicodeDecodeError(self.encoding, bytes(self.start) + self.window, self.start, self.end,
                                       self.reason)
        else:
            error = UnicodeError(self.reason)
        note = f"while decoding {self.name}"
        if hasattr(error, "add_note"):
            error.add_note(note)
        else:  # Python < 3.11: kept where 3.11's traceback (and exceptiongroup) looks
            error.__notes__ = [note]
        raise error


def _rebuild_failure(name: str, encoding: str, start: int, end: int, reason: str, window: bytes) -> _DecodeFailure:
    failure = _DecodeFailure.__new__(_DecodeFailure)
    failure.name, failure.encoding, failure.start, failure.end = name, encoding, start, end
    failure.reason, failure.window = reason, window
    return failure


def _merge_counts(*parts: Union[_WordCounts, _DecodeFailure]) -> Union[_WordCounts, _DecodeFailure]:
    """The counts of consecutive blocks, in order (the first block's words first),
    merged natively; the first decode failure instead, if any."""
    for part in parts:
        if isinstance(part, _DecodeFailure):
            return part
    if len(parts) == 1:
        return parts[0]
    words, counts = _native._merge_word_counts(tuple(part.words for part in parts),  # type: ignore[union-attr]
                                               tuple(part.counts for part in parts))  # type: ignore[union-attr]
    return _WordCounts(words, counts)


class _WordCounts:
    """A block's (or merged blocks') counts as they travel between processes: the
    words, UTF-8, joined by single spaces (a word holds no whitespace), and their
    counts as int64, in first-occurrence order. Two bytes objects pickle, move and
    merge (natively) far faster than a Counter's hundreds of thousands of objects."""

    __slots__ = ("words", "counts")

    def __init__(self, words: bytes, counts: bytes) -> None:
        self.words = words
        self.counts = counts

    @classmethod
    def encode(cls, counter: Counter[str]) -> _WordCounts:
        import array

        return cls(" ".join(counter).encode("utf-8", "surrogatepass"), array.array("q", counter.values()).tobytes())

    def decode(self) -> Counter[str]:
        import array

        counts = array.array("q")
        counts.frombytes(self.counts)
        words = self.words.decode("utf-8", "surrogatepass").split(" ") if self.words else []
        if len(words) != len(counts):  # pragma: no cover - the encoded form always pairs them
            raise ValueError("word_count_files(): a partial result holds more words than counts")
        result: Counter[str] = Counter()
        dict.update(result, zip(words, counts.tolist()))
        return result

    def __reduce__(self) -> tuple[Any, ...]:
        return (_WordCounts, (self.words, self.counts))


# ---------------------------------------------------------------------------------------------
# sum and fsum of dask arrays

def sum(x: Any, /, *, split_every: Optional[int] = None, client: Any = None) -> int:
    """Return the exact sum of an integer or bool ``dask.array.Array``, as an int.

    ``builtins.sum(x.compute().ravel().tolist())``: every chunk summed natively and
    exactly (no wrap-around, any size; a bool array counts its true values), the
    chunks' ints added exactly in a tree (``split_every`` partials at a time), so
    the answer is the same for every chunking and every number of workers. Float
    arrays raise TypeError: the built-in adds floats in order, rounding each time,
    which no chunked sum reproduces; use :func:`fsum` (correctly rounded, the same
    for every chunking) or ``x.sum()``. Masked arrays raise TypeError (their
    chunks' buffers hold the data without the mask).
    """
    array = _dask_array(x, "sum")
    if array.dtype.kind not in "biu":
        raise TypeError(f"sum() of a dask array of {array.dtype}: only integer and bool arrays have an exact chunked "
                        f"sum; for floats use fastkernels.dask.fsum (correctly rounded) or x.sum()")
    return int(_reduce(array, _sum_chunk, "sum", split_every, client))


def fsum(x: Any, /, *, split_every: Optional[int] = None, client: Any = None) -> float:
    """Return the correctly rounded sum of a numeric ``dask.array.Array``, as a float.

    Each chunk's values (each as ``float()`` converts it) are summed exactly by the
    native kernel into an exact partial (an integer count of 2**-1074, and which of
    nan, inf and -inf it holds), partials are added exactly in a tree, and the total
    is rounded once (half to even): the same float for every chunking and every
    number of workers, and ``math.fsum(x.compute().ravel())`` whenever that
    returns. Like math.fsum: nan if there is a nan, inf or -inf if there is one
    infinity (or several of one sign), ValueError("-inf + inf in fsum") for both,
    OverflowError("intermediate overflow in fsum") when the sum rounds beyond the
    largest float; an exact zero is +0.0. (math.fsum also raises that
    OverflowError when a running sum of its own order overflows although the
    total does not, e.g. [1e308, 1e308, -1e308]; here the result, 1e308, does not
    depend on an order.) Complex, object and masked arrays raise TypeError.
    """
    array = _dask_array(x, "fsum")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"fsum() of a dask array of {array.dtype}: only bool, integer and float arrays can be summed")
    total = _reduce(array, _fsum_chunk, "fsum", split_every, client)
    return _round_partial(total)


class _FSumPartial:
    """The exact sum of some floats: ``units * 2**-1074``, plus which special values
    (nan, +inf, -inf) were among them. Adds exactly; picklable."""

    __slots__ = ("units", "specials")
    NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY = 1, 2, 4

    def __init__(self, units: int = 0, specials: int = 0) -> None:
        self.units = units
        self.specials = specials

    def __add__(self, other: _FSumPartial) -> _FSumPartial:
        if not isinstance(other, _FSumPartial):
            return NotImplemented
        return _FSumPartial(self.units + other.units, self.specials | other.specials)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _FSumPartial):
            return NotImplemented
        return self.units == other.units and self.specials == other.specials

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_FSumPartial, (self.units, self.specials))

    def __repr__(self) -> str:
        return f"_FSumPartial(units={self.units}, specials={self.specials})"


def _round_partial(total: _FSumPartial) -> float:
    """math.fsum's outcome for an exact total: the specials decide, else the rounding."""
    if total.specials:
        if total.specials & _FSumPartial.POSITIVE_INFINITY and total.specials & _FSumPartial.NEGATIVE_INFINITY:
            raise ValueError("-inf + inf in fsum")
        if total.specials & _FSumPartial.NAN:
            return float("nan")
        return float("inf") if total.specials & _FSumPartial.POSITIVE_INFINITY else float("-inf")
    try:
        return total.units / (1 << 1074)  # int / int: correctly rounded, half to even; 0 gives +0.0
    except OverflowError:
        raise OverflowError("intermediate overflow in fsum") from None


def _dask_array(x: Any, function: str) -> Any:
    import dask.array as da

    if not isinstance(x, da.Array):
        raise TypeError(f"{function}() argument 'x' must be a dask.array.Array, not {type(x).__name__} "
                        f"(use fastkernels.{function} for in-memory values)")
    import numpy

    if isinstance(getattr(x, "_meta", None), numpy.ma.MaskedArray):
        raise TypeError(f"{function}() argument 'x' is a masked dask array: its chunks' buffers hold the data "
                        f"without the mask; pass dask.array.ma.filled(x, 0), or the values that are not masked")
    return x


def _reduce(array: Any, chunk: Any, function: str, split_every: Optional[int], client: Any) -> Any:
    """`function`'s da.reduction of `array` (keys named fastkernels-<function>), computed."""
    import functools

    import dask.array as da

    import numpy as np

    if split_every is not None:
        if isinstance(split_every, bool) or not isinstance(split_every, int):
            raise TypeError(f"{function}() argument 'split_every' must be int or None, not {type(split_every).__name__}")
        if split_every < 2:
            raise ValueError(f"{function}() argument 'split_every' must be at least 2, got {split_every}")
    client = _current_client(client)
    threads = 1 if array.npartitions >= _worker_slots(client) else None
    reduce: Any = da.reduction
    reduction = reduce(array, functools.partial(chunk, threads=threads), functools.partial(_combine, False),
                       combine=functools.partial(_combine, True), dtype=object,
                       split_every=split_every, concatenate=True, name=f"fastkernels-{function}",
                       meta=np.empty((0,) * array.ndim, dtype=object))
    return _compute(reduction, client)


def _values(block: Any) -> Any:
    """A chunk's values, one-dimensional (copied only when they are not contiguous)."""
    import numpy as np

    return np.asarray(block).reshape(-1)


def _sum_chunk(block: Any, axis: Any = None, keepdims: bool = False, *, threads: Optional[int] = None) -> Any:
    return _partial_array(_native.sum(_values(block), threads=threads), block.ndim)


def _fsum_chunk(block: Any, axis: Any = None, keepdims: bool = False, *, threads: Optional[int] = None) -> Any:
    values = _values(block)
    if values.dtype.kind == "f" and values.dtype.itemsize not in (4, 8):
        values = values.astype("float64")  # float16 widens exactly; longdouble rounds as float() does
    return _partial_array(_FSumPartial(*_native._fsum_partial(values, threads)), block.ndim)


def _combine(keep: bool, parts: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The exact total of partials (ints, or _FSumPartial), kept in an array between tree levels."""
    values = parts.ravel()
    total = values[0]
    for part in values[1:]:
        total = total + part
    return _partial_array(total, parts.ndim) if keep else total


def _partial_array(value: Any, ndim: int) -> Any:
    """A one-element object array of `ndim` dimensions holding a partial (dask's chunk result)."""
    import numpy as np

    out = np.empty((1,) * ndim, dtype=object)
    out[(0,) * ndim] = value
    return out


# ---------------------------------------------------------------------------------------------
# scheduling

def _current_client(client: Any) -> Any:
    """`client`, else the current dask.distributed client, else None (dask's default scheduler)."""
    if client is not None:
        if not callable(getattr(client, "compute", None)) or not callable(getattr(client, "nthreads", None)):
            raise TypeError(f"argument 'client' must be a distributed.Client or None, not {type(client).__name__}")
        return client
    try:
        import distributed
    except ImportError:
        return None
    try:
        current: Any = distributed.default_client
        return current()
    except ValueError:
        return None


def _worker_slots(client: Any) -> int:
    """Tasks that run at once: the cluster's worker threads, or the threads of dask's
    default (threaded) scheduler: its `num_workers` setting, else dask's CPU count
    (affinity and cgroup quota included)."""
    if client is not None:
        try:
            return max(1, int(builtins.sum(client.nthreads().values())))
        except Exception:  # a closed client: dask will say so when asked to compute
            return 1
    import dask
    import dask.system

    return max(1, int(dask.config.get("num_workers", None) or dask.system.CPU_COUNT))


def _tree(parts: list[Any], merge: Any) -> Any:
    from dask.delayed import delayed

    while len(parts) > 1:
        parts = [delayed(merge, pure=False)(*parts[i:i + _SPLIT_EVERY]) for i in range(0, len(parts), _SPLIT_EVERY)]
    return parts[0]


def _compute(collection: Any, client: Any) -> Any:
    if client is not None:
        return client.compute(collection, sync=True)
    return collection.compute()

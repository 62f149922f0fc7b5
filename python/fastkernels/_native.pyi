"""Type stubs for fastkernels._native, the Swift extension module (hand-written; checked by stubtest)."""
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal, SupportsFloat, SupportsIndex, TypeVar, overload

_T = TypeVar("_T")

def fibonacci(n: SupportsIndex, /) -> int:
    """Return the n-th Fibonacci number, exactly."""

def fibonacci_recursive(n: SupportsIndex, /) -> int:
    """Return the n-th Fibonacci number by naive double recursion, natively."""

@overload
def sum(values: Iterable[bool | int], /, start: int = 0, *, threads: int | None = None) -> int:
    """Return start (default 0) plus the sum of values, exactly as the built-in sum() does."""
@overload
def sum(values: Iterable[float], /, start: float = 0, *, threads: int | None = None) -> float: ...
@overload
def sum(values: object, /, start: Any = 0, *, threads: int | None = None) -> Any: ...
def fsum(values: Iterable[SupportsFloat | SupportsIndex] | object, /, *, threads: int | None = None) -> float:
    """Return an accurate floating-point sum of values, exactly as math.fsum() does."""

# Private: exercise the bridge from the tests.
def _merge_word_counts(words: tuple[bytes, ...], counts: tuple[bytes, ...], /) -> tuple[bytes, bytes]:
    """Merge word counts in fastkernels.dask's encoded form; return the merge in the same form."""

def _fsum_partial(values: object, /, threads: int | None = None) -> tuple[int, int]:
    """Return (N, specials): the exact sum of the finite values is N * 2**-1074; specials 1 nan, 2 +inf, 4 -inf."""

def _echo(value: object, /, kind: Literal["int", "float", "str", "bytes", "utf8", "utf8-cached"]) -> object:
    """Round-trip value through the Swift type named by kind (int, float, str, bytes; utf8 and utf8-cached: bytes to str through the bridge's UTF-8 decoder and its string cache). For tests."""

def _parse(a: SupportsIndex, b: SupportsIndex = 2, /, c: SupportsIndex = 3, *, d: SupportsIndex, e: SupportsIndex = 5) -> str:
    """Parse every kind of parameter and return their values as "a b c d e". For tests."""

def _raise(kind: str, message: str = "", /, *, errno: int | None = None, filename: str | None = None) -> None:
    """Raise the exception the bridge maps from a Swift error of the given kind. For tests."""

def _ignore_signals_released(seconds: float, /) -> None:
    """Poll for signals with the GIL released for seconds, ignoring them, and return None. For tests."""

def sort(values: Any, /, *, reverse: bool = False, threads: int | None = None) -> Any:
    """Return a new sorted container of values."""

def sort_inplace(values: Any, /, *, reverse: bool = False, threads: int | None = None) -> None:
    """Sort values in place: a list (like ``list.sort``, with NaNs last as in"""

def word_count(text: str | bytes | bytearray | memoryview, /, *, threads: int | None = None) -> Counter[str]:
    """Return ``Counter(text.lower().split())``, computed natively."""

# The native helpers of fastkernels/_general.py (the general paths of sort and sort_inplace).
def _sort_buffer(values: object, /, reverse: bool = False, threads: int | None = None) -> bool | None:
    """The native part of fastkernels.sort() for a buffer: sorts the writable copy"""

def _replace_list(target: list[_T], expected: list[_T], replacement: list[_T], /) -> None:
    """target[:] = replacement, if target (a list) still holds exactly the items of"""

# The native parts of word_count (for buffers) and word_count_file.
def _word_count(text: object, counts: dict[str, int], /, threads: int | None = None) -> int | None:
    """The native part of fastkernels.word_count(): adds to the empty dict counts"""

def _word_count_fd(
    fd: int, counts: dict[str, int], /, encoding: str, threads: int | None = None
) -> tuple[int, bytes] | None:
    """The native part of fastkernels.word_count_file(): counts the file open at"""

@overload
def matmul(
    a: list[list[int]], b: list[list[int]], /, *, out: None = None, threads: int | None = None
) -> list[list[int]]:
    """Return the matrix product of a and b, as ``numpy.matmul(a, b)`` (``a @ b``) gives it."""
@overload
def matmul(
    a: list[list[float]], b: list[list[float]], /, *, out: None = None, threads: int | None = None
) -> list[list[float]]: ...
@overload
def matmul(a: Any, b: Any, /, *, out: Any = None, threads: int | None = None) -> Any: ...

# The native parts of matmul (see fastkernels/_matmul.py).
def _matmul(
    a: object, b: object, out: object, a_index: tuple[int, ...], b_index: tuple[int, ...],
    out_index: tuple[int, ...], vectors: int, threads: int | None = None
) -> None:
    """The native part of fastkernels.matmul() for buffers: writes the product of"""

def _matmul_lists(a: list[list[Any]], b: list[list[Any]], /, threads: int | None = None) -> list[list[Any]] | None:
    """The native part of fastkernels.matmul() for two lists of lists (rows):"""

def _isa() -> str:
    """The instruction-set tier the SIMD kernels run on this CPU: "baseline","""

def _buffers_overlap(a: object, b: object, /) -> bool:
    """True when the memory of the two buffers' elements (from the lowest to the"""

def _config() -> dict[str, Any]:
    """What the kernels found on this machine and chose (see fastkernels.show_config())."""

def _parallel_thresholds() -> dict[str, int]:
    """The sizes from which each kernel uses more than one worker (when threads"""

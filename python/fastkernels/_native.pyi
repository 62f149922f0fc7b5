"""Type stubs for fastkernels._native, the Swift extension module (hand-written; checked by stubtest)."""
from typing import Literal, SupportsIndex

def fibonacci(n: SupportsIndex, /) -> int:
    """Return the n-th Fibonacci number, exactly."""

def fibonacci_recursive(n: SupportsIndex, /) -> int:
    """Return the n-th Fibonacci number by naive double recursion, natively."""

# Private: exercise the bridge from the tests.
def _echo(value: object, /, kind: Literal["int", "float", "str", "bytes"]) -> object:
    """Round-trip value through the Swift type named by kind (int, float, str, bytes). For tests."""

def _parse(a: SupportsIndex, b: SupportsIndex = 2, /, c: SupportsIndex = 3, *, d: SupportsIndex, e: SupportsIndex = 5) -> str:
    """Parse every kind of parameter and return their values as "a b c d e". For tests."""

def _raise(kind: str, message: str = "", /, *, errno: int | None = None, filename: str | None = None) -> None:
    """Raise the exception the bridge maps from a Swift error of the given kind. For tests."""

# The native parts of sum, sort and sort_inplace (see fastkernels/__init__.py).
def _sum(values: object, /, threads: int | None = None) -> int | float | None:
    """The native part of fastkernels.sum(): the sum of a list or tuple of ints"""

def _sort(values: object, /, reverse: bool = False, threads: int | None = None) -> list[int | float] | None:
    """The native part of fastkernels.sort() for a list or tuple: a new sorted"""

def _sort_inplace(
    values: object, /, reverse: bool = False, threads: int | None = None, caller: str = "sort_inplace"
) -> bool | None:
    """The native part of fastkernels.sort_inplace() for a writable 1-D numeric"""

# The native parts of word_count and word_count_file.
def _word_count(text: object, counts: dict[str, int], /, threads: int | None = None) -> int | None:
    """The native part of fastkernels.word_count(): adds to the empty dict counts"""

def _word_count_fd(fd: int, counts: dict[str, int], /, encoding: str, threads: int | None = None) -> int | None:
    """The native part of fastkernels.word_count_file(): counts the file open at"""

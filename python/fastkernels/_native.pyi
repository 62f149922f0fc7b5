"""Type stubs for fastkernels._native, the Swift extension module (hand-written; checked by stubtest)."""
from typing import SupportsIndex

def fibonacci(n: SupportsIndex, /) -> int:
    """Return the n-th Fibonacci number, exactly."""

def fibonacci_recursive(n: SupportsIndex, /) -> int:
    """Return the n-th Fibonacci number by naive double recursion, natively."""

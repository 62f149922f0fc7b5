"""fastkernels: native-speed kernels for Python, written in Swift.

Every function gives exactly what the Python idiom it replaces gives, only
faster, and turns bad input into an ordinary Python exception.

>>> import fastkernels
>>> fastkernels.fibonacci(100)
354224848179261915075
>>> fastkernels.fibonacci_recursive(20)
6765
"""
from ._native import fibonacci, fibonacci_recursive

__version__ = "0.1.0"

__all__ = ["fibonacci", "fibonacci_recursive"]

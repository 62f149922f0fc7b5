import inspect
import math
import os
import textwrap
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastkernels
from fastkernels._pure import fibonacci_fast_doubling, fibonacci_iterative, fibonacci_recursive

FUNCTIONS = [fastkernels.fibonacci, fastkernels.fibonacci_recursive]


# ---- values -----------------------------------------------------------------

def test_fibonacci_matches_iteration_for_0_to_3000():
    a, b = 0, 1
    for n in range(3001):
        assert fastkernels.fibonacci(n) == a, n
        a, b = b, a + b


@pytest.mark.parametrize("n", [0, 1, 2, 92, 93, 94, 95, 127, 128, 1000, 4096, 65535, 65536])
def test_fibonacci_boundaries(n):
    result = fastkernels.fibonacci(n)
    assert type(result) is int
    assert result == fibonacci_iterative(n)


def test_fibonacci_64_bit_boundary_exactly():
    assert fastkernels.fibonacci(93) == 12200160415121876738 < 2**64
    assert fastkernels.fibonacci(94) == 19740274219868223167 > 2**64


@given(st.integers(min_value=94, max_value=200_000))
def test_fibonacci_random_large_n(n):
    assert fastkernels.fibonacci(n) == fibonacci_fast_doubling(n)


@pytest.mark.parametrize("n", [10**6, 10**6 + 1, 2**20 - 1, 2**20])
def test_fibonacci_very_large_n(n):
    expected = fibonacci_fast_doubling(n)
    assert fastkernels.fibonacci(n) == expected


def test_fibonacci_identities_at_large_n():
    # Independent of both implementations: F(2k) = F(k) (2 F(k+1) - F(k)), F(2k+1) = F(k)^2 + F(k+1)^2.
    k = 123_457
    fk, fk1 = fastkernels.fibonacci(k), fastkernels.fibonacci(k + 1)
    assert fastkernels.fibonacci(2 * k) == fk * (2 * fk1 - fk)
    assert fastkernels.fibonacci(2 * k + 1) == fk * fk + fk1 * fk1


@pytest.mark.parametrize("n", range(0, 26))
def test_fibonacci_recursive_matches_python_recursion(n):
    assert fastkernels.fibonacci_recursive(n) == fibonacci_recursive(n)


def test_fibonacci_recursive_top_of_range_runs_the_real_recursion():
    # n = 32 takes ~3.5 million calls: same value as the exact kernel.
    assert fastkernels.fibonacci_recursive(32) == fastkernels.fibonacci(32) == 2178309


@pytest.mark.parametrize("function", FUNCTIONS)
def test_bool_and_index_objects_behave_as_int(function):
    class Index:
        def __index__(self):
            return 12

    assert function(True) == 1
    assert function(False) == 0
    assert function(Index()) == 144


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    assert fastkernels.fibonacci(np.int64(50)) == 12586269025
    assert fastkernels.fibonacci_recursive(np.uint8(20)) == 6765


# ---- errors -----------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("bad", ["10", 10.0, None, [1], 1j, b"1"])
def test_non_integers_raise_type_error(function, bad):
    name = function.__name__
    with pytest.raises(TypeError, match=rf"^{name}\(\) argument 'n' must be int, not {type(bad).__name__}$"):
        function(bad)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("n", [-1, -93, -(2**63), -(10**30)])
def test_negative_raises_value_error(function, n):
    with pytest.raises(ValueError, match=rf"^{function.__name__}\(\) argument 'n' must be"):
        function(n)


@pytest.mark.parametrize("n", [93, 94, 1000, 2**63 - 1, 10**30])
def test_recursive_above_92_raises_value_error(n):
    with pytest.raises(ValueError, match=r"^fibonacci_recursive\(\) argument 'n' must be between 0 and 92$"):
        fastkernels.fibonacci_recursive(n)


@pytest.mark.parametrize("n", [2**63 - 1, 2**64, 10**30])
def test_absurd_n_raises_overflow_error(n):
    with pytest.raises(OverflowError, match=r"^fibonacci\(\)"):
        fastkernels.fibonacci(n)


def test_result_larger_than_memory_raises_memory_error():
    # F(2^60) has ~8e17 bits: far more than any machine's memory. Refused up front, not attempted.
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"^fibonacci\(\)"):
        fastkernels.fibonacci(2**60)
    assert time.perf_counter() - start < 5


def test_error_then_normal_call_still_works():
    with pytest.raises(ValueError):
        fastkernels.fibonacci(-1)
    assert fastkernels.fibonacci(10) == 55


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fastkernels.fibonacci(), r"^fibonacci\(\) missing required argument 'n' \(pos 1\)$"),
        (lambda: fastkernels.fibonacci(1, 2), r"^fibonacci\(\) takes exactly 1 positional argument \(2 given\)$"),
        (lambda: fastkernels.fibonacci(n=5),
         r"^fibonacci\(\) got some positional-only arguments passed as keyword arguments: 'n'$"),
        (lambda: fastkernels.fibonacci(5, m=1), r"^fibonacci\(\) got an unexpected keyword argument 'm'$"),
        (lambda: fastkernels.fibonacci_recursive(**{"x": 1}),
         r"^fibonacci_recursive\(\) got an unexpected keyword argument 'x'$"),
    ],
)
def test_argument_errors_are_cpython_style_type_errors(call, message):
    with pytest.raises(TypeError, match=message):
        call()


# ---- introspection ------------------------------------------------------------

@pytest.mark.parametrize("function", FUNCTIONS)
def test_signature_and_docstring(function):
    signature = inspect.signature(function)
    assert list(signature.parameters) == ["n"]
    assert signature.parameters["n"].kind is inspect.Parameter.POSITIONAL_ONLY
    assert function.__doc__ and "Fibonacci" in function.__doc__
    assert function.__module__ == "fastkernels._native"


def test_public_api():
    assert fastkernels.__all__ == [
        "fibonacci", "fibonacci_recursive", "fsum", "matmul", "show_config", "sort", "sort_inplace", "sum",
        "word_count", "word_count_file"
    ]
    assert isinstance(fastkernels.__version__, str)
    assert all(callable(getattr(fastkernels, name)) for name in fastkernels.__all__)


def test_functions_pickle_by_name():
    import pickle

    assert pickle.loads(pickle.dumps(fastkernels.fibonacci)) is fastkernels.fibonacci


# ---- GIL and signals -----------------------------------------------------------

def test_fibonacci_recursive_releases_the_gil(python_steps_beside):
    # While the native recursion runs in a worker, this thread must keep running Python code.
    assert python_steps_beside(fastkernels.fibonacci_recursive, 37) > 1000


def test_large_exact_fibonacci_releases_the_gil(python_steps_beside):
    assert python_steps_beside(fastkernels.fibonacci, 3 * 10**6) > 1000


CHILD = textwrap.dedent(
    """
    import sys, time, fastkernels
    print("ready", flush=True)
    try:
        fastkernels.{call}
    except KeyboardInterrupt:
        sys.exit(42)
    sys.exit(0)
    """
)


@pytest.mark.parametrize("call", ["fibonacci_recursive(60)", "fibonacci(10**9)"])
def test_ctrl_c_interrupts_promptly(call, interrupt_child):
    code, elapsed = interrupt_child(CHILD.format(call=call), delay=0.3)
    assert code == 42
    # The target is 0.1 s (see benchmarks); the bound here is generous for shared machines.
    assert elapsed < 3

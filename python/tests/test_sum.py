import array
import math
import sys
import threading
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastkernels
from fastkernels._pure import sum_numbers

np = pytest.importorskip("numpy")

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOATS = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False)


def ulp(x):
    return math.ulp(x) if math.isfinite(x) else 0.0


def assert_compensated(result, values):
    """As accurate as compensated summation guarantees: within 2 ulp of the exact sum
    plus n u^2 sum|x| (Neumaier's bound); and never worse than numpy's pairwise sum."""
    exact = math.fsum(values)
    assert type(result) is float
    error = abs(result - exact)
    bound = 2 * ulp(exact) + len(values) * (2.0**-53) ** 2 * math.fsum(abs(v) for v in values) * 4
    assert error <= bound, (result, exact)
    if values:
        numpy_error = abs(float(np.sum(np.array(values, dtype=np.float64))) - exact)
        assert error <= max(numpy_error, 2 * ulp(exact))


# ---- lists and tuples ------------------------------------------------------------

@given(st.lists(INT64 | st.booleans()))
def test_int_lists_equal_builtin_sum_exactly(values):
    result = fastkernels.sum(values)
    assert result == sum(values) and type(result) is int
    assert fastkernels.sum(tuple(values)) == sum(values)


@given(st.lists(st.integers() | st.booleans()))
def test_ints_of_any_size(values):
    assert fastkernels.sum(values) == sum(values)


def test_int64_extremes_do_not_wrap():
    values = [2**63 - 1] * 1000 + [-(2**63)] * 3
    assert fastkernels.sum(values) == sum(values)
    assert fastkernels.sum(np.array(values, dtype=np.int64)) == sum(values)
    assert fastkernels.sum(np.full(10**5, 2**64 - 1, dtype=np.uint64)) == (2**64 - 1) * 10**5


@given(st.lists(FLOATS, min_size=1, max_size=300))
def test_float_lists_are_compensated(values):
    assert_compensated(fastkernels.sum(values), values)


@pytest.mark.parametrize("values", [
    [1e100, 1.0, -1e100] * 10,
    [0.1] * 10,
    [1.0, 1e-16] * 1000,
    [2.0**53, 1.0, -(2.0**53)],
    [1e300, 1.0, -1e300, 3.0] * 7,
])
def test_adversarial_float_cancellation(values):
    assert_compensated(fastkernels.sum(values), values)


@pytest.mark.parametrize("values, expected", [
    ([], 0), ([math.inf, 1.0], math.inf), ([1e308, 1e308, -1e308], math.inf), ([-math.inf, -1.0], -math.inf), ([1e308, 1e308], math.inf),
    ([-0.0], 0.0), ([0.5, 0.25], 0.75),
])
def test_float_special_cases(values, expected):
    result = fastkernels.sum(values)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("values", [[math.nan, 1.0], [math.inf, -math.inf], [1.0, math.nan]])
def test_nan_propagates(values):
    assert math.isnan(fastkernels.sum(values))


@given(st.lists(st.one_of(INT64, FLOATS, st.booleans()), max_size=200))
def test_mixed_int_float_follow_pythons_rules(values):
    result = fastkernels.sum(values)
    assert type(result) is type(sum(values))
    if any(type(v) is float for v in values):
        # ints before the first float are exact, then everything is a float: compare with the reference.
        reference = sum_numbers(values)
        assert result == pytest.approx(reference, rel=1e-15, abs=1e-300)
    else:
        assert result == sum(values)


def test_int_then_float_rounds_once_like_python():
    values = [2**60 + 1, 2**60 + 1, 0.5]
    assert fastkernels.sum(values) == sum(values)


def test_generic_iterables_and_number_types():
    assert fastkernels.sum(range(1000)) == sum(range(1000))
    assert fastkernels.sum(x * 0.5 for x in range(10)) == 22.5
    assert fastkernels.sum({1, 2, 3}) == 6
    assert fastkernels.sum([Fraction(1, 3), Fraction(2, 3)]) == 1
    assert fastkernels.sum([Decimal("0.1")] * 3) == Decimal("0.3")
    assert fastkernels.sum([1, 2**100, 3.0]) == sum([1, 2**100, 3.0])


@pytest.mark.parametrize("values, index, name", [(["a"], 0, "str"), ([1, 2, None], 2, "NoneType"),
                                                 ([1.0, [2]], 1, "list"), ((1, b"x"), 1, "bytes")])
def test_non_numbers_raise_type_error_naming_index_and_type(values, index, name):
    with pytest.raises(TypeError, match=rf"^sum\(\) element {index} must be a number, not {name}$"):
        fastkernels.sum(values)


def test_non_iterable_raises_type_error():
    with pytest.raises(TypeError, match=r"^sum\(\) argument 'values' must be an iterable"):
        fastkernels.sum(5)


# ---- buffers -----------------------------------------------------------------------

INT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


@pytest.mark.parametrize("dtype", INT_DTYPES + ["bool"])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "reversed", "byteswapped"])
def test_integer_buffers_sum_exactly(dtype, layout):
    rng = np.random.default_rng(len(dtype))
    info = np.iinfo(dtype) if dtype != "bool" else None
    a = rng.integers(info.min, info.max, size=100_003, dtype=dtype, endpoint=True) if info else rng.random(100_003) < 0.5
    if layout == "strided":
        a = a[::3]
    elif layout == "reversed":
        a = a[::-1]
    elif layout == "byteswapped":
        a = a.astype(a.dtype.newbyteorder())
    result = fastkernels.sum(a)
    assert type(result) is int
    assert result == sum(int(x) for x in a.tolist())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "reversed", "byteswapped"])
def test_float_buffers_are_compensated_and_layout_independent(dtype, layout):
    rng = np.random.default_rng(7)
    base = (rng.standard_normal(300_001) * 10.0 ** rng.integers(-5, 5, 300_001)).astype(dtype)
    a = {"contiguous": base, "strided": base[::2], "reversed": base[::-1],
         "byteswapped": base.astype(base.dtype.newbyteorder())}[layout]
    result = fastkernels.sum(a)
    values = [float(x) for x in a.tolist()]
    assert_compensated(result, values)
    assert result == fastkernels.sum(np.ascontiguousarray(a, dtype=dtype))  # same bits in any layout


@pytest.mark.parametrize("threads", [1, 2, 3, 8, None])
def test_results_do_not_depend_on_threads(threads):
    rng = np.random.default_rng(3)
    f = rng.standard_normal(2_000_003) * 1e6
    i = rng.integers(-(2**63), 2**63 - 1, 2_000_003)
    assert fastkernels.sum(f, threads=threads) == fastkernels.sum(f, threads=1)
    assert fastkernels.sum(i, threads=threads) == sum(i.tolist())


def test_other_buffer_exporters():
    assert fastkernels.sum(array.array("q", [1, 2, 3])) == 6
    assert fastkernels.sum(array.array("d", [0.5, 0.25])) == 0.75
    assert fastkernels.sum(b"\x01\x02\xff") == 258
    assert fastkernels.sum(bytearray(b"\x05")) == 5
    assert fastkernels.sum(memoryview(array.array("h", [-1, -2]))) == -3
    assert fastkernels.sum(np.array([], dtype=np.float64)) == 0.0
    assert fastkernels.sum(np.array([], dtype=np.int32)) == 0


@pytest.mark.parametrize("bad, error, message", [
    (np.zeros((2, 2)), ValueError, r"2-dimensional buffer \(shape \(2, 2\)\)"),
    (np.zeros(3, dtype=complex), TypeError, r"buffer format 'Zd'"),
    (np.zeros(3, dtype=np.float16), TypeError, r"buffer format 'e'"),
    (memoryview(b"abcd").cast("c"), TypeError, r"buffer format 'c'"),
])
def test_unsupported_buffers(bad, error, message):
    with pytest.raises(error, match=message):
        fastkernels.sum(bad)


def test_zero_dimensional_buffer():
    with pytest.raises(ValueError, match="0-dimensional"):
        fastkernels.sum(np.float64(1.0).reshape(()))


@pytest.mark.parametrize("threads, error", [(0, ValueError), (-3, ValueError), ("2", TypeError), (1.5, TypeError)])
def test_bad_threads(threads, error):
    with pytest.raises(error, match=r"^sum\(\) argument 'threads'"):
        fastkernels.sum([1, 2], threads=threads)


MEMORY_CHILD = """
import sys, numpy as np, fastkernels
a = np.random.default_rng(0).random(20_000_000)  # 160 MB
def peak_mb():
    # VmHWM: this process's own peak (ru_maxrss would include the parent's, inherited at fork).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
before = peak_mb()
{call}
print(peak_mb() - before)
"""


def peak_growth_mb(call):
    import subprocess

    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD.format(call=call)], capture_output=True, text=True,
                         check=True).stdout
    return float(out)


def test_buffer_sum_allocates_nothing_proportional():
    # A strided view of 80 MB: summed through fixed-size chunks, never copied.
    assert peak_growth_mb("fastkernels.sum(a[::2])") < 16


def test_sort_allocates_its_output_and_one_scratch():
    growth = peak_growth_mb("fastkernels.sort(a)")
    assert 150 < growth < 2 * 160 + 40  # the 160 MB result + at most one 160 MB scratch
    assert peak_growth_mb("fastkernels.sort_inplace(a)") < 160 + 20  # the scratch alone


@pytest.mark.parametrize("kind", ["floats", "ints", "mixed"])
def test_long_lists_give_the_same_result_for_every_thread_count(kind):
    rng = np.random.default_rng(11)
    if kind == "floats":
        values = (rng.standard_normal(300_000) * 1e8).tolist()
    elif kind == "ints":
        values = rng.integers(-(2**63), 2**63 - 1, 300_000).tolist()
    else:
        values = rng.integers(-100, 100, 300_000).tolist() + [0.5] + rng.standard_normal(1000).tolist()
    results = {fastkernels.sum(values, threads=t) for t in (1, 2, 3, None)}
    assert len(results) == 1
    if kind == "floats":
        assert_compensated(results.pop(), values)
    elif kind == "ints":
        assert results.pop() == sum(values)

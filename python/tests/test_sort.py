import array
import math
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastkernels
from gil import python_steps_beside
from interrupt import interrupt_child

np = pytest.importorskip("numpy")

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def same_objects(a, b):
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def fresh(values):
    """Distinct objects for equal values, so that identity shows stability."""
    return [v + 0 if isinstance(v, int) else float(repr(v)) for v in values]


@given(st.lists(INT64), st.booleans())
def test_int_lists_equal_sorted_object_for_object(values, reverse):
    values = fresh(values + values[: len(values) // 2])  # duplicates
    result = fastkernels.sort(values, reverse=reverse)
    assert type(result) is list
    assert same_objects(result, sorted(values, reverse=reverse))


@given(st.lists(st.floats(allow_nan=False)), st.booleans())
def test_float_lists_equal_sorted_object_for_object(values, reverse):
    values = fresh(values + [0.0, -0.0, 0.0, -0.0])
    assert same_objects(fastkernels.sort(values, reverse=reverse), sorted(values, reverse=reverse))


@given(st.lists(st.floats()), st.booleans())
def test_nans_go_last_in_their_order(values, reverse):
    values = fresh(values + [math.nan])
    result = fastkernels.sort(values, reverse=reverse)
    nans = [v for v in values if v != v]
    assert same_objects(result, sorted([v for v in values if v == v], reverse=reverse) + nans)


@given(st.lists(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans())), st.booleans())
def test_mixed_and_big_ints_take_the_exact_path(values, reverse):
    values = values + [2**53 + 1, float(2**53), 2**70, -(2**70)]
    assert same_objects(fastkernels.sort(values, reverse=reverse), sorted(values, reverse=reverse))


def test_bools_and_tuples():
    assert fastkernels.sort((True, 0, False, 2)) == [0, False, True, 2]
    assert fastkernels.sort(()) == []
    assert fastkernels.sort(iter([3, 1, 2])) == [1, 2, 3]


def test_a_million_random_ints():
    rng = np.random.default_rng(0)
    values = rng.integers(-(2**63), 2**63 - 1, 10**6).tolist()
    assert fastkernels.sort(values) == sorted(values)
    assert fastkernels.sort(values, threads=1) == fastkernels.sort(values, threads=2)


@pytest.mark.parametrize("values, index, name", [([1, "a"], 1, "str"), ([None], 0, "NoneType"), ([1.0, [1]], 1, "list")])
def test_other_elements_raise_type_error(values, index, name):
    with pytest.raises(TypeError, match=rf"^sort\(\) element {index} must be int or float, not {name}$"):
        fastkernels.sort(values)


# ---- buffers -------------------------------------------------------------------------

DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]


def random_array(dtype, n, seed=0):
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        a = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)).astype(dtype)
        a[rng.integers(0, n, n // 50)] = np.nan
        a[rng.integers(0, n, n // 50)] = -0.0
        a[:3] = [np.inf, -np.inf, 0.0]
        return a
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True)
    a[:2] = [info.min, info.max]
    return a


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "strided", "byteswapped"])
def test_numpy_arrays_equal_numpy_sort(dtype, layout):
    a = random_array(dtype, 200_001)
    a = {"contiguous": a, "strided": a[::3], "byteswapped": a.astype(a.dtype.newbyteorder())}[layout]
    before = a.copy()
    result = fastkernels.sort(a)
    assert type(result) is np.ndarray and result.dtype == a.dtype and result.shape == a.shape
    np.testing.assert_array_equal(result, np.sort(a))  # NaNs last, as numpy
    np.testing.assert_array_equal(a, before)  # the input is untouched


@pytest.mark.parametrize("dtype", DTYPES)
def test_reverse_keeps_nans_last(dtype):
    a = random_array(dtype, 10_001, seed=1)
    result = fastkernels.sort(a, reverse=True)
    ordered = np.sort(a)
    nans = np.isnan(ordered) if ordered.dtype.kind == "f" else np.zeros(len(ordered), bool)
    np.testing.assert_array_equal(result, np.concatenate([ordered[~nans][::-1], ordered[nans]]))


@pytest.mark.parametrize("threads", [1, 2, 3, None])
def test_buffer_results_do_not_depend_on_threads(threads):
    a = random_array("float64", 1_000_003, seed=2)
    np.testing.assert_array_equal(fastkernels.sort(a, threads=threads), fastkernels.sort(a, threads=1))


def test_other_containers_keep_their_type():
    assert fastkernels.sort(array.array("i", [3, -1, 2])) == array.array("i", [-1, 2, 3])
    assert fastkernels.sort(array.array("d", [2.5, math.inf, -1.0])) == array.array("d", [-1.0, 2.5, math.inf])
    assert fastkernels.sort(b"cab") == b"abc"
    assert fastkernels.sort(bytearray(b"\x03\x01")) == bytearray(b"\x01\x03")
    view = fastkernels.sort(memoryview(array.array("q", [5, -5])))
    assert type(view) is memoryview and view.tolist() == [-5, 5]


def test_sort_inplace():
    a = random_array("int64", 100_000)
    expected = np.sort(a)
    assert fastkernels.sort_inplace(a) is None
    np.testing.assert_array_equal(a, expected)
    b = array.array("h", [3, 1, 2])
    fastkernels.sort_inplace(b, reverse=True)
    assert b == array.array("h", [3, 2, 1])
    values = [3.0, math.nan, 1.0]
    fastkernels.sort_inplace(values)
    assert values[:2] == [1.0, 3.0] and math.isnan(values[2])
    strided = np.arange(10)[::-1][::2]  # a writable view into another array
    fastkernels.sort_inplace(strided)
    assert strided.tolist() == [1, 3, 5, 7, 9]


@pytest.mark.parametrize("readonly", [b"abc", memoryview(b"abc"), np.arange(3).setflags(write=False) or None])
def test_sort_inplace_rejects_readonly(readonly):
    if readonly is None:
        readonly = np.arange(3)
        readonly.setflags(write=False)
    with pytest.raises(TypeError, match="read-only"):
        fastkernels.sort_inplace(readonly)


def test_sort_inplace_rejects_other_types():
    with pytest.raises(TypeError, match=r"^sort_inplace\(\) argument 'values' must be a list or a writable"):
        fastkernels.sort_inplace((3, 1))


@pytest.mark.parametrize("bad, error", [(np.zeros((2, 2)), ValueError), (np.zeros(2, complex), TypeError)])
def test_sort_rejects_unsupported_buffers(bad, error):
    with pytest.raises(error):
        fastkernels.sort(bad)


@pytest.mark.parametrize("threads, error", [(0, ValueError), ("x", TypeError)])
def test_bad_threads(threads, error):
    with pytest.raises(error, match="threads"):
        fastkernels.sort([2, 1], threads=threads)
    with pytest.raises(error, match="threads"):
        fastkernels.sort(np.arange(3), threads=threads)


def test_sort_releases_the_gil():
    a = np.random.default_rng(0).integers(0, 2**62, 5_000_000)
    assert python_steps_beside(fastkernels.sort, a, threads=1) > 1000


def test_ctrl_c_interrupts_a_long_sort():
    script = textwrap.dedent("""
        import sys, numpy as np, fastkernels
        a = np.random.default_rng(0).integers(-2**63, 2**63 - 1, 30_000_000)
        print("ready", flush=True)
        try:
            for _ in range(100):
                fastkernels.sort_inplace(a, threads=1)
                a[::2] = -a[::2]
        except KeyboardInterrupt:
            sys.exit(42)
        sys.exit(0)
        """)
    code, elapsed = interrupt_child(script, delay=0.5)
    assert code == 42
    assert elapsed < 3

"""fastkernels.sum against the running interpreter's own sum(), bit for bit and type for type."""
import array
import math
import struct
import sys
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastkernels

np = pytest.importorskip("numpy")

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
BIG = st.integers(min_value=2**63, max_value=2**80) | st.integers(min_value=-(2**80), max_value=-(2**63) - 1)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e308, -1e308, 5e-324, 1e-310, 0.1, 1e16, 2.0**53, 2.0**53 + 2, 1e100, -1e100])
NUMBERS = st.one_of(INT64, FLOATS, st.booleans(), st.integers(-3, 3))


def same(a, b):
    """Equal in value, type and (for floats) bits."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, np.generic) and np.issubdtype(type(a), np.floating):
        return a.tobytes() == b.tobytes()
    return bool(a == b)


def outcome(function, *args, **kwargs):
    try:
        return ("value", function(*args, **kwargs))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return ("error", type(error), str(error))


def assert_same_outcome(mine, theirs):
    if mine[0] == "value" and theirs[0] == "value":
        assert same(mine[1], theirs[1]), (mine, theirs)
    else:
        assert mine == theirs


def check(values, *start, **kwargs):
    """fastkernels.sum(values, *start) == sum(values, *start), for a list, a tuple and an iterator of them."""
    assert_same_outcome(outcome(fastkernels.sum, values, *start, **kwargs), outcome(sum, values, *start))
    assert_same_outcome(outcome(fastkernels.sum, tuple(values), *start), outcome(sum, tuple(values), *start))
    assert_same_outcome(outcome(fastkernels.sum, iter(values), *start), outcome(sum, iter(values), *start))


# ---- lists, tuples and iterators ---------------------------------------------------

@given(st.lists(NUMBERS, max_size=60))
def test_ints_floats_and_bools(values):
    check(values)


EXTREME_INT64 = st.sampled_from([2**63 - 1, -(2**63), 2**63 - 2, -(2**63) + 1, 2**62, -1, 0, 1]) | INT64


@given(st.lists(EXTREME_INT64 | st.booleans(), max_size=18))
def test_short_int_lists_whose_totals_leave_64_bits(values):
    """Up to 16 ints are summed in 128 bits on a short path: totals past 64 bits either way,
    bools among them, and 16/17 items around the path's limit give sum()'s int."""
    check(values)


def test_short_int_list_extremes():
    for n in (1, 2, 15, 16, 17):
        for value in (2**63 - 1, -(2**63)):
            check([value] * n)
            check([value] * (n - 1) + [True])
    check([2**63 - 1, 1])  # just past 64 bits
    check([-(2**63), -1])


@given(st.lists(st.one_of(NUMBERS, BIG), max_size=40), st.one_of(INT64, FLOATS, BIG, st.booleans()))
def test_any_start(values, start):
    check(values, start)
    assert_same_outcome(outcome(fastkernels.sum, values, start=start), outcome(sum, values, start=start))


@given(st.lists(st.one_of(NUMBERS, BIG, st.fractions(max_denominator=20), st.just(Decimal("0.1")),
                          st.builds(np.float64, st.floats()), st.builds(np.int64, INT64),
                          st.builds(np.float32, st.floats(width=32))), max_size=30))
def test_other_number_types_take_pythons_own_addition(values):
    check(values)


@pytest.mark.parametrize("values", [
    [1.1, 3, 0.8], [1.0, 2**53, 1], [1.0, 1e100, 1.0, -1e100] * 13, [0.1] * 10, [1e100, 1, -1e100],
    [0.1, 2**53, 0.1, -(2**53)], [0.1, True, 0.2], [2**62, 2**62, 1.5, 0.1], [2**63, 0.1, 0.2],
    [-0.0], [-0.0, -0.0], [0.0, -0.0], [math.inf, 1.0], [math.inf, -math.inf], [1e308, 1e308, -1e308],
    [math.nan, 1.0], [2**60 + 1, 2**60 + 1, 0.5], [1, 2**100, 3.0], [0.5, 2**70, 0.25],
])
def test_issue_reproductions_and_edges(values):
    check(values)
    check(values, -0.0)
    check(values, 0.5)


def test_long_lists_every_thread_count():
    rng = np.random.default_rng(11)
    cases = [rng.integers(-(2**63), 2**63 - 1, 300_000).tolist(),
             (rng.standard_normal(300_000) * 1e8).tolist(),
             rng.integers(-100, 100, 300_000).tolist() + [0.5] + rng.standard_normal(1000).tolist(),
             [True, False] * 150_000 + [2**64]]
    for values in cases:
        expected = sum(values)
        for threads in (1, 2, 3, None):
            assert same(fastkernels.sum(values, threads=threads), expected)


def test_int_subclasses_and_overrides_are_honoured():
    class L(list):
        def __iter__(self):
            return iter([100, 200])

    class T(tuple):
        def __iter__(self):
            return iter([1.5])

    class I(int):
        def __radd__(self, other):
            return "I.__radd__"

    check(L([1, 2, 3]))
    assert fastkernels.sum(L([1, 2, 3])) == 300
    assert fastkernels.sum(T((1, 2))) == 1.5
    check([1, I(2)])          # the int loop hands I to Python's +: its __radd__ runs
    check([0.5, I(2), 0.25])  # the float loop takes any int as an int
    check([True, True, I(1)])


def test_python_addition_that_changes_the_list():
    """An item whose + empties the list: the sum stops where a list iterator would."""
    values = []

    class Emptier:
        def __radd__(self, other):
            values.clear()
            return other + 1

    def fresh():
        values[:] = [1, 2.5, Emptier(), 4, 5]
        return values

    assert same(fastkernels.sum(fresh()), sum(fresh()))


def test_iterators_are_read_one_item_at_a_time():
    def numbers():
        yield 1
        yield 2.5
        raise KeyError("from the generator")

    with pytest.raises(KeyError, match="from the generator"):
        fastkernels.sum(numbers())
    # The generator's own exception, not hidden behind another one (issue 9, item 16).
    with pytest.raises(ValueError, match="invalid literal for int"):
        fastkernels.sum(int(x) for x in ["1", "x"])
    with pytest.raises(TypeError, match="int\\(\\) argument must be"):
        fastkernels.sum(int(x) for x in ["1", None])
    assert fastkernels.sum(range(10**6)) == sum(range(10**6))
    assert fastkernels.sum({1, 2, 3}) == 6
    assert fastkernels.sum({1.5: "a"}) == 1.5


@pytest.mark.parametrize("values", [["a"], [1, 2, None], [1.0, [2]], (1, b"x"), [[1], [2]]])
def test_items_python_cannot_add_raise_what_sum_raises(values):
    check(values)


@pytest.mark.parametrize("start", ["", "a", b"", bytearray()])
def test_string_starts_are_refused_as_sum_refuses_them(start):
    assert outcome(fastkernels.sum, [], start) == outcome(sum, [], start)
    assert outcome(fastkernels.sum, np.arange(3), start) == outcome(sum, np.arange(3).tolist(), start)


def test_non_numeric_starts():
    assert fastkernels.sum([[1], [2]], []) == [1, 2]
    start = []
    assert fastkernels.sum([], start) is start
    assert fastkernels.sum([], True) is True
    check([1, 2], True)
    check([Fraction(1, 3)], Fraction(1, 2))


def test_non_iterable_raises_what_sum_raises():
    assert outcome(fastkernels.sum, 5) == outcome(sum, 5)
    assert outcome(fastkernels.sum, None) == outcome(sum, None)


# ---- buffers -------------------------------------------------------------------------

INT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


def buffer_reference(a, *start):
    """The rule: a buffer sums as builtins.sum(memoryview(values).tolist(), start)."""
    items = a.tolist() if isinstance(a, np.ndarray) else memoryview(a).tolist()
    return sum(items, *start)


@pytest.mark.parametrize("dtype", INT_DTYPES + ["bool", "float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "reversed", "byteswapped"])
@pytest.mark.parametrize("start", [(), (0.5,), (-(2**70),), (True,), (-0.0,)])
def test_buffers_sum_as_their_items(dtype, layout, start):
    rng = np.random.default_rng(len(dtype))
    if dtype == "bool":
        base = rng.random(40_003) < 0.5
    elif dtype.startswith("float"):
        base = (rng.standard_normal(40_003) * 10.0 ** rng.integers(-8, 8, 40_003)).astype(dtype)
    else:
        info = np.iinfo(dtype)
        base = rng.integers(info.min, info.max, size=40_003, dtype=dtype, endpoint=True)
    a = {"contiguous": base, "strided": base[::3], "reversed": base[::-1],
         "byteswapped": base.astype(base.dtype.newbyteorder())}[layout]
    assert same(fastkernels.sum(a, *start), buffer_reference(a, *start))


def test_large_buffers_every_thread_count():
    rng = np.random.default_rng(3)
    f = rng.standard_normal(2_000_003) * 1e6
    i = rng.integers(-(2**63), 2**63 - 1, 2_000_003)
    u = rng.integers(0, 2**64 - 1, 2_000_003, dtype=np.uint64, endpoint=True)
    expected_f, expected_i, expected_u = sum(f.tolist()), sum(i.tolist()), sum(u.tolist(), 0.5)
    for threads in (1, 2, 3, 8, None):
        assert same(fastkernels.sum(f, threads=threads), expected_f)
        assert same(fastkernels.sum(i, threads=threads), expected_i)
        assert same(fastkernels.sum(u, 0.5, threads=threads), expected_u)


@pytest.mark.parametrize("buffer", [
    array.array("q", [1, 2, 3]), array.array("d", [0.5, 0.25]), array.array("d"), array.array("f", [0.1]),
    b"\x01\x02\xff", bytearray(b"\x05"), memoryview(array.array("h", [-1, -2])), np.array([], dtype=np.float64),
    np.array([], dtype=np.int32), np.frombuffer(b"\x02\x00\x03", bool), memoryview(b"\x00\x07").cast("?"),
    np.array([2**64 - 1, 2**63], dtype=np.uint64), np.array([1.0, 1e100, 1.0, -1e100] * 13),
])
def test_other_buffer_exporters(buffer):
    for start in [(), (0.5,), (7,)]:
        assert same(fastkernels.sum(buffer, *start), buffer_reference(buffer, *start))


@pytest.mark.parametrize("values", [
    np.zeros((2, 3)), np.zeros(3, dtype=complex), np.arange(3, dtype=np.float16), np.array([1, "a"], dtype=object),
    np.array([Fraction(1, 3)] * 3, dtype=object), np.array([1, 2], dtype=np.longdouble),
    np.array([1, 2], dtype="timedelta64[s]"), memoryview(b"abcd").cast("c"),
])
def test_buffers_the_kernel_does_not_take_go_through_iteration(values):
    """Other dtypes and shapes: builtins.sum over the object itself (its iteration, numpy's +)."""
    mine, theirs = outcome(fastkernels.sum, values), outcome(sum, values)
    if mine[0] == "value" and isinstance(mine[1], np.ndarray):
        assert theirs[0] == "value" and np.array_equal(mine[1], theirs[1])
    else:
        assert_same_outcome(mine, theirs)


def test_masked_arrays_are_refused():
    masked = np.ma.masked_array([3, 1, 2], mask=[0, 1, 0])
    with pytest.raises(TypeError, match=r"^sum\(\) argument 'values' is a numpy\.ma\..*MaskedArray"):
        fastkernels.sum(masked)
    assert fastkernels.sum(masked.compressed()) == 5


def test_memmap_is_a_plain_buffer(tmp_path):
    path = tmp_path / "data.bin"
    np.arange(1000, dtype=np.int64).tofile(path)
    assert fastkernels.sum(np.memmap(path, dtype=np.int64, mode="r")) == sum(range(1000))


@pytest.mark.parametrize("threads, error", [(0, ValueError), (-3, ValueError), ("2", TypeError), (1.5, TypeError)])
def test_bad_threads(threads, error):
    with pytest.raises(error, match=r"^sum\(\) argument 'threads'"):
        fastkernels.sum([1, 2], threads=threads)


def test_signature():
    import inspect

    assert str(inspect.signature(fastkernels.sum)) == "(values, /, start=0, *, threads=None)"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the plain float rule of 3.9-3.11")
def test_plain_float_rule_before_312():
    assert fastkernels.sum([0.1] * 10) == 0.9999999999999999
    assert fastkernels.sum([1.0, 1e100, 1.0, -1e100] * 13) == 0.0


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the compensated float rule of 3.12+")
def test_compensated_float_rule_from_312():
    assert fastkernels.sum([0.1] * 10) == 1.0
    assert fastkernels.sum([1.0, 1e100, 1.0, -1e100] * 13) == 26.0
    assert fastkernels.sum([1e100, 1, -1e100]) == sum([1e100, 1, -1e100])


@settings(max_examples=30)
@given(st.lists(FLOATS, min_size=1, max_size=3000))
def test_float_arrays_bit_for_bit(values):
    a = np.array(values)
    assert same(fastkernels.sum(a), sum(values))
    assert same(fastkernels.sum(a[::-1]), sum(values[::-1]))


def nan_with_payload(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


@pytest.mark.parametrize("order", range(6))
def test_which_nan_comes_out(order):
    """Found by the fuzzer: a float array holding a NaN and infinities gave the other NaN's bits than
    sum(). When two NaNs meet in an addition, which one comes out is the C compiler's choice when it
    built CPython (3.11's float loop gives the newest, 3.12's the oldest): asked of the interpreter."""
    a, b = nan_with_payload(0x7FF8000000000001), nan_with_payload(0xFFF8000000000002)
    signaling = nan_with_payload(0x7FF0000000000003)
    cases = [[1.5, a, b], [1.5, b, a], [math.inf, -math.inf, a, 1.0], [a, math.inf, -math.inf],
             [-math.inf, math.inf, 0.0], [1.5, signaling], [2**64, a, b], [1, b, 0.5, a, 2]]
    values = cases[order] + cases[(order + 3) % len(cases)]
    for start in [(), (0.5,), (-(2**70),)]:
        check(values, *start)
        if all(isinstance(x, float) for x in values):
            assert same(fastkernels.sum(np.array(values), *start), sum(values, *start))
            assert same(fastkernels.sum(np.array(values)[::-1], *start), sum(values[::-1], *start))


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["int", "float", "big", "bool"]), st.integers(1, 1500)), max_size=8),
       st.sampled_from([(), (0.5,), (-(2**70),), (-0.0,)]), st.integers(0, 2**32))
def test_long_runs_across_chunk_boundaries(runs, start, seed):
    """Runs of each kind longer than the native loops' chunks (128 items), in any order."""
    import random

    rng = random.Random(seed)  # (not st.randoms: thousands of draws exceed hypothesis' data budget)
    values = []
    for kind, length in runs:
        if kind == "int":
            values += [rng.randrange(-(2**63), 2**63) for _ in range(length)]
        elif kind == "float":
            values += [rng.choice([rng.uniform(-1e300, 1e300), rng.uniform(-1, 1), math.nan, math.inf])
                       for _ in range(length)]
        elif kind == "big":
            values += [rng.randrange(2**64, 2**70) for _ in range(min(length, 3))]
        else:
            values += [rng.random() < 0.5 for _ in range(length)]
    check(values, *start)

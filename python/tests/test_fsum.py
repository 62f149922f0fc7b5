"""fastkernels.fsum against math.fsum: the same float (bit for bit) or the same exception."""
import builtins
import math
import random
import struct
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastkernels

np = pytest.importorskip("numpy")

FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 2.2250738585072014e-308, 1e16, 1.0, 1e-16, 0.1, 2.0**1023])
ITEMS = st.one_of(FLOATS, st.integers(-(2**64), 2**64), st.booleans(), st.fractions(max_denominator=30))


def outcome(function, *args, **kwargs):
    try:
        value = function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return ("error", type(error), str(error))
    assert type(value) is float
    return ("value", struct.pack("<d", value))


def check(values, **kwargs):
    expected = outcome(math.fsum, values)
    assert outcome(fastkernels.fsum, values, **kwargs) == expected
    assert outcome(fastkernels.fsum, tuple(values), **kwargs) == expected
    assert outcome(fastkernels.fsum, iter(values), **kwargs) == expected


@given(st.lists(FLOATS, max_size=200))
def test_floats(values):
    check(values)


@given(st.lists(ITEMS, max_size=60))
def test_any_numbers(values):
    check(values)


@settings(max_examples=40)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5000),
       st.sampled_from([None, 1, 2, 3]))
def test_float_arrays_every_layout_and_thread_count(values, threads):
    a = np.array(values)
    for view in (a, a[::-1], a[::2], a.astype(a.dtype.newbyteorder())):
        assert outcome(fastkernels.fsum, view, threads=threads) == outcome(math.fsum, view.tolist())


@settings(max_examples=60)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=300),
       st.lists(st.floats(min_value=-1e-300, max_value=1e-300, allow_nan=False), max_size=40),
       st.integers(0, 2**32 - 1), st.sampled_from([None, 1, 2]), st.sampled_from(["float64", "float32"]))
def test_arrays_that_cancel_to_a_small_exact_sum(big, tiny, seed, threads, dtype):
    """Every value with its negation, shuffled among tiny ones and halves of ties, repeated up to
    40 times (a few values to tens of thousands: every block size of the exact sum's loops):
    the huge parts cancel exactly and the answer is the rounding of what is left, which an
    accumulator that lost a carry or a split bit gets wrong. Bit for bit math.fsum's."""
    rng = random.Random(seed)
    values = big + [-x for x in big] + tiny + [x / 2.0 ** rng.randrange(1, 60) for x in big[:5]]
    values = values * rng.randrange(1, 41)
    rng.shuffle(values)
    with np.errstate(over="ignore"):
        a = np.array(values).astype(dtype)
    assert outcome(fastkernels.fsum, a, threads=threads) == outcome(math.fsum, a.tolist())


@pytest.mark.parametrize("values", [
    [], [-0.0], [-0.0, -0.0], [0.1] * 10, [1e-16, 1.0, 1e16], [1e308, 1e308, -1e308], [1e308, -1e308, 1e308],
    [math.inf, -math.inf], [math.inf, 1.0, math.inf], [math.nan, math.inf, -math.inf], [math.inf, 1e308, 1e308],
    [2.0**1023, 2.0**1023, -(2.0**1023)], [5e-324] * 1000, [1.0, 1e100, 1.0, -1e100] * 13, [2**1030],
    [1, 2**53 + 1, 2**53 + 1], [True, False, 2.5], [Fraction(1, 3)] * 3, [Decimal("0.1")] * 3,
])
def test_edge_cases(values):
    check(values)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                                   "float32", "float64", "bool"])
@pytest.mark.parametrize("size", [0, 1, 1000, 300_001])
def test_buffers_of_every_type(dtype, size):
    rng = np.random.default_rng(size)
    if dtype == "bool":
        a = np.frombuffer(rng.integers(0, 3, size, dtype=np.uint8).tobytes(), dtype=bool)  # bytes 0, 1 and 2
    elif dtype.startswith("float"):
        a = (rng.standard_normal(size) * 10.0 ** rng.integers(-30, 30, size)).astype(dtype)
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size, dtype=dtype, endpoint=True)
    expected = outcome(math.fsum, a.tolist())
    for threads in (1, 2, None):
        assert outcome(fastkernels.fsum, a, threads=threads) == expected


def test_large_arrays_near_overflow_and_with_specials():
    rng = np.random.default_rng(5)
    big = rng.choice([1e308, -1e308, 1.5e308], 1_000_000)
    for values in (big, np.concatenate([rng.standard_normal(500_000), [math.nan], rng.standard_normal(10)]),
                   np.concatenate([[math.inf], rng.standard_normal(400_000), [-math.inf]])):
        assert outcome(fastkernels.fsum, values) == outcome(math.fsum, values.tolist())


def test_items_that_do_not_convert_raise_what_fsum_raises():
    for values in (["a"], [1.0, None], [2**2000], [1e308, 1e308, "late"], [object()]):
        assert outcome(fastkernels.fsum, values) == outcome(math.fsum, values)
    assert outcome(fastkernels.fsum, 5) == outcome(math.fsum, 5)

    def items():
        yield 1.5
        raise KeyError("from the generator")

    with pytest.raises(KeyError, match="from the generator"):
        fastkernels.fsum(items())


def test_other_number_types_convert_through_float():
    class Half:
        def __float__(self):
            return 0.5

    check([Half(), Half(), 1])
    check([np.float32(0.1), np.float16(0.5), np.int64(3)])
    assert outcome(fastkernels.fsum, np.array([1, 2], dtype=np.float16)) == outcome(math.fsum, [1.0, 2.0])


def test_masked_arrays_are_refused():
    with pytest.raises(TypeError, match=r"^fsum\(\) argument 'values' is a numpy\.ma\."):
        fastkernels.fsum(np.ma.masked_array([1.0, 2.0], mask=[0, 1]))


@pytest.mark.parametrize("threads, error", [(0, ValueError), ("2", TypeError)])
def test_bad_threads(threads, error):
    with pytest.raises(error, match=r"^fsum\(\) argument 'threads'"):
        fastkernels.fsum([1.0], threads=threads)


# ---- _fsum_partial: the exact partial behind fastkernels.dask.fsum ------------------------------

@pytest.mark.parametrize("typecode", ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"])
def test_exact_partials_are_the_exact_sums(typecode):
    import array
    import random
    from fractions import Fraction

    rng = random.Random(typecode)
    if typecode in "fd":
        values = [rng.uniform(-1, 1) * 2.0 ** rng.randint(-126, 127) for _ in range(3000)]
    else:
        bits = array.array(typecode).itemsize * 8
        low, high = (0, 2**bits - 1) if typecode.isupper() else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        values = [rng.randint(low, high) for _ in range(3000)] + [low, high]
    buffer = array.array(typecode, values)
    units, specials = fastkernels._native._fsum_partial(buffer)
    assert specials == 0
    assert Fraction(units, 2**1074) == builtins.sum(Fraction(float(v)) for v in buffer.tolist())
    assert units / 2**1074 == math.fsum(buffer)
    for threads in (1, 2, 3):
        assert fastkernels._native._fsum_partial(buffer, threads) == (units, 0)


def test_exact_partials_flag_special_values_and_reject_other_objects():
    import array

    partial = fastkernels._native._fsum_partial
    assert partial(array.array("d", [1.5, math.nan, 2.0])) == (7 << 1073, 1)
    assert partial(array.array("d", [math.inf, -math.inf]))[1] == 6
    assert partial(array.array("d")) == (0, 0)
    assert partial(memoryview(b"\x01\x00\x02").cast("?")) == (2 << 1074, 0)
    assert partial(array.array("d", [-5e-324])) == (-1, 0)
    with pytest.raises(TypeError, match="must be a 1-D numeric buffer, not list"):
        partial([1.0])

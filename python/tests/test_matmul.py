"""fastkernels.matmul against numpy's a @ b (arrays and buffers) and the Python idiom (lists of lists).

Integers are compared bit for bit; floats against the exact product (rational arithmetic) within the
error bound of a blocked product, |C - C_exact| <= 4 k eps (|A| @ |B|) elementwise, or against numpy
within the sum of both bounds.
"""
import array
import os
import re
import subprocess
import sys
import textwrap
import warnings
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastkernels
from fastkernels import matmul
from fastkernels.bench.measure import _PEAK_RSS_CODE

np = pytest.importorskip("numpy")
from hypothesis.extra.numpy import mutually_broadcastable_shapes  # noqa: E402 - needs numpy

# The constant of the documented bound |C - C_exact| <= GEMM_C * k * eps * (|A| @ |B|).
GEMM_C = 4

# Every element type the kernel computes in natively (the pairs of the differential test).
NATIVE_DTYPES = ["float64", "float32", "int64", "int32", "int8", "uint8", "bool", "uint64"]

# Memory layouts of an operand with the same values.
LAYOUTS = ["C", "F", "reversed", "byteswapped", "step2", "unaligned"]


# ---- helpers -------------------------------------------------------------------------


def random_values(rng, dtype, shape, regime="full"):
    """Random values of dtype: floats of mixed magnitudes (no NaN, no overflow); ints "small" (the exact
    float64 path), "medium" (products overflow 32 bits, sums stay far below 2**52) or "full" (any value)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 2.0 ** rng.integers(-6, 7, shape)).astype(dtype)
    info = np.iinfo(dtype)
    if regime == "small":
        low, high = max(info.min, -4), min(info.max, 4)
    elif regime == "medium":
        low, high = max(info.min, -(2**20)), min(info.max, 2**20)
    else:
        low, high = info.min, info.max
    values = rng.integers(low, high, shape, dtype=dtype, endpoint=True)
    if regime == "full" and values.size >= 2:
        values.flat[:2] = [info.min, info.max]
    return values


def in_layout(x, layout):
    """x's values (same dtype and shape) in another memory layout."""
    if layout == "C":
        return np.ascontiguousarray(x)
    if layout == "F":
        return np.asfortranarray(x)
    if layout == "reversed":  # negative strides along every axis
        return np.flip(np.flip(x).copy())
    if layout == "byteswapped":
        swapped = x.astype(x.dtype.newbyteorder("S"))
        assert x.dtype.itemsize == 1 or not swapped.dtype.isnative
        return swapped
    if layout == "step2":  # every other element of a bigger array, from an odd offset
        big = np.zeros(tuple(2 * length + 1 for length in x.shape), x.dtype)
        view = big[tuple(slice(1, None, 2) for _ in x.shape)]
        view[...] = x
        return view
    if layout == "unaligned":  # one byte past an aligned address
        raw = np.zeros(x.nbytes + 1, np.uint8)[1:]
        view = raw.view(x.dtype).reshape(x.shape)
        view[...] = x
        return view
    raise AssertionError(layout)


def magnitude(a, b):
    """|A| @ |B| in float64 (the scale of the error bound)."""
    return np.asarray(np.matmul(np.abs(np.asarray(a, np.float64)), np.abs(np.asarray(b, np.float64))))


def assert_floats_within(got, reference, a, b, eps, factor):
    """NaN where reference has NaN, the same inf where it has inf, and elsewhere
    |got - reference| <= factor * k * eps * (|A| @ |B|)."""
    got, reference = np.asarray(got, np.float64), np.asarray(reference, np.float64)
    assert got.shape == reference.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(reference))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(reference))
    infinite = np.isinf(reference)
    np.testing.assert_array_equal(got[infinite], reference[infinite])
    finite = np.isfinite(reference)
    depth = max(np.shape(a)[-1], 1)
    bound = factor * depth * eps * magnitude(a, b)
    error = np.abs(got - reference)
    bad = finite & ~(error <= bound)
    assert not bad.any(), (f"{bad.sum()} elements beyond the bound; first at {np.argwhere(bad)[0]}: "
                           f"got {got[bad][0]!r}, reference {reference[bad][0]!r}, bound {bound[bad][0]!r}")


def assert_matches_numpy(got, a, b):
    """got is numpy's a @ b: same type, dtype and shape; ints bit for bit, floats within both bounds."""
    expected = np.matmul(a, b)
    assert type(got) is type(expected), (type(got), type(expected))
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if expected.dtype.kind == "f":
        # Each within GEMM_C k eps |A||B| (numpy within about k eps) of the exact product.
        assert_floats_within(got, expected, a, b, np.finfo(expected.dtype).eps, GEMM_C + 1)
    else:
        np.testing.assert_array_equal(got, expected, strict=True)


def exact_product(a, b):
    """a @ b of 2-D float arrays in rational arithmetic, rounded once to float64."""
    left = [[Fraction(x) for x in row] for row in a.astype(np.float64).tolist()]
    columns = list(zip(*[[Fraction(x) for x in row] for row in b.astype(np.float64).tolist()]))
    depth = a.shape[1]
    result = np.zeros((a.shape[0], b.shape[1]))
    for i, row in enumerate(left):
        for j, column in enumerate(columns):
            result[i, j] = float(sum((row[p] * column[p] for p in range(depth)), Fraction(0)))
    return result


def idiom(a, b):
    """The Python idiom matmul of lists of lists replaces."""
    return [[sum(a[i][p] * b[p][j] for p in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def bits(x):
    """The bytes of an array (bitwise comparison, NaNs included)."""
    return np.ascontiguousarray(x).tobytes()


# ---- floats: the error bound ---------------------------------------------------------


@settings(max_examples=80)
@given(st.sampled_from(["float64", "float32"]), st.integers(0, 10), st.integers(0, 10), st.integers(0, 12),
       st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS), st.sampled_from([1, 2, None]), st.integers(0, 2**32))
def test_float_products_are_within_the_gemm_bound_of_the_exact_product(dtype, m, n, k, layout_a, layout_b,
                                                                         threads, seed):
    rng = np.random.default_rng(seed)
    a, b = random_values(rng, dtype, (m, k)), random_values(rng, dtype, (k, n))
    got = matmul(in_layout(a, layout_a), in_layout(b, layout_b), threads=threads)
    assert type(got) is np.ndarray and got.dtype == np.dtype(dtype) and got.shape == (m, n)
    assert_floats_within(got, exact_product(a, b), a, b, np.finfo(dtype).eps, GEMM_C)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (7, 9, 5, 3), (13, 17, 19, 0), (3, 2, 300, 7), (25, 49, 3, 2)])
def test_cancellation_stays_within_the_bound(dtype, shape):
    """Large terms that cancel exactly (a = [X X S], b = [Y; -Y; T]): results far smaller than |A| @ |B|,
    to which the bound is relative."""
    m, n, half, rest = shape
    rng = np.random.default_rng(half + rest)
    x, y = random_values(rng, dtype, (m, half)) * 1000, random_values(rng, dtype, (half, n))
    a = np.hstack([x, x, random_values(rng, dtype, (m, rest))]).astype(dtype)
    b = np.vstack([y, -y, random_values(rng, dtype, (rest, n))]).astype(dtype)
    assert_floats_within(matmul(a, b), exact_product(a, b), a, b, np.finfo(dtype).eps, GEMM_C)
    assert_floats_within(matmul(np.asfortranarray(a), b, threads=2), exact_product(a, b), a, b,
                         np.finfo(dtype).eps, GEMM_C)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(301, 97, 530), (45, 400, 530), (128, 128, 1100)])
def test_large_float_products_against_numpy(dtype, shape):
    m, n, k = shape
    rng = np.random.default_rng(m + n + k)
    a, b = random_values(rng, dtype, (m, k)), random_values(rng, dtype, (k, n))
    assert_matches_numpy(matmul(a, b), a, b)
    assert_matches_numpy(matmul(np.asfortranarray(a), np.asfortranarray(b)), a, b)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("shape", [(301, 97, 530), (67, 131, 4099), (5, 300, 1000)])
def test_left_operands_whose_rows_are_reversed_or_sliced_are_packed_right(dtype, shape):
    """A left operand with its rows in memory but not in order: reversed (a negative row stride) or
    columns sliced from a wider array (a row stride longer than the row), at sizes that take the
    blocked product, m not a multiple of any kernel's rows and k not a multiple of 4 (the packing
    reads four steps of each row at a time, the last few one by one, the last rows padded)."""
    m, n, k = shape
    rng = np.random.default_rng(m * n + k)
    regime = "medium" if dtype.startswith("int") else "full"
    a, b = random_values(rng, dtype, (m, k), regime), random_values(rng, dtype, (k, n), regime)
    wide = np.zeros((m, k + 7), dtype)
    wide[:, 3:3 + k] = a
    for left in (np.ascontiguousarray(a[::-1])[::-1], wide[:, 3:3 + k]):
        assert left.strides[1] == left.itemsize and left.strides[0] != left.itemsize * k
        for threads in (1, 2):
            assert_matches_numpy(matmul(left, b, threads=threads), a, b)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("shape", [(301, 97, 530), (45, 400, 530)])
def test_threads_give_identical_bits(dtype, shape):
    """Rows (or columns) of C are split among threads, never k: every thread count rounds the same way."""
    m, n, k = shape
    rng = np.random.default_rng(k + m)
    a, b = random_values(rng, dtype, (m, k)), random_values(rng, dtype, (k, n))
    one = matmul(a, b, threads=1)
    for threads in (2, 3, None):
        assert bits(matmul(a, b, threads=threads)) == bits(one), threads
    assert bits(matmul(np.asfortranarray(a), b, threads=2)) == bits(matmul(np.asfortranarray(a), b, threads=1))
    assert_matches_numpy(one, a, b)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("k, n", [(200, 1025), (3000, 2049), (7, 4097), (513, 1026), (64, 3)])
def test_vector_times_matrix_gives_identical_bits_for_every_thread_count(dtype, k, n):
    """x @ B adds B's rows into blocks of 8 KiB of y: a block's last few columns (fewer than a
    vector) were computed unfused with threads=1 and in a vector (fused) when the workers'
    split of the columns put them inside a longer block."""
    rng = np.random.default_rng(k * n)
    x, b = random_values(rng, dtype, (k,)), random_values(rng, dtype, (k, n))
    one = matmul(x, b, threads=1)
    for threads in (2, 3, None):
        assert bits(matmul(x, b, threads=threads)) == bits(one), threads
        assert bits(matmul(x[None, :], b, threads=threads)) == bits(one[None, :]), threads
    assert_matches_numpy(one, x, b)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes", [((9, 13), (13, 11)), ((40, 50), (50, 60)), ((13,), (13, 7)), ((7, 13), (13,)),
                                    ((13,), (13,)), ((3, 5, 6), (6, 4))])
def test_nan_and_inf_propagate_as_in_numpy(dtype, shapes):
    rng = np.random.default_rng(len(shapes[0]) * 100 + shapes[0][-1])
    a, b = random_values(rng, dtype, shapes[0]), random_values(rng, dtype, shapes[1])
    for x in (a, b):
        flat = x.reshape(-1)
        positions = rng.permutation(flat.size)
        flat[positions[: max(1, flat.size // 40)]] = np.nan
        flat[positions[-max(1, flat.size // 40):]] = np.inf
        flat[positions[flat.size // 2: flat.size // 2 + max(1, flat.size // 40)]] = -np.inf
        flat[positions[flat.size // 3: flat.size // 3 + flat.size // 20]] = 0.0  # inf * 0 is NaN
    with np.errstate(invalid="ignore"):
        expected = np.matmul(a, b)
        got = matmul(a, b)
        got_f = matmul(np.asfortranarray(a), in_layout(b, "reversed"))
    assert np.isnan(expected).any()
    for result in (got, got_f):
        assert type(result) is type(expected) and result.dtype == expected.dtype
        np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
        np.testing.assert_array_equal(np.isinf(result), np.isinf(expected))
        np.testing.assert_array_equal(np.asarray(result)[np.isinf(expected)], np.asarray(expected)[np.isinf(expected)])


def test_nan_times_zero_and_inf_minus_inf():
    a = np.array([[np.nan, 1.0], [np.inf, 1.0], [np.inf, -np.inf], [np.inf, 0.0], [1.0, 2.0]])
    b = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]])
    with np.errstate(invalid="ignore"):
        expected = a @ b
    for x, y in ((a, b), (a.astype(np.float32), b.astype(np.float32))):
        with np.errstate(invalid="ignore"):
            got = matmul(x, y)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_array_equal(got[np.isinf(expected)], expected[np.isinf(expected)])


# ---- integers: bit-exact, wrapping as numpy wraps ------------------------------------


INT_SHAPES = [(1, 1, 1), (7, 9, 5), (13, 17, 19), (40, 50, 60), (33, 65, 129), (9, 30, 1100)]  # the last: k > KC


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint64", "uint32", "int16", "uint16", "int8", "uint8", "bool"])
@pytest.mark.parametrize("regime", ["small", "medium", "full"])
def test_integer_products_equal_numpy_bit_for_bit(dtype, regime):
    """Small values take the exact float64 path above 32x32x32 (the exactness scan), medium ones too while
    their results wrap in the result type, full-range ones the wrapping integer path."""
    rng = np.random.default_rng(sum(map(ord, dtype + regime)))
    for m, n, k in INT_SHAPES:
        a, b = random_values(rng, dtype, (m, k), regime), random_values(rng, dtype, (k, n), regime)
        assert_matches_numpy(matmul(a, b), a, b)
        assert_matches_numpy(matmul(np.asfortranarray(a), in_layout(b, "reversed")), a, b)
        assert_matches_numpy(matmul(in_layout(a, "byteswapped"), in_layout(b, "step2"), threads=2), a, b)


@pytest.mark.parametrize("pair", [("int32", "int64"), ("uint32", "int32"), ("int8", "uint8"), ("uint16", "int16"),
                                  ("uint8", "int64"), ("bool", "int8"), ("uint64", "uint8"), ("int16", "int32"),
                                  ("uint32", "uint64")])
@pytest.mark.parametrize("regime", ["small", "medium", "full"])
def test_mixed_integer_types_promote_and_wrap_as_numpy(pair, regime):
    rng = np.random.default_rng(sum(map(ord, "".join(pair) + regime)))
    for m, n, k in [(7, 9, 5), (40, 50, 60)]:
        a, b = random_values(rng, pair[0], (m, k), regime), random_values(rng, pair[1], (k, n), regime)
        assert_matches_numpy(matmul(a, b), a, b)
        assert_matches_numpy(matmul(b.T, a.T), b.T, a.T)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint64"])
@pytest.mark.parametrize("value, k, m", [(2**25, 3, 110), (2**25, 4, 100), (2**26 - 1, 1, 200), (2**26, 1, 200),
                                         (2**26 + 1, 2, 200), (2**31 - 1, 9, 70)])
def test_exactness_scan_at_its_boundary(dtype, value, k, m):
    """Magnitudes at and around where k max|A| max|B| reaches 2**52: the float64 path must only be taken
    when every sum is exact there, and results must wrap in the result type either way."""
    rng = np.random.default_rng(value % 1000 + k)
    signs = (lambda shape: rng.choice([-1, 1], shape)) if dtype != "uint64" else (lambda shape: 1)
    a = (value - rng.integers(0, 2, (m, k)) * signs((m, k))).astype(dtype)
    b = (value - rng.integers(0, 3, (k, m)) * signs((k, m))).astype(dtype)
    a.flat[0] = value
    b.flat[0] = value
    assert_matches_numpy(matmul(a, b), a, b)
    assert_matches_numpy(matmul(a, b, threads=1), a, b)


def test_int64_sums_that_leave_53_bits():
    """Sums of exact products beyond 2**53 (no float64 shortcut may round them)."""
    a = np.full((64, 64), 2**27 + 1, np.int64)
    b = np.full((64, 64), 2**27 + 3, np.int64)
    assert_matches_numpy(matmul(a, b), a, b)
    assert matmul(a, b)[0, 0] == 64 * (2**27 + 1) * (2**27 + 3)


# ---- the differential test over shapes, dtypes and layouts ---------------------------


@st.composite
def product_shapes(draw):
    """Shapes of a and b: 2-D, 1-D on either side or both, or stacks whose batch dimensions broadcast."""
    m, n, k = draw(st.integers(0, 20)), draw(st.integers(0, 20)), draw(st.integers(0, 20))
    kind = draw(st.sampled_from(["matrix", "vector @ matrix", "matrix @ vector", "vector @ vector", "stacks"]))
    a_core, b_core = (m, k), (k, n)
    if kind == "vector @ matrix":
        a_core = (k,)
    elif kind == "matrix @ vector":
        b_core = (k,)
    elif kind == "vector @ vector":
        a_core, b_core = (k,), (k,)
    if kind != "stacks":
        return a_core, b_core
    batches = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3))
    a_batch, b_batch = batches.input_shapes
    one_sided = draw(st.sampled_from(["both", "a vector", "b vector"]))
    if one_sided == "a vector":
        return (k,), b_batch + b_core
    if one_sided == "b vector":
        return a_batch + a_core, (k,)
    return a_batch + a_core, b_batch + b_core


@settings(max_examples=150)
@given(product_shapes(), st.sampled_from(NATIVE_DTYPES), st.sampled_from(NATIVE_DTYPES),
       st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS), st.sampled_from(["small", "full"]),
       st.sampled_from([1, 2, None]), st.integers(0, 2**32))
def test_differential_against_numpy(shapes, dtype_a, dtype_b, layout_a, layout_b, regime, threads, seed):
    rng = np.random.default_rng(seed)
    a = random_values(rng, dtype_a, shapes[0], regime)
    b = random_values(rng, dtype_b, shapes[1], regime)
    x, y = in_layout(a, layout_a), in_layout(b, layout_b)
    before = (x.copy(), y.copy())
    got = matmul(x, y, threads=threads)
    assert_matches_numpy(got, a, b)
    np.testing.assert_array_equal(x, before[0], strict=True)  # the operands are untouched
    np.testing.assert_array_equal(y, before[1], strict=True)


@pytest.mark.parametrize("shapes", [((2, 1, 4, 5), (3, 5, 6)), ((1, 3, 4), (2, 1, 4, 2)), ((4, 5), (2, 3, 5, 6)),
                                    ((2, 3, 4, 5), (5,)), ((5,), (2, 3, 5, 6)), ((3, 1, 1, 4), (1, 5, 4, 2)),
                                    ((2, 0, 3), (1, 3, 4)), ((0, 4, 5), (5, 6)), ((2, 4, 0), (2, 0, 6))])
@pytest.mark.parametrize("dtype", ["float64", "int64", "int32", "float32"])
def test_stacks_broadcast_their_batch_dimensions(shapes, dtype):
    rng = np.random.default_rng(len(shapes[0]) + len(shapes[1]))
    a, b = random_values(rng, dtype, shapes[0]), random_values(rng, dtype, shapes[1])
    assert_matches_numpy(matmul(a, b), a, b)
    assert_matches_numpy(matmul(in_layout(a, "F"), in_layout(b, "reversed")), a, b)


def test_broadcast_views_with_zero_strides():
    row = np.arange(1.0, 6.0)
    a = np.broadcast_to(row, (4, 5))
    b = np.broadcast_to(np.arange(3.0)[None, :], (5, 3))
    assert_matches_numpy(matmul(a, b), a, b)
    stack = np.broadcast_to(np.eye(5), (3, 5, 5))
    assert_matches_numpy(matmul(stack, b), stack, b)
    ints = np.broadcast_to(np.int64(2**40 + 3), (40, 50))
    assert_matches_numpy(matmul(ints, ints.T), ints, ints.T)


@pytest.mark.parametrize("dtype", NATIVE_DTYPES)
@pytest.mark.parametrize("shapes", [((0, 3), (3, 4)), ((3, 0), (0, 4)), ((3, 4), (4, 0)), ((0, 0), (0, 0)),
                                    ((0,), (0,)), ((0,), (0, 5)), ((2, 0), (0,)), ((0, 2, 3), (3, 4)),
                                    ((2, 3, 0), (0, 4)), ((5,), (5, 0))])
def test_zero_size_dimensions(dtype, shapes):
    a, b = np.ones(shapes[0], dtype), np.ones(shapes[1], dtype)
    got = matmul(a, b)
    assert_matches_numpy(got, a, b)
    if shapes[0][-1] == 0 and np.size(got):
        assert not np.any(got)  # k = 0: zeros


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("m, k, n", [(5, 7, 3), (1, 1, 1), (0, 3, 2), (3, 0, 2), (100, 300, 1), (4, 1000, 9)])
def test_matrix_and_vector_operands_equal_numpy(dtype, m, k, n):
    """A 2-D and a 1-D numpy operand (the native path's matrix times vector and vector times
    matrix, read in place at any stride): numpy's shape, dtype and, for these small integers
    (exact in every type), values."""
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    matrix_a, matrix_b = rng.integers(-9, 9, (m, k)).astype(dtype), rng.integers(-9, 9, (k, n)).astype(dtype)
    vector = rng.integers(-9, 9, k).astype(dtype)
    for a, b in ((matrix_a, vector), (vector, matrix_b), (matrix_a[::-1], vector[::-1]),
                 (np.asfortranarray(matrix_a), vector), (vector[::-1], matrix_b[:, ::-1])):
        got, expected = matmul(a, b), a @ b
        assert type(got) is type(expected) and got.shape == expected.shape and got.dtype == expected.dtype
        assert np.array_equal(got, expected)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matrix_times_vector_propagates_inf_and_nan_from_every_column(dtype):
    """A row's last partial vector is read as the vector ending at the row's end, its lanes
    already summed set to zero in the row and in x: an inf there must not turn into a NaN
    (0 * inf), nor be counted twice. Every column of every depth up to 3 vectors, special
    values in A and in x."""
    lanes = 64 // np.dtype(dtype).itemsize
    rows = 66  # above the textbook loops from k = 8; rows 64 and 65 are summed one at a time
    for k in range(1, 3 * lanes + 2):
        for column in range(k):
            for special in (np.inf, -np.inf, np.nan):
                a = np.ones((rows, k), dtype)
                a[33, column] = a[65, column] = special
                x = np.ones(k, dtype)
                for left, right in ((a, x), (np.ones((rows, k), dtype), np.where(np.arange(k) == column, special, 1).astype(dtype))):
                    with np.errstate(invalid="ignore"):  # numpy warns of its own NaN
                        expected = left @ right
                    got = matmul(left, right)
                    assert got.dtype == expected.dtype
                    np.testing.assert_array_equal(got, expected, err_msg=f"k={k} column={column} special={special}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_vector_times_matrix_equals_numpy_at_every_width(dtype):
    """A vector times a matrix adds the matrix's rows into blocks of the result (8 KiB), each
    block's last partial vector read as the vector ending at its end: every width up to three
    vectors, blocks and their boundaries, depths not a multiple of the eight rows added at once,
    the matrix read in place at a longer or negative row stride. Within numpy's error bound."""
    rng = np.random.default_rng(17)
    lanes = 64 // np.dtype(dtype).itemsize
    block = 8192 // np.dtype(dtype).itemsize
    widths = list(range(1, 3 * lanes + 2)) + [block - 1, block, block + 1, 2 * block + lanes + 3]
    for n in widths:
        for k in (1, 7, 8, 9, 23):
            if k * n < 512:
                continue  # the textbook loops
            x = rng.standard_normal(k).astype(dtype)
            a = rng.standard_normal((k, n + 3)).astype(dtype)
            for matrix in (a[:, :n], a[::-1, 3:]):
                got = matmul(x, matrix)
                assert_matches_numpy(got, x, matrix)
                assert_matches_numpy(matmul(x[None, :], matrix), x[None, :], matrix)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_vector_times_matrix_propagates_inf_and_nan_from_every_column(dtype):
    """The overlapping last vector of a block must keep the lanes it already summed: an inf or a
    NaN in any column reaches that column of the result only, as in numpy."""
    lanes = 64 // np.dtype(dtype).itemsize
    k = 67
    for n in (lanes + 1, 2 * lanes + 5, 8192 // np.dtype(dtype).itemsize + 3):
        for column in range(n):
            for special in (np.inf, np.nan):
                a = np.ones((k, n), dtype)
                a[k - 1, column] = special
                x = np.ones(k, dtype)
                with np.errstate(invalid="ignore"):
                    expected = x @ a
                np.testing.assert_array_equal(matmul(x, a), expected, err_msg=f"n={n} column={column}")


@pytest.mark.parametrize("left, right", [("l", "q"), ("q", "l"), ("q", "q"), ("l", "l"), ("i", "i")])
def test_one_dtype_spelled_two_ways_keeps_numpys_result_type(left, right):
    """'l' and 'q' are both 64-bit ints on Linux but numpy.int64 and numpy.longlong, and numpy's
    product of the two is a longlong: the result's type and dtype spelling are numpy's."""
    for a_shape, b_shape in (((5,), (5,)), ((3, 5), (5,)), ((5,), (5, 4)), ((3, 5), (5, 4))):
        a, b = np.arange(15)[:5 if len(a_shape) == 1 else 15].reshape(a_shape).astype(left), \
            np.arange(20)[:5 if len(b_shape) == 1 else 20].reshape(b_shape).astype(right)
        got, expected = matmul(a, b), a @ b
        assert type(got) is type(expected), (a_shape, b_shape)
        assert got.dtype.char == expected.dtype.char and np.array_equal(got, expected), (a_shape, b_shape)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "uint8", "bool"])
def test_two_vectors_give_a_numpy_scalar(dtype):
    rng = np.random.default_rng(3)
    for k in (0, 1, 7, 100):
        a, b = random_values(rng, dtype, (k,)), random_values(rng, dtype, (k,))
        got = matmul(a, b)
        assert isinstance(got, np.generic) and not isinstance(got, np.ndarray)
        assert_matches_numpy(got, a, b)


# ---- instruction-set tiers -----------------------------------------------------------

TIER_CHECK = textwrap.dedent("""
    import numpy as np
    import fastkernels

    rng = np.random.default_rng(11)
    shapes = [(1, 1, 1), (7, 9, 5), (13, 17, 19), (25, 49, 3), (17, 97, 33), (9, 25, 64), (50, 70, 300),
              # whole row panels (24 rows) with last column panels that the narrower edge
              # kernels cover exactly (written straight to C) or in part (through a tile)
              (24, 8, 7), (24, 16, 33), (24, 36, 5), (16, 32, 300), (24, 56, 64),
              # read in place (at most 2^21 multiply-adds) and packed (more), long and short k
              (10, 12, 1), (40, 30, 1000), (130, 129, 130), (8, 100, 3000),
              # (m, n, k) with n = 1, a matrix times a vector: dot products of its rows, four at a
              # time, with tails of 1 to 15 elements (21 x 47: above the textbook loops)
              (103, 1, 1000), (21, 1, 47), (1, 1, 4097),
              # (1, n, k), a vector times a matrix: B's rows added eight at a time into blocks of
              # y (8 KiB) whose last partial vector ends at the block's end; 2049 float32 / 1025
              # float64 columns span two blocks
              (1, 2049, 9), (1, 1025, 20), (1, 77, 300), (1, 5, 130), (1, 40, 13)]
    checked = 0
    for m, n, k in shapes:
        for dtype in ("float64", "float32", "int64", "int32"):
            for regime in (("normal",) if dtype.startswith("float") else ("small", "full")):
                if dtype.startswith("float"):
                    a = (rng.standard_normal((m, k)) * 4).astype(dtype)
                    b = (rng.standard_normal((k, n)) * 4).astype(dtype)
                else:
                    info = np.iinfo(dtype)
                    low, high = (-5, 5) if regime == "small" else (info.min, info.max)
                    a = rng.integers(low, high, (m, k), dtype=dtype, endpoint=True)
                    b = rng.integers(low, high, (k, n), dtype=dtype, endpoint=True)
                # C order, Fortran order, reversed rows and column slices (rows read in place
                # with a negative or a longer stride than their length)
                layouts = ((a, b), (np.asfortranarray(a), b[::-1][::-1]), (a, np.asfortranarray(b)),
                           (a[::-1], b[::-1]), (np.pad(a, ((0, 0), (1, 2)))[:, 1:-2], np.pad(b, ((0, 0), (3, 0)))[:, 3:]))
                for x, y in layouts:
                    for threads in (1, 2):
                        got, expected = fastkernels.matmul(x, y, threads=threads), x @ y
                        assert got.dtype == expected.dtype and got.shape == expected.shape, (m, n, k, dtype)
                        if dtype.startswith("float"):
                            eps = np.finfo(dtype).eps
                            bound = 5 * k * eps * (np.abs(x.astype(float)) @ np.abs(y.astype(float)))
                            error = np.abs(got.astype(float) - expected.astype(float))
                            assert (error <= bound).all(), (m, n, k, dtype, error.max())
                        else:
                            assert np.array_equal(got, expected), (m, n, k, dtype, regime)
                        checked += 1
    print("checked", checked)
    """)


@pytest.mark.parametrize("tier", ["baseline", "avx2", "avx512"])
def test_every_instruction_set_tier_matches_numpy(tier):
    """FASTKERNELS_ISA picks the register kernels (a tier the CPU lacks is capped to what it has)."""
    process = subprocess.run([sys.executable, "-c", TIER_CHECK], env={**os.environ, "FASTKERNELS_ISA": tier},
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    assert process.stdout.split() == ["checked", str(24 * (2 + 2 * 2) * 5 * 2)]


# ---- out= ------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["C", "F", "reversed", "step2", "unaligned"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("shapes", [((13, 9), (9, 17)), ((9,), (9, 17)), ((13, 9), (9,)), ((2, 3, 4), (4, 5)),
                                    ((40, 50), (50, 60))])
def test_out_is_filled_and_returned(layout, dtype, shapes):
    rng = np.random.default_rng(5)
    a, b = random_values(rng, dtype, shapes[0], "small"), random_values(rng, dtype, shapes[1], "small")
    expected = np.matmul(a, b)
    out = in_layout(np.zeros(expected.shape, dtype), layout)
    out[...] = 1 if dtype != "bool" else True
    result = matmul(a, b, out=out)
    assert result is out
    assert_matches_numpy(np.ascontiguousarray(result), a, b)


def test_out_for_two_vectors_is_a_zero_dimensional_array():
    a, b = np.arange(5.0), np.arange(5.0, 10.0)
    out = np.empty((), np.float64)
    assert matmul(a, b, out=out) is out
    assert out[()] == a @ b


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (3,), (1, 3, 3), ()])
def test_out_of_the_wrong_shape_is_a_value_error(shape):
    # (numpy itself takes an out of shape (1, 3, 3), broadcasting the operands to it; the issue asks
    # for exactly the result's shape.)
    a, b = np.ones((3, 5)), np.ones((5, 3))
    with pytest.raises(ValueError, match="'out' must have shape"):
        matmul(a, b, out=np.zeros(shape))


@pytest.mark.parametrize("dtype", ["float32", "int64", "int32", "complex128"])
def test_out_of_another_dtype_is_a_type_error(dtype):
    # numpy raises UFuncTypeError (a TypeError) where it cannot cast; fastkernels takes only the product's dtype.
    a, b = np.ones((3, 5)), np.ones((5, 3))
    out = np.zeros((3, 3), dtype)
    with pytest.raises(TypeError, match="'out' must have dtype float64"):
        matmul(a, b, out=out)
    assert not out.any()


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">i8", ">i4", "<f8"])
def test_out_in_either_byte_order(dtype):
    """numpy fills an out of the other byte order; so does fastkernels (computed, then stored swapped),
    also when it overlaps an operand."""
    rng = np.random.default_rng(3)
    native = np.dtype(dtype).newbyteorder("=")
    a = (rng.standard_normal((5, 7)) * 9).astype(native)
    b = (rng.standard_normal((7, 3)) * 9).astype(native)
    out = np.zeros((5, 3), dtype)
    expected = np.matmul(a, b, out=np.zeros((5, 3), dtype))
    assert matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    square = a[:5, :5].astype(dtype)
    product = square.astype(native) @ square.astype(native)
    assert matmul(square, square, out=square) is square
    np.testing.assert_allclose(square, product, rtol=1e-5)


def test_out_buffers_in_this_machines_byte_order_spelled_explicitly():
    import ctypes

    a = memoryview(np.arange(6.0).reshape(2, 3))
    b = memoryview(np.arange(12.0).reshape(3, 4))
    out = ((ctypes.c_double * 4) * 2)()  # format "<d" on little-endian machines
    assert matmul(a, b, out=out) is out
    assert [list(row) for row in out] == (np.arange(6.0).reshape(2, 3) @ np.arange(12.0).reshape(3, 4)).tolist()
    swapped = "<d" if sys.byteorder == "big" else ">d"
    with pytest.raises(TypeError, match="in this machine's byte order"):
        matmul(a, b, out=memoryview(np.zeros((2, 4), swapped)))


def test_read_only_out_is_a_value_error():
    out = np.zeros((3, 3))
    out.setflags(write=False)
    with pytest.raises(ValueError):
        matmul(np.ones((3, 5)), np.ones((5, 3)), out=out)
    assert not out.any()


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32"])
@pytest.mark.parametrize("n", [3, 17, 64])
def test_out_may_be_an_operand(dtype, n):
    rng = np.random.default_rng(n)
    a, b = random_values(rng, dtype, (n, n), "small"), random_values(rng, dtype, (n, n), "small")
    expected = a @ b
    for alias in ("a", "b", "a.T", "b.T", "a[::-1]"):
        x, y = a.copy(), b.copy()
        out = {"a": x, "b": y, "a.T": x.T, "b.T": y.T, "a[::-1]": x[::-1]}[alias]
        assert matmul(x, y, out=out) is out
        assert_matches_numpy(np.ascontiguousarray(out), a, b)
        if expected.dtype.kind != "f":
            np.testing.assert_array_equal(out, expected, err_msg=alias)


def test_out_may_overlap_an_operand_of_a_stack():
    """out overlaps b, a single matrix broadcast against a's stack: numpy reads b before writing any of out."""
    rng = np.random.default_rng(8)
    a = random_values(rng, "float64", (2, 3, 3), "small")
    storage = random_values(rng, "float64", (2, 3, 3), "small")
    b = storage[0]  # out[0] is b itself
    b_before = b.copy()
    expected = np.matmul(a, b_before)
    result = matmul(a, b, out=storage)
    assert result is storage
    assert_floats_within(result, expected, a, b_before, np.finfo(np.float64).eps, GEMM_C + 1)


def test_out_may_overlap_an_operand_of_a_stack_of_ints():
    a = np.arange(8, dtype=np.int64).reshape(2, 2, 2)
    storage = np.arange(10, 18, dtype=np.int64).reshape(2, 2, 2)
    expected = np.matmul(a, storage[0].copy())
    np.testing.assert_array_equal(matmul(a, storage[0], out=storage), expected)
    a = np.arange(8, dtype=np.int64).reshape(2, 2, 2)
    storage = np.arange(10, 18, dtype=np.int64).reshape(2, 2, 2)
    expected = np.matmul(storage[::-1].copy(), np.eye(2, dtype=np.int64) * 3)
    np.testing.assert_array_equal(matmul(storage[::-1], np.eye(2, dtype=np.int64) * 3, out=storage), expected)


def test_out_for_buffers():
    a = memoryview(array.array("d", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).cast("B").cast("d", (2, 3))
    b = memoryview(array.array("d", [1.0, 0.0, 0.0, 1.0, 1.0, 1.0])).cast("B").cast("d", (3, 2))
    storage = array.array("d", [0.0] * 4)
    out = memoryview(storage).cast("B").cast("d", (2, 2))
    assert matmul(a, b, out=out) is out
    assert out.tolist() == [[4.0, 5.0], [10.0, 11.0]]
    with pytest.raises(ValueError):
        matmul(a, b, out=memoryview(array.array("d", [0.0] * 6)).cast("B").cast("d", (2, 3)))
    with pytest.raises(TypeError, match="'out' must have format 'd'"):
        matmul(a, b, out=memoryview(array.array("q", [0] * 4)).cast("B").cast("q", (2, 2)))


# ---- threads= ----------------------------------------------------------------------------


OPERANDS_FOR_THREADS = {
    "float64 2-D": (np.ones((3, 4)), np.ones((4, 2))),
    "mixed dtypes": (np.ones((3, 4), np.int32), np.ones((4, 2))),
    "stacks": (np.ones((2, 3, 4)), np.ones((4, 2))),
    "empty stack": (np.ones((0, 3, 4)), np.ones((4, 2))),
    "vectors": (np.ones(4), np.ones(4)),
    "k = 0": (np.ones((3, 0)), np.ones((0, 2))),
    "float16 (numpy's own)": (np.ones((3, 4), np.float16), np.ones((4, 2), np.float16)),
    "int lists": ([[1, 2], [3, 4]], [[5], [6]]),
    "float lists": ([[1.0, 2.0]], [[5.0], [6.0]]),
    "big int lists": ([[2**70, 2]], [[5], [6]]),
    "list vectors": ([1, 2], [3, 4]),
    "buffers": (memoryview(array.array("d", [1.0, 2.0])), memoryview(array.array("d", [3.0, 4.0]))),
}


@pytest.mark.parametrize("threads, error", [(0, ValueError), (-1, ValueError), ("x", TypeError), (1.5, TypeError)])
@pytest.mark.parametrize("operands", list(OPERANDS_FOR_THREADS), ids=list(OPERANDS_FOR_THREADS))
def test_bad_threads(operands, threads, error):
    a, b = OPERANDS_FOR_THREADS[operands]
    with pytest.raises(error, match="threads"):
        matmul(a, b, threads=threads)


# ---- lists of lists ------------------------------------------------------------------

INT_REGIMES = {
    "small": st.integers(-9, 9),
    "bools and ints": st.one_of(st.booleans(), st.integers(-3, 3)),
    "29 bits": st.integers(-(2**29), 2**29),
    "int64": st.integers(-(2**63), 2**63 - 1),
    "beyond 64 bits": st.integers(-(2**200), 2**200),
    "mixed sizes": st.one_of(st.integers(-5, 5), st.integers(2**63, 2**90), st.integers(-(2**90), -(2**63))),
}


@st.composite
def list_matrices(draw, elements_a, elements_b, max_side=6):
    m, k, n = draw(st.integers(1, max_side)), draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    a = [draw(st.lists(elements_a, min_size=k, max_size=k)) for _ in range(m)]
    b = [draw(st.lists(elements_b, min_size=n, max_size=n)) for _ in range(k)]
    return a, b


@settings(max_examples=120)
@given(st.sampled_from(list(INT_REGIMES)).flatmap(
    lambda regime: list_matrices(INT_REGIMES[regime], INT_REGIMES[regime])), st.sampled_from([1, 2, None]))
def test_int_lists_equal_the_idiom_exactly(ab, threads):
    a, b = ab
    got = matmul(a, b, threads=threads)
    assert type(got) is list and all(type(row) is list for row in got)
    assert repr(got) == repr(idiom(a, b))  # values and types (ints, never floats)


FINITE = st.one_of(st.just(0.0), st.floats(2.0**-40, 2.0**40), st.floats(-(2.0**40), -(2.0**-40)))


@settings(max_examples=80)
@given(list_matrices(st.one_of(st.integers(-(2**80), 2**80), FINITE, st.booleans()),
                     st.one_of(st.integers(-(2**70), 2**70), FINITE)),
       st.one_of(st.integers(-(2**70), 2**70), st.booleans()), FINITE)
def test_mixed_int_and_float_lists_equal_the_idiom_exactly(ab, an_int, a_float):
    a, b = ab
    a[0][0], b[-1][-1] = an_int, a_float  # a holds an int, b a float: never two all-float (or all-int) operands
    assert repr(matmul(a, b)) == repr(idiom(a, b))


@settings(max_examples=80)
@given(list_matrices(FINITE, FINITE, max_side=8), st.sampled_from([1, 2, None]))
def test_float_lists_are_within_the_gemm_bound(ab, threads):
    a, b = ab
    got = matmul(a, b, threads=threads)
    assert type(got) is list and all(type(x) is float for row in got for x in row)
    x, y = np.array(a, np.float64), np.array(b, np.float64)
    assert_floats_within(np.array(got), exact_product(x, y), x, y, np.finfo(np.float64).eps, GEMM_C)


def test_large_lists():
    rng = np.random.default_rng(9)
    ints_a = rng.integers(-1000, 1000, (60, 70)).tolist()
    ints_b = rng.integers(-1000, 1000, (70, 80)).tolist()
    assert matmul(ints_a, ints_b) == idiom(ints_a, ints_b)
    big_b = [row[:] for row in ints_b]
    big_b[5][7] = 2**64 + 1  # one item beyond 64 bits: the exact path
    assert matmul(ints_a, big_b) == idiom(ints_a, big_b)
    near = [[2**62 - 1, -(2**62)], [2**62, 2**62]]  # sums leave 64 bits
    assert matmul(near, near) == idiom(near, near)
    floats_a = rng.standard_normal((60, 70)).tolist()
    floats_b = rng.standard_normal((70, 80)).tolist()
    x, y = np.array(floats_a), np.array(floats_b)
    assert_floats_within(np.array(matmul(floats_a, floats_b)), x @ y, x, y, np.finfo(np.float64).eps, GEMM_C + 1)


def test_list_vectors():
    a, b = [[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1], [2**70, -1]]
    assert matmul([1, 2], a) == [9, 12, 15]
    assert matmul(a, [1, 0, -1]) == [-2, -2]
    assert matmul([1, 2, 3], [4, 5, 6]) == 32 and type(matmul([1, 2, 3], [4, 5, 6])) is int
    assert matmul([2**70, 1], [3, -(2**80)]) == 3 * 2**70 - 2**80
    assert matmul([1.5, 2], [2, 0.25]) == 3.5
    assert matmul([1, 1, 1], b) == [2**70 + 1, 0]
    assert matmul(b, [1, 1]) == [1, 1, 2**70 - 1]
    assert matmul((1, 2), ((3,), (4,))) == [11]
    assert matmul(((1, 2), (3, 4)), ((5, 6), (7, 8))) == [[19, 22], [43, 50]]


@pytest.mark.parametrize("a, b", [([], []), ([[], []], []), ([[1, 2]], [[], []]), ([[1, 2], [3, 4]], [[], []]),
                                  ([1, 2], [[], []]), ([[], [], []], [])])
def test_empty_lists_give_what_numpy_gives(a, b):
    """Zero-length dimensions: k = 0 sums nothing (0), as numpy gives zeros; n = 0 gives empty rows."""
    expected = np.matmul(np.array(a, np.float64), np.array(b, np.float64))
    got = matmul(a, b)
    assert type(got) is (list if expected.ndim else int)
    assert got == expected.tolist()


def test_list_and_numpy_operands_together():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert_matches_numpy(matmul(a, [[1], [2], [3]]), a, np.array([[1], [2], [3]]))
    assert_matches_numpy(matmul([1.5, 2.5], a), np.array([1.5, 2.5]), a)


# ---- other buffers -----------------------------------------------------------------


def numpy_dtype(code):
    """numpy's dtype for a struct code."""
    return np.dtype({"n": "intp", "N": "uintp"}.get(code, code))


def buffer(values, code, shape):
    """A memoryview of format code and shape over an array.array (not numpy)."""
    if 0 in shape:  # the memoryview's own cast cannot make these: numpy's export of an empty array
        return memoryview(np.zeros(shape, numpy_dtype(code)))
    typecode = {"?": "B", "n": "q", "N": "Q"}.get(code, code)
    data = array.array(typecode, [int(v) if typecode not in "fd" else float(v) for v in values])
    return memoryview(data).cast("B").cast(code, shape)


@pytest.mark.parametrize("codes", [("d", "d"), ("f", "f"), ("q", "q"), ("i", "i"), ("l", "l"), ("b", "B"),
                                   ("h", "H"), ("i", "d"), ("f", "h"), ("f", "i"), ("q", "Q"), ("I", "i"),
                                   ("?", "?"), ("?", "d"), ("Q", "Q"), ("n", "N")])
@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((40, 50), (50, 60)),
                                    ((3, 0), (0, 2))])
def test_buffers_give_memoryviews_of_numpys_result(codes, shapes):
    rng = np.random.default_rng(4)
    arrays = []
    for code, shape in zip(codes, shapes):
        arrays.append(random_values(rng, numpy_dtype(code), shape, "full"))
    views = [buffer(x.reshape(-1).tolist(), code, x.shape) for x, code in zip(arrays, codes)]
    got = matmul(*views)
    expected = np.matmul(*arrays)
    assert type(got) is memoryview
    assert numpy_dtype(got.format) == expected.dtype, (got.format, expected.dtype)
    assert tuple(got.shape) == expected.shape
    assert_matches_numpy(np.asarray(got), *arrays)


@pytest.mark.parametrize("codes", [("d", "d"), ("q", "i"), ("?", "?")])
@pytest.mark.parametrize("shapes", [((0, 4), (4, 5)), ((3, 4), (4, 0)), ((0, 0), (0, 0)), ((3, 0), (0, 2)),
                                    ((0,), (0,)), ((0,), (0, 3)), ((2, 0), (0,))])
def test_buffers_with_zero_size_dimensions(codes, shapes):
    """0 in m, n or k: a memoryview of numpy's (empty, or for k = 0 zero) result, as for any other shape."""
    views = [buffer([], code, shape) if 0 in shape else buffer([1] * shape[0] * shape[1], code, shape)
             for code, shape in zip(codes, shapes)]
    expected = np.matmul(*(np.asarray(view) for view in views))
    got = matmul(*views)
    if expected.ndim == 0:
        assert type(got) is type(expected.item()) and got == 0
        return
    assert type(got) is memoryview
    assert numpy_dtype(got.format) == expected.dtype and tuple(got.shape) == expected.shape
    if expected.size == 0 and expected.ndim > 1:
        # memoryview.cast cannot make a shape with zeros: these come from ctypes, whose format
        # spelling ('<d') memoryview.tolist() does not read. Same element, same shape, no bytes.
        assert got.nbytes == 0 and not got.readonly
        if sys.version_info >= (3, 10):  # 3.9's ctypes reports itemsize 0 for empty arrays
            assert got.itemsize == expected.itemsize
        return
    assert got.tolist() == expected.tolist()


@pytest.mark.parametrize("code", ["d", "f", "q", "i", "B", "?"])
def test_two_buffer_vectors_give_a_python_number(code):
    x = buffer([1, 2, 3, 0] if code != "?" else [1, 0, 1, 1], code, (4,))
    y = buffer([4, 5, 6, 1] if code != "?" else [1, 1, 0, 1], code, (4,))
    got = matmul(x, y)
    expected = np.matmul(np.asarray(x), np.asarray(y))
    assert type(got) is type(expected.item()) and got == expected.item()
    assert matmul(array.array("d", [1.5, 2.0]), array.array("d", [2.0, 0.25])) == 3.5


def test_strided_and_reversed_buffers():
    base = np.arange(48, dtype=np.float64).reshape(6, 8)
    a = memoryview(base[::2, ::-2])  # a memoryview with steps and a negative stride (not a numpy array)
    b = memoryview(base.T.copy()[::-2, 1:4])
    got = matmul(a, b)
    assert type(got) is memoryview
    assert_matches_numpy(np.asarray(got), np.asarray(a), np.asarray(b))


# ---- numpy's own product for what the kernel does not compute ------------------------


def delegated_operands():
    rng = np.random.default_rng(6)
    values_a, values_b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # numpy.matrix
        matrix_a, matrix_b = np.matrix(values_a), np.matrix(values_b)
    return {
        "float16": (values_a.astype(np.float16), values_b.astype(np.float16)),
        "float16 with float64": (values_a.astype(np.float16), values_b),
        "complex": (values_a + 1j * values_a[::-1], values_b.astype(np.complex64)),
        "object ints": (np.array([[2**70, 1], [3, 4]], dtype=object), np.array([[1, 2**65], [5, 6]], dtype=object)),
        "longdouble": (values_a.astype(np.longdouble), values_b.astype(np.longdouble)),
        # numpy 2's matmul of masked arrays combines the masks elementwise: square operands.
        "masked": (np.ma.masked_array(values_a[:, :3], mask=values_a[:, :3] > 1), values_a[:, 1:]),
        "matrix": (matrix_a, matrix_b),
        "matrix with array": (values_a, matrix_b),
    }


@pytest.mark.parametrize("name", list(delegated_operands()))
def test_other_dtypes_and_subclasses_are_numpys_own_product(name):
    a, b = delegated_operands()[name]
    expected = np.matmul(a, b)
    got = matmul(a, b)
    assert type(got) is type(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    if isinstance(expected, np.ma.MaskedArray):
        np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(expected))


# ---- errors ------------------------------------------------------------------------


def numpys_size_text(a, b):
    with pytest.raises(ValueError) as numpys:
        np.matmul(a, b)
    return re.search(r"size \d+ is different from \d+", str(numpys.value)).group(0)


@pytest.mark.parametrize("shapes", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 2)),
                                    ((2, 2, 3), (4, 5)), ((0, 3), (2, 0)), ((5, 1), (7, 2))])
def test_mismatched_core_dimensions_name_both_sizes(shapes):
    a, b = np.ones(shapes[0]), np.ones(shapes[1])
    text = numpys_size_text(a, b)
    for x, y in ((a, b), (a.astype(np.int32), b), (a.astype(np.float16), b.astype(np.float16))):
        with pytest.raises(ValueError, match=re.escape(text)):
            matmul(x, y)
    if len(shapes[0]) <= 2 and len(shapes[1]) <= 2:
        with pytest.raises(ValueError, match=re.escape(text)):
            matmul(memoryview(a), memoryview(b))
        if a.size and b.size:
            with pytest.raises(ValueError, match=re.escape(text)):
                matmul(a.tolist(), b.tolist())


@pytest.mark.parametrize("scalar", [np.float64(3), np.array(3.0), 3, 2.5, np.int32(2), np.array(7, np.int64)],
                         ids=["np.float64", "0-d array", "int", "float", "np.int32", "0-d int array"])
@pytest.mark.parametrize("other", [np.ones(3), np.ones((3, 3)), [1.0, 2.0, 3.0], [[1, 2], [3, 4]],
                                   memoryview(array.array("d", [1.0, 2.0])), np.float64(2), 5],
                         ids=["vector", "matrix", "list", "rows", "buffer", "np.float64", "int"])
def test_zero_dimensional_operands_are_a_value_error(scalar, other):
    with pytest.raises(ValueError):
        matmul(scalar, other)
    with pytest.raises(ValueError):
        matmul(other, scalar)


@pytest.mark.parametrize("shapes", [((2, 3, 4), (3, 4, 5)), ((2, 3, 3, 4), (5, 4, 2)), ((4, 2, 2), (3, 2, 2))])
def test_batch_shapes_that_do_not_broadcast(shapes):
    with pytest.raises(ValueError):
        np.matmul(np.ones(shapes[0]), np.ones(shapes[1]))
    with pytest.raises(ValueError):
        matmul(np.ones(shapes[0]), np.ones(shapes[1]))
    with pytest.raises(ValueError):
        matmul(np.ones(shapes[0], np.int64), np.ones(shapes[1], np.int32))


@pytest.mark.parametrize("ragged", [[[1, 2], [3]], [[1.0], [2.0, 3.0]], [[1, 2], 3], [[1, 2], [3, 4], []]])
def test_ragged_rows_are_a_value_error_naming_the_argument(ragged):
    with pytest.raises(ValueError, match="'a'"):
        matmul(ragged, [[1]] * len(ragged[0]))
    with pytest.raises(ValueError, match="'b'"):
        matmul([[1] * len(ragged)], ragged)


@pytest.mark.parametrize("bad", ["ab", "", {"a": 1}, {}, None, {1, 2}],
                         ids=["str", "empty str", "dict", "empty dict", "None", "set"])
@pytest.mark.parametrize("other", [[[1, 2], [3, 4]], [1, 2], np.ones((2, 2)), memoryview(array.array("d", [1.0, 2.0]))],
                         ids=["rows", "list", "numpy", "buffer"])
def test_operands_that_are_not_arrays_are_a_type_error_naming_the_argument(bad, other):
    with pytest.raises(TypeError, match="'a'"):
        matmul(bad, other)
    with pytest.raises(TypeError, match="'b'"):
        matmul(other, bad)


@pytest.mark.parametrize("bad", [[[1, "x"]], [["1"]], [[1], [None]], [[1.0, [2.0]]], [[[1]]], [[[1, 2]], [[3, 4]]],
                                 [1, [2]], [1, "x"], [[1, 2], [3, object()]]],
                         ids=["str item", "str only", "None", "nested list item", "3 levels", "3 levels x2",
                              "vector with a list", "vector with a str", "object"])
def test_non_numbers_in_lists_are_a_type_error_naming_the_argument(bad):
    width = len(bad[0]) if isinstance(bad[0], list) else 1
    with pytest.raises(TypeError, match="'a'"):
        matmul(bad, [[1]] * width if isinstance(bad[0], list) else [1] * len(bad))
    with pytest.raises(TypeError, match="'b'"):
        matmul([[1] * len(bad)], bad)


@pytest.mark.parametrize("bad", [memoryview(np.zeros((2, 2), np.float16)), memoryview(np.zeros((2, 2), np.complex128)),
                                 memoryview(b"ab").cast("c"), memoryview(np.zeros((2, 2), np.longdouble))],
                         ids=["e", "Zd", "c", "g"])
def test_unsupported_buffer_formats_are_a_type_error_naming_the_argument(bad):
    good = memoryview(array.array("d", [1.0, 2.0, 3.0, 4.0])).cast("B").cast("d", (2, 2))
    with pytest.raises(TypeError, match="'a'"):
        matmul(bad, good)
    with pytest.raises(TypeError, match="'b'"):
        matmul(good, bad)


# ---- the GIL and Ctrl-C --------------------------------------------------------------


PEAK_CHILD = _PEAK_RSS_CODE + textwrap.dedent("""
    import numpy as np
    import fastkernels

    m, k, n = map(int, sys.argv[1:4])
    a, b = np.ones((m, k)), np.ones((k, n))
    before = peak_rss()
    c = fastkernels.matmul(a, b)
    assert c.shape == (m, n) and (c == k).all()
    print(peak_rss() - before)
    """)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads VmHWM from /proc")
@pytest.mark.parametrize("shape", [(1, 1 << 21, 1), (1, 1 << 19, 4), (2, 1 << 19, 2), (1, 1 << 20, 2)])
def test_deep_thin_products_take_no_memory_proportional_to_k(shape):
    """Small products (m n k <= 2^21) are read in place, their edge panels packed whole: a deep
    one must still take the blocked path's bounded buffers, not MR x k + k x NR elements.
    ((1, 2^21, 1) takes the matrix-vector path, which packs nothing; the others the in-place one's
    bound: without it they fail.)"""
    process = subprocess.run([sys.executable, "-c", PEAK_CHILD, *map(str, shape)], capture_output=True, text=True,
                             timeout=120)
    assert process.returncode == 0, process.stderr
    assert int(process.stdout) < 16 * 2**20  # bytes; packing k in full would take 32-256 MiB


def test_a_large_product_releases_the_gil(python_steps_beside):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((1200, 1200)), rng.standard_normal((1200, 1200))
    assert python_steps_beside(matmul, a, b, threads=1) > 1000


def test_a_large_integer_product_releases_the_gil(python_steps_beside):
    rng = np.random.default_rng(2)
    a, b = random_values(rng, "int64", (700, 700)), random_values(rng, "int64", (700, 700))
    assert python_steps_beside(matmul, a, b, threads=2) > 1000


def test_ctrl_c_interrupts_a_long_product(interrupt_child):
    script = textwrap.dedent("""
        import sys, numpy as np, fastkernels
        a = np.random.default_rng(0).standard_normal((2000, 2000))
        print("ready", flush=True)
        try:
            for _ in range(200):
                fastkernels.matmul(a, a, threads=1)
        except KeyboardInterrupt:
            sys.exit(42)
        sys.exit(0)
        """)
    code, elapsed = interrupt_child(script, delay=0.5)
    assert code == 42
    assert elapsed < 3


def test_ctrl_c_during_products_on_a_shared_packed_b_leaves_the_workers_usable(interrupt_child):
    """Products of n = 256 on two workers pack one B together and hand out rows in parts;
    Ctrl-C arriving in the middle of any of thousands of them stops the loop, and the
    next product on the same workers gives the bits of one thread (no piece left unpacked,
    no part left claimed, no worker left waiting)."""
    script = textwrap.dedent("""
        import sys, numpy as np, fastkernels
        rng = np.random.default_rng(0)
        a, b = (rng.standard_normal((256, 256)).astype(np.float32) for _ in range(2))
        expected = fastkernels.matmul(a, b, threads=1)
        print("ready", flush=True)
        try:
            for _ in range(1_000_000):
                fastkernels.matmul(a, b, threads=2)
        except KeyboardInterrupt:
            again = [fastkernels.matmul(a, b, threads=2) for _ in range(50)]
            sys.exit(42 if all(np.array_equal(c, expected) for c in again) else 43)
        sys.exit(0)
        """)
    code, elapsed = interrupt_child(script, delay=0.5)
    assert code == 42
    assert elapsed < 3


def test_matmul_is_exported():
    assert fastkernels.matmul is matmul
    assert "matmul" in fastkernels.__all__


def test_signature_is_positional_a_b_and_keyword_out_threads():
    a = np.eye(2)
    for call in (lambda: matmul(a=a, b=a), lambda: matmul(a), lambda: matmul(a, a, a), lambda: matmul(a, a, bogus=1)):
        with pytest.raises(TypeError):
            call()
    np.testing.assert_array_equal(matmul(a, a, out=None, threads=None), a)


def test_memmaps_are_plain_arrays(tmp_path):
    mapped = np.memmap(tmp_path / "m", dtype=np.float64, mode="w+", shape=(5, 4))
    mapped[...] = np.arange(20.0).reshape(5, 4)
    assert_matches_numpy(matmul(mapped, mapped.T), mapped, mapped.T)
    assert_matches_numpy(matmul(mapped[0], mapped.T), mapped[0], mapped.T)


def test_a_buffer_result_too_large_raises_memory_error_naming_it():
    """Buffers in, a memoryview out: its memory (8 TB here) cannot be had."""
    def view(shape):
        return memoryview(bytearray(8 * 10**6)).cast("d", shape)

    with pytest.raises(MemoryError, match=r"^matmul\(\): not enough memory for a 1000000 x 1000000 result"):
        matmul(view((10**6, 1)), view((1, 10**6)))

import array
import math
import random
import re
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastkernels

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


def outcome(function, *args, **kwargs):
    try:
        return ("value", function(*args, **kwargs))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return ("error", type(error), str(error))


@pytest.mark.parametrize("values", [
    ["b", "a", "c"], [(2, 1), (1, 2)], [Fraction(1, 3), 0.25, 1], [Decimal("0.1"), Decimal("-1"), 2],
    [np.float64(2.5), 1, np.int64(-3)], [np.float32(1.5), np.float16(0.5)], [1, "a"], [None], [1.0, [1]],
    [Decimal("NaN"), Decimal(1)], [complex(1, 2)], [2**64, 1.5, -(2**70)], [True, 0.5, False],
])
def test_anything_sorted_takes_gets_sorteds_answer(values):
    """Items the radix sort does not take: sorted() itself, same objects in the same order, or its error."""
    for reverse in (False, True):
        mine, theirs = outcome(fastkernels.sort, values, reverse=reverse), outcome(sorted, values, reverse=reverse)
        if mine[0] == "value" and theirs[0] == "value":
            assert same_objects(mine[1], theirs[1])
        else:
            assert mine == theirs


class _Int(int):
    pass


NAN = float("nan")


@pytest.mark.parametrize("n", [3, 40, 300, 5000])
@pytest.mark.parametrize("intruder", [True, False, 0.5, NAN, -0.0, 2**63, -(2**63) - 1, _Int(7), "x", None])
def test_a_run_of_ints_ended_by_another_item(n, intruder):
    """The int loops read exact ints until the first other item: whatever it is and wherever it
    comes (first, second, middle, last), the answer is sorted()'s: the same objects, or its error."""
    rng = random.Random(n)
    for at in sorted({0, 1, n // 2, n - 1}):
        values = [rng.randrange(-(2**63), 2**63) for _ in range(n)]
        values[at] = intruder
        for reverse in (False, True):
            inplace = list(values)
            if intruder is NAN:  # NaNs last (documented), the rest as sorted() has them
                rest = [x for x in values if x is not NAN]
                expected = sorted(rest, reverse=reverse) + [NAN]
                assert same_objects(fastkernels.sort(values, reverse=reverse), expected)
                fastkernels.sort_inplace(inplace, reverse=reverse)
                assert same_objects(inplace, expected)
                continue
            mine, theirs = outcome(fastkernels.sort, values, reverse=reverse), outcome(sorted, values, reverse=reverse)
            if mine[0] == "value" and theirs[0] == "value":
                assert same_objects(mine[1], theirs[1])
                fastkernels.sort_inplace(inplace, reverse=reverse)  # list.sort's path: the same order
                assert same_objects(inplace, theirs[1])
            else:
                assert mine == theirs
                with pytest.raises(theirs[1], match=re.escape(theirs[2])):
                    fastkernels.sort_inplace(inplace, reverse=reverse)


def test_nans_of_other_number_types_go_last_too():
    nan32 = np.float32("nan")
    result = fastkernels.sort([np.float32(2), nan32, np.float32(1), 0.5])
    assert result[:3] == [0.5, 1, 2] and result[3] is nan32


def test_subclass_iteration_is_honoured():
    class L(list):
        def __iter__(self):
            return iter([9, 8])

    assert fastkernels.sort(L([1, 2, 3])) == sorted(L([1, 2, 3])) == [8, 9]


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


@pytest.mark.parametrize("dtype", ["int64", "int32", "float64", "float32"])
@pytest.mark.parametrize("threads", [2, 3, 5])
def test_large_arrays_split_by_all_workers_equal_the_stable_sort(dtype, threads):
    """From 262,144 elements the parts are split by all workers at once (ParallelSplit.swift): every
    worker count, values that defeat the pivot (few distinct, all equal, the least value most common,
    sorted, reversed), and zeros of both signs in input order, bit for bit against a stable sort."""
    rng = np.random.default_rng(21)
    n = 300_007
    kinds = [random_array(dtype, n, seed=3) if dtype.startswith("int") else (rng.standard_normal(n) * 100).astype(dtype),
             rng.integers(-2, 3, n).astype(dtype),
             np.full(n, 7, dtype),
             np.where(rng.random(n) < 0.9, -5, rng.integers(-5, 100, n)).astype(dtype),
             np.arange(n).astype(dtype), np.arange(n)[::-1].astype(dtype)]
    if dtype.startswith("float"):
        kinds.append(rng.choice(np.array([0.0, -0.0, 1.0, -1.0], dtype), n))
    for a in kinds:
        want = np.sort(a, kind="stable")  # numpy's stable sort keeps -0.0 and 0.0 in input order
        assert fastkernels.sort(a, threads=threads).tobytes() == want.tobytes()


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
    for values in [(3, 1), "ab", 5, {3, 1}]:
        with pytest.raises(TypeError, match=r"^sort_inplace\(\) argument 'values' must be a list or a writable"):
            fastkernels.sort_inplace(values)


@pytest.mark.parametrize("values", [
    np.zeros((2, 2)), np.array([3, 1, 2], dtype=complex), np.array([3, 1, 2], dtype=np.float16),
    np.array([3, 1, 2], dtype=object), np.array([3, 1, 2], dtype=np.longdouble),
    np.array(["2020-01-02", "NaT", "2020-01-01"], dtype="datetime64[D]"), memoryview(b"ba").cast("c"),
])
def test_buffers_the_radix_sort_does_not_take_are_sorted_as_iterables(values):
    """sorted() of their items (NaN-like items last), into a list; or sorted()'s own error."""
    mine, theirs = outcome(fastkernels.sort, values), outcome(lambda v: sorted_nans_last_reference(list(v)), values)
    if mine[0] == "value":
        assert theirs[0] == "value" and type(mine[1]) is list
        assert len(mine[1]) == len(theirs[1]) and all(
            (x is y) or (x == y) or (x != x and y != y) for x, y in zip(mine[1], theirs[1]))
    else:
        assert mine[:2] == theirs[:2]


@pytest.mark.parametrize("items", [
    [(2, 1), (0, 1)], [(5,)], [[[7]]], [[3, 1], [1, 2], [2]], [(1, 2), 3.5, 0],
    [(2, "b"), (2, "a"), (1, "z")],
])
@pytest.mark.parametrize("reverse", [False, True])
def test_object_arrays_of_sequences_are_sorted_in_place_as_their_objects(items, reverse):
    """Each object is written back as it is: asarray() of the sorted items unpacked tuples and
    lists (equal lengths made a 2-D array: ValueError; a one-item array's (5,) became 5)."""
    values = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        values[index] = item
    try:
        expected = sorted_nans_last_reference(list(values))
        if reverse:
            expected = sorted(list(values), reverse=True)
    except TypeError:
        with pytest.raises(TypeError):
            fastkernels.sort_inplace(values, reverse=reverse)
        return
    fastkernels.sort_inplace(values, reverse=reverse)
    assert values.shape == (len(items),) and all(x is y for x, y in zip(values, expected))


def sorted_nans_last_reference(items):
    nans = [x for x in items if x != x]
    return sorted([x for x in items if x == x]) + nans


def test_masked_arrays_are_refused():
    masked = np.ma.masked_array([3, 1, 2], mask=[0, 1, 0])
    for function in (fastkernels.sort, fastkernels.sort_inplace):
        with pytest.raises(TypeError, match=r"argument 'values' is a numpy\.ma\..*MaskedArray"):
            function(masked)
    assert masked.data.tolist() == [3, 1, 2]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reverse", [False, True])
def test_signed_zeros_keep_their_input_order(dtype, reverse):
    """-0.0 == 0.0: a stable sort keeps them in input order, as sorted() does (issue 9, item 8)."""
    for values in ([0.0, -0.0], [-0.0, 0.0], [1.0, -0.0, 0.0, -0.0, -1.0, 0.0] * 3):
        a = np.array(values, dtype=dtype)
        expected = np.array(sorted(values, reverse=reverse), dtype=dtype)
        result = fastkernels.sort(a, reverse=reverse)
        assert np.signbit(result).tolist() == np.signbit(expected).tolist()
        assert fastkernels.sort(array.array("d", values), reverse=reverse).tolist() == sorted(values, reverse=reverse)
        assert [math.copysign(1, x) for x in fastkernels.sort(array.array("d", values), reverse=reverse)] == \
            [math.copysign(1, x) for x in sorted(values, reverse=reverse)]


def test_sort_inplace_of_a_list_with_any_items():
    values = ["b", "c", "a"]
    fastkernels.sort_inplace(values, reverse=True)
    assert values == ["c", "b", "a"]
    mixed = [2, 1.5, Fraction(1, 2), math.nan, 0]
    fastkernels.sort_inplace(mixed)
    assert mixed[:4] == [0, Fraction(1, 2), 1.5, 2] and math.isnan(mixed[4])


class _Key:
    """An item that compares by `value` and may do something to `target` from __lt__."""

    def __init__(self, value, target=None, action=None):
        self.value, self.target, self.action = value, target, action

    def __lt__(self, other):
        if self.action is not None:
            self.action(self.target)
        return self.value < other.value

    def __repr__(self):
        return f"_Key({self.value})"


@pytest.mark.parametrize("action", ["clear", "append", "pop", "raise", "raise late"])
@pytest.mark.parametrize("with_nan", [False, True])
def test_sort_inplace_of_other_items_does_what_list_sort_does_to_the_list(action, with_nan):
    """A comparison that changes the list or raises: the list ends as list.sort leaves it (CPython
    hides the items while it sorts and keeps every one of them; a raise leaves them partly sorted),
    the same exception is raised, and no item is lost. NaNs (documented to go last) are taken out
    first and put back at the end, also when the sort raises."""
    calls = {"n": 0}

    def act(target):
        calls["n"] += 1
        if action == "clear":
            target.clear()
        elif action == "append":
            target.append(_Key(-1))
        elif action == "pop" and target:
            target.pop()
        elif action == "raise" or (action == "raise late" and calls["n"] == 12):
            raise RuntimeError("comparison failed")

    def build(target):
        values = [9, 4, 7, 1, 8, 2, 6, 3, 5, 0, 11, 10]
        return [_Key(v, target, act) for v in values]

    mine, theirs = [], []
    mine += build(mine)
    theirs += build(theirs)
    nan = float("nan")
    if with_nan:
        mine.insert(3, nan)
    outcomes = []
    for target, sort in ((theirs, list.sort), (mine, fastkernels.sort_inplace)):
        calls["n"] = 0
        try:
            sort(target)
            outcomes.append(None)
        except (RuntimeError, ValueError) as error:
            outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]
    expected = [k.value for k in theirs] + (["nan"] if with_nan else [])
    assert [k.value if isinstance(k, _Key) else "nan" for k in mine] == expected
    if with_nan:
        assert mine[-1] is nan


def test_sort_inplace_of_a_list_subclass_sorts_its_own_storage():
    class Odd(list):
        def __iter__(self):
            return iter([100, 50])

        def __setitem__(self, index, value):
            raise RuntimeError("not asked by list.sort")

    for values in ([3, 1, 2], ["c", "a", "b"], [3, 1.5, math.nan, Fraction(1, 2)]):
        target = Odd(values)
        fastkernels.sort_inplace(target)
        expected = fastkernels.sort(list(values))
        assert len(list.copy(target)) == len(values)
        assert all(a is b for a, b in zip(list.copy(target), expected))


class _Sub(list):
    pass


@pytest.mark.parametrize("kind", [list, _Sub])
def test_sort_inplace_keeps_what_another_thread_adds_before_its_sort_begins(kind):
    """The NaNs are taken out with a check and a replacement made together, with the GIL held: an
    item appended just before (here by a profile hook, as another thread could) is kept and sorted,
    never overwritten; the sort starts again from the list as it then is."""
    nan = math.nan
    values = kind([Fraction(3), nan, Fraction(1)])
    intruder = Fraction(2)

    def hook(frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") == "_replace_list" and intruder not in values:
            list.append(values, intruder)

    sys.setprofile(hook)
    try:
        fastkernels.sort_inplace(values)
    finally:
        sys.setprofile(None)
    assert list.copy(values)[:3] == [1, 2, 3] and list.copy(values)[3] is nan and len(values) == 4


@pytest.mark.parametrize("kind", [list, _Sub])
def test_a_keyboard_interrupt_right_after_the_nans_are_taken_out_puts_them_back(kind):
    nan = math.nan
    values = kind([Fraction(3), nan, Fraction(1)])
    originals = list.copy(values)

    def hook(frame, event, arg):
        if event == "c_return" and getattr(arg, "__name__", "") == "_replace_list":
            raise KeyboardInterrupt

    sys.setprofile(hook)
    try:
        with pytest.raises(KeyboardInterrupt):
            fastkernels.sort_inplace(values)
    finally:
        sys.setprofile(None)
    assert sorted(map(id, list.copy(values))) == sorted(map(id, originals))  # every item, the NaN included


def test_only_floats_and_numpy_floats_are_asked_whether_they_are_nan():
    """No user __ne__ (or __eq__) is called to look for NaNs: sorted()'s answer, sorted()'s calls."""

    class Loud(int):
        def __ne__(self, other):
            raise RuntimeError("__ne__ called")

    class Liar(float):
        def __ne__(self, other):
            return True

    assert fastkernels.sort([Loud(2), 1, Fraction(1, 3)]) == sorted([Loud(2), 1, Fraction(1, 3)])
    liars = [Liar(2.0), 1, Liar(3.0), Liar(math.nan)]
    result = fastkernels.sort(liars)
    assert result[:3] == [1, 2.0, 3.0] and result[3] is liars[3]  # a float's own value decides
    values = [Loud(5), Loud(3), Fraction(1, 2)]
    fastkernels.sort_inplace(values)
    assert values == [Fraction(1, 2), 3, 5]

    class Float32(np.float32):  # numpy's own NaN test, for subclasses of numpy's floats too
        def __ne__(self, other):
            raise RuntimeError("__ne__ called")

    nan32 = Float32("nan")
    result = fastkernels.sort([Float32(1), nan32, Float32(0)])
    assert result[:2] == [0, 1] and result[2] is nan32


def test_subclasses_of_bytes_and_array_are_sorted_as_the_idiom_iterates_them():
    class Bytes(bytes):
        def __iter__(self):
            return iter([9, 8])

    class Array(array.array):
        pass

    assert fastkernels.sort(Bytes(b"cba")) == sorted(Bytes(b"cba")) == [8, 9]
    assert fastkernels.sort(Array("d", [2.0, 1.0])) == sorted(Array("d", [2.0, 1.0])) == [1.0, 2.0]
    assert fastkernels.sort(bytearray(b"cba")) == bytearray(b"abc")  # exact types: the same container
    assert fastkernels.sort(b"cba") == b"abc"


@pytest.mark.parametrize("reverse", [2**31, -(2**31) - 1, 2**100])
def test_reverse_outside_a_c_int_is_what_sorted_makes_of_it(reverse):
    """Before Python 3.12 sorted() raises OverflowError for a reverse beyond a C int; from 3.12 it is true."""
    try:
        expected = sorted([1, 2], reverse=reverse)
    except OverflowError:
        expected = None
    assert (expected is None) == (sys.version_info < (3, 12))
    for function, values in ((fastkernels.sort, [1, 2]), (fastkernels.sort, np.arange(3)),
                             (fastkernels.sort_inplace, [1, 2]), (fastkernels.sort, ["a", "b"])):
        if expected is None:
            with pytest.raises(OverflowError, match="too large to convert to C int"):
                function(values, reverse=reverse)
        else:
            result = function(values, reverse=reverse)
            assert list(values if result is None else result)[0] in (2, "b")  # reversed
    assert fastkernels.sort([1, 2], reverse=2**31 - 1) == [2, 1]


def test_sort_inplace_of_other_numpy_dtypes():
    a = np.array([3, np.nan, 1, 2], dtype=np.float16)
    fastkernels.sort_inplace(a)
    assert a[:3].tolist() == [1, 2, 3] and np.isnan(a[3])


@pytest.mark.parametrize("threads, error", [(0, ValueError), ("x", TypeError)])
def test_bad_threads(threads, error):
    """Errors name the function the user called (issue 9, item 16)."""
    for function in (fastkernels.sort, fastkernels.sort_inplace):
        for values in ([2, 1], np.arange(3), ["b", "a"], iter([2, 1])):
            if function is fastkernels.sort_inplace and not isinstance(values, (list, np.ndarray)):
                continue
            with pytest.raises(error, match=rf"^{function.__name__}\(\) argument 'threads'"):
                function(values, threads=threads)


def test_bad_reverse_names_the_function():
    with pytest.raises(TypeError, match=r"^sort\(\) argument 'reverse'"):
        fastkernels.sort(np.array([2, 1]), reverse="x")
    with pytest.raises(TypeError, match=r"^sort_inplace\(\) argument 'reverse'"):
        fastkernels.sort_inplace(np.array([2, 1]), reverse="x")


def test_sort_releases_the_gil(python_steps_beside):
    a = np.random.default_rng(0).integers(0, 2**62, 5_000_000)
    assert python_steps_beside(fastkernels.sort, a, threads=1) > 1000


def test_ctrl_c_interrupts_a_long_sort(interrupt_child):
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


# ---- every instruction-set tier of the array sorts --------------------------------------

TIER_SORT_CHECK = textwrap.dedent("""
    import sys, numpy as np, fastkernels

    def reference(a, reverse):
        # sorted() keeps equal values (the two zeros) in input order; NaNs go last, in input order.
        values = a.tolist()
        order = sorted((i for i in range(len(values)) if values[i] == values[i]),
                       key=lambda i: values[i], reverse=reverse)
        order += [i for i in range(len(values)) if values[i] != values[i]]
        return a[np.array(order, dtype=np.intp)] if order else a.copy()

    rng = np.random.default_rng(12)
    checked = 0
    for dtype in ("int64", "int32", "float64", "float32", "uint64", "int16"):
        info = np.iinfo(dtype) if dtype[0] in "iu" else None
        sizes = list(range(0, 70)) + [100, 255, 256, 257, 1000, 4099, 70_001]
        for n in sizes:
            if info is not None:
                inputs = [rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True),
                          rng.integers(0, 3, n).astype(dtype),
                          np.sort(rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True))[::-1].copy(),
                          # the extremes as scalars of the dtype (numpy >= 2.5 would make Python ints int64)
                          np.where(rng.random(n) < 0.5, np.array(info.min, dtype), np.array(info.max, dtype))]
            else:
                specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, -1e-310, 2.0], dtype)
                payload = np.array([0x7FF8_0000_0000_0123], dtype=np.uint64).view(np.float64).astype(dtype)
                inputs = [(rng.standard_normal(n) * 1e6).astype(dtype),
                          rng.choice(specials, n),
                          np.concatenate([rng.choice(np.array([0.0, -0.0], dtype), n), payload]),
                          np.sort(rng.standard_normal(n)).astype(dtype)]
            # In the sort's order but for one pair at the in-order check's block edge (64), and constant.
            swapped = np.sort(inputs[0])
            if n >= 2:
                k = min(64, n - 2)
                swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
            inputs += [swapped, np.full(n, inputs[0][0] if n else 0, dtype)]
            for a in inputs:
                for reverse in (False, True):
                    want = reference(a, reverse)
                    for threads in (1, 2):
                        got = fastkernels.sort(a, reverse=reverse, threads=threads)
                        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (dtype, n, reverse, threads, a)
                        b = a[::-1].copy()[::-1]  # a copy in the same order, strided
                        fastkernels.sort_inplace(b, reverse=reverse, threads=threads)
                        assert b.tobytes() == want.tobytes(), (dtype, n, reverse, threads, "in place")
                        checked += 1
    print("checked", checked)
    """)


@pytest.mark.parametrize("tier", ["baseline", "avx2", "avx512"])
def test_array_sorts_at_every_tier_equal_the_reference(tier):
    """FASTKERNELS_ISA=baseline takes the radix sort; avx2 (where the CPU has it) the vector quicksort
    for 32- and 64-bit ints and floats: both must give sorted()'s order bit for bit, signed zeros and
    NaN payloads in input order, at every size around the quicksort's vector widths and leaves."""
    process = subprocess.run([sys.executable, "-c", TIER_SORT_CHECK], env={**os.environ, "FASTKERNELS_ISA": tier},
                             capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stdout.split()[0] == "checked" and int(process.stdout.split()[1]) == 6 * 77 * 6 * 2 * 2


LIST_TIER_CHECK = textwrap.dedent("""
    import random, sys
    import fastkernels
    rng = random.Random(5)
    def fresh(values):
        return [v + 0 if isinstance(v, int) else float(repr(v)) for v in values]
    def lists(n):
        yield [rng.random() for _ in range(n)]
        yield [rng.randrange(-2**63, 2**63) for _ in range(n)]
        yield [rng.randrange(1000) for _ in range(n)]
        yield [rng.choice([0.0, -0.0, 1.5, -1.5, float("inf"), -float("inf")]) for _ in range(n)]
        # Keys spread over 64 bits whose top bits mostly agree: the packed keys keep only the
        # top bits, so most items fall into runs that are then sorted by their whole keys.
        yield [-2**63] + [rng.randrange(2**40) for _ in range(n - 1)]
        yield [rng.choice([-2**63, 2**63 - 1]) + rng.randrange(-3, 4) * (1 if rng.random() < 0.5 else 0) for _ in range(n)]
        yield [5e-324 * rng.randrange(4) for _ in range(n - 1)] + [-1e308]
        # Runs of 32 and of 33 keys that differ only below the packed prefix: the longest run
        # ordered among the packed keys in place, and the shortest gathered and merge sorted.
        yield [-2**63] + [(i // 32) << 40 | rng.randrange(2) for i in range(n - 1)]
        yield [-1e308] + [1.0 + (i // 33) * 2.0**-20 + rng.randrange(2) * 2.0**-52 for i in range(n - 1)]
        yield list(range(n, 0, -1))
        # NaNs are not sorted by key: fewer keyed items than the list holds (around the limit,
        # a list longer than it with few enough keys).
        yield [float("nan") if rng.random() < 0.01 else rng.random() for _ in range(n)]
    checked = 0
    for n in [2, 3, 31, 32, 33, 34, 100, 255, 256, 257, 1000, 4095, 4096, 4097, 10000, 65536, 65537,
              196608, 196609]:
        for values in lists(n):
            values = fresh(values + values[: n // 3])
            for reverse in (False, True):
                # NaNs last, in their order (fastkernels.sort's documented rule)
                expected = sorted([v for v in values if v == v], reverse=reverse) + [v for v in values if v != v]
                result = fastkernels.sort(values, reverse=reverse)
                assert len(result) == len(expected) and all(a is b for a, b in zip(result, expected)), (n, reverse)
                inplace = list(values)
                fastkernels.sort_inplace(inplace, reverse=reverse)
                assert all(a is b for a, b in zip(inplace, expected)), (n, reverse)
                checked += 1
    print("checked", checked)
""")


@pytest.mark.parametrize("tier", ["baseline", "avx2", "avx512"])
def test_list_sorts_at_every_tier_equal_sorted_object_for_object(tier):
    """Lists of 33 to 256 items, and of 4,096 to 262,144 whose keys spread widely, are sorted by
    packed keys (key prefix and index in one integer, through the vector quicksort) on the AVX2 and
    AVX-512 tiers, the others by the radix sort: every path must give sorted()'s objects in
    sorted()'s order, around every size limit and for keys whose prefixes collide."""
    process = subprocess.run([sys.executable, "-c", LIST_TIER_CHECK], env={**os.environ, "FASTKERNELS_ISA": tier},
                             capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    assert process.stdout.split() == ["checked", str(19 * 11 * 2)]


@pytest.mark.parametrize("n", [100, 129, 256, 4096, 5000, 70_000])
@pytest.mark.parametrize("offset", [-2, -1, 0, 1])
def test_packed_keys_colliding_at_block_edges_keep_sorted_order(n, offset):
    """The packed sort keeps the top bits of each key, the item's index below them; neighbours
    whose kept bits are equal (keys a few units in the last place apart) are then ordered by
    their whole keys, found 64 neighbouring pairs at a time. A pair of such neighbours at every
    sorted position 64k + offset (the blocks' edges), the larger first in the list, then the
    smaller first: sorted()'s objects in its order, both directions."""
    rng = random.Random(n * 7 + offset)
    values = [-1e308] + [i * 1024.0 + 1.0 for i in range(1, n)]  # in order, far apart
    pairs = [p for p in range(64 + offset, n - 1, 64)]
    for p in pairs:
        values[p + 1] = math.nextafter(values[p], math.inf)
    for larger_first in (True, False):
        shuffled = list(values)
        rng.shuffle(shuffled)
        where = {id(v): i for i, v in enumerate(shuffled)}
        for p in pairs:
            i, j = where[id(values[p])], where[id(values[p + 1])]
            if (j < i) != larger_first:
                shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
        for reverse in (False, True):
            expected = sorted(shuffled, reverse=reverse)
            assert same_objects(fastkernels.sort(shuffled, reverse=reverse), expected), (larger_first, reverse)
            inplace = list(shuffled)
            fastkernels.sort_inplace(inplace, reverse=reverse)
            assert same_objects(inplace, expected), (larger_first, reverse)


@st.composite
def clustered_numbers(draw):
    """Lists whose sort keys collide in the packed sort's kept bits: a few centres far apart
    (so that the keys spread over many bits and the low ones are shifted out), each item a
    centre or a few units in the last place from one, or (for whole centres) the equal int;
    zeros of both signs and infinities among the centres. Sizes around the packed paths'
    limits (33, 256/257, the blocks of 64 pairs of the scan for collisions)."""
    floats = st.one_of(st.floats(allow_nan=False, allow_infinity=True),
                       st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0**53, -(2.0**60), 5e-324, 1e308]))
    centres = draw(st.lists(floats, min_size=1, max_size=6))
    n = draw(st.one_of(st.integers(33, 300), st.sampled_from([64, 65, 128, 129, 256, 257, 1000, 4100])))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    values = []
    for _ in range(n):
        x = rng.choice(centres)
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            x = math.nextafter(x, rng.choice([math.inf, -math.inf]))
        if rng.random() < 0.1 and math.isfinite(x) and x == int(x) and abs(x) < 2**63:
            x = int(x)  # an int equal to the float: equal keys, order by index
        values.append(x)
    return fresh(values)


@given(clustered_numbers(), st.booleans())
def test_lists_whose_packed_keys_collide_equal_sorted_object_for_object(values, reverse):
    """Keys that agree in the bits the packed sort keeps are ordered by their whole keys, equal
    keys (1 and 1.0, -0.0 and 0.0) in input order: sorted()'s objects in sorted()'s order,
    through sort and sort_inplace, both directions."""
    expected = sorted(values, reverse=reverse)
    assert same_objects(fastkernels.sort(values, reverse=reverse), expected)
    inplace = list(values)
    fastkernels.sort_inplace(inplace, reverse=reverse)
    assert same_objects(inplace, expected)


# ---- lists in order already, reversed, or made of a few ascending runs ----------------------------

def runs_of(values, runs, rng):
    """values sorted, then cut into `runs` pieces shuffled among themselves (few descents)."""
    ordered = sorted(values, key=lambda v: (v != v, v))  # (NaN-free inputs in these tests)
    cuts = sorted(rng.sample(range(1, len(ordered)), min(runs - 1, max(len(ordered) - 1, 0)))) if len(ordered) > 1 else []
    pieces = [ordered[a:b] for a, b in zip([0] + cuts, cuts + [len(ordered)])]
    rng.shuffle(pieces)
    return [v for piece in pieces for v in piece]


@pytest.mark.parametrize("n", [2, 3, 16, 17, 100, 256, 257, 300, 5000, 70000])
@pytest.mark.parametrize("kind", ["ints", "floats", "bools", "small ints"])
def test_presorted_reversed_and_few_run_lists_equal_sorted_object_for_object(n, kind):
    """In order already (copied in one pass), strictly descending (reversed), equal keys (in
    order: kept), and a few ascending runs (merged) - with and without reverse, duplicates whose
    identity shows stability, and sort_inplace - give sorted()'s objects in sorted()'s order."""
    import random
    rng = random.Random(n * 31 + len(kind))
    make = {"ints": lambda: rng.randrange(-2**63, 2**63), "floats": lambda: rng.choice([0.0, -0.0, 1.5, rng.uniform(-1e6, 1e6)]),
            "bools": lambda: rng.random() < 0.5, "small ints": lambda: rng.randrange(5)}[kind]
    values = fresh([make() for _ in range(n)]) if kind != "bools" else [make() for _ in range(n)]
    cases = [sorted(values), sorted(values, reverse=True), sorted(set(values)), sorted(set(values), reverse=True),
             [values[0]] * n, runs_of(values, 2, rng), runs_of(values, 5, rng), runs_of(values, 33, rng),
             runs_of(values, 34, rng), sorted(values) + [values[0]], [values[-1]] + sorted(values)]
    for case in cases:
        for reverse in (False, True):
            expected = sorted(case, reverse=reverse)
            assert same_objects(fastkernels.sort(case, reverse=reverse), expected), (kind, n, reverse)
            assert same_objects(fastkernels.sort(tuple(case), reverse=reverse), expected), (kind, n, reverse)
            inplace = list(case)
            fastkernels.sort_inplace(inplace, reverse=reverse)
            assert same_objects(inplace, expected), (kind, n, reverse)


@given(st.lists(st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=False)), min_size=2),
       st.integers(min_value=0, max_value=3), st.booleans())
def test_nearly_sorted_lists_of_any_numbers_equal_sorted(values, moves, reverse):
    """A sorted list with a few items moved (the merge of runs), or in order but for ints and
    floats mixed, NaNs or big ints (the paths that decline): sorted()'s answer (NaNs last)."""
    values = fresh(sorted(values))
    for k in range(moves):
        values.append(values.pop((k * 7919) % len(values)))
    assert same_objects(fastkernels.sort(values, reverse=reverse), sorted(values, reverse=reverse))
    big = values + [2**70]
    assert same_objects(fastkernels.sort(big, reverse=reverse), sorted(big, reverse=reverse))
    with_nan = values + [math.nan]
    result = fastkernels.sort(with_nan, reverse=reverse)
    assert same_objects(result[:-1], sorted(values, reverse=reverse)) and result[-1] is with_nan[-1]


@pytest.mark.parametrize("n", [257, 300, 1000, 4099, 70_000])
def test_lists_of_a_few_sorted_runs_sorted_in_place_equal_list_sort(n):
    """sort_inplace of a list of more than 256 numbers in a few sorted runs (a sorted list with
    items appended, moved or swapped: merged in place with the GIL held) gives list.sort()'s
    objects in its order (identity shows stability: equal values, -0.0 and 0.0, in input
    order), NaNs last in input order; lists that only start in order, or whose items decline
    (int and float mixed, a big int), take the other paths and give the same."""
    rng = random.Random(n)
    ints = sorted(rng.randrange(-2**63, 2**63) for _ in range(n))
    small = sorted(rng.randrange(-3, 4) for _ in range(n))  # long runs of equal values
    floats = sorted(rng.choice([rng.uniform(-1e6, 1e6), 0.0, -0.0, 1.5]) for _ in range(n))
    bools = sorted(rng.random() < 0.5 for _ in range(n))

    def moved(values, k):
        values = list(values)
        for _ in range(k):
            values.insert(rng.randrange(len(values)), values.pop(rng.randrange(len(values))))
        return values

    cases = []
    for base in (ints, small, floats, bools):
        cases += [base + [base[0]], base + [base[-1], base[0]], moved(base, 3), moved(base, 20),
                  base[n // 3:] + base[:n // 3], base[:min(280, n)] + rng.sample(base, n - min(280, n))]
    cases += [floats[:-5] + [math.nan] + floats[-5:], [math.nan] + moved(floats, 2),
              moved(floats, 2)[:n // 2] + [math.nan, math.nan] + floats[n // 2:],
              moved(ints, 2) + [1.5], moved(ints, 2) + [2**70]]
    for case in cases:
        for reverse in (False, True):
            values = fresh(case)
            numbers = [v for v in values if v == v]
            want = sorted(numbers, reverse=reverse) + [v for v in values if v != v]
            got = list(values)
            assert fastkernels.sort_inplace(got, reverse=reverse) is None
            assert same_objects(got, want), (n, reverse, case[:5])
            assert same_objects(fastkernels.sort(values, reverse=reverse), want)
            assert same_objects(fastkernels.sort(tuple(values), reverse=reverse), want)


@pytest.mark.parametrize("dtype", ["int64", "float64", "int32", "float32", "int8", "uint8", "int16", "bool"])
@pytest.mark.parametrize("n", [2, 3, 64, 65, 66, 129, 1000, 100_000])
def test_arrays_in_order_already_are_left_as_they_are_and_others_sorted(dtype, n):
    """Arrays in the sort's order already (sorted, reversed for reverse=True, constant, signed
    zeros in any order) are returned unchanged; one pair out of order anywhere (first, last, at
    a block's edge), or a NaN, and they are sorted: np.sort's answer (stable; NaNs last in order)."""
    rng = np.random.default_rng(n)
    values = rng.integers(0, 2, n) if dtype == "bool" else rng.uniform(-100, 100, n)
    base = np.sort(values.astype(dtype), kind="stable")
    cases = [base, base[::-1].copy(), np.full(n, base[0]), np.zeros(n, dtype)]
    if dtype.startswith("float"):
        zeros = np.where(rng.random(n) < 0.5, -0.0, 0.0).astype(dtype)
        cases += [zeros, np.append(base[:-1], np.nan).astype(dtype), np.insert(base[1:], 0, np.nan).astype(dtype)]
    for k in sorted({0, 1, n // 2, 63, 64, n - 2} & set(range(n - 1))):
        swapped = base.copy()
        swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
        cases.append(swapped)
    for case in cases:
        for reverse in (False, True):
            result = fastkernels.sort(case, reverse=reverse)
            reference = sorted(case.tolist(), key=lambda v: (v != v, v), reverse=False)
            if reverse:
                finite = [v for v in case.tolist() if v == v]
                reference = sorted(finite, reverse=True) + [v for v in case.tolist() if v != v]
            assert result.dtype == case.dtype
            assert [x if x == x else "nan" for x in result.tolist()] == [x if x == x else "nan" for x in reference]
            if dtype.startswith("float"):
                signs = np.signbit(result[result == 0]).tolist()
                order = [v for v in case.tolist() if v == 0]
                want = [math.copysign(1, v) < 0 for v in order]
                assert signs == want, (dtype, n, reverse)
            inplace = case.copy()
            fastkernels.sort_inplace(inplace, reverse=reverse)
            assert np.array_equal(inplace, result, equal_nan=True)

"""Every kernel at the sizes where its strategy changes (issue 15: fast at every size).

Small inputs take paths of their own: lists of at most 256 items are sorted with the GIL held
and their keys on the stack (insertion sort up to 32 items, one radix pass per digit above),
lists below 65,536 items skip the parallel top level, sequences of at most 60 items are fsum'd
by math.fsum's own algorithm, texts up to 64 KiB are counted by a table kept from one call to
the next. These tests run each kernel just below, at and just above each of those sizes, and
at the empty and one-item ends, against the idiom itself.
"""
import math
import random
import struct
import sys
import threading
from collections import Counter

import pytest

import fastkernels
from fastkernels import _native
from fastkernels._pure import sorted_nans_last

np = pytest.importorskip("numpy")

SORT_SIZES = [0, 1, 2, 3, 5, 10, 31, 32, 33, 100, 255, 256, 257, 1000, 65535, 65536, 65537]
FSUM_SIZES = [0, 1, 2, 3, 10, 59, 60, 61, 62, 200]


def same_objects(a, b):
    return type(a) is type(b) and len(a) == len(b) and all(x is y for x, y in zip(a, b))


def int_values(n, rng, wide):
    if wide:  # the whole 64-bit range: every digit of the key differs
        return [rng.randrange(-(2**63), 2**63) for _ in range(n)]
    return [rng.randrange(-3, 4) * 10**12 + rng.randrange(3) for _ in range(n)]  # many equal keys


def float_values(n, rng):
    special = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 1e308]
    return [rng.choice(special) if rng.random() < 0.2 else rng.uniform(-1e6, 1e6) for _ in range(n)]


@pytest.mark.parametrize("n", SORT_SIZES)
@pytest.mark.parametrize("kind", ["wide ints", "narrow ints", "floats", "bools and ints"])
@pytest.mark.parametrize("reverse", [False, True])
def test_sort_of_lists_and_tuples_at_every_boundary(n, kind, reverse):
    rng = random.Random(n * 7 + len(kind))
    if kind == "floats":
        values = float_values(n, rng)
    elif kind == "bools and ints":
        values = [rng.choice([True, False, 0, 1, 2, -1]) for _ in range(n)]
    else:
        values = int_values(n, rng, kind == "wide ints")
    values = [v + 0 if type(v) is int else v for v in values]  # fresh objects where Python allows
    expected = sorted_nans_last(values, reverse=reverse)
    assert same_objects(fastkernels.sort(values, reverse=reverse), expected)
    assert same_objects(fastkernels.sort(tuple(values), reverse=reverse, threads=1), expected)
    in_place = list(values)
    assert fastkernels.sort_inplace(in_place, reverse=reverse) is None
    assert same_objects(in_place, expected)


@pytest.mark.parametrize("n", [0, 1, 2, 33, 256, 257])
def test_small_lists_the_native_sort_declines(n):
    rng = random.Random(n)
    mixed = [rng.choice([1, 2.5, -3, 0.0, 2**70, True]) for _ in range(n)]  # int/float mixes, big ints
    assert same_objects(fastkernels.sort(mixed), sorted(mixed))
    strings = [str(rng.random()) for _ in range(n)]
    assert same_objects(fastkernels.sort(strings, reverse=True), sorted(strings, reverse=True))
    in_place = list(strings)
    fastkernels.sort_inplace(in_place)
    assert same_objects(in_place, sorted(strings))


def test_one_item_lists_are_never_compared():
    class Incomparable:
        def __lt__(self, other):
            raise AssertionError("compared")

        __gt__ = __le__ = __ge__ = __eq__ = __ne__ = __lt__
        __hash__ = object.__hash__

    item = Incomparable()
    items = [item]
    fastkernels.sort_inplace(items)
    assert items[0] is item
    assert sorted([item])[0] is item


@pytest.mark.parametrize("n", SORT_SIZES)
@pytest.mark.parametrize("dtype", ["int64", "float64", "int32", "float32", "uint8", "int16"])
def test_sort_of_numpy_arrays_at_every_boundary(n, dtype):
    rng = np.random.default_rng(n)
    if dtype.startswith("float"):
        a = rng.standard_normal(n).astype(dtype)
        if n:
            a[rng.integers(0, n, size=max(1, n // 10))] = np.nan
            a[rng.integers(0, n, size=max(1, n // 10))] = -0.0
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=n, endpoint=True, dtype=dtype)
    for reverse in (False, True):
        result = fastkernels.sort(a, reverse=reverse)
        assert type(result) is np.ndarray and result.dtype == a.dtype and result.shape == a.shape
        expected = sorted_nans_last(a.tolist(), reverse=reverse)
        got = result.tolist()
        assert all(x == y or (x != x and y != y) for x, y in zip(got, expected)) and len(got) == len(expected)
        if dtype.startswith("float"):
            assert np.signbit(result).tolist() == [math.copysign(1, x) < 0 for x in expected]
    assert a.flags.writeable and not np.shares_memory(result, a)


@pytest.mark.parametrize("n", [0, 1, 2, 10, 100, 1000])
def test_sum_of_lists_and_tuples_at_small_sizes(n):
    rng = random.Random(n)
    ints = [rng.randrange(-(2**63), 2**63) for _ in range(n)]
    floats = [rng.uniform(-1, 1) for _ in range(n)]
    for values in (ints, floats, ints + floats):
        for container in (list, tuple):
            expected = sum(container(values))
            got = fastkernels.sum(container(values))
            assert type(got) is type(expected) and repr(got) == repr(expected)


def test_sum_of_nothing_is_start_itself():
    start = [1.5]  # sum([], start) returns start, whatever it is
    assert fastkernels.sum([], start) is start
    assert fastkernels.sum((), 2**100) == 2**100
    assert type(fastkernels.sum([])) is int and fastkernels.sum([]) == 0
    with pytest.raises(TypeError, match=r"sum\(\) can't sum strings"):
        fastkernels.sum([], "")


def fsum_outcome(function, values):
    try:
        result = function(values)
    except (OverflowError, ValueError) as error:
        return type(error).__name__, str(error)
    return struct.pack("<d", result)


@pytest.mark.parametrize("n", FSUM_SIZES)
def test_fsum_of_short_sequences_equals_math_fsum(n):
    rng = random.Random(n)
    pools = [
        [1e16, 1.0, -1e16, 1e-16, 3.0, -2.0**-60],  # cancellation: every partial matters
        [0.1, 0.2, 0.3, 1e100, -1e100, 7, -(2**62)],
        [1e308, 1e308, -1e308],  # intermediate overflow (math.fsum raises)
        [math.inf, 1.0, -math.inf, math.nan],
        [5e-324, -5e-324, 2.0**-1074, 1.5],
    ]
    for pool in pools:
        for _ in range(20):
            values = [rng.choice(pool) for _ in range(n)]
            assert fsum_outcome(fastkernels.fsum, values) == fsum_outcome(math.fsum, values), values
            assert fsum_outcome(fastkernels.fsum, tuple(values)) == fsum_outcome(math.fsum, values)


def prose():
    """Real English text shipped with Python (the standard library's own docstrings and license)."""
    import this  # noqa: F401 - prints the Zen once; its text is rot13 in the module
    import codecs

    zen = codecs.decode(sys.modules["this"].s, "rot13")
    parts = [zen, math.__doc__ or "", random.__doc__ or "", Counter.__doc__ or "", threading.__doc__ or ""]
    return "\n".join(parts) + " Ünïcödé ΣΑΣ σας İstanbul ﬁnance straße STRASSE supercalifragilisticexpialidocious"


@pytest.mark.parametrize("n", [0, 1, 2, 5, 19, 100, 1000, 4096, 65536, 65537, 200_000])
def test_word_count_at_every_size_equals_the_idiom(n, capsys):
    text = prose()
    capsys.readouterr()
    text = (text * (n // len(text) + 1))[:n]
    expected = Counter(text.lower().split())
    for value, idiom in ((text, expected), (text.encode(), expected)):
        got = fastkernels.word_count(value)
        assert type(got) is Counter
        assert list(got.items()) == list(idiom.items())
        assert fastkernels.word_count(value, threads=1) == idiom


def test_word_count_reuses_its_table_without_leaking_words_between_calls(capsys):
    """Short texts share one kept table: each count must see only its own words, whatever the
    previous text held (long words in the arena, many distinct words, invalid UTF-8, errors)."""
    text = prose()
    capsys.readouterr()
    rng = random.Random(3)
    words = text.split() + ["x" * 40, "y" * 17, "日本語" * 6]
    for round_number in range(300):
        sample = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 60)))
        assert list(fastkernels.word_count(sample).items()) == list(Counter(sample.lower().split()).items())
        if round_number % 50 == 0:  # something else in between: a large text, an error, a subclass
            big = " ".join(f"w{i}" for i in range(30_000))
            assert len(fastkernels.word_count(big)) == 30_000
            with pytest.raises(UnicodeDecodeError):
                fastkernels.word_count(b"ok \xff")
    assert fastkernels.word_count("") == Counter() and type(fastkernels.word_count("")) is Counter


def test_word_count_reuses_its_scratch_for_texts_up_to_one_mebibyte():
    """Texts from about 150 KB to 1 MiB keep their scratch (sized for a text of distinct
    one-letter words, mostly untouched) from call to call: a count must see only its own text,
    whatever a larger or smaller one left there, in one pass and in two halves."""
    limit = fastkernels._native._parallel_thresholds()["word_count_short"]
    rng = random.Random(11)
    texts = [
        # many distinct words, just under 1 MiB of UTF-8
        " ".join(f"Wörd{i}" for i in range(120_000)).encode()[: limit - 1].decode("utf-8", "ignore"),
        " ".join(rng.choice(["alpha", "Beta", "gamma", "ÉTÉ", "x" * 30]) for _ in range(40_000)),
        "q " * 120_000,  # one-letter words only
        " ".join(f"k{i % 5000}" for i in range(60_000)) + " TAIL",  # no trailing space
        "tiny text Tiny",
    ]
    assert max(len(text.encode()) for text in texts) == limit - 1
    for text in texts + texts[::-1] + texts:
        idiom = Counter(text.lower().split())
        for threads in (None, 1):
            got = fastkernels.word_count(text, threads=threads)
            assert list(got.items()) == list(idiom.items())
        assert list(fastkernels.word_count(text.encode()).items()) == list(idiom.items())


def test_counters_from_word_count_behave_as_counters():
    counts = fastkernels.word_count("b a b")
    assert counts.most_common(1) == [("b", 2)] and counts["missing"] == 0
    counts.update(["a"])
    assert counts == Counter({"b": 2, "a": 2})
    import pickle

    assert pickle.loads(pickle.dumps(counts)) == counts
    assert vars(counts) == {}


def test_short_texts_counted_from_many_threads_at_once():
    text = prose()
    words = text.split()
    failures = []

    def worker(seed):
        rng = random.Random(seed)
        for _ in range(200):
            sample = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 40)))
            if list(fastkernels.word_count(sample).items()) != list(Counter(sample.lower().split()).items()):
                failures.append(sample)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_texts_counted_in_halves_from_many_threads_at_once():
    """Texts from the two-halves size up (some above 64 KiB: the GIL released), counted by
    several Python threads at once, each count's halves on the shared worker pool."""
    halves = _native._parallel_thresholds()["word_count_short_halves"]
    words = prose().split() + ["\xc9T\xc9", "Straße", "ΣΑΣ"]
    failures = []

    def worker(seed):
        rng = random.Random(seed)
        for _ in range(8):
            parts, size = [], 0
            target = rng.randrange(halves, 5 * halves)
            while size < target:
                parts.append(rng.choice(words))
                size += len(parts[-1]) + 1
            sample = " ".join(parts)
            data = sample.encode() if seed % 2 else sample
            if list(fastkernels.word_count(data).items()) != list(Counter(sample.lower().split()).items()):
                failures.append(len(sample))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_parallel_thresholds_are_reported():
    thresholds = _native._parallel_thresholds()
    assert set(thresholds) == {"sort", "sort_array_avx2", "sum_list", "sum_int_array", "fsum_array", "word_count",
                               "matmul", "matmul_shared_float64", "matmul_shared_float32", "word_count_short",
                               "word_count_short_halves"}
    assert all(type(value) is int and value > 1 for value in thresholds.values())


def large_texts():
    """Texts above the parallel threshold (1 MiB): a small vocabulary, a large one (every
    word new, as in generated text or word lists), and real prose repeated."""
    rng = random.Random(5)
    words = ["alpha", "beta", "Gamma", "delta", "ÉPSILON", "straße", "σας"]
    small = " ".join(rng.choice(words) for _ in range(400_000))
    large = " ".join(f"w{rng.randrange(10**9)}x" for _ in range(250_000))
    return {"small vocabulary": small, "large vocabulary": large}


@pytest.mark.parametrize("kind", ["small vocabulary", "large vocabulary"])
def test_large_texts_count_alike_on_any_number_of_threads(kind):
    text = large_texts()[kind]
    expected = list(Counter(text.lower().split()).items())
    for threads in (None, 1, 2, 3):
        assert list(fastkernels.word_count(text, threads=threads).items()) == expected
        assert list(fastkernels.word_count(text.encode(), threads=threads).items()) == expected


@pytest.mark.parametrize("where", [0.01, 0.04, 0.5, 0.99])
def test_invalid_utf8_anywhere_in_a_large_text_is_reported_where_python_reports_it(where, tmp_path):
    """The first 1/16 of a large text is counted before the workers start (its vocabulary
    decides whether they pay): an invalid byte there, or after it, is the idiom's error."""
    data = bytearray(large_texts()["small vocabulary"].encode())
    position = int(len(data) * where)
    while data[position] & 0xC0 == 0x80:  # not inside a sequence: the error is the inserted byte's
        position += 1
    data[position:position] = b"\xff"
    data = bytes(data)
    with pytest.raises(UnicodeDecodeError) as expected:
        data.decode("utf-8")
    for threads in (None, 1, 2):
        with pytest.raises(UnicodeDecodeError) as got:
            fastkernels.word_count(data, threads=threads)
        assert (got.value.start, got.value.end, got.value.reason) == \
            (expected.value.start, expected.value.end, expected.value.reason)
    path = tmp_path / "text.txt"
    path.write_bytes(data)
    for threads in (None, 2):
        with pytest.raises(UnicodeDecodeError) as got:
            fastkernels.word_count_file(path, threads=threads)
        assert (got.value.start, got.value.end) == (expected.value.start, expected.value.end)


@pytest.mark.parametrize("kind", ["small vocabulary", "large vocabulary"])
def test_large_files_count_alike_on_any_number_of_threads(kind, tmp_path):
    text = large_texts()[kind]
    path = tmp_path / "text.txt"
    path.write_text(text, encoding="utf-8")
    expected = list(Counter(text.lower().split()).items())
    for threads in (None, 1, 2):
        assert list(fastkernels.word_count_file(path, threads=threads).items()) == expected
    import os

    descriptor = os.open(path, os.O_RDONLY)  # read from its current position, and closed, as open(fd) does
    identity = os.fstat(descriptor)
    os.lseek(descriptor, 1000, os.SEEK_SET)
    tail = text.encode()[1000:].decode("utf-8")
    assert list(fastkernels.word_count_file(descriptor, threads=2).items()) == \
        list(Counter(tail.lower().split()).items())
    try:
        now = os.fstat(descriptor)
    except OSError:
        pass  # closed
    else:  # closed, and the number taken since by another thread's file (a background thread's socket)
        assert (now.st_dev, now.st_ino) != (identity.st_dev, identity.st_ino)

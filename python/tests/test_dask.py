"""fastkernels.dask (issue 14): word counts of many files and exact sums of dask arrays,
against the idioms, on dask's default scheduler and on a LocalCluster of 2 worker processes."""
import glob
import logging
import math
import os
import pickle
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
np = pytest.importorskip("numpy")
import dask.array as da  # noqa: E402

import fastkernels  # noqa: E402
from fastkernels import dask as fkd  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    # Not the default client: the other tests run on dask's default scheduler.
    with distributed.Client(cluster, set_as_default=False) as client:
        yield client


def idiom(paths, encoding="utf-8"):
    """The corpus idiom: each file's text lowered and split, counted in path order."""
    counts = Counter()
    for path in paths:
        with open(path, encoding=encoding) as file:
            counts.update(file.read().lower().split())
    return counts


def assert_same_counter(result, expected):
    assert type(result) is Counter
    assert result == expected
    assert list(result) == list(expected)  # first-occurrence order


def write(directory, name, data):
    path = directory / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


# ---- word_count_files: the idiom's Counter ----------------------------------------------------

# Characters that stress the cuts: ASCII and Unicode whitespace (multi-byte in UTF-8), letters
# that change length or context when lowered (final sigma, İ), CRLF, combining marks.
TEXT_ALPHABET = st.sampled_from(list("ab AB\n\t\r\x0b\x0c\x1c\x1f") + ["Σ", "ς", "İ", "é", "\u0301", "\u3000", "\x85",
                                                                           "\u2028", "\xa0", "ß", "ǅ", "😀", "字"])
texts = st.lists(TEXT_ALPHABET, max_size=120).map("".join)


@settings(max_examples=60)
@given(files=st.lists(texts, min_size=1, max_size=4), blocksize=st.one_of(st.integers(1, 64), st.none()))
def test_word_count_files_equals_the_idiom_at_every_block_size(tmp_path_factory, files, blocksize):
    directory = tmp_path_factory.mktemp("corpus")
    paths = [write(directory, f"{i:02}.txt", text) for i, text in enumerate(files)]
    assert_same_counter(fkd.word_count_files(paths, blocksize=blocksize), idiom(paths))


def test_blocks_smaller_than_a_line_and_files_without_a_final_newline(tmp_path):
    paths = [
        write(tmp_path, "a.txt", "The cat sat on the MAT\nΣΑΣ ΟΔΟΣ the end"),   # no final newline
        write(tmp_path, "b.txt", "end\u3000of\u2028THE\x85line  \n\n"),
        write(tmp_path, "c.txt", ""),
        write(tmp_path, "d.txt", " \n\t "),
        write(tmp_path, "e.txt", "x" * 1000),  # one word longer than any block
        write(tmp_path, "f.txt", "mat"),
    ]
    expected = idiom(paths)
    for blocksize in (1, 2, 3, 5, 8, 13, 64, 999, 1000, 1001, "64MiB", None):
        assert_same_counter(fkd.word_count_files(paths, blocksize=blocksize), expected)


def test_globs_take_their_matches_in_sorted_order(tmp_path):
    for name, text in [("b.txt", "beta alpha"), ("a.txt", "alpha gamma"), ("c.log", "delta")]:
        write(tmp_path, name, text)
    result = fkd.word_count_files(str(tmp_path / "*.txt"), blocksize=4)
    assert_same_counter(result, idiom([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]))
    assert list(result) == ["alpha", "gamma", "beta"]
    # A list mixes globs, paths and path-likes, in its own order.
    mixed = [tmp_path / "c.log", str(tmp_path / "[ab].txt"), os.fsencode(tmp_path / "a.txt")]
    expected = idiom([str(tmp_path / n) for n in ("c.log", "a.txt", "b.txt", "a.txt")])
    assert_same_counter(fkd.word_count_files(mixed), expected)
    assert fkd.word_count_files([]) == Counter()


def real_files():
    """Real texts present on any machine that runs the tests: the standard library's
    sources, the licences Debian ships, this project's documentation."""
    stdlib = sorted(glob.glob(os.path.join(sysconfig.get_paths()["stdlib"], "*.py")))[:40]
    licences = sorted(p for p in glob.glob("/usr/share/common-licenses/*") if os.path.isfile(p))[:10]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    docs = sorted(glob.glob(os.path.join(root, "docs", "*.md"))) + sorted(glob.glob(os.path.join(root, "*.md")))
    return stdlib + licences + docs


def test_real_texts_on_the_default_scheduler():
    paths = [p for p in real_files() if os.path.getsize(p) > 0]
    assert len(paths) >= 20
    expected = idiom(paths)
    for blocksize in (4096, 100_000, None):
        assert_same_counter(fkd.word_count_files(paths, blocksize=blocksize), expected)


def test_real_texts_on_a_local_cluster(client):
    paths = real_files()
    expected = idiom(paths)
    with distributed.get_task_stream(client) as stream:
        result = fkd.word_count_files(paths, blocksize=8192, client=client)
    assert_same_counter(result, expected)
    # The blocks were counted by both worker processes, not here.
    workers = {task["worker"] for task in stream.data if "_count_block" in str(task["key"])}
    assert len(workers) == 2


def test_the_current_client_is_used_when_there_is_one(cluster, tmp_path):
    paths = [write(tmp_path, "a.txt", "One two two\nTHREE three three")]
    with distributed.Client(cluster) as current:  # set as the default client
        assert fkd._current_client(None) is current
        with distributed.get_task_stream(current) as stream:
            assert_same_counter(fkd.word_count_files(paths, blocksize=3), idiom(paths))
        assert any("_count_block" in str(task["key"]) for task in stream.data)
    assert fkd._current_client(None) is None


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "cp1252", "utf-16", "utf-8-sig", "UTF8", "iso-8859-15"])
def test_encodings_decode_as_open_does(tmp_path, encoding):
    samples = {
        "latin-1": "caf\xe9 CAF\xc9 na\xefve\x85split\xa0nbsp Stra\xdfe\nend",
        "ascii": "plain ASCII text\nwith WORDS words",
        "cp1252": "\u201cQuoted\u201d CAF\xc9 caf\xe9 \u20ac5 \u20ac5",
        "utf-16": "Σίσυφος ΣΊΣΥΦΟΣ\u3000mixed text",
        "utf-8-sig": "\ufeffBOM first WORD word",
        "UTF8": "ΣΑΣ σας\u2028line",
        "iso-8859-15": "\u20ac and \u0152uvre \u0153uvre",
    }
    text = samples[encoding]
    paths = [write(tmp_path, "a.txt", text.encode(encoding)), write(tmp_path, "b.txt", (text + " more").encode(encoding))]
    for blocksize in (1, 7, None):
        assert_same_counter(fkd.word_count_files(paths, encoding=encoding, blocksize=blocksize), idiom(paths, encoding))


def test_encoding_none_is_what_open_uses(tmp_path):
    paths = [write(tmp_path, "a.txt", "Plain words WORDS")]
    assert_same_counter(fkd.word_count_files(paths, encoding=None), idiom(paths, None))


def expected_decode_error(path, encoding="utf-8"):
    with pytest.raises(UnicodeDecodeError) as info:
        with open(path, encoding=encoding) as file:
            file.read()
    return info.value


def assert_same_decode_error(error, expected, path):
    assert (error.encoding, error.start, error.end, error.reason) == (
        expected.encoding, expected.start, expected.end, expected.reason)
    assert str(error) == str(expected)
    assert error.object[error.start:error.end] == expected.object[expected.start:expected.end]
    assert any(path in note for note in getattr(error, "__notes__", []))


@pytest.mark.parametrize("bad", [b"\xff", b"\xe2\x82", b"\xe2\x82 ", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                 b"\x80abc", b"ok\xc3("])
@pytest.mark.parametrize("blocksize", [1, 3, 64, None])
def test_invalid_utf8_raises_the_idioms_error_for_the_first_bad_file(tmp_path, bad, blocksize):
    good = write(tmp_path, "0.txt", "fine words here\n" * 20)
    first = write(tmp_path, "1.txt", b"some text " * 30 + bad + b" after")
    second = write(tmp_path, "2.txt", b"\xff early in a later file")
    tail = write(tmp_path, "3.txt", b"some text" + bad)  # at the very end: 'unexpected end of data'
    with pytest.raises(UnicodeDecodeError) as info:
        fkd.word_count_files([good, first, second], blocksize=blocksize)
    assert_same_decode_error(info.value, expected_decode_error(first), first)
    with pytest.raises(UnicodeDecodeError) as info:
        fkd.word_count_files([good, tail], blocksize=blocksize)
    assert_same_decode_error(info.value, expected_decode_error(tail), tail)


def test_decode_errors_in_other_codecs(tmp_path):
    ascii_file = write(tmp_path, "a.txt", b"plain " * 10 + b"caf\xe9 " + b"\xff")
    with pytest.raises(UnicodeDecodeError) as info:
        fkd.word_count_files([ascii_file], encoding="ascii", blocksize=5)
    assert_same_decode_error(info.value, expected_decode_error(ascii_file, "ascii"), ascii_file)
    utf16 = write(tmp_path, "b.txt", "words".encode("utf-16") + b"\x00\xd8 \x00")  # a lone surrogate
    with pytest.raises(UnicodeDecodeError) as info:
        fkd.word_count_files([utf16], encoding="utf-16")
    assert_same_decode_error(info.value, expected_decode_error(utf16, "utf-16"), utf16)


def test_a_utf16_file_without_a_byte_order_mark_is_an_error_in_path_order(tmp_path):
    """The codec's complaint about a stream (UTF-16 without a BOM: UnicodeError before Python 3.13)
    is ordered like any decode error: the first bad file in path order is the one raised, named."""
    bad_char = write(tmp_path, "a.txt", "hello world".encode("utf-16") + b"\x00\xdc")
    no_bom = write(tmp_path, "b.txt", "Hello".encode("utf-16-be"))
    with pytest.raises(UnicodeDecodeError) as info:
        fkd.word_count_files([bad_char, no_bom], encoding="utf-16")
    assert_same_decode_error(info.value, expected_decode_error(bad_char, "utf-16"), bad_char)
    with pytest.raises(UnicodeError) as info:
        fkd.word_count_files([no_bom, bad_char], encoding="utf-16")
    with pytest.raises(UnicodeError) as expected:
        with open(no_bom, encoding="utf-16") as file:
            file.read()
    assert str(info.value) == str(expected.value)
    assert any(no_bom in note for note in getattr(info.value, "__notes__", []))


@pytest.mark.parametrize("encoding", [None, "utf-8", "utf-8-sig", "latin-1"])
def test_files_that_report_no_size_are_read_to_their_end(encoding):
    """/proc files report a size of 0 and hold text: counted as the idiom reads them, not skipped."""
    path, sysfs = "/proc/version", "/sys/devices/system/cpu/online"  # sizes 0 and 4096
    if not os.path.exists(path) or not os.path.exists(sysfs):
        pytest.skip("no /proc or /sys here")
    paths = [path, sysfs, path]
    assert_same_counter(fkd.word_count_files(paths, encoding=encoding), idiom(paths, encoding or "utf-8"))


@pytest.mark.parametrize("encoding", ["hex", "base64", "rot13", "zlib_codec"])
def test_codecs_that_are_not_text_encodings_are_refused_before_any_work(tmp_path, encoding):
    path = write(tmp_path, "a.txt", "a b")
    with pytest.raises(LookupError, match=f"'{encoding}' is not a text encoding"):
        fkd.word_count_files(path, encoding=encoding)


def test_decode_errors_on_a_local_cluster(client, tmp_path):
    good = write(tmp_path, "0.txt", "fine words\n" * 1000)
    bad = write(tmp_path, "1.txt", b"text " * 2000 + b"\xc3\x28 more")
    with pytest.raises(UnicodeDecodeError) as info:
        fkd.word_count_files([good, bad, good], blocksize=512, client=client)
    assert_same_decode_error(info.value, expected_decode_error(bad), bad)


def test_missing_files_raise_before_any_work_is_scheduled(tmp_path):
    good = write(tmp_path, "a.txt", "words")

    def scheduler(*args, **kwargs):
        raise AssertionError("work was scheduled")

    with dask.config.set(scheduler=scheduler):
        with pytest.raises(FileNotFoundError) as info:
            fkd.word_count_files([good, str(tmp_path / "missing.txt")])
        assert info.value.filename == str(tmp_path / "missing.txt")
        with pytest.raises(FileNotFoundError, match="no file matches"):
            fkd.word_count_files([good, str(tmp_path / "*.csv")])
        with pytest.raises(IsADirectoryError):
            fkd.word_count_files([str(tmp_path)])
        with pytest.raises(LookupError):
            fkd.word_count_files([good], encoding="no-such-codec")
        if os.geteuid() != 0:
            locked = write(tmp_path, "locked.txt", "secret")
            os.chmod(locked, 0)
            with pytest.raises(PermissionError):
                fkd.word_count_files([good, locked])


@pytest.mark.parametrize("arguments, error, message", [
    (dict(urlpath=3), TypeError, "argument 'urlpath' must be a path"),
    (dict(urlpath=[3]), TypeError, "argument 'urlpath' must hold paths"),
    (dict(blocksize=0), ValueError, "'blocksize' must be at least 1 byte"),
    (dict(blocksize=-5), ValueError, "'blocksize' must be at least 1 byte"),
    (dict(blocksize="lots"), ValueError, "'blocksize' is not a size"),
    (dict(blocksize=1.5), TypeError, "'blocksize' must be int, str or None, not float"),
    (dict(blocksize=True), TypeError, "'blocksize' must be int, str or None, not bool"),
    (dict(encoding=b"utf-8"), TypeError, "'encoding' must be str or None"),
    (dict(storage_options=[]), TypeError, "'storage_options' must be a dict"),
])
def test_bad_arguments(tmp_path, arguments, error, message):
    urlpath = arguments.pop("urlpath", write(tmp_path, "a.txt", "words"))
    with pytest.raises(error, match=message):
        fkd.word_count_files(urlpath, **arguments)


def test_blocksize_strings_and_ints_agree(tmp_path):
    paths = [write(tmp_path, "a.txt", "alpha beta gamma\n" * 300)]
    assert fkd._parse_blocksize("1KiB") == fkd._parse_blocksize(1024) == 1024
    for blocksize in ("1KiB", "1kB", 1024):
        assert_same_counter(fkd.word_count_files(paths, blocksize=blocksize), idiom(paths))


def test_a_block_starts_and_ends_at_whitespace(tmp_path):
    data = "αβγ δεζ\u3000ηθι\nκλμ".encode()
    path = write(tmp_path, "a.txt", data)
    with open(path, "rb") as file:
        cuts = sorted({fkd._cut(file, offset, len(data)) for offset in range(len(data) + 1)})
    # Every cut is the start, the end, or just after an ASCII whitespace byte.
    assert cuts[0] == 0 and cuts[-1] == len(data)
    assert all(data[cut - 1] in b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f" for cut in cuts[1:-1])
    assert cuts == [0, data.index(b" ") + 1, data.index(b"\n") + 1, len(data)]


# ---- fault tolerance -----------------------------------------------------------------------------

def test_a_killed_worker_is_replaced_and_the_count_stays_exact(client, tmp_path):
    words = [f"word{i}" for i in range(5000)]
    rng = np.random.default_rng(14)
    paths = [write(tmp_path, f"{i}.txt", " ".join(rng.choice(words, 200_000)) + "\nΣΑΣ Der FLUß\n") for i in range(6)]
    expected = idiom(paths)
    outcome = {}

    def run():
        try:
            outcome["result"] = fkd.word_count_files(paths, blocksize=16_384, client=client)
        except BaseException as error:  # reported below
            outcome["error"] = error

    pids = client.run(os.getpid)
    job = threading.Thread(target=run)
    job.start()
    deadline = time.monotonic() + 60
    # Kill one worker once both are working on the job (some blocks done, most not).
    while not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.005)
    victim, pid = sorted(pids.items())[0]
    os.kill(pid, signal.SIGKILL)
    killed_while_running = job.is_alive()
    job.join(120)
    assert not job.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert killed_while_running
    assert_same_counter(outcome["result"], expected)
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid) or client.run(os.getpid)[victim] != pid


# ---- pickling -------------------------------------------------------------------------------------

def test_functions_and_partial_results_pickle(tmp_path):
    cloudpickle = pytest.importorskip("cloudpickle")
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        for function in (fkd.word_count_files, fkd.sum, fkd.fsum, fkd._count_block, fkd._merge_counts,
                         fkd._sum_chunk, fkd._fsum_chunk):
            assert loads(dumps(function)) is function
        partial = fkd._FSumPartial(-(2**2000) + 7, fkd._FSumPartial.NAN)
        assert loads(dumps(partial)) == partial
        words = fkd._WordCounts.encode(fastkernels.word_count("b a B c ΣΑΣ"))
        assert_same_counter(loads(dumps(words)).decode(), fastkernels.word_count("b a B c ΣΑΣ"))
        counts = fastkernels.word_count("b a B c")
        assert_same_counter(loads(dumps(counts)), counts)
        path = write(tmp_path, "bad.txt", b"ok \xff")
        with pytest.raises(UnicodeDecodeError) as expected:
            fkd.word_count_files([path])
        fs, name, size, shown = fkd._expand_paths([path], {})[0]
        failure = fkd._count_block(fs, name, shown, 0, size, size, "utf-8", 1)
        with pytest.raises(UnicodeDecodeError) as again:
            loads(dumps(failure)).raise_error()
        assert str(again.value) == str(expected.value)
        assert again.value.__notes__ == expected.value.__notes__


def test_the_module_is_not_imported_by_fastkernels():
    code = "import sys, fastkernels; print('dask' in sys.modules, 'fastkernels.dask' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


# ---- sum and fsum of dask arrays --------------------------------------------------------------

INTEGER_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool"]
FLOAT_DTYPES = ["float16", "float32", "float64"]


def random_values(dtype, shape, rng):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-30, 30, shape)
    if dtype == np.float16:
        values = rng.standard_normal(shape) * 100
    return values.astype(dtype)


CHUNKINGS = [
    ((37,), 5), ((37,), 37), ((37,), 1), ((0,), 4), ((6, 7), (2, 3)), ((6, 7), (6, 1)), ((2, 3, 4), (1, 2, 3)),
]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_sum_is_exact_for_every_chunking(dtype):
    rng = np.random.default_rng(abs(hash(dtype)) % 2**32)
    for shape, chunks in CHUNKINGS:
        values = random_values(dtype, shape, rng)
        expected = builtins_sum(values.ravel().tolist())
        result = fkd.sum(da.from_array(values, chunks=chunks))
        assert type(result) is int and result == expected, (shape, chunks)


def builtins_sum(values):
    import builtins

    return builtins.sum(values)


@pytest.mark.parametrize("dtype", INTEGER_DTYPES + FLOAT_DTYPES)
def test_fsum_is_correctly_rounded_for_every_chunking(dtype):
    rng = np.random.default_rng(abs(hash(dtype)) % 2**32)
    for shape, chunks in CHUNKINGS:
        values = random_values(dtype, shape, rng)
        expected = math.fsum(values.ravel().tolist())
        for split_every in (None, 2, 3):
            result = fkd.fsum(da.from_array(values, chunks=chunks), split_every=split_every)
            assert type(result) is float and result == expected, (shape, chunks)
            assert math.copysign(1, result) == math.copysign(1, expected)


@settings(max_examples=40)
@given(values=st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), max_size=60),
       chunk=st.integers(1, 61), split_every=st.integers(2, 5))
def test_fsum_matches_math_fsum_on_hypothesis_floats(values, chunk, split_every):
    try:
        expected = math.fsum(values)
    except OverflowError:
        # math.fsum's own running sums overflowed in its order: the total may still be a float.
        return
    array = da.from_array(np.array(values, dtype=np.float64), chunks=chunk)
    assert fkd.fsum(array, split_every=split_every) == expected


def test_fsum_specials_and_overflow():
    def fsum_of(values, chunks=1):
        return fkd.fsum(da.from_array(np.array(values, dtype=np.float64), chunks=chunks))

    inf, nan = math.inf, math.nan
    assert fsum_of([1.0, inf, 2.0]) == inf
    assert fsum_of([-inf, 1.0, -inf]) == -inf
    assert math.isnan(fsum_of([1.0, nan, inf]))
    with pytest.raises(ValueError, match=r"-inf \+ inf in fsum"):
        fsum_of([inf, 1.0, nan, -inf])
    with pytest.raises(OverflowError, match="intermediate overflow in fsum"):
        fsum_of([1e308, 1e308])
    # math.fsum raises here (its running sum overflows in this order); the exact total is a float.
    assert fsum_of([1e308, 1e308, -1e308]) == 1e308
    assert fsum_of([1e308, -1e308, 1e308]) == math.fsum([1e308, -1e308, 1e308])
    assert math.copysign(1, fsum_of([-0.0, -0.0])) == 1.0  # an exact zero is +0.0, as math.fsum gives
    assert fsum_of([5e-324, 5e-324, -1e-323, 2.5e-323]) == math.fsum([5e-324, 5e-324, -1e-323, 2.5e-323])
    big = [2.0**1023] * 1 + [2.0**970, -2.0**969]
    assert fsum_of(big) == math.fsum(big)


def test_extreme_integers_are_exact():
    values = np.array([np.iinfo(np.int64).max] * 1000 + [np.iinfo(np.int64).min] * 3, dtype=np.int64)
    assert fkd.sum(da.from_array(values, chunks=7)) == builtins_sum(values.tolist())
    values = np.full(999, np.iinfo(np.uint64).max, dtype=np.uint64)
    assert fkd.sum(da.from_array(values, chunks=100)) == 999 * (2**64 - 1)
    # fsum rounds each int64 to a float first, as float() does.
    values = np.array([2**53 + 1, 2**63 - 1, -(2**62) + 3], dtype=np.int64)
    assert fkd.fsum(da.from_array(values, chunks=1)) == math.fsum(values.tolist())


def test_non_contiguous_and_byte_swapped_chunks():
    values = np.arange(-500, 500, dtype=">i8").reshape(20, 50)[:, ::3]
    array = da.from_array(values, chunks=(7, 4)).T
    assert fkd.sum(array) == builtins_sum(values.ravel().tolist())
    floats = (np.arange(1000, dtype="<f8") / 7).astype(">f8")[::-2]
    assert fkd.fsum(da.from_array(floats, chunks=33)) == math.fsum(floats.tolist())


def test_sums_on_a_local_cluster(client):
    rng = np.random.default_rng(5)
    ints = da.from_array(rng.integers(-(2**63), 2**63 - 1, 100_000, dtype=np.int64, endpoint=True), chunks=9_999)
    floats = da.from_array(rng.standard_normal(100_000) * 1e200, chunks=(12_345,))
    expected_ints = builtins_sum(ints.compute().tolist())
    expected_floats = math.fsum(floats.compute().tolist())
    for chunks in (9_999, 50_000, 100_000):
        assert fkd.sum(ints.rechunk(chunks), client=client) == expected_ints
        assert fkd.fsum(floats.rechunk(chunks), client=client) == expected_floats
    with distributed.get_task_stream(client) as stream:
        fkd.fsum(floats, client=client)
    assert any("fastkernels-fsum" in str(task["key"]) for task in stream.data)
    for dtype in ("int8", "uint64", "bool", "float16", "float32"):
        values = random_values(dtype, (300, 7), rng)
        array = da.from_array(values, chunks=(41, 3))
        if values.dtype.kind != "f":
            assert fkd.sum(array, client=client) == builtins_sum(values.ravel().tolist())
        assert fkd.fsum(array, client=client, split_every=3) == math.fsum(values.ravel().tolist())


@pytest.mark.parametrize("function", [fkd.sum, fkd.fsum])
def test_sum_errors(function):
    name = function.__name__
    with pytest.raises(TypeError, match=rf"{name}\(\) argument 'x' must be a dask.array.Array, not list"):
        function([1, 2])
    with pytest.raises(TypeError, match="complex128"):
        function(da.ones(3, dtype=complex))
    with pytest.raises(TypeError, match="object"):
        function(da.from_array(np.array([1, "a"], dtype=object), chunks=1))
    with pytest.raises(ValueError, match="'split_every' must be at least 2"):
        function(da.ones(3, dtype=int), split_every=1)
    with pytest.raises(TypeError, match="'split_every' must be int or None"):
        function(da.ones(3, dtype=int), split_every=2.0)
    masked = da.ma.masked_greater(da.arange(-50, 100, chunks=7), 10)  # its chunks' buffers ignore the mask
    with pytest.raises(TypeError, match=rf"{name}\(\) argument 'x' is a masked dask array"):
        function(masked)


def test_sum_of_floats_points_to_fsum():
    with pytest.raises(TypeError, match="fastkernels.dask.fsum"):
        fkd.sum(da.ones(3, dtype=np.float64))


# ---- Ctrl-C ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["default scheduler", "local cluster"])
def test_ctrl_c_stops_a_corpus_count(tmp_path, interrupt_child, where):
    words = " ".join(f"w{i % 50_000}" for i in range(400_000)) + "\n"
    for i in range(4):
        (tmp_path / f"{i}.txt").write_text(words * 5)  # 4 files of ~12 MB
    client = ("import logging, distributed\n"
              "cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, host='127.0.0.1', "
              "dashboard_address=':0', silence_logs=logging.ERROR)\n"
              "client = distributed.Client(cluster)\n") if where == "local cluster" else "client = None\n"
    script = (
        "import sys\n"
        "from fastkernels import dask as fkd\n"
        "if __name__ == '__main__':\n"
        + "".join("    " + line + "\n" for line in client.splitlines())
        + f"    paths = sorted(__import__('glob').glob({str(tmp_path / '*.txt')!r}))\n"
        "    print('ready', flush=True)\n"
        "    try:\n"
        "        for _ in range(100):\n"
        "            fkd.word_count_files(paths, blocksize='4MiB', client=client)\n"
        "    except KeyboardInterrupt:\n"
        "        sys.exit(42)\n"
        "    sys.exit(0)\n")
    code, elapsed = interrupt_child(script, delay=0.5)
    assert code == 42
    assert elapsed < 10.0, f"Ctrl-C honoured after {elapsed:.2f} s"


def test_a_path_with_glob_characters_that_exists_is_taken_literally(tmp_path):
    literal = write(tmp_path, "data[1].txt", "literal file")
    write(tmp_path, "data1.txt", "globbed file")
    assert_same_counter(fkd.word_count_files(literal), idiom([literal]))
    assert_same_counter(fkd.word_count_files(str(tmp_path / "data[12].txt")), idiom([str(tmp_path / "data1.txt")]))


def test_local_names_that_look_like_fsspec_urls_are_the_files_open_finds(tmp_path, monkeypatch):
    """fsspec reads "a::b" as a chained URL and expands "~"; an existing local file of that name is
    what open() opens, and so what is counted."""
    chained = write(tmp_path, "a::b", "chained NAME name")
    (tmp_path / "~").mkdir()
    write(tmp_path / "~", "x.txt", "tilde Tilde")
    monkeypatch.chdir(tmp_path)
    for path in (chained, "a::b", "~/x.txt"):
        assert_same_counter(fkd.word_count_files(path), idiom([path]))


def test_pipes_are_refused_and_too_many_blocks_too(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not one .a pipe or a device"):
        fkd.word_count_files([str(fifo)])
    with pytest.raises(ValueError, match="not one .a pipe or a device"):
        fkd.word_count_files(str(tmp_path / "*"))
    big = write(tmp_path, "big.txt", "word " * 30_000)
    with pytest.raises(ValueError, match="150,000 blocks"):
        fkd.word_count_files([big], blocksize=1)
    assert fkd.word_count_files([big], blocksize=4096) == Counter(word=30_000)


@pytest.mark.parametrize("function, argument", [
    (fkd.word_count_files, "files"), (fkd.sum, "ints"), (fkd.fsum, "ints")])
def test_a_client_that_is_not_one_is_a_type_error(tmp_path, function, argument):
    value = [write(tmp_path, "a.txt", "words")] if argument == "files" else da.ones(4, dtype=int, chunks=2)
    with pytest.raises(TypeError, match="argument 'client' must be a distributed.Client or None, not str"):
        function(value, client="tcp://127.0.0.1:8786")


def test_a_file_that_shrinks_while_it_is_counted_is_an_error(tmp_path):
    path = write(tmp_path, "a.txt", "alpha beta gamma delta")
    [(fs, name, size, shown)] = fkd._expand_paths([path], {})
    with pytest.raises(ValueError, match="a.txt changed while it was being counted"):
        fkd._count_block(fs, name, shown, 0, size + 10, size + 10, "utf-8", 1)


def test_sums_of_arrays_with_unknown_chunk_sizes():
    values = np.arange(-50, 50, dtype=np.int64)
    array = da.from_array(values, chunks=7)
    picked = array[array % 3 == 0]  # chunk sizes unknown until computed
    assert math.isnan(picked.shape[0])
    assert fkd.sum(picked) == builtins_sum(v for v in values.tolist() if v % 3 == 0)
    assert fkd.fsum(picked.astype(float) / 7) == math.fsum(v / 7 for v in values.tolist() if v % 3 == 0)


def test_any_fsspec_url(tmp_path):
    """fsspec's in-memory file system stands for a remote one (s3://, gs://): the same code path,
    names in messages as URLs. (It lives in this process: the default scheduler's threads see it.)"""
    import fsspec

    memory = fsspec.filesystem("memory")
    texts = {"memory://fk-corpus/b.txt": "Beta ALPHA\nΣΑΣ gamma", "memory://fk-corpus/a.txt": "alpha  beta\tbeta"}
    try:
        for url, text in texts.items():
            with fsspec.open(url, "wb") as file:
                file.write(text.encode())
        expected = Counter()
        for url in sorted(texts):
            expected.update(texts[url].lower().split())
        for blocksize in (1, 4, None):
            assert_same_counter(fkd.word_count_files("memory://fk-corpus/*.txt", blocksize=blocksize), expected)
        with fsspec.open("memory://fk-corpus/c.txt", "wb") as file:
            file.write(b"fine \xff")
        with pytest.raises(UnicodeDecodeError) as info:
            fkd.word_count_files(["memory://fk-corpus/a.txt", "memory://fk-corpus/c.txt"], blocksize=3)
        assert info.value.start == 5 and info.value.reason == "invalid start byte"
        assert any("memory://fk-corpus/c.txt" in note for note in info.value.__notes__)
        with pytest.raises(FileNotFoundError):
            fkd.word_count_files("memory://fk-corpus/missing.txt")
    finally:
        memory.rm("/fk-corpus", recursive=True)

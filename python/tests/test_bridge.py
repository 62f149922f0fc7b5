"""The PythonBridge, exercised through the private functions of _native:
conversions, the argument parser, the exception mapping, reference counts."""
import errno
import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastkernels import _native as native


# ---- conversions -------------------------------------------------------------------

@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int_round_trip(value):
    assert native._echo(value, "int") == value


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_int_out_of_64_bits_is_overflow_error(value):
    with pytest.raises(OverflowError, match=r"^_echo\(\) argument 'value' does not fit in a 64-bit signed integer$"):
        native._echo(value, "int")


@given(st.floats(allow_nan=False))
def test_float_round_trip(value):
    result = native._echo(value, "float")
    assert type(result) is float
    assert result == value and math.copysign(1, result) == math.copysign(1, value)


def test_float_special_values_and_ints():
    assert math.isnan(native._echo(float("nan"), "float"))
    assert native._echo(7, "float") == 7.0
    assert native._echo(True, "float") == 1.0
    with pytest.raises(OverflowError):
        native._echo(10**400, "float")  # as float(10**400)
    with pytest.raises(TypeError, match=r"^_echo\(\) argument 'value' must be a real number, not str$"):
        native._echo("1.5", "float")


@given(st.text())
def test_str_round_trip(value):
    assert native._echo(value, "str") == value


def test_str_with_lone_surrogate_is_unicode_error():
    with pytest.raises(UnicodeEncodeError):
        native._echo("a\ud800", "str")


@given(st.binary())
def test_bytes_round_trip(value):
    assert native._echo(value, "bytes") == value


def _decoded_like_python(data, kind):
    """The bridge's UTF-8 decoding of `data` is bytes.decode()'s: the same str, in the same
    internal width (a str wider than it needs compares unequal to the canonical one, and
    sys.getsizeof shows the width), or the same UnicodeDecodeError. The size is compared with a
    fresh copy made by slicing: 3.13's decoder also keeps the UTF-8 bytes in the str it makes,
    which sys.getsizeof counts."""
    try:
        expected = data.decode("utf-8")
    except UnicodeDecodeError as error:
        with pytest.raises(UnicodeDecodeError) as info:
            native._echo(data, kind)
        assert (info.value.start, info.value.end, info.value.reason) == (error.start, error.end, error.reason)
        return
    result = native._echo(data, kind)
    assert type(result) is str and result == expected
    assert sys.getsizeof(result) == sys.getsizeof((expected + "x")[:-1])
    assert hash(result) == hash(expected)


# Characters of every width: ASCII, Latin-1 (1 byte a character), BMP (2), astral (4), and the
# edges of every UTF-8 sequence length.
WIDTHS = "az\x7f\x80\xa0\xe9\xff\u0100\u07ff\u0800\u2019\ud7ff\ue000\ufffd\uffff\U00010000\U0001f600\U0010ffff"


@given(st.text(alphabet=WIDTHS, max_size=20) | st.text(max_size=20))
def test_utf8_decoding_gives_pythons_str(text):
    data = text.encode("utf-8", "surrogatepass")
    for kind in ("utf8", "utf8-cached", "utf8-cached"):  # the second cached call finds it kept
        _decoded_like_python(data, kind)


@given(st.binary(max_size=20))
def test_utf8_decoding_of_any_bytes(data):
    for kind in ("utf8", "utf8-cached", "utf8-cached"):
        _decoded_like_python(data, kind)


@pytest.mark.parametrize("data", [b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xed\xa0\x80",
                                  b"\xed\xbf\xbf", b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80",
                                  b"\xf5\x80\x80\x80", b"\xff", b"\x80", b"a\xe2\x80", b"\xf0\x9f\x98", b"\xe2\x28\xa1"])
def test_utf8_decoding_rejects_what_python_rejects(data):
    """Overlong forms, surrogates, values beyond U+10FFFF, stray continuation bytes, cut sequences."""
    for kind in ("utf8", "utf8-cached"):
        _decoded_like_python(data, kind)


@pytest.mark.parametrize("kind, bad, expected", [("str", b"x", "str"), ("bytes", "x", "bytes"), ("int", 1.5, "int")])
def test_wrong_types_name_the_argument(kind, bad, expected):
    with pytest.raises(TypeError, match=rf"^_echo\(\) argument 'value' must be {expected}, not {type(bad).__name__}$"):
        native._echo(bad, kind)


# ---- argument parsing --------------------------------------------------------------

@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((1,), {"d": 4}, "1 2 3 4 5"),
        ((1, 7), {"d": 4}, "1 7 3 4 5"),
        ((1, 7, 8), {"d": 4, "e": 9}, "1 7 8 4 9"),
        ((1,), {"c": 0, "d": 4}, "1 2 0 4 5"),
        ((1,), {"e": 0, "d": 4, "c": 6}, "1 2 6 4 0"),
    ],
)
def test_parser_binds_every_parameter_kind(args, kwargs, expected):
    assert native._parse(*args, **kwargs) == expected


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((), {"d": 1}, r"^_parse\(\) missing required argument 'a' \(pos 1\)$"),
        ((1,), {}, r"^_parse\(\) missing required keyword-only argument 'd'$"),
        ((1, 2, 3, 4), {"d": 1}, r"^_parse\(\) takes at most 3 positional arguments \(4 given\)$"),
        ((1, 2, 3), {"c": 3, "d": 1}, r"^_parse\(\) got multiple values for argument 'c'$"),
        ((1,), {"d": 1, "f": 2}, r"^_parse\(\) got an unexpected keyword argument 'f'$"),
        ((1,), {"b": 2, "d": 1}, r"^_parse\(\) got some positional-only arguments passed as keyword arguments: 'b'$"),
        ((1,), {"d": "x"}, r"^_parse\(\) argument 'd' must be int, not str$"),
    ],
)
def test_parser_errors(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        native._parse(*args, **kwargs)


def test_keyword_names_need_not_be_interned():
    name = "".join(["e"])  # a fresh, non-interned str
    assert native._parse(1, **{name: 0, "d": 4}) == "1 2 3 4 0"


# ---- exceptions --------------------------------------------------------------------

@pytest.mark.parametrize("kind, exception", [
    ("TypeError", TypeError), ("ValueError", ValueError), ("OverflowError", OverflowError),
    ("MemoryError", MemoryError), ("KeyboardInterrupt", KeyboardInterrupt),
])
def test_error_kinds_map_to_python_classes(kind, exception):
    with pytest.raises(exception) as info:
        native._raise(kind, "the message" if kind != "KeyboardInterrupt" else "")
    assert type(info.value) is exception
    if kind != "KeyboardInterrupt":
        assert str(info.value) == "the message"


@pytest.mark.parametrize("code, exception", [
    (errno.ENOENT, FileNotFoundError), (errno.EACCES, PermissionError), (errno.EISDIR, IsADirectoryError),
    (errno.EIO, OSError),
])
def test_os_errors_get_their_subclass_errno_and_filename(code, exception):
    with pytest.raises(OSError) as info:
        native._raise("OSError", errno=code, filename="/some/path")
    assert type(info.value) is exception
    assert info.value.errno == code
    assert info.value.filename == "/some/path"
    assert info.value.strerror


def test_memory_errors_formatted_by_cpython():
    """The MemoryError a kernel raises when memory is exhausted: its message is formatted by
    CPython, since a Swift string would need an allocation that traps when it fails."""
    with pytest.raises(MemoryError) as info:
        native._raise("MemoryErrorIn", "matmul")
    assert str(info.value) == "matmul(): not enough memory for a 3 x -4 result"
    with pytest.raises(MemoryError) as info:
        native._raise("MemoryErrorIn", "a_much_longer_function_name_than_fits_in_a_small_string")
    assert str(info.value).startswith("a_much_longer_function_name_than_fits_in_a_small_string(): ")


# ---- reference counts ----------------------------------------------------------------

def test_no_reference_leaks_on_success_or_error_paths():
    value = 10**20  # a fresh object whose count only these calls could change
    text = "".join(["leak", "check"])
    before = sys.getrefcount(value), sys.getrefcount(text)
    for _ in range(1000):
        native._echo(text, "str")
        native._echo(text, kind="str")
        with pytest.raises(OverflowError):
            native._echo(value, "int")
        with pytest.raises(TypeError):
            native._parse(1, d=text)
        with pytest.raises(OverflowError):
            native._parse(value, d=1)
    assert (sys.getrefcount(value), sys.getrefcount(text)) == before

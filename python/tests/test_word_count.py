import os
import pathlib
import string
import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastkernels

WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) \
    + "\u2028\u2029\u202f\u205f\u3000"
# Cased, case-ignorable, length-changing and context-dependent characters, combining marks, and
# characters that look like whitespace but are not (\u200b, \u2060, \ufeff, \x00).
TRICKY = "ΣσςİıẞßŉǅǄᾈΐﬃKkÅåÆæĲĳΆΈ\u0301\u0345\u0307'.:·\u00ad\u200b\u2060\ufeff\x00Ωω𐐀𐐨ǰẞſ"
ALPHABET = WHITESPACE + TRICKY + string.ascii_letters + string.digits + "!?,-"


def idiom(text):
    return Counter(text.lower().split())


def same(result, expected):
    """The idiom's Counter in every respect: type, keys, counts and order (issue 9, item 13)."""
    return type(result) is Counter and list(result.items()) == list(expected.items())


@given(st.text(alphabet=ALPHABET, max_size=300))
def test_str_equals_the_idiom(text):
    result = fastkernels.word_count(text)
    assert type(result) is Counter
    assert same(result, idiom(text))


@given(st.text(max_size=200))
def test_any_unicode_text(text):
    assert same(fastkernels.word_count(text), idiom(text))


@given(st.text(alphabet=ALPHABET, max_size=300))
def test_utf8_bytes_equal_the_idiom(text):
    data = text.encode("utf-8", "surrogatepass")
    expected = idiom(text)
    assert same(fastkernels.word_count(data), expected)
    assert same(fastkernels.word_count(bytearray(data)), expected)
    assert same(fastkernels.word_count(memoryview(data)), expected)


@given(st.text(alphabet=ALPHABET, max_size=120), st.integers(1, 4), st.booleans())
def test_noncontiguous_buffers_count_their_bytes_in_order(text, step, numpy_array):
    """memoryview refuses a strided buffer with BufferError, numpy with ValueError: both are
    counted as their bytes in order (what bytes(memoryview(buffer)) holds)."""
    numpy = pytest.importorskip("numpy")
    data = text.encode("utf-8", "surrogatepass") * step
    view = memoryview(data)[::step]
    buffer = numpy.frombuffer(data, dtype=numpy.uint8)[::step] if numpy_array else view
    try:
        expected = ("value", idiom(bytes(view).decode("utf-8")))
    except UnicodeDecodeError as error:
        expected = ("error", error.start, error.end, error.reason)
    try:
        result = ("value", fastkernels.word_count(buffer))
    except UnicodeDecodeError as error:
        result = ("error", error.start, error.end, error.reason)
    assert result[0] == expected[0]
    assert same(result[1], expected[1]) if result[0] == "value" else result == expected


def test_numpy_arrays_in_any_layout_count_their_bytes_in_order():
    numpy = pytest.importorskip("numpy")
    data = numpy.frombuffer(b"Ab cD eF gh ij KL", dtype=numpy.uint8)[:16].reshape(4, 4)
    for array in (data, numpy.asfortranarray(data), data[::-1], data[:, ::2], data.T):
        assert not array.flags.c_contiguous or array is data
        assert same(fastkernels.word_count(array), idiom(bytes(memoryview(array)).decode()))


@pytest.mark.parametrize("piece", ["café NAÏVE À ", "Привет МИР ΣΟΦΙΑΣ ς ", "𐐀𐐨 Deseret ü İ ", "Ǆemal ǅ x\u2029"])
def test_large_non_ascii_strs_are_encoded_without_keeping_a_copy_in_the_str(piece):
    """From a million characters, a non-ASCII str (1, 2 or 4 bytes a character) is encoded to
    UTF-8 in the count's own memory: PyUnicode_AsUTF8AndSize would keep its copy in the str."""
    import sys

    text = piece * ((1 << 20) // len(piece) + 3)
    assert len(text) >= 1 << 20
    size = sys.getsizeof(text)
    for threads in (1, 2):
        assert same(fastkernels.word_count(text, threads=threads), idiom(text))
    assert sys.getsizeof(text) == size
    with_surrogate = text + "\ud800 " + piece  # lone surrogate: the idiom itself counts it
    assert same(fastkernels.word_count(with_surrogate), idiom(with_surrogate))


@given(st.binary(max_size=64))
def test_invalid_utf8_raises_the_same_error_as_decode(data):
    try:
        expected = idiom(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        with pytest.raises(UnicodeDecodeError) as raised:
            fastkernels.word_count(data)
        assert (raised.value.start, raised.value.end, raised.value.reason) == (error.start, error.end, error.reason)
    else:
        assert same(fastkernels.word_count(data), expected)


@pytest.mark.parametrize("data", [b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xe0\x80\xaf",
                                  b"ok \xe2\x80", b"\xf0\x9f\x98", b"a" * 100 + b"\xff"])
def test_adversarial_utf8(data):
    with pytest.raises(UnicodeDecodeError) as raised:
        fastkernels.word_count(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        assert raised.value.start == error.start


def test_empty_and_whitespace_only():
    assert fastkernels.word_count("") == Counter()
    assert fastkernels.word_count(WHITESPACE * 3) == Counter()
    assert fastkernels.word_count(b"") == Counter()


def test_nul_bom_and_surrogates():
    text = "\ufeffBOM\x00nul a\ud800b"
    assert same(fastkernels.word_count(text), idiom(text))
    assert same(fastkernels.word_count("\ufeffhello".encode()), idiom("\ufeffhello"))


# Characters the short-text path lowers itself (Latin-1 capitals, C3 80-9E but \xd7) or keeps as
# they are (Latin-1 signs and small letters, general punctuation, super- and subscripts), beside
# the ones it leaves to str.lower() and spellings that lower to the same key from both sides:
# "K\u2019" (Kelvin sign) lowers to "k\u2019", which the short path keeps as it is.
LATIN1 = "".join(map(chr, range(0xC0, 0x100))) + "\x80\x9f\xa1\xaa\xb5\xba\xbf\xd7\xf7"
PUNCTUATION = "\u2010\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u2030\u2044\u2070\u2071\u207f\u20ac"
LOWERING_ALPHABET = LATIN1 + PUNCTUATION + "KkΣσİı" + "Kk" * 5 + " \n\xa0\u2028" * 4


@given(st.text(alphabet=LOWERING_ALPHABET, max_size=200))
def test_latin1_and_punctuation_equal_the_idiom(text):
    assert same(fastkernels.word_count(text), idiom(text))
    assert same(fastkernels.word_count(text.encode()), idiom(text))


def test_spellings_that_lower_alike_from_both_paths_keep_the_first_ones_place():
    for text in ["k\u2019 K\u2019 x k\u2019", "K\u2019 k\u2019", "\xc0 \xe0 \xc0\u2019 \xe0\u2019",
                 "Σ\xe0 σ\xc0 ς\xe0", "\xc9T\xc9 \xe9t\xe9 \xc9t\xe9\u2026"]:
        assert same(fastkernels.word_count(text), idiom(text)), text


def short_limit():
    from fastkernels import _native

    return _native._parallel_thresholds()["word_count_short"]


@pytest.mark.parametrize("delta", [-3, -2, -1, 0, 1, 2])
def test_texts_around_the_short_text_limit(delta):
    """The last bytes below and above the short path's limit: words cut by the limit, a character of
    several bytes straddling it, invalid UTF-8 right at it, a vocabulary as large as the text allows."""
    limit = short_limit()
    n = limit + delta
    words = ["alpha", "Beta", "\xc9t\xe9", "\u2019q", "日本", "K"]
    text = (" ".join(words) * (n // 20 + 1)).encode()[:n]
    text = text.decode("utf-8", "ignore")
    assert same(fastkernels.word_count(text), idiom(text))
    data = text.encode()
    assert same(fastkernels.word_count(data), idiom(data.decode()))
    # Every token distinct: the index grows to its largest size.
    distinct = " ".join(f"{i:x}" for i in range(n)).encode()[:n].decode()
    assert same(fastkernels.word_count(distinct), idiom(distinct))
    # Invalid UTF-8 in the last byte, and a sequence cut off by the end.
    for bad in (b"a" * (n - 1) + b"\xff", b"b " * ((n - 2) // 2) + b"\xe2\x80"):
        with pytest.raises(UnicodeDecodeError) as raised:
            fastkernels.word_count(bad)
        with pytest.raises(UnicodeDecodeError) as expected:
            bad.decode("utf-8")
        assert (raised.value.start, raised.value.reason) == (expected.value.start, expected.value.reason)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("threads", [1, 2, None])
def test_texts_counted_in_two_halves(seed, threads):
    """From 'word_count_short_halves' bytes a short text is counted in two halves at once and the
    second half's counts merged into the first's: the idiom's counts and order, whatever sits at
    the cut (a capital of several bytes, a long token, Unicode whitespace, the words of one half only)."""
    from fastkernels import _native

    rng = random.Random(seed)
    halves = _native._parallel_thresholds()["word_count_short_halves"]
    n = halves + rng.choice([-1, 0, 1, 17, 4096, 5 * halves])
    shared = ["the", "The", "\xc9t\xc9", "\xc0" * 9, "ΣΑΣ", "K", "x" * 23, "X" * 23 + "y", "日本"]
    spaces = [" ", "\n", "\u3000", "\xa0", "\x85", "\t"]
    parts, size = [], 0
    while size < n:
        word = rng.choice(shared)
        if size > n // 2 and rng.random() < 0.5:
            word += str(rng.randrange(300))  # words new in the second half
        parts.append(word + rng.choice(spaces))
        size += len(parts[-1].encode())
    text = "".join(parts)
    for cut in (len(text), len(text) - 1):
        piece = text[:cut]
        assert same(fastkernels.word_count(piece, threads=threads), idiom(piece))
        assert same(fastkernels.word_count(piece.encode(), threads=threads), idiom(piece))
    # Capitals of several bytes around the middle, where the first half's last words are read.
    data = bytearray(b"a" * (halves + 64))
    data[7::8] = b" " * len(data[7::8])
    for offset in range(-12, 13, 3):
        probe = bytearray(data)
        at = len(probe) // 2 + offset
        probe[at:at + 4] = "\xc9\xc0".encode()
        assert same(fastkernels.word_count(bytes(probe), threads=threads), idiom(probe.decode()))
    # Invalid UTF-8 in the second half only: the error the decoder gives.
    bad = b"ab " * (halves // 2) + b"\xff" + b" cd" * 10
    with pytest.raises(UnicodeDecodeError) as raised:
        fastkernels.word_count(bad, threads=threads)
    assert raised.value.start == bad.index(b"\xff")


def test_tokens_that_differ_only_past_their_first_8_or_16_bytes():
    """The short path compares short tokens by words of 8 bytes, masked to their length."""
    stems = ["a" * k for k in range(1, 40)]
    tokens = []
    for stem in stems:
        tokens += [stem, stem + "b", stem + "\x00", stem.upper(), stem + "\xe9", stem + "\xc9"]
    text = " ".join(tokens + tokens[::-1])
    assert same(fastkernels.word_count(text), idiom(text))
    assert same(fastkernels.word_count(text.encode()), idiom(text))


@pytest.mark.parametrize("threads", [1, 2])
def test_long_tokens_that_differ_in_any_one_byte(threads):
    """Tokens of 17 to 48 bytes are hashed and compared as whole words, the last one read as
    the 8 bytes that end the token (overlapping the one before), straight from the text with
    their capitals lowered as they are read: a token that differs from another in any one
    byte, wherever it lies, is another token, and one that differs only in case is the same."""
    rng = random.Random(17)
    tokens = []
    for length in range(17, 49):
        base = "".join(rng.choice("abcdefghij") for _ in range(length))
        for position in range(length):
            tokens.append(base[:position] + "z" + base[position + 1:])
            tokens.append(base[:position] + base[position].upper() + base[position + 1:])
            tokens.append(base[:position] + "\xe9" + base[position + 1:])  # two bytes in UTF-8
        tokens.append(base)
    rng.shuffle(tokens)
    text = " ".join(tokens + tokens[: len(tokens) // 2])
    assert same(fastkernels.word_count(text, threads=threads), idiom(text))
    assert same(fastkernels.word_count(text.encode(), threads=threads), idiom(text))


def test_every_character_of_the_bmp_lowers_as_the_idiom_lowers():
    """Tokens with non-ASCII characters that lower() leaves as they are skip lower() (a
    conservative list of blocks); every other one takes it. Every character of the Basic
    Multilingual Plane and a sample of the others, alone, among ASCII capitals and lowercase
    letters, and beside a final sigma: each counted under the key the idiom gives."""
    characters = [chr(c) for c in list(range(0x80, 0xD800)) + list(range(0xE000, 0x10000)) + list(range(0x10000, 0x110000, 97))
                  if not chr(c).isspace()]
    tokens = []
    for c in characters:
        tokens += [c, "a" + c + "b", "A" + c, c + "Z", c + "Σ", "σ" + c + c]
    text = " ".join(tokens)
    assert same(fastkernels.word_count(text), idiom(text))
    assert same(fastkernels.word_count(text.encode()), idiom(text))
    # Short texts take their own path, which lowers Latin-1 and Cyrillic capitals itself.
    for start in range(0, len(tokens), 240):
        short = " ".join(tokens[start:start + 240])
        assert same(fastkernels.word_count(short), idiom(short)), short[:60]
        assert same(fastkernels.word_count(short.encode()), idiom(short)), short[:60]


@pytest.mark.parametrize("size", [40, 5_000, 300_000, 3_000_000])
def test_the_text_is_never_changed(size):
    """Short texts lower Latin-1 and Cyrillic capitals in place, in a copy: the caller's str
    (whose UTF-8 form CPython keeps beside it), bytes and read-only buffers stay as they were."""
    words = ["ÀÉÎÕÜ", "ПРИВЕТ", "Ёлка", "ЀЍЏ", "Word", "ΣΑΣ", "İSTANBUL", "ＡＢＣ"]
    text = " ".join(words[i % len(words)] + str(i % 7) for i in range(size // 8))
    encoded = text.encode()
    snapshot = bytes(encoded)
    view = memoryview(bytearray(encoded)).toreadonly()
    expected = idiom(text)
    for argument in (text, encoded, view):
        assert same(fastkernels.word_count(argument), expected)
    assert text.encode() == snapshot and encoded == snapshot and bytes(view) == snapshot


LONG_TOKEN_CHARACTERS = "aAzZ09_.-" + "éÉñßΣσ" + "абвгАБВЖж" + "的一是国" + "𐐀𐐨😀" + "ΐﬃİK"


@given(st.lists(st.tuples(st.text(alphabet=LONG_TOKEN_CHARACTERS, min_size=1, max_size=40),
                          st.sampled_from(WHITESPACE)), max_size=60),
       st.sampled_from([1, 2]))
def test_long_tokens_of_every_script_equal_the_idiom(pieces, threads):
    """Tokens of up to 160 bytes in any script (one to four bytes a character), with ASCII
    and Unicode whitespace between: long ones wait in the tokenizer's ring with short ones
    and must keep the text's order."""
    text = "".join(token + space for token, space in pieces)
    assert same(fastkernels.word_count(text, threads=threads), idiom(text))
    assert same(fastkernels.word_count(text.encode(), threads=threads), idiom(text))


def test_short_texts_on_a_thread_with_a_small_stack():
    import threading

    results = []
    limit = short_limit()
    texts = ["Ab " * (n // 3) + "\xc9" * (n % 3) for n in (0, 10, 300, 1000, 1500, 5000, limit)]

    def count():
        results.extend(list(fastkernels.word_count(text).items()) == list(idiom(text).items()) for text in texts)

    old = threading.stack_size(64 * 1024)
    try:
        thread = threading.Thread(target=count)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    assert results == [True] * len(texts)


def long_text(seed, size):
    import random

    rng = random.Random(seed)
    words = ["Word", "word", "WORD", "Straße", "ΣΑΣ", "İz", "naïve", "日本語", "🙂x", "ﬃ", "K", "e\u0301"]
    spaces = [" ", " ", "\n", "\u3000", "\xa0", "\u2029", "\t", "  "]
    parts = []
    total = 0
    while total < size:
        word = rng.choice(words)
        if rng.random() < 0.001:
            word = word * rng.randint(100, 3000)  # long tokens cross slice and share boundaries
        space = rng.choice(spaces)
        parts.append(word + space)
        total += len(word) + 1
    return "".join(parts)


@pytest.mark.parametrize("threads", [1, 2, 3, 7, None])
def test_long_texts_across_shares_and_slices(threads):
    text = long_text(1, 3_000_000)
    expected = idiom(text)
    assert same(fastkernels.word_count(text, threads=threads), expected)
    assert same(fastkernels.word_count(text.encode(), threads=threads), expected)


def test_a_token_longer_than_a_slice():
    text = "x" * 3_000_000 + " y " + "Ω" * 1_500_000
    assert same(fastkernels.word_count(text, threads=2), idiom(text))


def test_invalid_byte_late_in_a_long_text():
    data = long_text(2, 2_500_000).encode() + b" \xc3 tail"
    with pytest.raises(UnicodeDecodeError) as raised:
        fastkernels.word_count(data, threads=2)
    with pytest.raises(UnicodeDecodeError) as expected:
        data.decode("utf-8")
    assert raised.value.start == expected.value.start


@pytest.mark.parametrize("bad, error", [(3, TypeError), (None, TypeError), (["a"], TypeError)])
def test_bad_types(bad, error):
    with pytest.raises(error, match=r"^word_count\(\) argument 'text'"):
        fastkernels.word_count(bad)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_a_large_vocabulary_in_the_idioms_order(threads):
    # Hundreds of thousands of distinct words, ASCII and not, merged across workers; Kelvin signs and
    # sigmas lower onto other spellings: every key where its first spelling first occurs.
    words = [f"W{i}x" if i % 3 else f"\u212a{i}\u03a3" for i in range(300_000)]
    text = " ".join(words[::-1] + words[::7] + ["k0σ", "K3Σ"])
    result = fastkernels.word_count(text, threads=threads)
    expected = idiom(text)
    assert same(result, expected)
    assert result.most_common() == expected.most_common()  # ties broken alike
    assert sum(result.values()) == sum(expected.values())


def test_spellings_that_lower_alike_keep_the_first_ones_place():
    for text in ["k \u212a K", "\u212a k", "x \u212a y k", "ΣΑΣ σας Σας", "İ i\u0307 I"]:
        for threads in (1, 2):
            assert same(fastkernels.word_count(text, threads=threads), idiom(text)), text
            assert same(fastkernels.word_count(text.encode(), threads=threads), idiom(text)), text


def test_subclasses_are_counted_through_their_own_methods():
    class Shout(str):
        def lower(self):
            return self.upper()

    class Odd(bytes):
        def decode(self, *args, **kwargs):
            return "decoded by the subclass"

    assert same(fastkernels.word_count(Shout("a b A")), Counter(Shout("a b A").lower().split()))
    assert same(fastkernels.word_count(Odd(b"x y")), Counter("decoded by the subclass".split()))
    with pytest.raises(ValueError, match=r"^word_count\(\) argument 'threads'"):
        fastkernels.word_count(Shout("a"), threads=0)


def test_text_of_another_kind_is_counted_by_the_idiom_itself():
    """Objects that are not str but have lower() (collections.UserString, a class of one's own):
    Counter(text.lower().split()) itself, its keys whatever split() gives."""
    from collections import UserString

    class Words:
        def lower(self):
            return "b a b"

    assert same(fastkernels.word_count(UserString("A a B")), Counter(UserString("A a B").lower().split()))
    assert same(fastkernels.word_count(Words()), Counter(["b", "a", "b"]))


@pytest.mark.parametrize("make", [lambda: __import__("array").array("u", "Hi hi"),
                                  lambda: __import__("array").array("i", [72, 105]),
                                  lambda: __import__("numpy").array(["Hi hi"]),
                                  lambda: __import__("numpy").array([b"Hi hi"]),
                                  lambda: __import__("numpy").array(["2020-01-01"], dtype="M8[D]"),
                                  lambda: memoryview(b"abcd").cast("H")])
def test_buffers_of_items_wider_than_a_byte_are_a_type_error(make):
    """Their bytes are not UTF-8 text (an array('u') counted as bytes gave words full of NULs)."""
    text = make()
    with pytest.raises(TypeError, match=r"^word_count\(\) argument 'text' must be str or a buffer of bytes, not "):
        fastkernels.word_count(text)


def test_buffers_of_byte_formats_are_counted():
    import array
    import ctypes

    for text in (array.array("b", b"Ab ab"), array.array("B", b"Ab ab"), memoryview(b"Ab ab").cast("c"),
                 (ctypes.c_char * 5).from_buffer_copy(b"Ab ab")):
        assert same(fastkernels.word_count(text), Counter(["ab", "ab"]))


def test_native_counts_argument():
    counts: dict[str, int] = {}
    assert fastkernels._native._word_count("b A a", counts) is None
    assert counts == {"a": 2, "b": 1}
    with pytest.raises(ValueError, match=r"argument 'counts' must be empty"):
        fastkernels._native._word_count("a", {"a": 1})
    with pytest.raises(TypeError, match=r"argument 'counts' must be dict, not list"):
        fastkernels._native._word_count("a", [])


def test_bad_threads():
    for text in ("a", b"a", bytearray(b"a")):
        with pytest.raises(ValueError, match=r"^word_count\(\) argument 'threads'"):
            fastkernels.word_count(text, threads=0)


# ---- files ------------------------------------------------------------------------------

def file_idiom(path, encoding="utf-8"):
    with open(path, encoding=encoding) as f:
        return Counter(f.read().lower().split())


def test_file_equals_the_idiom(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(long_text(3, 200_000), encoding="utf-8")
    assert same(fastkernels.word_count_file(path), file_idiom(path))
    assert same(fastkernels.word_count_file(str(path)), file_idiom(path))
    assert same(fastkernels.word_count_file(os.fsencode(path)), file_idiom(path))


def test_large_file_across_read_chunks(tmp_path):
    # Larger than the 8 MiB read chunk, with multi-byte characters and long tokens at every boundary.
    path = tmp_path / "large.txt"
    path.write_text(long_text(4, 20_000_000), encoding="utf-8")
    expected = file_idiom(path)
    for threads in (1, 2, 3):
        assert same(fastkernels.word_count_file(path, threads=threads), expected)


def test_a_token_longer_than_the_read_chunk(tmp_path):
    path = tmp_path / "long-token.txt"
    path.write_text("A" * (9 << 20) + " b\n", encoding="utf-8")
    assert fastkernels.word_count_file(path) == Counter({"a" * (9 << 20): 1, "b": 1})


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert fastkernels.word_count_file(path) == Counter()


@pytest.mark.parametrize("encoding, data", [
    ("ascii", b"Plain ASCII text\n"),
    ("latin-1", b"Caf\xe9 CAF\xc9 na\xefve \xa0nbsp\x85nel \xdf"),
    ("iso-8859-1", b"\xc0 \xe0"),
    ("cp1252", b"\x80uro \x93quoted\x94 Caf\xe9"),
    ("utf-8-sig", "\ufeffBOM Bom".encode("utf-8")),
    ("utf-16", "Zwei Wörter ΣΑΣ".encode("utf-16")),
    ("utf8", "alias Alias".encode()),
])
def test_encodings(tmp_path, encoding, data):
    path = tmp_path / "encoded.txt"
    path.write_bytes(data)
    assert same(fastkernels.word_count_file(path, encoding=encoding), file_idiom(path, encoding))


UNDECODABLE = [
    ("utf-8", b"good \xff bad"), ("ascii", b"caf\xe9"), ("utf-8", b"word " * 30_000 + b"\xe2\x82"),
    ("utf-8", b"x " * 3_000_000 + b"\xf0\x9f\x98A"), ("cp1252", b"a " * 75_000 + b"\x81"),
    ("utf-16-le", "ab cd".encode("utf-16-le") + b"\x00"), ("utf-8-sig", b"\xef\xbb\xbfok \xc3\x28"),
]


def assert_same_decode_error(raised, expected):
    assert str(raised) == str(expected)
    assert (raised.encoding, raised.start, raised.end, raised.reason) == \
        (expected.encoding, expected.start, expected.end, expected.reason)


@pytest.mark.parametrize("encoding, data", UNDECODABLE)
def test_undecodable_files_raise_what_read_raises(tmp_path, encoding, data):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(UnicodeDecodeError) as expected:
        file_idiom(path, encoding)
    for threads in (1, 2):
        with pytest.raises(UnicodeDecodeError) as raised:
            fastkernels.word_count_file(path, encoding=encoding, threads=threads)
        assert_same_decode_error(raised.value, expected.value)


@pytest.mark.parametrize("encoding, data", UNDECODABLE + [("utf-8", "ok Ω".encode() * 5000)])
def test_pipes_and_fifos(tmp_path, encoding, data):
    """A FIFO cannot be read twice: the error is rebuilt at its position (issue 9, item 14)."""
    import threading

    try:
        expected = ("value", Counter(data.decode(encoding).lower().split()))
    except UnicodeDecodeError as error:
        expected = ("error", error)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(data))
    writer.start()
    try:
        result = ("value", fastkernels.word_count_file(fifo, encoding=encoding))
    except UnicodeDecodeError as error:
        result = ("error", error)
    finally:
        writer.join(timeout=30)
    assert result[0] == expected[0]
    if result[0] == "value":
        assert same(result[1], expected[1])
    else:
        assert_same_decode_error(result[1], expected[1])


def test_a_descriptor_positioned_inside_a_character(tmp_path):
    """word_count_file(fd) reads from the descriptor's position, as open(fd) does (issue 9, item 14)."""
    path = tmp_path / "text.txt"
    path.write_bytes("héllo wörld".encode())
    for position in range(len(path.read_bytes())):
        def idiom_from(position):
            fd = os.open(path, os.O_RDONLY)
            os.lseek(fd, position, os.SEEK_SET)
            try:
                return ("value", Counter(open(fd, encoding="utf-8").read().lower().split()))
            except UnicodeDecodeError as error:
                return ("error", str(error), error.start, error.end)

        fd = os.open(path, os.O_RDONLY)
        os.lseek(fd, position, os.SEEK_SET)
        try:
            mine = ("value", fastkernels.word_count_file(fd))
        except UnicodeDecodeError as error:
            mine = ("error", str(error), error.start, error.end)
        assert mine == idiom_from(position)


def test_default_encoding_is_opens(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("Grüße aus Köln", encoding="utf-8")
    with open(path) as file:
        expected = Counter(file.read().lower().split())
    assert same(fastkernels.word_count_file(path, encoding=None), expected)
    with pytest.raises(TypeError, match=r"^word_count_file\(\) argument 'encoding' must be str or None"):
        fastkernels.word_count_file(path, encoding=5)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_threads_are_checked_for_every_encoding(tmp_path, encoding):
    path = tmp_path / "text.txt"
    path.write_text("a b")
    for threads, error in [(0, ValueError), ("x", TypeError), (-1, ValueError)]:
        with pytest.raises(error, match=r"^word_count_file\(\) argument 'threads'"):
            fastkernels.word_count_file(path, encoding=encoding, threads=threads)


def test_unknown_encoding(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"x")
    with pytest.raises(LookupError):
        fastkernels.word_count_file(path, encoding="no-such-codec")


@pytest.mark.parametrize("encoding", ["hex", "base64", "rot13", "uu_codec", "zlib_codec", "HEX"])
def test_codecs_that_are_not_text_encodings_are_refused_as_open_refuses_them(tmp_path, encoding):
    path = tmp_path / "x.txt"
    path.write_bytes(b"68656c6c6f")
    with pytest.raises(LookupError) as expected:
        open(path, encoding=encoding)
    with pytest.raises(LookupError) as raised:
        fastkernels.word_count_file(path, encoding=encoding)
    assert str(raised.value) == str(expected.value)


BOMLESS = [(encoding, data) for encoding in ("utf-16", "utf-32")
           for data in (b"ab", b"abc", b"abcd", b"abcde", b"abcd" * 3 + b"\x00\xd8", b"a", b"ab" * 300_000 + b"c")]


def what_happens(call):
    try:
        return ("value", call())
    except UnicodeError as error:  # UnicodeDecodeError or the codec's own complaint
        return (type(error), str(error))


@pytest.mark.parametrize("encoding, data", BOMLESS, ids=[f"{encoding}-{len(data)}-bytes" for encoding, data in BOMLESS])
def test_utf16_and_utf32_without_a_byte_order_mark_raise_what_read_raises(tmp_path, encoding, data):
    """read() decodes the whole text at once: a text without a byte-order mark gets the codec's
    UnicodeError, unless decoding finds an error first (b"abc" as UTF-16 is truncated)."""
    import threading

    path = tmp_path / "bomless.txt"
    path.write_bytes(data)
    expected = what_happens(lambda: file_idiom(path, encoding))
    assert what_happens(lambda: fastkernels.word_count_file(path, encoding=encoding)) == expected
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(data))
    writer.start()
    try:
        assert what_happens(lambda: fastkernels.word_count_file(fifo, encoding=encoding)) == expected
    finally:
        writer.join(timeout=30)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        fastkernels.word_count_file(tmp_path / "missing")
    assert raised.value.errno == 2 and raised.value.filename == str(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        fastkernels.word_count_file(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    with pytest.raises(PermissionError):
        fastkernels.word_count_file(path)


REAL_TEXTS = [
    "/usr/share/polkit-1/actions/org.freedesktop.packagekit.policy",
    "/usr/share/vim/vim90/tutor/tutor.el.utf-8",
    "/usr/share/vim/vim90/tutor/tutor.ru.utf-8",
    "/usr/share/vim/vim90/tutor/tutor.ja.utf-8",
    "/usr/share/i18n/locales/iso14651_t1_pinyin",
    "/usr/share/doc/valgrind/html/dist.news.html",
]


@pytest.mark.parametrize("path", REAL_TEXTS)
def test_real_multilingual_texts(path):
    if not pathlib.Path(path).exists():
        pytest.skip(f"{path} is not installed here")
    expected = file_idiom(path)
    assert same(fastkernels.word_count_file(path), expected)
    assert same(fastkernels.word_count(pathlib.Path(path).read_text(encoding="utf-8")), expected)



# ---- _merge_word_counts: the merge step of fastkernels.dask.word_count_files --------------------

def encode_counts(counter):
    import array

    return " ".join(counter).encode("utf-8", "surrogatepass"), array.array("q", counter.values()).tobytes()


def decode_counts(words, counts):
    import array

    numbers = array.array("q")
    numbers.frombytes(counts)
    keys = words.decode("utf-8", "surrogatepass").split(" ") if words else []
    assert len(keys) == len(numbers)
    return list(zip(keys, numbers.tolist()))


WORDS = st.text(st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=12)


@given(st.lists(st.dictionaries(WORDS, st.integers(-(2**40), 2**40), max_size=30), max_size=6))
def test_merge_word_counts_is_counter_update_part_after_part(parts):
    from fastkernels import _native

    expected = Counter()
    for part in parts:
        expected.update(part)
    encoded = [encode_counts(Counter(part)) for part in parts]
    words, counts = _native._merge_word_counts(tuple(w for w, _ in encoded), tuple(c for _, c in encoded))
    assert decode_counts(words, counts) == list(expected.items())


def test_merge_word_counts_of_many_words_and_long_ones():
    from fastkernels import _native

    rng = __import__("random").Random(3)
    vocabulary = [f"w{i}" for i in range(300_000)] + ["x" * n for n in range(1, 70)] + ["ΣΑΣ", "😀", "日本語"]
    parts = [Counter(rng.choice(vocabulary) for _ in range(50_000)) for _ in range(5)]
    expected = Counter()
    for part in parts:
        expected.update(part)
    encoded = [encode_counts(part) for part in parts]
    words, counts = _native._merge_word_counts(tuple(w for w, _ in encoded), tuple(c for _, c in encoded))
    assert decode_counts(words, counts) == list(expected.items())
    assert _native._merge_word_counts((), ()) == (b"", b"")


@pytest.mark.parametrize("words, counts, error, message", [
    ((b"a b",), (b"\x01" + bytes(7),), ValueError, "one non-empty word per count"),
    ((b"a",), (bytes(16),), ValueError, "one non-empty word per count"),
    ((b"a  b",), (bytes(16),), ValueError, "one non-empty word per count"),
    ((b" a",), (bytes(8),), ValueError, "one non-empty word per count"),
    ((b"a ",), (bytes(8),), ValueError, "one non-empty word per count"),
    ((b"",), (bytes(8),), ValueError, "one non-empty word per count"),
    ((b"a",), (bytes(5),), ValueError, "whole 64-bit counts"),
    ((b"a",), (), ValueError, "same length"),
    ([b"a"], (bytes(8),), TypeError, "must be tuple"),
    (("a",), (bytes(8),), TypeError, "every part must be bytes"),
    ((bytearray(b"a"),), (bytes(8),), TypeError, "every part must be bytes"),
])
def test_merge_word_counts_rejects_what_is_not_the_encoded_form(words, counts, error, message):
    from fastkernels import _native

    with pytest.raises(error, match=message):
        _native._merge_word_counts(words, counts)


def test_merge_word_counts_overflow_is_an_error_not_a_wrap():
    import struct

    from fastkernels import _native

    big = struct.pack("=q", 2**63 - 1)
    with pytest.raises(OverflowError, match="64 bits"):
        _native._merge_word_counts((b"a", b"a"), (big, struct.pack("=q", 1)))
    assert _native._merge_word_counts((b"a", b"a"), (big, struct.pack("=q", -1)))[1] == struct.pack("=q", 2**63 - 2)


def test_string_cache_keeps_a_vocabulary_of_thousands():
    """The strs of a count's words are kept and handed out again by the next count (no
    allocation, no hashing): a vocabulary of 3,000 short words keeps nearly all of them.
    The cache is two-way set associative; direct-mapped with 4,096 entries it lost about
    a third of such a vocabulary on every call."""
    import random

    rng = random.Random(15)
    letters = string.ascii_lowercase
    vocabulary = sorted({"".join(rng.choices(letters, k=rng.randint(3, 12))) for _ in range(3000)})
    text = " ".join(vocabulary)
    first = fastkernels.word_count(text)
    second = fastkernels.word_count(text)
    assert list(first.items()) == list(second.items()) == [(word, 1) for word in vocabulary]
    kept = {id(word) for word in first}
    same = sum(id(word) in kept for word in second)
    assert same >= 0.95 * len(vocabulary), f"only {same} of {len(vocabulary)} strs kept"
    # The kept strs are equal to fresh ones in every way a program can see.
    for word in list(second)[:50]:
        assert word == str(word.encode().decode()) and hash(word) == hash(word.encode().decode())


def test_strs_evicted_from_the_string_cache_stay_valid_in_earlier_results():
    """A kept str that the cache evicts (or moves within its set) is still held by the Counters
    that have it: its reference is the cache's own, released once. Churn the cache with many
    vocabularies, then every earlier result must still hold intact strs."""
    import gc
    import random

    rng = random.Random(16)
    letters = string.ascii_lowercase + "éß’"
    results = []
    for round_ in range(12):
        vocabulary = ["".join(rng.choices(letters, k=rng.randint(1, 16))) for _ in range(6000)]
        text = " ".join(vocabulary + vocabulary[: 3000])
        expected = Counter(text.lower().split())
        got = fastkernels.word_count(text)
        assert list(got.items()) == list(expected.items())
        results.append((expected, got))
        gc.collect()
    for expected, got in results:
        assert list(got.items()) == list(expected.items())
        assert all(hash(word) == hash(word.encode().decode()) for word in got)

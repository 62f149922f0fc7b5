"""Fast at every size (issue 15): fastkernels against the Python idiom from an empty input up.

    python benchmarks/sizes.py [--quick] [--max-n N] [--only GROUP[,GROUP]] [--cold] [--distinct] [--json FILE]
                               [--strict]

For every size n in 0, 1, 2, 5, 10, 100, 1K, 10K, 100K, 1M, 10M (up to --max-n: 1M by default,
100K with --quick) and every row below, the idiom and fastkernels are first run once on the same
input and their answers compared (type and value; for sorts of lists the very same objects; for a
Counter its order too): a wrong answer is a FAIL, shown as WRONG in the table, and is never timed.
Then both are timed interleaved, round-robin (fastkernels.bench.measure.time_interleaved), and
the ratio of the medians is printed: idiom time / fastkernels time, > 1 when fastkernels is faster.

Small inputs are timed in batches: one sample runs the call k times in a loop (the same
compiled loop on both sides, no wrapper function), k chosen so that the faster side's sample
takes about 2 ms; the times per call printed include that loop (about 10 ns a call). Large
inputs run once per sample, with fewer repeats (each comparison gets a time budget).

With --distinct, every sample cycles through several different inputs of each size (the same
ones, in the same order, on both sides): min(64, 65536 // n) of them from n = 2 (the next slices of
the same random sources; for prose, the next n characters), one from 10K elements on. The default
runs one input over and over, as timeit does; then the branch predictor learns the branches an
input makes a call take: sorted() of 100 floats took 1.8 us on one input and 5.3 us cycling
through 64 (2026-12-06), fastkernels' sort (a sorting network, without data-dependent branches)
0.9 us on both, while a word count of 1,000 characters of prose is the other way round (its
tokenizer branches per token). Real programs rarely sort or count the very same input twice.

Before the sweep every call runs once at every size, largest first (not with --cold): small
inputs are then measured in the state of a program that has used the kernels on inputs of every
size (threads started, tables grown and kept), not only as the first calls of a fresh process.

Rows (goals are issue 15's; the verdicts follow the table):
- sort: fastkernels.sort(list) vs sorted(list), random ints over the whole int64 range and random
  floats: >= 1x at every n, >= 3x from n = 100, >= 8x from n = 10K. fastkernels.sort(arr) vs
  numpy.sort(arr) for int64, float64, int32, float32 arrays: >= 1x at every n.
- sum: fastkernels.sum(x) vs sum(x) for lists and tuples of ints (int64 range, and small ints
  0..999) and of floats; fastkernels.sum(arr) vs numpy.sum(arr) for int64 and int32 arrays (values
  small enough that numpy's sum does not wrap: fastkernels.sum is exact and gives a Python int);
  fastkernels.fsum(float64 array) vs math.fsum(arr): >= 1x at every n.
- word_count: fastkernels.word_count(text) vs Counter(text.lower().split()) where text is the first
  n characters of real English prose (see PROSE below), and the same on bytes (the UTF-8
  encoding of that cut) vs Counter(b.decode('utf-8').lower().split()): >= 1x at every n, >= 3x
  from 1K, >= 6x from 100K. A secondary row counts the generated text of fastkernels.bench.corpus
  (no goal: it is not prose).
- call overhead: fastkernels.fibonacci(10) vs math.gcd(12, 8), both C-level calls that do almost
  nothing: fastkernels' call within 1.2x of gcd's time (ratio >= 1/1.2).
- threads: threads=None vs threads=1 (both passed explicitly) for sort (list of ints, int64
  array), sum (list of ints, int64 array) and word_count (prose): threads=None never slower.
  These ratios hover around 1 where both run the same path, so the verdict allows 5% of noise
  (ratio >= 0.95); every other goal is checked as stated, without tolerance.

Exit status: 0 when every answer was right, even when goals FAIL (rerun: the machine is shared and
ratios move); 1 with --strict when a goal failed; 1 whenever an answer was wrong or a call raised.
numpy is required (it is a baseline). OpenBLAS's worker threads are limited to one before numpy
loads, as in numeric.py (none of these kernels uses BLAS).
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import html
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import fastkernels  # noqa: E402
from fastkernels.bench.corpus import generate as generate_corpus  # noqa: E402
from fastkernels.bench.measure import (  # noqa: E402
    calls_per_sample, machine_info, machine_line, repeat_call, seconds_of, time_interleaved)

SIZES = (0, 1, 2, 5, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
PROSE_MIN_CHARS = 10_000_000
THREADS_TOLERANCE = 0.05


def size_label(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("K", 1_000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


# ---- real English prose -----------------------------------------------------------------------
#
# PROSE: the texts are concatenated in this order, each file once (duplicates by content are
# skipped), until there are at least PROSE_MIN_CHARS characters (and at least --max-n):
#  1. The Zen of Python (`import this`, decoded from the module's ROT13 without printing it).
#  2. The Rust documentation installed by rustup (one toolchain, stable preferred), the single-page
#     print.html of each book: The Rust Programming Language, the Rustonomicon, the Reference, Rust
#     by Example, the Cargo book, the rustc book, the Edition Guide, the Embedded book, the rustdoc
#     book, the Style Guide, the Unstable Book, Clippy, the error-code index. Markup is removed:
#     <script>, <style>, <head>, <nav> elements dropped, block tags become newlines, other tags
#     are removed, entities unescaped; only the <main> element when the page has one.
#  3. Python's Language Reference topics of this interpreter (pydoc_data.topics, reST text).
#  4. The GNU manuals in /usr/share/info (*.info*.gz; Texinfo's info format, kept as it is:
#     its \x1f node separators are whitespace to str.split()).
#  5. The licences in /usr/share/common-licenses (GPL, LGPL, Apache, MPL, GFDL, ...).
#  6. The Node.js API documentation in /usr/share/doc/nodejs/api/*.md (Markdown, code included).
#  7. Other documents in /usr/share/doc: *.txt, README*, NEWS*, FAQ* (gzipped or not), sorted by path.
# On this development machine (Debian 12, rustup in /root) items 1-4 give about 13 M characters;
# elsewhere the script takes what exists. If all of it is shorter than needed, the text is
# repeated (said in the output); if none exists, the run stops and says so.

_DROP = re.compile(r"<(script|style|head|nav)\b.*?</\1\s*>", re.S | re.I)
_BLOCK = re.compile(r"</?(?:p|div|h[1-6]|li|ul|ol|pre|br|tr|td|th|table|section|header|footer|main|"
                    r"blockquote|dt|dd|dl|figure|hr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_MAIN = re.compile(r"<main\b[^>]*>(.*)</main\s*>", re.S | re.I)

RUST_BOOKS = ("book", "nomicon", "reference", "rust-by-example", "cargo", "rustc", "edition-guide",
              "embedded-book", "rustdoc", "style-guide", "unstable-book", "clippy", "error_codes")


def html_text(markup: str) -> str:
    main = _MAIN.search(markup)
    if main:
        markup = main.group(1)
    markup = _DROP.sub(" ", markup)
    markup = _BLOCK.sub("\n", markup)
    markup = _TAG.sub("", markup)
    return _BLANK_LINES.sub("\n\n", html.unescape(markup)).strip() + "\n"


def read_text(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    return html_text(text) if path.name.endswith((".html", ".htm")) else text


def zen_of_python() -> str:
    with contextlib.redirect_stdout(io.StringIO()):
        import this
    return "".join(this.d.get(c, c) for c in this.s) + "\n"


def python_reference_topics() -> str:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name] for name in sorted(topics))


def rust_doc_dir() -> Optional[Path]:
    homes = [Path(os.environ["RUSTUP_HOME"])] if os.environ.get("RUSTUP_HOME") else []
    homes.append(Path.home() / ".rustup")
    for home in homes:
        found = sorted((home / "toolchains").glob("*/share/doc/rust/html"),
                       key=lambda p: (not p.parts[-5].startswith("stable"), str(p)))
        if found:
            return found[0]
    return None


def prose_sources() -> Iterator[tuple[str, Callable[[], str]]]:
    """(description, loader) of every candidate text, in the order they are concatenated."""
    yield "The Zen of Python (import this)", zen_of_python
    rust = rust_doc_dir()
    if rust is not None:
        for book in RUST_BOOKS:
            path = rust / book / "print.html"
            if path.is_file():
                yield str(path), partial(read_text, path)
    yield "Python Language Reference topics (pydoc_data.topics)", python_reference_topics
    patterns = [("/usr/share/info", "*.info*.gz"), ("/usr/share/common-licenses", "*"),
                ("/usr/share/doc/nodejs/api", "*.md")]
    for folder, pattern in patterns:
        for path in sorted(Path(folder).glob(pattern)):
            if path.is_file():
                yield str(path), partial(read_text, path)
    doc = Path("/usr/share/doc")
    if doc.is_dir():
        wanted = re.compile(r"(\.txt|^README.*|^NEWS.*|^FAQ.*)(\.gz)?$|\.txt\.gz$", re.I)
        for path in sorted(doc.rglob("*")):
            if path.is_file() and not path.is_symlink() and wanted.search(path.name) and "nodejs/api" not in str(path):
                yield str(path), partial(read_text, path)


@dataclass
class Prose:
    text: str
    files: list[tuple[str, int]]   # (source, characters), in order
    repeated: bool


def build_prose(min_chars: int) -> Prose:
    parts: list[str] = []
    files: list[tuple[str, int]] = []
    seen: set[bytes] = set()
    total = 0
    for description, load in prose_sources():
        if total >= min_chars:
            break
        try:
            text = load()
        except (OSError, ImportError, ValueError):
            continue
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        if not text.strip() or digest in seen:
            continue
        seen.add(digest)
        if parts:
            text = "\n\n" + text
        parts.append(text)
        files.append((description, len(text)))
        total += len(text)
    if not parts:
        raise SystemExit("no prose found on this machine (see PROSE in benchmarks/sizes.py)")
    text = "".join(parts)
    repeated = len(text) < min_chars
    if repeated:
        text = (text + "\n\n") * (min_chars // (len(text) + 2) + 1)
    return Prose(text, files, repeated)


# ---- rows -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Goal:
    from_n: int
    ratio: float
    text: str = ""

    def describe(self) -> str:
        if self.text:
            return f"{self.text} (ratio >= {self.ratio:.3f})"
        where = "at every n" if self.from_n == 0 else f"from n={size_label(self.from_n)}"
        return f">= {self.ratio:g}x {where}"


Check = Callable[[Any, Any], Optional[str]]   # (fastkernels' answer, the idiom's) -> what differs


@dataclass
class Row:
    key: str
    label: str           # shown in the table
    idiom: str           # the idiom's call, on `x` (source code, compiled into the timing loop)
    fast: str            # fastkernels' call, on `x`
    data: str            # the input kind (Inputs.get)
    check: Check
    goals: tuple[Goal, ...] = ()
    group: str = ""
    tolerance: float = 0.0
    sizes: Optional[tuple[int, ...]] = None   # None: every size; () : no size (call overhead)
    note: str = ""


def describe_value(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def check_list_sort(got: Any, want: Any) -> Optional[str]:
    if type(got) is not list:
        return f"returned {type(got).__name__}, sorted() returns list"
    if len(got) != len(want):
        return f"returned {len(got)} items, sorted() {len(want)}"
    for index, (a, b) in enumerate(zip(got, want)):
        if a is not b:
            if type(a) is not type(b) or a != b:
                return f"item {index}: {describe_value(a)}, sorted() has {describe_value(b)}"
            return f"item {index}: an equal but different object (sorted() returns the same objects)"
    return None


def check_array(got: Any, want: Any) -> Optional[str]:
    if type(got) is not type(want):
        return f"returned {type(got).__name__}, numpy returns {type(want).__name__}"
    if got.dtype != want.dtype or got.shape != want.shape:
        return f"returned {got.dtype} {got.shape}, numpy {want.dtype} {want.shape}"
    if got.tobytes() != want.tobytes():
        index = int(np.flatnonzero(got != want)[0]) if (got != want).any() else -1
        return f"different values (first at index {index})" if index >= 0 else "different bits (signed zeros?)"
    return None


def check_exact(got: Any, want: Any) -> Optional[str]:
    """Same type, same value; floats bit for bit."""
    if type(got) is not type(want):
        return f"returned {describe_value(got)}, the idiom {describe_value(want)}"
    if isinstance(got, float) and got.hex() != want.hex() or got != want:
        return f"returned {describe_value(got)}, the idiom {describe_value(want)}"
    return None


def check_exact_int(got: Any, want: Any) -> Optional[str]:
    """numpy.sum gives a numpy integer; fastkernels.sum gives sum(arr.tolist()): a Python int."""
    if type(got) is not int:
        return f"returned {describe_value(got)}, documented: a Python int (sum of arr.tolist())"
    if got != int(want):
        return f"returned {got}, numpy.sum {int(want)}"
    return None


def check_counter(got: Any, want: Any) -> Optional[str]:
    if type(got) is not type(want):
        return f"returned {type(got).__name__}, the idiom {type(want).__name__}"
    if got != want:
        missing = [(w, c) for w, c in want.items() if got.get(w) != c][:3]
        extra = [w for w in got if w not in want][:3]
        return f"different counts ({len(got)} words vs {len(want)}; idiom's not matched: {missing}; extra: {extra})"
    if list(got.items()) != list(want.items()):
        return "same counts in a different order (the idiom's is first occurrence)"
    return None


def check_fibonacci_10(got: Any, want: Any) -> Optional[str]:
    """The overhead row: gcd(12, 8) is only the clock; fibonacci(10) must be 55."""
    if type(got) is not int or got != 55:
        return f"fibonacci(10) returned {describe_value(got)}, not 55"
    return None if want == 4 else f"math.gcd(12, 8) returned {want!r}"


def build_rows() -> list[Row]:
    every, sort_goals = (Goal(0, 1.0),), (Goal(0, 1.0), Goal(100, 3.0), Goal(10_000, 8.0))
    prose_goals = (Goal(0, 1.0), Goal(1_000, 3.0), Goal(100_000, 6.0))
    threads_goal = (Goal(0, 1.0),)
    rows = [
        Row("sort_list_int", "sort(list of ints) vs sorted", "sorted(x)", "sort(x)", "list_i64", check_list_sort,
            sort_goals, "sort"),
        Row("sort_list_float", "sort(list of floats) vs sorted", "sorted(x)", "sort(x)", "list_f64", check_list_sort,
            sort_goals, "sort"),
    ]
    for dtype in ("int64", "float64", "int32", "float32"):
        rows.append(Row(f"sort_{dtype}", f"sort({dtype} array) vs numpy.sort", "np_sort(x)", "sort(x)", dtype,
                        check_array, every, "sort"))
    for kind, label in (("list_i64", "list of ints"), ("tuple_i64", "tuple of ints"),
                        ("list_small", "list of ints 0..999"), ("list_f64", "list of floats"),
                        ("tuple_f64", "tuple of floats")):
        rows.append(Row(f"sum_{kind}", f"sum({label}) vs sum", "sum(x)", "fk_sum(x)", kind, check_exact, every,
                        "sum"))
    rows += [
        Row("sum_int64", "sum(int64 array) vs numpy.sum", "np_sum(x)", "fk_sum(x)", "int64_sum", check_exact_int,
            every, "sum"),
        Row("sum_int32", "sum(int32 array) vs numpy.sum", "np_sum(x)", "fk_sum(x)", "int32", check_exact_int,
            every, "sum"),
        Row("fsum_float64", "fsum(float64 array) vs math.fsum", "math_fsum(x)", "fk_fsum(x)", "float64", check_exact,
            every, "sum"),
        Row("word_count_str", "word_count(prose str) vs Counter", "Counter(x.lower().split())", "word_count(x)",
            "prose_str", check_counter, prose_goals, "word_count"),
        Row("word_count_bytes", "word_count(prose bytes) vs Counter", "Counter(x.decode('utf-8').lower().split())",
            "word_count(x)", "prose_bytes", check_counter, prose_goals, "word_count"),
        Row("word_count_corpus", "word_count(_corpus str) vs Counter", "Counter(x.lower().split())", "word_count(x)",
            "corpus_str", check_counter, (), "word_count", note="generated text: for reference, no goal"),
        Row("call_overhead", "fibonacci(10) vs math.gcd(12, 8)", "gcd(12, 8)", "fibonacci(10)", "none",
            check_fibonacci_10, (Goal(0, 1 / 1.2, "within 1.2x of gcd's time"),), "overhead", sizes=()),
    ]
    for kind, label, call, check in (("list_i64", "sort(list of ints)", "sort", check_list_sort),
                                     ("int64", "sort(int64 array)", "sort", check_array),
                                     ("list_i64", "sum(list of ints)", "fk_sum", check_exact),
                                     ("int64_sum", "sum(int64 array)", "fk_sum", check_exact),
                                     ("prose_str", "word_count(prose str)", "word_count", check_counter)):
        rows.append(Row(f"threads_{call}_{kind}", f"{label}: threads=None vs 1", f"{call}(x, threads=1)",
                        f"{call}(x, threads=None)", kind, check, threads_goal, "threads", THREADS_TOLERANCE))
    return rows


NAMES = {"sorted": sorted, "sum": sum, "Counter": Counter, "np_sort": np.sort, "np_sum": np.sum,
         "math_fsum": math.fsum, "gcd": math.gcd, "sort": fastkernels.sort, "fk_sum": fastkernels.sum,
         "fk_fsum": fastkernels.fsum, "word_count": fastkernels.word_count, "fibonacci": fastkernels.fibonacci}


def distinct_count(n: int, max_n: int) -> int:
    """How many different inputs of size n --distinct cycles through (they must fit in the sources)."""
    if n < 2:
        return 1
    return max(1, min(64, (1 << 16) // n, max(max_n, 1) // n))


class Inputs:
    """Every input of size n, made from the same seeded sources for every n (prefixes); with
    `variant` v > 0, the v-th next slice of n (--distinct)."""

    def __init__(self, max_n: int, prose: Prose, corpus: str) -> None:
        rng = np.random.default_rng(15)
        count = max(max_n, 1)
        self.sources: dict[str, Any] = {
            "int64": rng.integers(-(2**63), 2**63 - 1, size=count, dtype=np.int64, endpoint=True),
            "float64": rng.uniform(-1e6, 1e6, size=count),
            "int32": rng.integers(-(2**31), 2**31 - 1, size=count, dtype=np.int32, endpoint=True),
            "float32": rng.uniform(-1e6, 1e6, size=count).astype(np.float32),
            # |x| < 2**39: ten million of them cannot overflow numpy's int64 sum.
            "int64_sum": rng.integers(-(2**39), 2**39, size=count, dtype=np.int64),
            "small": rng.integers(0, 1000, size=count, dtype=np.int64),
        }
        self.prose, self.corpus = prose.text, corpus
        self.n = -1
        self.cache: dict[str, Any] = {}

    def get(self, kind: str, n: int, variant: int = 0) -> Any:
        if n != self.n:
            self.cache.clear()
            self.n = n
        if (kind, variant) not in self.cache:
            self.cache[kind, variant] = self.make(kind, n, variant)
        return self.cache[kind, variant]

    def make(self, kind: str, n: int, variant: int) -> Any:
        start = variant * n
        if kind in self.sources:
            return self.sources[kind][start:start + n].copy()
        if kind == "list_i64":
            return self.sources["int64"][start:start + n].tolist()
        if kind == "list_f64":
            return self.sources["float64"][start:start + n].tolist()
        if kind == "list_small":
            return self.sources["small"][start:start + n].tolist()
        if kind == "tuple_i64":
            return tuple(self.get("list_i64", n, variant))
        if kind == "tuple_f64":
            return tuple(self.get("list_f64", n, variant))
        if kind == "prose_str":
            return self.prose[start:start + n]
        if kind == "prose_bytes":
            return self.get("prose_str", n, variant).encode("utf-8")
        if kind == "corpus_str":
            return self.corpus[start:start + n]
        if kind == "none":
            return None
        raise KeyError(kind)


# ---- timing -----------------------------------------------------------------------------------

def batch(call: str, k: int, x: Any) -> Callable[[], Any]:
    """A function running `call` k times on x and returning the last result: the same compiled loop
    on both sides, names as fast locals, no wrapper function (fastkernels.bench.measure.repeat_call)."""
    return repeat_call(call, k, {**NAMES, "x": x})


def batch_over(call: str, k: int, xs: tuple[Any, ...]) -> Callable[[], Any]:
    """`batch` for several inputs: k rounds of `call` on each of xs in turn (k * len(xs) calls); the
    one-input loop itself (timeit's) when there is one."""
    if len(xs) == 1:
        return batch(call, k, xs[0])
    return repeat_call(call, k, NAMES, over=xs)


@dataclass
class Settings:
    target: float        # seconds a batched sample should take, on the faster side
    max_repeats: int
    min_repeats: int
    budget: float        # seconds of timed samples per comparison (fewer repeats for big n)


@dataclass
class Cell:
    n: Optional[int]
    status: str = "ok"           # ok, wrong, error
    detail: str = ""
    per_call: int = 1
    repeats: int = 0
    idiom_seconds: list[float] = field(default_factory=list)
    fast_seconds: list[float] = field(default_factory=list)

    @property
    def idiom_median(self) -> Optional[float]:
        return sorted(self.idiom_seconds)[len(self.idiom_seconds) // 2] if self.idiom_seconds else None

    @property
    def fast_median(self) -> Optional[float]:
        return sorted(self.fast_seconds)[len(self.fast_seconds) // 2] if self.fast_seconds else None

    @property
    def ratio(self) -> Optional[float]:
        if self.status != "ok" or not self.fast_seconds:
            return None
        return self.idiom_median / self.fast_median  # type: ignore[operator]

    def ns_per_call(self, which: str) -> Optional[float]:
        median = self.idiom_median if which == "idiom" else self.fast_median
        return None if median is None else median / self.per_call * 1e9

    def record(self) -> dict[str, Any]:
        return {"n": self.n, "status": self.status, "detail": self.detail, "calls_per_sample": self.per_call,
                "repeats": self.repeats, "idiom_median_s": self.idiom_median, "fastkernels_median_s": self.fast_median,
                "idiom_ns_per_call": self.ns_per_call("idiom"), "fastkernels_ns_per_call": self.ns_per_call("fast"),
                "ratio": self.ratio, "idiom_samples_s": self.idiom_seconds, "fastkernels_samples_s": self.fast_seconds}


def measure(row: Row, n: Optional[int], xs: tuple[Any, ...], settings: Settings) -> Cell:
    cell = Cell(n)
    idiom_once = fast_once = 0.0
    for index, x in enumerate(xs):  # every input's answers compared before any is timed
        try:
            once_idiom, once_fast = batch(row.idiom, 1, x), batch(row.fast, 1, x)
            start = time.perf_counter()
            want = once_idiom()
            idiom_once += time.perf_counter() - start
            start = time.perf_counter()
            got = once_fast()
            fast_once += time.perf_counter() - start
        except Exception as error:  # a call that raises is a failure, reported, and the sweep goes on
            cell.status, cell.detail = "error", f"{type(error).__name__}: {error}"
            return cell
        problem = row.check(got, want)
        del got, want
        if problem is not None:
            cell.status, cell.detail = "wrong", problem + (f" (input {index + 1} of {len(xs)})" if len(xs) > 1 else "")
            return cell
    # Rounds per sample (a round is one call on each input): from the first (warm-up) calls when
    # they are slow, else from a short calibration loop of both sides.
    k = 1
    if min(idiom_once, fast_once) < settings.target:
        k = calls_per_sample(lambda count: (batch_over(row.idiom, count, xs), batch_over(row.fast, count, xs)),
                             settings.target)
    functions = {"idiom": batch_over(row.idiom, k, xs), "fast": batch_over(row.fast, k, xs)}
    sample = seconds_of(functions["idiom"]) + seconds_of(functions["fast"]) if k > 1 else idiom_once + fast_once
    cell.repeats = max(settings.min_repeats, min(settings.max_repeats, int(settings.budget / max(sample, 1e-9))))
    cell.per_call = k * len(xs)
    samples = time_interleaved(functions, cell.repeats)
    cell.idiom_seconds, cell.fast_seconds = samples["idiom"].seconds, samples["fast"].seconds
    return cell


# ---- verdicts and output ----------------------------------------------------------------------

@dataclass
class Verdict:
    row: Row
    goal: Goal
    status: str          # PASS, FAIL, n/a
    detail: str


def at(cell: Cell) -> str:
    return f"n={size_label(cell.n)}" if cell.n is not None else "the call"


def verdicts(row: Row, cells: dict[Optional[int], Cell]) -> list[Verdict]:
    out = []
    broken = [c for c in cells.values() if c.status != "ok"]
    for goal in row.goals:
        relevant = [c for c in cells.values() if c.n is None or c.n >= goal.from_n]
        if broken:
            what = "; ".join(f"{at(c)}: {'WRONG ANSWER' if c.status == 'wrong' else 'ERROR'} ({c.detail})"
                             for c in broken)
            out.append(Verdict(row, goal, "FAIL", what))
            continue
        if not relevant:
            out.append(Verdict(row, goal, "n/a", "no size measured in that range (see --max-n)"))
            continue
        threshold = goal.ratio * (1 - row.tolerance)
        low = [c for c in relevant if c.ratio is not None and c.ratio < threshold]
        if low:
            detail = "below at " + ", ".join(f"{at(c)} ({c.ratio:.3f}x)" for c in low)
            out.append(Verdict(row, goal, "FAIL", detail))
        else:
            lowest = min(relevant, key=lambda c: c.ratio or 0.0)
            out.append(Verdict(row, goal, "PASS", f"lowest {lowest.ratio:.3f}x at {at(lowest)}"))
    return out


def format_ratio(cell: Optional[Cell]) -> str:
    if cell is None:
        return ""
    if cell.status == "wrong":
        return "WRONG"
    if cell.status == "error":
        return "ERROR"
    r = cell.ratio
    assert r is not None
    return f"{r:.2f}" if r < 10 else f"{r:.1f}" if r < 100 else f"{r:.0f}"


def format_time(ns: Optional[float]) -> str:
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            value = ns / scale
            return f"{value:.3g}{unit}"
    return f"{ns:.3g}ns"


def table(rows: list[Row], cells: dict[str, dict[Optional[int], Cell]], sizes: list[int],
          show: Callable[[Optional[Cell]], str], groups: bool = True) -> str:
    width = max(len(row.label) for row in rows)
    head = "kernel".ljust(width) + "".join(f"{size_label(n):>8}" for n in sizes)
    lines = [head, "-" * len(head)]
    group = None
    for row in rows:
        if groups and row.group != group and group is not None:
            lines.append("")
        group = row.group
        lines.append(row.label.ljust(width) + "".join(f"{show(cells[row.key].get(n)):>8}" for n in sizes))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="sizes up to 100K (unless --max-n), fewer repeats: under 30 s")
    parser.add_argument("--max-n", type=int, metavar="N", help="largest size (default 1M; 100K with --quick)")
    parser.add_argument("--only", metavar="GROUP", action="append", default=[],
                        help="only these groups: sort, sum, word_count, overhead, threads (repeat or comma-separate)")
    parser.add_argument("--cold", action="store_true",
                        help="no warm-up at the largest size first: small sizes measured in a fresh process")
    parser.add_argument("--distinct", action="store_true",
                        help="cycle through different inputs of each size (up to 64), not one input over and over")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every sample, median and ratio to FILE")
    parser.add_argument("--strict", action="store_true", help="exit status 1 when a goal FAILs")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # in step with the progress on stderr
    max_n = args.max_n if args.max_n is not None else (100_000 if args.quick else 1_000_000)
    if max_n < 0:
        parser.error("--max-n must be >= 0")
    sizes = [n for n in SIZES if n <= max_n]
    settings = (Settings(target=2e-3, max_repeats=5, min_repeats=3, budget=0.15) if args.quick
                else Settings(target=2e-3, max_repeats=11, min_repeats=3, budget=1.5))
    rows = build_rows()
    only = {name.strip() for value in args.only for name in value.split(",") if name.strip()}
    if only:
        unknown = only - {row.group for row in rows}
        if unknown:
            parser.error(f"unknown group {', '.join(sorted(unknown))}")
        rows = [row for row in rows if row.group in only]
    started = time.perf_counter()

    def progress(message: str) -> None:
        sys.stderr.write(f"[{time.perf_counter() - started:6.1f}s] {message}\n")
        sys.stderr.flush()

    info = machine_info()
    print(f"fastkernels {fastkernels.__version__}, numpy {np.__version__}; {machine_line(info)}")
    print(f"isa tier: {fastkernels._native._isa() if hasattr(fastkernels._native, '_isa') else 'unknown'}; "
          f"sizes {', '.join(map(size_label, sizes))}; "
          + ("cold: no warm-up" if args.cold else "after a warm-up of every call at every size, largest first")
          + "; " + ("distinct inputs: " + ", ".join(f"{size_label(n)}: {distinct_count(n, max_n)}" for n in sizes)
                    if args.distinct else "one input per size, called over and over") + "\n")
    needs_prose = any(row.data.startswith("prose") for row in rows)
    prose = build_prose(max(PROSE_MIN_CHARS, max_n)) if needs_prose else Prose("", [], False)
    if needs_prose:
        progress(f"prose: {len(prose.text):,} characters from {len(prose.files)} texts"
                 + (" (REPEATED: not enough text on this machine)" if prose.repeated else ""))
    corpus = ""
    if any(row.data == "corpus_str" for row in rows):
        with tempfile.TemporaryDirectory(prefix="fastkernels-sizes-") as workdir:
            path = generate_corpus(Path(workdir) / "corpus.txt", size_mb=max(max_n, 1) / 1e6 + 0.05)
            corpus = path.read_text(encoding="utf-8")[:max_n]
    inputs = Inputs(max_n, prose, corpus)
    progress("inputs ready")
    if not args.cold and sizes:
        # A long-running program has called the kernels on inputs of every size before a small one:
        # worker threads started, buffers and tables grown (and maybe kept). Every call runs once at
        # every size, largest first, so that the sweep measures each size in that state, not only as
        # the first calls of a fresh process (--cold).
        progress(f"warm-up: every call once at every size, {size_label(sizes[-1])} down to 0")
        for n in reversed(sizes):
            for row in rows:
                if row.sizes != ():
                    x = inputs.get(row.data, n)
                    for call in (row.idiom, row.fast):
                        with contextlib.suppress(Exception):  # a call that raises is reported by the sweep
                            batch(call, 1, x)()
    cells: dict[str, dict[Optional[int], Cell]] = {row.key: {} for row in rows}
    for row in rows:
        if row.sizes == ():
            cells[row.key][None] = measure(row, None, (None,), settings)
    for n in sizes:
        progress(f"n = {size_label(n)}")
        for row in rows:
            if row.sizes == ():
                continue
            count = distinct_count(n, max_n) if args.distinct and row.data != "none" else 1
            cell = measure(row, n, tuple(inputs.get(row.data, n, v) for v in range(count)), settings)
            cells[row.key][n] = cell
            if cell.status != "ok":
                progress(f"  {row.label} at n={size_label(n)}: {cell.status.upper()}: {cell.detail}")
    inputs.cache.clear()
    elapsed = time.perf_counter() - started

    sweep = [row for row in rows if row.sizes != ()]
    if sweep:
        print("speed-up: idiom median time / fastkernels median time (> 1: fastkernels faster); columns: n")
        print(table(sweep, cells, sizes, format_ratio))
        print("\nfastkernels, time per call (median; batched calls include their loop)")
        print(table(sweep, cells, sizes, lambda c: format_time(c.ns_per_call("fast")) if c else ""))
        print("\nthe idiom (threads rows: threads=1), time per call")
        print(table(sweep, cells, sizes, lambda c: format_time(c.ns_per_call("idiom")) if c else ""))
    for row in rows:
        if row.sizes == ():
            cell = cells[row.key][None]
            if cell.status == "ok":
                print(f"\ncall overhead: fastkernels.fibonacci(10) {format_time(cell.ns_per_call('fast'))}/call, "
                      f"math.gcd(12, 8) {format_time(cell.ns_per_call('idiom'))}/call (loop included); "
                      f"ratio gcd/fibonacci {cell.ratio:.2f}")
    if needs_prose:
        print(f"\nprose: the first n characters of {len(prose.text):,} characters of real text"
              + (" (REPEATED to reach that length)" if prose.repeated else "") + ":")
        for description, chars in prose.files:
            print(f"  {chars:>10,}  {description}")

    all_verdicts = [v for row in rows for v in verdicts(row, cells[row.key])]
    print("\ngoal checks (ratio = idiom time / fastkernels time, medians of interleaved runs from this run;"
          f" as stated, except the threads rows: {THREADS_TOLERANCE:.0%} noise allowed, i.e. >= "
          f"{1 - THREADS_TOLERANCE:.2f}x)")
    for v in all_verdicts:
        noise = f" (-{v.row.tolerance:.0%} noise: >= {v.goal.ratio * (1 - v.row.tolerance):.2f}x)" if v.row.tolerance else ""
        print(f"  {v.status:4s}  {v.row.label}: {v.goal.describe()}{noise}  ({v.detail})")
    for row in rows:
        if row.note:
            print(f"  ----  {row.label}: {row.note}")
    wrong = [(row, c) for row in rows for c in cells[row.key].values() if c.status != "ok"]
    if wrong:
        print("\n" + "!" * 78)
        print("WRONG ANSWERS OR ERRORS (not timed):")
        for row, c in wrong:
            print(f"  FAIL  {row.label} at {at(c)}: {c.status.upper()}: {c.detail}")
        print("!" * 78)
    failed = [v for v in all_verdicts if v.status == "FAIL"]
    print(f"\n{len(all_verdicts) - len(failed) - sum(v.status == 'n/a' for v in all_verdicts)} goals PASS, "
          f"{len(failed)} FAIL; measured in {elapsed:.0f} s")

    if args.json is not None:
        args.json.write_text(json.dumps({
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "machine": info, "warm_up": not args.cold,
            "distinct_inputs": {str(n): distinct_count(n, max_n) if args.distinct else 1 for n in sizes},
            "sizes": sizes, "settings": vars(settings), "threads_tolerance": THREADS_TOLERANCE,
            "prose": {"characters": len(prose.text), "repeated": prose.repeated,
                      "files": [{"source": s, "characters": c} for s, c in prose.files]},
            "rows": [{"key": row.key, "label": row.label, "group": row.group, "idiom": row.idiom,
                      "fastkernels": row.fast, "input": row.data, "note": row.note,
                      "goals": [{"from_n": g.from_n, "ratio": g.ratio} for g in row.goals],
                      "cells": [c.record() for c in cells[row.key].values()]} for row in rows],
            "verdicts": [{"row": v.row.key, "goal": v.goal.describe(), "status": v.status, "detail": v.detail}
                         for v in all_verdicts],
            "wrong_answers_or_errors": len(wrong),
        }, indent=1) + "\n")
    if wrong:
        return 1
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())

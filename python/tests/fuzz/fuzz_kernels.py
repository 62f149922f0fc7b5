"""Coverage-guided differential fuzzing of fastkernels' public functions with atheris.

Every input is decoded into a structured call (which function, what values, which container,
start, threads...) and its outcome compared with the idiom's own: builtins.sum, math.fsum, sorted
(NaNs last), numpy.sort, Counter(text.lower().split()) in order. A mismatch raises, which atheris
reports as a crash with the input that caused it; a crash of the interpreter is reported the same way.

    python python/tests/fuzz/fuzz_kernels.py -max_total_time=60 [corpus-dir]

`make fuzz` runs it for longer; pytest runs it briefly (test_fuzz.py). See docs/reliability.md.
"""
import math
import struct
import sys
from collections import Counter
from fractions import Fraction

import atheris

with atheris.instrument_imports():
    import fastkernels
    from fastkernels._pure import sorted_nans_last

import numpy as np

SPECIAL_FLOATS = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 1e308, -1e308, 2.0**53, 0.1, 1e16]
WORDS = ["a", "A", "word", "WORD", "Straße", "ΣΑΣ", "σας", "İ", "K", "k", "ﬃ", "日本", "🙂", "e\u0301", "x" * 40]
SPACES = [" ", "\n", "\t", "\u3000", "\xa0", "\u2029", "\x1c", "  "]
DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "bool"]


class Int(int):
    pass


@atheris.instrument_func
def number(fdp):
    kind = fdp.ConsumeIntInRange(0, 9)
    if kind == 0:
        return fdp.ConsumeIntInRange(-5, 5)
    if kind == 1:
        return fdp.ConsumeIntInRange(-(2**63), 2**63 - 1)
    if kind == 2:
        return fdp.ConsumeIntInRange(-(2**70), 2**70)
    if kind == 3:
        return fdp.ConsumeRegularFloat()
    if kind == 4:
        return fdp.PickValueInList(SPECIAL_FLOATS)
    if kind == 5:
        return fdp.ConsumeBool()
    if kind == 6:
        return Fraction(fdp.ConsumeIntInRange(-100, 100), fdp.ConsumeIntInRange(1, 50))
    if kind == 7:
        return np.float64(fdp.ConsumeFloat())
    if kind == 8:
        return Int(fdp.ConsumeIntInRange(-1000, 1000))
    return fdp.ConsumeFloat()


def outcome(function, *args, **kwargs):
    try:
        return ("value", function(*args, **kwargs))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome being compared
        return ("error", type(error).__name__, str(error))


@atheris.instrument_func
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, np.floating):
        return a.tobytes() == b.tobytes()
    if isinstance(a, list):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b))
    if isinstance(a, Counter):
        return list(a.items()) == list(b.items())
    return bool(a == b)


@atheris.instrument_func
def check(mine, theirs, what):
    if mine[0] == "value" and theirs[0] == "value":
        ok = same(mine[1], theirs[1])
    else:
        ok = mine == theirs
    if not ok:
        raise AssertionError(f"{what}: fastkernels {mine!r} != idiom {theirs!r}")


@atheris.instrument_func
def array(fdp):
    dtype = fdp.PickValueInList(DTYPES)
    n = fdp.ConsumeIntInRange(0, 300)
    if dtype == "bool":
        a = np.frombuffer(fdp.ConsumeBytes(n), dtype=np.uint8).astype(bool)
    elif dtype.startswith("float"):
        a = np.array([fdp.PickValueInList(SPECIAL_FLOATS) if fdp.ConsumeBool() else fdp.ConsumeFloat()
                      for _ in range(n)], dtype=dtype)
    else:
        info = np.iinfo(dtype)
        a = np.array([fdp.ConsumeIntInRange(int(info.min), int(info.max)) for _ in range(n)], dtype=dtype)
    layout = fdp.ConsumeIntInRange(0, 3)
    if layout == 1:
        a = a[::2]
    elif layout == 2:
        a = a[::-1]
    elif layout == 3:
        a = a.astype(a.dtype.newbyteorder())
    return a


@atheris.instrument_func
def TestOneInput(data):
    fdp = atheris.FuzzedDataProvider(data)
    operation = fdp.ConsumeIntInRange(0, 7)
    threads = fdp.PickValueInList([None, 1, 2, 3])
    if operation == 0:  # sum of a list, tuple or iterator, with a start
        values = [number(fdp) for _ in range(fdp.ConsumeIntInRange(0, 40))]
        start = number(fdp) if fdp.ConsumeBool() else 0
        container = fdp.ConsumeIntInRange(0, 2)
        make = [list, tuple, iter][container]
        check(outcome(fastkernels.sum, make(values), start, threads=threads), outcome(sum, make(values), start),
              f"sum({values!r}, {start!r})")
    elif operation == 1:  # sum of a buffer: builtins.sum(tolist(), start)
        a = array(fdp)
        start = number(fdp) if fdp.ConsumeBool() else 0
        check(outcome(fastkernels.sum, a, start, threads=threads), outcome(sum, a.tolist(), start),
              f"sum({a!r}, {start!r})")
    elif operation == 2:  # fsum of a list
        values = [number(fdp) for _ in range(fdp.ConsumeIntInRange(0, 40))]
        check(outcome(fastkernels.fsum, values, threads=threads), outcome(math.fsum, values), f"fsum({values!r})")
    elif operation == 3:  # fsum of a buffer
        a = array(fdp)
        check(outcome(fastkernels.fsum, a, threads=threads), outcome(math.fsum, a.tolist()), f"fsum({a!r})")
    elif operation == 4:  # sort of a list: sorted(), NaNs last
        values = [number(fdp) for _ in range(fdp.ConsumeIntInRange(0, 40))]
        reverse = fdp.ConsumeBool()
        check(outcome(fastkernels.sort, values, reverse=reverse, threads=threads),
              outcome(sorted_nans_last, values, reverse=reverse), f"sort({values!r}, reverse={reverse})")
    elif operation == 5:  # sort of a numpy array: numpy's stable sort (NaNs last, equal values in order)
        a = array(fdp)
        reverse = fdp.ConsumeBool()
        result = fastkernels.sort(a, reverse=reverse, threads=threads)
        expected = sorted_nans_last(a.tolist(), reverse=reverse)
        if result.tolist() != expected and not all(
                (x == y) or (x != x and y != y) for x, y in zip(result.tolist(), expected)):
            raise AssertionError(f"sort({a!r}, reverse={reverse}): {result!r} != {expected!r}")
        if a.dtype.kind == "f" and np.signbit(result).tolist() != [math.copysign(1, x) < 0 for x in expected]:
            raise AssertionError(f"sort({a!r}): signed zeros out of order: {result!r}")
    elif operation == 6:  # word_count of text or bytes
        parts = []
        for _ in range(fdp.ConsumeIntInRange(0, 30)):
            parts.append(fdp.PickValueInList(WORDS) if fdp.ConsumeBool() else fdp.ConsumeUnicodeNoSurrogates(6))
            parts.append(fdp.PickValueInList(SPACES))
        text = "".join(parts)
        if fdp.ConsumeBool():
            check(outcome(fastkernels.word_count, text, threads=threads), outcome(lambda t: Counter(t.lower().split()), text),
                  f"word_count({text!r})")
        else:
            raw = text.encode() if fdp.ConsumeBool() else fdp.ConsumeBytes(40) + text.encode()
            check(outcome(fastkernels.word_count, raw, threads=threads),
                  outcome(lambda b: Counter(b.decode("utf-8").lower().split()), raw), f"word_count({raw!r})")
    else:  # sort_inplace of a list
        values = [number(fdp) for _ in range(fdp.ConsumeIntInRange(0, 40))]
        reverse = fdp.ConsumeBool()
        mine = list(values)
        got = outcome(fastkernels.sort_inplace, mine, reverse=reverse, threads=threads)
        expected = outcome(sorted_nans_last, values, reverse=reverse)
        if got[0] == "value":
            check(("value", mine), expected, f"sort_inplace({values!r})")
        else:
            check(got, expected, f"sort_inplace({values!r})")


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()

"""word_count on every instruction-set tier and on the parallel path (issue 12).

The tokenizer finds token boundaries 64 bytes at a time with a mask per block, computed by
AVX-512BW, AVX2 or SWAR (FASTKERNELS_ISA picks a lower tier than the CPU's); large texts
may be counted by several workers whose tables are merged, when the cost model says it pays
(FASTKERNELS_WORD_COUNT_PARALLEL=always|never overrides it). Both variables are read once per
process, so each combination runs in a child interpreter, which checks that every result is
the idiom's Counter, order included, and prints how many texts it checked.
"""
import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(r'''
    import os, random, sys, tempfile
    from collections import Counter
    import fastkernels

    WHITESPACE = ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", " ", "\x85", "\xa0", "\u1680", "\u2000",
                  "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
    checked = 0

    def check(text, threads=(1, 2, 3)):
        global checked
        expected = list(Counter(text.lower().split()).items())
        data = text.encode()
        for t in threads:
            assert list(fastkernels.word_count(text, threads=t).items()) == expected, (t, text[:80])
            assert list(fastkernels.word_count(data, threads=t).items()) == expected, t
        checked += 1

    # Every alignment of a separator (ASCII, 2- and 3-byte Unicode whitespace) and of a
    # non-ASCII letter against the 64-byte blocks, and texts ending inside a block.
    for space in ["\t", " ", "\x1c", "\xa0", "\u2028", "\u3000"]:
        for offset in range(0, 140, 3):
            check("x" * offset + space + "Ab" + space + "é" * (offset % 5) + "Z" + " q" * (offset % 3), (1,))
    for n in range(0, 200, 7):
        check(("Ab cD" * 40)[:n], (1,))
        check(("Ab\u3000cD\xa0" * 30)[:n], (1,))
    check("x" * 70 + "\x00" + "y" * 70 + "\u200b z", (1,))  # NUL and zero-width space are not whitespace

    rng = random.Random(12)
    # A multi-worker text: words shared by all shares, words first seen late (in a later
    # worker's share), Unicode whitespace and non-ASCII words everywhere, long tokens.
    common = ["the", "Of", "AND", "wörd", "Straße", "ΣΑΣ", "naïve", "x" * 20, "y" * 17, "İi", "K"]
    parts = []
    for i in range(600_000):
        r = rng.random()
        if r < 0.6:
            word = rng.choice(common)
        elif r < 0.9:
            word = "w%d" % rng.randrange(20_000 + i // 10)  # the vocabulary grows along the text
        else:
            word = "Late%dé" % rng.randrange(1 + i // 50) if rng.random() < 0.5 else "L" * rng.randrange(1, 40)
        parts.append(word)
        parts.append(rng.choice(WHITESPACE) if rng.random() < 0.2 else " ")
    check("".join(parts))
    # A huge vocabulary: 300,000 distinct tokens, short and long, in a random order, most
    # seen once, some again in other shares.
    vocabulary = ["t%x" % k for k in range(200_000)] + ["long_identifier_%d_x" % k for k in range(100_000)]
    rng.shuffle(vocabulary)
    text = " ".join(vocabulary + rng.sample(vocabulary, 50_000) + vocabulary[:1000])
    check(text)

    # Files: regions read with pread by several workers.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write(text + "\u3000" + "".join(parts))
        path = f.name
    try:
        expected = list(Counter(open(path, encoding="utf-8").read().lower().split()).items())
        for t in (1, 2, 3):
            assert list(fastkernels.word_count_file(path, threads=t).items()) == expected, t
    finally:
        os.unlink(path)
    print(checked)
''')


@pytest.mark.parametrize("parallel", ["always", "never"])
@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_every_tier_and_path_equals_the_idiom(isa, parallel):
    environment = dict(os.environ, FASTKERNELS_ISA=isa, FASTKERNELS_WORD_COUNT_PARALLEL=parallel)
    completed = subprocess.run([sys.executable, "-c", CHILD], env=environment, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert int(completed.stdout.split()[-1]) > 300

"""Benchmarks of word_count and word_count_file (issue 4's and issue 12's targets), measured in one run.

    python benchmarks/word_count.py [--quick] [--corpus PATH ...] [--source PATH ...]

Each text (the generated corpus of about 43 MB, made deterministically by
fastkernels.bench.corpus, unless --corpus or --source name files: real prose, or
source code, whose targets differ) is counted by the Python idiom
Counter(open(p).read().lower().split()), by fastkernels with threads=1 and with
all cores, and by `wc -w`; then each implementation runs alone in a fresh
process to measure its peak RSS. Medians of interleaved repeats; ratios from
this run. benchmarks/real_corpora.py builds real texts from Debian packages.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import fastkernels
from fastkernels.bench.corpus import generate as generate_corpus
from timing import describe, interleaved, medians

PEAK_RSS_CHILD = """
import sys
from collections import Counter
import fastkernels
path = sys.argv[2]
if sys.argv[1] == "idiom":
    result = Counter(open(path, encoding="utf-8").read().lower().split())
else:
    result = fastkernels.word_count_file(path)
# VmHWM is this process's own peak RSS (ru_maxrss would carry the parent's over from fork).
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(peak, len(result))
"""


def peak_rss_mib(which: str, path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", PEAK_RSS_CHILD, which, str(path)], capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]) / 1024


# Issue 12's targets on a 2-core machine: (threads=1, all cores) times faster than the idiom.
TARGETS = {"prose": (20, 35), "source": (10, 17), "generated": (15, 25)}


def measure(path: Path, kind: str, repeats: int) -> None:
    size = path.stat().st_size
    print(f"== {path} ({size / 1e6:.1f} MB, {kind})")

    def idiom() -> Counter[str]:
        with open(path, encoding="utf-8") as f:
            return Counter(f.read().lower().split())

    expected = idiom()
    assert list(fastkernels.word_count_file(path, threads=1).items()) == list(expected.items())
    assert list(fastkernels.word_count_file(path).items()) == list(expected.items())
    text = path.read_text(encoding="utf-8")
    assert list(fastkernels.word_count(text).items()) == list(expected.items())
    print(f"all implementations agree, order included: {sum(expected.values()):,} words, "
          f"{len(expected):,} distinct\n")
    del expected

    candidates = {
        "idiom": idiom,
        "word_count_file threads=1": lambda: fastkernels.word_count_file(path, threads=1),
        "word_count_file (all cores)": lambda: fastkernels.word_count_file(path),
    }
    wc = shutil.which("wc")
    if wc:
        candidates["wc -w"] = lambda: subprocess.run([wc, "-w", str(path)], check=True, capture_output=True)
    times = interleaved(candidates, repeats)
    med = medians(times)
    one, all_cores = TARGETS[kind]
    print("counting the file")
    for name, samples in times.items():
        print(f"  {name:30s} {describe(samples, 1e-3, 'ms')}")
    print(f"  threads=1: {med['idiom'] / med['word_count_file threads=1']:.1f}x faster than the idiom (target >= {one}x)")
    print(f"  all cores: {med['idiom'] / med['word_count_file (all cores)']:.1f}x faster than the idiom "
          f"(target >= {all_cores}x); {med['word_count_file threads=1'] / med['word_count_file (all cores)']:.2f}x "
          f"threads=1's speed")
    if wc:
        print(f"  all cores: {med['word_count_file (all cores)'] / med['wc -w']:.2f}x the time of wc -w (target <= 0.5x)")
    print()

    times = interleaved({"idiom on a str": lambda: Counter(text.lower().split()),
                         "word_count(str) threads=1": lambda: fastkernels.word_count(text, threads=1),
                         "word_count(str)": lambda: fastkernels.word_count(text)}, repeats)
    med = medians(times)
    print("counting a str already in memory")
    for name, samples in times.items():
        print(f"  {name:30s} {describe(samples, 1e-3, 'ms')}")
    print(f"  {med['idiom on a str'] / med['word_count(str) threads=1']:.1f}x faster on one thread, "
          f"{med['idiom on a str'] / med['word_count(str)']:.1f}x on all cores\n")

    idiom_rss, ours_rss = peak_rss_mib("idiom", path), peak_rss_mib("fastkernels", path)
    print(f"peak RSS of a process counting the file: idiom {idiom_rss:.0f} MiB, word_count_file {ours_rss:.0f} MiB "
          f"({ours_rss / idiom_rss:.3f} of the idiom's; target <= 0.1)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 4 MB corpus and fewer repeats")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="count this file of real prose instead of the generated corpus (repeatable)")
    parser.add_argument("--source", type=Path, action="append", default=[],
                        help="count this file of source code (its own targets; repeatable)")
    args = parser.parse_args()
    print(f"fastkernels {fastkernels.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores\n")
    repeats = 3 if args.quick else 7
    texts = [(path, "prose") for path in args.corpus] + [(path, "source") for path in args.source]
    workdir = None
    if not texts:
        workdir = Path(tempfile.mkdtemp(prefix="fastkernels-bench-"))
        texts = [(generate_corpus(workdir / "corpus.txt", size_mb=4 if args.quick else 43), "generated")]
    for path, kind in texts:
        measure(path, kind, repeats)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

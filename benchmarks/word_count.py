"""Benchmarks of word_count and word_count_file (issue 4's targets), measured in one run.

    python benchmarks/word_count.py [--quick] [--corpus PATH]

The corpus (about 43 MB, generated deterministically by fastkernels.bench.corpus
unless --corpus names a file) is counted by the Python idiom
Counter(open(p).read().lower().split()), by fastkernels with threads=1 and with
all cores, and by `wc -w`; then each implementation runs alone in a fresh
process to measure its peak RSS. Medians of interleaved repeats; ratios from
this run.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 4 MB corpus and fewer repeats")
    parser.add_argument("--corpus", type=Path, help="count this file instead of the generated corpus")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fastkernels-bench-"))
    path = args.corpus or generate_corpus(workdir / "corpus.txt", size_mb=4 if args.quick else 43)
    size = path.stat().st_size
    print(f"fastkernels {fastkernels.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores; "
          f"corpus {path} ({size / 1e6:.1f} MB)\n")

    def idiom() -> Counter[str]:
        with open(path, encoding="utf-8") as f:
            return Counter(f.read().lower().split())

    expected = idiom()
    assert fastkernels.word_count_file(path, threads=1) == expected
    assert fastkernels.word_count_file(path) == expected
    text = path.read_text(encoding="utf-8")
    assert fastkernels.word_count(text) == expected
    print(f"all implementations agree: {sum(expected.values()):,} words, {len(expected):,} distinct\n")

    candidates = {
        "idiom": idiom,
        "word_count_file threads=1": lambda: fastkernels.word_count_file(path, threads=1),
        "word_count_file (all cores)": lambda: fastkernels.word_count_file(path),
    }
    wc = shutil.which("wc")
    if wc:
        candidates["wc -w"] = lambda: subprocess.run([wc, "-w", str(path)], check=True, capture_output=True)
    repeats = 3 if args.quick else 7
    times = interleaved(candidates, repeats)
    med = medians(times)
    print("counting the file")
    for name, samples in times.items():
        print(f"  {name:30s} {describe(samples, 1e-3, 'ms')}")
    print(f"  threads=1: {med['idiom'] / med['word_count_file threads=1']:.1f}x faster than the idiom (target >= 15x)")
    print(f"  all cores: {med['idiom'] / med['word_count_file (all cores)']:.1f}x faster than the idiom (target >= 25x)")
    if wc:
        print(f"  all cores: {med['word_count_file (all cores)'] / med['wc -w']:.2f}x the time of wc -w (target <= 1x)")
    print()

    times = interleaved({"idiom on a str": lambda: Counter(text.lower().split()),
                         "word_count(str)": lambda: fastkernels.word_count(text)}, repeats)
    med = medians(times)
    print("counting a str already in memory")
    for name, samples in times.items():
        print(f"  {name:30s} {describe(samples, 1e-3, 'ms')}")
    print(f"  {med['idiom on a str'] / med['word_count(str)']:.1f}x faster (target >= 10x)\n")

    idiom_rss, ours_rss = peak_rss_mib("idiom", path), peak_rss_mib("fastkernels", path)
    print(f"peak RSS of a process counting the file: idiom {idiom_rss:.0f} MiB, word_count_file {ours_rss:.0f} MiB "
          f"({ours_rss / idiom_rss:.3f} of the idiom's; target <= 0.1)")
    if args.corpus is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""fastkernels.dask against the Dask idioms (issue 14's targets), measured in one run.

    python benchmarks/dask_corpus.py [--quick] [--corpus PATH ...] [--files N] [--file-mb MB]
                                     [--array-elements N] [--chunk-elements N] [--repeats R]

Word counts: N files of MB megabytes each (default 10 x 40 MB), cut at whitespace from the
texts named by --corpus in turn (real prose: benchmarks/real_corpora.py builds them from Debian
packages), or from the generated corpus of fastkernels.bench.corpus when none is given. On a
dask.distributed LocalCluster of 2 worker processes (1 thread each) on loopback:

- the dask.bag idiom, read_text(paths).str.lower().str.split().flatten().frequencies();
- fastkernels.dask.word_count_files(paths) (default blocksize);
- in this process, without Dask: fastkernels.word_count_file on each file in turn (all cores).

Targets: the idiom's time / word_count_files' >= 15; word_count_files' / the loop's <= 1.3.

Sums: an exact fsum of a float64 dask array (default 100M elements in chunks of 10M), persisted
on the cluster first (the chunks live in the workers' memory, as in a real job), against
dask.array.sum of the same array (not exact) on the same cluster. Target: <= 1.5x its time.
The exact int sum of an int64 array is measured beside it. Medians of interleaved repeats.
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import fastkernels
from fastkernels.bench.corpus import generate as generate_corpus


def cut_files(sources: list[Path], count: int, size: int, directory: Path) -> list[Path]:
    """`count` files of about `size` bytes, each cut at a newline from the next source in turn."""
    paths = []
    for i in range(count):
        data = sources[i % len(sources)].read_bytes()
        if len(data) > size:
            end = data.rfind(b"\n", 0, size)
            data = data[:end + 1 if end > 0 else size]
        while len(data) < size // 2:  # a short source: repeated
            data += data
        path = directory / f"part-{i:03}.txt"
        path.write_bytes(data)
        paths.append(path)
    return paths


def timed(function, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def interleave(functions: dict, repeats: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            samples[name] += timed(function, 1)
    return samples


def report(samples: dict[str, list[float]], baseline: str) -> dict[str, float]:
    middle = {name: statistics.median(values) for name, values in samples.items()}
    for name, value in middle.items():
        spread = (max(samples[name]) - min(samples[name])) / 2
        print(f"  {name:40} {value * 1e3:10.1f} ms ±{spread * 1e3:.1f}   {middle[baseline] / value:6.2f}x {baseline}'s speed")
    return middle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--file-mb", type=float, default=40.0)
    parser.add_argument("--array-elements", type=int, default=100_000_000)
    parser.add_argument("--chunk-elements", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--idiom-repeats", type=int, default=3, help="runs of the dask.bag idiom (0: skip it)")
    parser.add_argument("--quick", action="store_true", help="4 files of 4 MB, 10M-element arrays, 3 repeats")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.files, arguments.file_mb, arguments.repeats = 4, 4.0, 3
        arguments.idiom_repeats = min(arguments.idiom_repeats, 1)
        arguments.array_elements, arguments.chunk_elements = 10_000_000, 1_000_000

    import dask.array as da
    import dask.bag as db
    import distributed
    import numpy as np

    from fastkernels import dask as fkd

    print(f"fastkernels {fastkernels.__version__}, dask {distributed.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    with tempfile.TemporaryDirectory(prefix="fastkernels-dask-") as temporary:
        directory = Path(temporary)
        sources = arguments.corpus or [generate_corpus(directory / "generated.txt", size_mb=arguments.file_mb)]
        paths = cut_files(sources, arguments.files, int(arguments.file_mb * 1e6), directory)
        total_mb = sum(p.stat().st_size for p in paths) / 1e6
        names = [str(p) for p in paths]
        print(f"corpus: {len(paths)} files, {total_mb:.0f} MB, from {', '.join(s.name for s in sources)}")

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:

            def bag_idiom() -> Counter[str]:
                bag = db.read_text(names).str.lower().str.split().flatten().frequencies()
                return Counter(dict(bag.compute()))

            def on_dask() -> Counter[str]:
                return fkd.word_count_files(names, client=client)

            def loop_in_process() -> Counter[str]:
                counts: Counter[str] = Counter()
                for name in names:
                    counts.update(fastkernels.word_count_file(name))
                return counts

            expected = loop_in_process()
            result = on_dask()
            assert result == expected and list(result) == list(expected), "word_count_files differs from the loop"
            if arguments.idiom_repeats:
                assert bag_idiom() == expected, "the dask.bag idiom counts differently"
            print(f"\nword counts ({len(expected)} distinct words), medians of "
                  f"{arguments.repeats} (the idiom: {arguments.idiom_repeats}):")
            samples = interleave({"fastkernels.dask.word_count_files": on_dask,
                                  "word_count_file per file, one process": loop_in_process}, arguments.repeats)
            baseline = "word_count_file per file, one process"
            if arguments.idiom_repeats:
                baseline = "dask.bag idiom"
                samples[baseline] = timed(bag_idiom, arguments.idiom_repeats)
            middle = report(samples, baseline)
            if arguments.idiom_repeats:
                print(f"  target: >= 15x the idiom: "
                      f"{middle['dask.bag idiom'] / middle['fastkernels.dask.word_count_files']:.1f}x")
            print(f"  target: <= 1.3x the in-process loop's time: "
                  f"{middle['fastkernels.dask.word_count_files'] / middle['word_count_file per file, one process']:.2f}x")

            n, chunk = arguments.array_elements, arguments.chunk_elements
            floats = da.random.default_rng(14).standard_normal(n, chunks=chunk).persist()
            ints = da.random.default_rng(15).integers(-(2**62), 2**62, n, chunks=chunk, dtype=np.int64).persist()
            distributed.wait([floats, ints])
            exact = fkd.fsum(floats)
            approximate = float(floats.sum().compute())
            print(f"\nsums of {n:,} elements in chunks of {chunk:,} (persisted on the cluster); fsum {exact!r}, "
                  f"dask.array.sum {approximate!r} (differs by {abs(exact - approximate) / math.ulp(exact):.0f} ulp)")
            samples = interleave({
                "dask.array.sum, float64": lambda: floats.sum().compute(),
                "fastkernels.dask.fsum, float64": lambda: fkd.fsum(floats),
                "dask.array.sum, int64 (wraps)": lambda: ints.sum().compute(),
                "fastkernels.dask.sum, int64 (exact)": lambda: fkd.sum(ints),
            }, arguments.repeats)
            middle = report(samples, "dask.array.sum, float64")
            print(f"  target: fsum <= 1.5x dask.array.sum's time: "
                  f"{middle['fastkernels.dask.fsum, float64'] / middle['dask.array.sum, float64']:.2f}x; int64 sum "
                  f"{middle['fastkernels.dask.sum, int64 (exact)'] / middle['dask.array.sum, int64 (wraps)']:.2f}x "
                  f"dask.array.sum's time")
    return 0


if __name__ == "__main__":
    sys.exit(main())

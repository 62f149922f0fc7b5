"""``python -m fastkernels bench``: fastkernels against pure Python and the usual alternatives.

Runs every workload (or those named by --only), checks that every implementation gives the
same answer as pure Python before timing it (a wrong answer is reported as a failure, never as
a speed), times the rest with interleaved repeats after that warm-up, and prints a table of
medians and speed-ups. numpy and polars columns appear where they are installed.

    python -m fastkernels bench [--quick | --full] [--only NAME ...] [--json FILE]
                                [--markdown FILE] [--plot FILE.png|FILE.svg] [--list]

The `sizes` workload measures the speed-up over the idiom from 10 elements to 1M and draws it as
a log-log plot in the terminal (and in the --plot file).

Exit status: 0 when every check passed, 1 when an implementation gave a wrong answer or
failed, 2 for bad arguments, 130 when interrupted (Ctrl-C).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, TextIO

from . import report
from .measure import machine_info, machine_line, time_interleaved
from .workloads import REFERENCE, SCALES, WORKLOADS, Case, Resources, Sizes

__all__ = ["main", "run_case", "run_workloads"]


class Progress:
    """Progress on stderr: a line per step, and a bar that redraws in place on a terminal."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.live = enabled and stream.isatty()
        self.started = time.perf_counter()

    def step(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"[{time.perf_counter() - self.started:6.1f}s] {message}\n")
            self.stream.flush()

    def bar(self, label: str) -> Callable[[int, int], None]:
        def update(done: int, total: int) -> None:
            if not self.live:
                return
            filled = round(20 * done / total)
            self.stream.write(f"\r    {label} [{'#' * filled}{'.' * (20 - filled)}] {done}/{total}")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        return update


def run_case(workload: str, case: Case, repeats: int, progress: Progress) -> dict[str, Any]:
    """Checks, then measures one row; returns its record (see report.py)."""
    records: dict[str, dict[str, Any]] = {}
    answers: dict[str, Any] = {}
    for implementation in case.implementations:
        record: dict[str, Any] = {"column": implementation.column, "label": implementation.label,
                                  "status": "ok", "detail": "", "seconds": [], "median": None,
                                  "spread": None, "value": None, "unit": None}
        records[implementation.column] = record
        if implementation.run is None:
            record.update(status="missing", detail=implementation.missing)
            continue
        progress.step(f"{case.name}: {implementation.column} ({implementation.label}), checking the answer")
        try:
            outcome = implementation.run()
            if case.kind in ("memory", "scaling"):
                record["value"], answers[implementation.column] = outcome
                record["unit"] = "bytes" if case.kind == "memory" else "ratio"
            else:
                answers[implementation.column] = outcome
        except Exception as error:  # a failing implementation is reported, the bench goes on
            record.update(status="error", detail=f"{type(error).__name__}: {error}")
    expected = answers.get(REFERENCE)
    for implementation in case.implementations:
        record = records[implementation.column]
        if record["status"] != "ok":
            continue
        if implementation.verify is not None:
            good = implementation.verify()
        else:
            good = implementation.column == REFERENCE or case.same(answers[implementation.column], expected)
        if not good:
            record.update(status="wrong", detail="its answer differs from pure Python's")
            progress.step(f"{case.name}: {implementation.column} gave a WRONG ANSWER")
    answers.clear()  # large results (sorted copies, Counters) are not kept while timing
    if case.kind in ("time", "rate"):
        timed = {i.column: i.run for i in case.implementations
                 if records[i.column]["status"] == "ok" and i.run is not None}
        if timed:
            progress.step(f"{case.name}: timing {', '.join(timed)} ({repeats} runs each, interleaved)")
            samples = time_interleaved(timed, repeats, progress.bar(case.name))
            for column, sample in samples.items():
                records[column].update(seconds=sample.seconds, median=sample.median, spread=sample.spread,
                                       unit="seconds")
        if case.kind == "rate":
            for implementation in case.implementations:
                record = records[implementation.column]
                if record["median"]:
                    record.update(value=implementation.flops / record["median"] / 1e9)
    row: dict[str, Any] = {"workload": workload, "case": case.name, "size": case.size, "kind": case.kind,
                           "note": case.note, "per_call": case.per_call,
                           "implementations": [records[i.column] for i in case.implementations]}
    row["speedup"] = report.speedup(row)
    if case.point is not None:  # a point of a size sweep: its speed-up over the idiom it is plotted against
        point = case.point
        row["sweep"] = {"series": point.series, "letter": point.letter, "n": point.n, "versus": point.versus,
                        "versus_label": point.versus_label, "speedup": report.speedup_over(row, point.versus)}
    return row


def run_workloads(names: list[str], sizes: Sizes, progress: Progress, workdir: Path) -> list[dict[str, Any]]:
    resources = Resources(workdir, progress.step)
    records: list[dict[str, Any]] = []
    for index, name in enumerate(names, 1):
        workload = WORKLOADS[name]
        progress.step(f"workload {index}/{len(names)}: {name}, {workload.description}")
        for case in workload.build(sizes, resources):
            records.append(run_case(name, case, sizes.repeats, progress))
    return records


def parse_arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fastkernels bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_const", dest="scale", const="quick",
                       help="small sizes and 3 repeats: a minute or less")
    scale.add_argument("--full", action="store_const", dest="scale", const="full",
                       help="larger sizes and 9 repeats")
    parser.add_argument("--only", action="append", metavar="NAME", default=[],
                        help="run only these workloads (repeat, or separate with commas; see --list)")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every raw figure and the machine to FILE")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="write the table as Markdown to FILE")
    parser.add_argument("--plot", type=Path, metavar="FILE.png|FILE.svg",
                        help="draw the speed-ups (bars, log scale; the sizes workload as a log-log chart): "
                             "FILE.svg is written by hand, FILE.png needs matplotlib")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    arguments = parser.parse_args(argv)
    arguments.scale = arguments.scale or "default"
    names = [name.strip() for value in arguments.only for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(map(repr, unknown))}; choose from {', '.join(WORKLOADS)}")
    arguments.names = list(dict.fromkeys(names)) or list(WORKLOADS)
    if (arguments.plot is not None and arguments.plot.suffix.lower() != ".svg"
            and importlib.util.find_spec("matplotlib") is None):
        parser.error("--plot needs matplotlib, which is not installed (pip install matplotlib), "
                     "except for an .svg file")
    return arguments


def main(argv: Optional[list[str]] = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.list:
        width = max(map(len, WORKLOADS))
        for name, workload in WORKLOADS.items():
            print(f"{name.ljust(width)}  {workload.description}")
        return 0
    command = "python -m fastkernels bench"
    if arguments.scale != "default":
        command += f" --{arguments.scale}"
    if arguments.names != list(WORKLOADS):
        command += " --only " + ",".join(arguments.names)
    progress = Progress(sys.stderr, enabled=not arguments.quiet)
    info = machine_info()
    machine = machine_line(info)
    progress.step(f"{command}: {machine}")
    workdir = Path(tempfile.mkdtemp(prefix="fastkernels-bench-"))
    try:
        records = run_workloads(arguments.names, SCALES[arguments.scale], progress, workdir)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted: no table\n")
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failures = [f"{record['case']}: {i['column']} {i['status']}" + (f" ({i['detail']})" if i["detail"] else "")
                for record in records for i in record["implementations"] if i["status"] in ("wrong", "error")]
    print(f"\n{command}\n{machine}\n")
    print(report.text_table(records))
    for note in report.notes(records):
        print(f"  {note}")
    print("\nmedians of interleaved repeats after a checked warm-up; ± half the range; ratios from this run")
    sweep = report.sweep_text(records)
    if sweep:
        print("\n" + sweep)
    if failures:
        print("\nFAILED CHECKS:\n" + "\n".join(f"  {failure}" for failure in failures))
    if arguments.json is not None:
        arguments.json.write_text(json.dumps({
            "command": command, "scale": arguments.scale, "machine": info, "machine_line": machine,
            "checks_passed": not failures, "failures": failures, "results": records,
        }, indent=2) + "\n")
    if arguments.markdown is not None:
        arguments.markdown.write_text(report.markdown(records, command, machine))
    if arguments.plot is not None:
        if arguments.plot.suffix.lower() == ".svg":
            arguments.plot.write_text(report.svg(records, machine), encoding="utf-8")
        else:
            report.plot(records, arguments.plot, machine)
    return 1 if failures else 0

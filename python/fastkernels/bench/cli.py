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
failed, 2 for bad arguments (an output file that cannot be written is one: checked before
the run, and again when writing), 130 when interrupted (Ctrl-C).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

from . import report
from .measure import machine_info, machine_line
from .model import BenchReport
from .runner import Progress, run_workloads
from .workloads import SCALES, WORKLOADS


def parse_arguments(argv: Optional[list[str]]) -> argparse.Namespace:
    """The command line, with `scale` ("quick", "default", "full") and `names` (the workloads to run,
    in order) filled in; bad arguments exit with status 2."""
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
    if arguments.only and not names:
        parser.error(f"--only needs a workload name; choose from {', '.join(WORKLOADS)}")
    for option in ("json", "markdown", "plot"):
        problem = _unwritable(getattr(arguments, option))
        if problem:
            parser.error(f"--{option} {getattr(arguments, option)}: {problem}")
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload {', '.join(map(repr, unknown))}; choose from {', '.join(WORKLOADS)}")
    arguments.names = list(dict.fromkeys(names)) or list(WORKLOADS)
    if (arguments.plot is not None and arguments.plot.suffix.lower() != ".svg"
            and importlib.util.find_spec("matplotlib") is None):
        parser.error("--plot needs matplotlib, which is not installed (pip install matplotlib), "
                     "except for an .svg file")
    return arguments


def _unwritable(path: Optional[Path]) -> Optional[str]:
    """Why the report could not be written to `path` (checked before the run, which takes minutes); None if it can."""
    if path is None:
        return None
    if path.is_dir():
        return "is a directory"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"no such directory {str(folder)!r}"
    if not os.access(path if path.exists() else folder, os.W_OK):
        return "not writable"
    return None


def main(argv: Optional[list[str]] = None) -> int:
    """The bench command; returns its exit status (see the module's docstring)."""
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
    try:
        if arguments.json is not None:
            document: BenchReport = {
                "command": command, "scale": arguments.scale, "machine": info, "machine_line": machine,
                "checks_passed": not failures, "failures": failures, "results": records,
            }
            arguments.json.write_text(json.dumps(document, indent=2) + "\n")
        if arguments.markdown is not None:
            arguments.markdown.write_text(report.markdown(records, command, machine))
        if arguments.plot is not None:
            if arguments.plot.suffix.lower() == ".svg":
                arguments.plot.write_text(report.svg(records, machine), encoding="utf-8")
            else:
                report.plot(records, arguments.plot, machine)
    except OSError as error:  # a full disk, a file that became unwritable: the table above stands
        sys.stderr.write(f"error: could not write the report: {error}\n")
        return 2
    return 1 if failures else 0

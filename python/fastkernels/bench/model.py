"""The bench's results as typed records: what the runner produces, the report reads and --json writes.

The records are TypedDicts, plain dicts at run time, so that ``--json`` is ``json.dumps`` of them as
they are, with their keys in the order the runner fills them in (the order written here).
"""
from __future__ import annotations

from typing import Literal, Optional, TypedDict

# What a row measures: "time" (median seconds, per call when per_call > 1), "rate" (timed, shown as
# GFLOP/s), "memory" (bytes, lower is better) or "scaling" (a speed-up factor, higher is better).
Kind = Literal["time", "rate", "memory", "scaling"]

# What became of an implementation: "ok"; "wrong", its answer differed from pure Python's (then it
# is not timed); "error", it raised; "missing", it cannot run here (e.g. numpy is not installed).
Status = Literal["ok", "wrong", "error", "missing"]

Unit = Literal["seconds", "bytes", "ratio"]


class ImplementationRecord(TypedDict):
    """One cell of a row: one implementation's check and figures."""
    column: str                  # "Python", "fastkernels", "numpy", "polars"
    label: str                   # what exactly ran, e.g. "sorted(list)"
    status: Status
    detail: str                  # why it is missing, or the exception it raised; "" otherwise
    seconds: list[float]         # every timed run, in the order taken (time and rate rows)
    median: Optional[float]      # of `seconds`
    spread: Optional[float]      # half the range of `seconds`
    value: Optional[float]       # bytes (memory), factor (scaling) or GFLOP/s (rate)
    unit: Optional[Unit]


class SweepRecord(TypedDict):
    """The place of a row in a size sweep (the `sizes` workload)."""
    series: str                  # the kernel, e.g. "sort list of ints"
    letter: str                  # its marker on the plot
    n: int                       # the input size
    versus: str                  # the column the speed-up is over
    versus_label: str            # that column's idiom, as the legend names it
    speedup: Optional[float]     # that column's median time over fastkernels' (None: no figure)


class _CaseRecordKeys(TypedDict):
    workload: str
    case: str                    # the row's name
    size: str                    # its size, as printed
    kind: Kind
    note: str                    # a footnote printed under the table ("" for none)
    per_call: int                # calls a timed run makes (medians are divided by it for the table)
    implementations: list[ImplementationRecord]
    speedup: Optional[float]     # fastkernels over Python, from the same run (see report.ratio)


class CaseRecord(_CaseRecordKeys, total=False):
    """One row of the table, with its implementations; `sweep` only for a point of a size sweep."""
    sweep: SweepRecord


class MachineInfo(TypedDict):
    """What the figures were measured on."""
    cpu: str
    cores: Optional[int]
    machine: str
    system: str
    python: str
    fastkernels: str
    numpy: Optional[str]         # version, None when not installed
    polars: Optional[str]
    OPENBLAS_CORETYPE: Optional[str]


class BenchReport(TypedDict):
    """The document --json writes."""
    command: str                 # the command line that reproduces the run
    scale: str                   # "quick", "default" or "full"
    machine: MachineInfo
    machine_line: str
    checks_passed: bool
    failures: list[str]          # "case: column status (detail)" of every wrong or failing implementation
    results: list[CaseRecord]

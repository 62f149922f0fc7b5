"""Running the workloads: each row checked against pure Python, then timed; progress on stderr."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, TextIO

from . import report
from .measure import time_interleaved
from .model import CaseRecord, ImplementationRecord
from .workloads import REFERENCE, WORKLOADS, Case, Resources, Sizes


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


def run_case(workload: str, case: Case, repeats: int, progress: Progress) -> CaseRecord:
    """Checks, then measures one row; returns its record (see model.py)."""
    records: dict[str, ImplementationRecord] = {}
    answers: dict[str, Any] = {}
    for implementation in case.implementations:
        record: ImplementationRecord = {"column": implementation.column, "label": implementation.label,
                                        "status": "ok", "detail": "", "seconds": [], "median": None,
                                        "spread": None, "value": None, "unit": None}
        records[implementation.column] = record
        if implementation.run is None:
            record["status"], record["detail"] = "missing", implementation.missing
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
            record["status"], record["detail"] = "error", f"{type(error).__name__}: {error}"
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
            record["status"], record["detail"] = "wrong", "its answer differs from pure Python's"
            progress.step(f"{case.name}: {implementation.column} gave a WRONG ANSWER")
    answers.clear()  # large results (sorted copies, Counters) are not kept while timing
    if case.kind in ("time", "rate"):
        timed = {i.column: i.run for i in case.implementations
                 if records[i.column]["status"] == "ok" and i.run is not None}
        if timed:
            progress.step(f"{case.name}: timing {', '.join(timed)} ({repeats} runs each, interleaved)")
            samples = time_interleaved(timed, repeats, progress.bar(case.name))
            for column, sample in samples.items():
                record = records[column]
                record["seconds"], record["median"], record["spread"] = sample.seconds, sample.median, sample.spread
                record["unit"] = "seconds"
        if case.kind == "rate":
            for implementation in case.implementations:
                record = records[implementation.column]
                median = record["median"]
                if median:
                    record["value"] = implementation.flops / median / 1e9
    row: CaseRecord = {"workload": workload, "case": case.name, "size": case.size, "kind": case.kind,
                       "note": case.note, "per_call": case.per_call,
                       "implementations": [records[i.column] for i in case.implementations],
                       "speedup": None}  # set just below, from the row itself
    row["speedup"] = report.speedup(row)
    if case.point is not None:  # a point of a size sweep: its speed-up over the idiom it is plotted against
        point = case.point
        row["sweep"] = {"series": point.series, "letter": point.letter, "n": point.n, "versus": point.versus,
                        "versus_label": point.versus_label, "speedup": report.speedup_over(row, point.versus)}
    return row


def run_workloads(names: list[str], sizes: Sizes, progress: Progress, workdir: Path) -> list[CaseRecord]:
    """Builds and runs the named workloads one after the other (a workload's data is made when it starts)."""
    resources = Resources(workdir, progress.step)
    records: list[CaseRecord] = []
    try:
        for index, name in enumerate(names, 1):
            workload = WORKLOADS[name]
            progress.step(f"workload {index}/{len(names)}: {name}, {workload.description}")
            for case in workload.build(sizes, resources):
                records.append(run_case(name, case, sizes.repeats, progress))
    finally:
        resources.close()
    return records

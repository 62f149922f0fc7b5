"""Results of the bench, as records (the JSON) and as a table (text, Markdown, PNG)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from .workloads import COLUMNS, REFERENCE

# A record per row (JSON-ready):
# {"workload", "case", "size", "kind", "note", "per_call",
#  "implementations": [{"column", "label", "status", "detail", "seconds", "median", "spread", "value", "unit"}],
#  "speedup"}
# status: "ok", "wrong" (its answer differed: not timed), "error" (it raised), "missing" (not installed).


def cell(record: dict[str, Any], column: str) -> str:
    for implementation in record["implementations"]:
        if implementation["column"] == column:
            return format_measure(implementation, record)
    return "-"


def format_measure(implementation: dict[str, Any], record: dict[str, Any]) -> str:
    status = implementation["status"]
    if status == "missing":
        return str(implementation["detail"])
    if status == "wrong":
        return "WRONG ANSWER"
    if status == "error":
        return "ERROR"
    kind = record["kind"]
    if kind == "memory":
        return format_bytes(implementation["value"])
    if kind == "scaling":
        return f"{implementation['value']:.2f}x"
    if kind == "rate":
        return f"{implementation['value']:.3g} GFLOP/s"
    median, spread = implementation["median"], implementation["spread"]
    per_call = record["per_call"]
    if per_call > 1:
        return f"{median / per_call * 1e9:.1f} ns/call"
    return f"{format_seconds(median)} ±{format_seconds(spread)}"


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_bytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e5 else f"{count / 1e3:.1f} kB"


def ratio(record: dict[str, Any], column: str) -> Optional[float]:
    """How much better `column` did than Python in the same run: Python's median time over its
    (memory: bytes over bytes), or its rate or scaling over Python's. None when either is missing."""
    by_column = {i["column"]: i for i in record["implementations"] if i["status"] == "ok"}
    python, other = by_column.get(REFERENCE), by_column.get(column)
    if python is None or other is None:
        return None
    kind = record["kind"]
    if kind == "time":
        return float(python["median"] / other["median"]) if other["median"] > 0 else None
    if kind == "memory":
        return float(python["value"] / other["value"]) if other["value"] > 0 else None
    return float(other["value"] / python["value"]) if python["value"] > 0 else None  # rate, scaling


def speedup(record: dict[str, Any]) -> Optional[float]:
    """fastkernels over Python, from the same run."""
    return ratio(record, "fastkernels")


def format_speedup(record: dict[str, Any]) -> str:
    factor = record["speedup"]
    if factor is None:
        return "-"
    kind = record["kind"]
    if kind == "memory":
        return f"{factor:.1f}x less memory"
    if kind == "time":
        return f"{factor:.3g}x faster" if factor >= 1 else f"{1 / factor:.3g}x slower"
    return f"{factor:.3g}x"


def columns_in(records: list[dict[str, Any]]) -> list[str]:
    used = {i["column"] for record in records for i in record["implementations"]}
    return [column for column in COLUMNS if column in used]


def rows(records: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    columns = columns_in(records)
    header = ["workload", "size", *columns, "fastkernels vs Python"]
    body = [[record["case"], record["size"], *(cell(record, column) for column in columns), format_speedup(record)]
            for record in records]
    return header, body


def text_table(records: list[dict[str, Any]]) -> str:
    header, body = rows(records)
    widths = [max(len(line[index]) for line in [header, *body]) for index in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(text.ljust(width) if index < 2 else text.rjust(width)
                         for index, (text, width) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


def notes(records: list[dict[str, Any]]) -> list[str]:
    return [f"{record['case']}: {record['note']}" for record in records if record["note"]]


def markdown(records: list[dict[str, Any]], command: str, machine: str) -> str:
    header, body = rows(records)
    lines = [f"`{command}` on {machine}; medians of interleaved repeats after a checked warm-up, "
             "ratios of medians from this run.", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|",
             *("| " + " | ".join(cells) + " |" for cells in body)]
    extra = notes(records)
    if extra:
        lines += ["", *(f"- {note}" for note in extra)]
    return "\n".join(lines) + "\n"


def plot(records: list[dict[str, Any]], path: Path, machine: str) -> None:
    """Speed-up bars (log scale) of every column over Python, one group per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars: list[tuple[str, str, float]] = []
    for record in records:
        if record["kind"] == "memory":
            continue
        for column in COLUMNS:
            factor = ratio(record, column) if column != REFERENCE else None
            if factor is not None:
                bars.append((record["case"], column, factor))
    labels = list(dict.fromkeys(label for label, _, _ in bars))
    others = [column for column in COLUMNS if column != REFERENCE and any(c == column for _, c, _ in bars)]
    height = 0.8 / max(len(others), 1)
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(labels) + 1.5))
    for index, column in enumerate(others):
        positions = [labels.index(label) + index * height for label, c, _ in bars if c == column]
        values = [factor for _, c, factor in bars if c == column]
        axes.barh(positions, values, height=height, label=column)
    axes.set_yticks([position + 0.4 - height / 2 for position in range(len(labels))], labels)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xlabel("times faster than pure Python (log scale; memory rows left out)")
    axes.set_title(machine, fontsize=8)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)

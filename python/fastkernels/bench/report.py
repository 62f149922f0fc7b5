"""Results of the bench (the records of model.py, as the runner made them) as a table: text,
Markdown, PNG, SVG; and the size sweep's table and plots."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from xml.sax.saxutils import escape

from .model import CaseRecord, ImplementationRecord
from .workloads import COLUMNS, REFERENCE


def cell(record: CaseRecord, column: str) -> str:
    for implementation in record["implementations"]:
        if implementation["column"] == column:
            return format_measure(implementation, record)
    return "-"


def measured(figure: Optional[float]) -> float:
    """A figure of an implementation whose status is "ok": the runner has set it (median and spread in
    time and rate rows, value in memory, scaling and rate rows)."""
    if figure is None:
        raise ValueError("an implementation that ran has no figure")
    return figure


def format_measure(implementation: ImplementationRecord, record: CaseRecord) -> str:
    status = implementation["status"]
    if status == "missing":
        return str(implementation["detail"])
    if status == "wrong":
        return "WRONG ANSWER"
    if status == "error":
        return "ERROR"
    kind = record["kind"]
    if kind == "memory":
        return format_bytes(measured(implementation["value"]))
    if kind == "scaling":
        return f"{measured(implementation['value']):.2f}x"
    if kind == "rate":
        return f"{measured(implementation['value']):.3g} GFLOP/s"
    median, spread = measured(implementation["median"]), measured(implementation["spread"])
    per_call = record["per_call"]
    if per_call > 1:
        return f"{format_seconds(median / per_call)}/call"
    return f"{format_seconds(median)} ±{format_seconds(spread)}"


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_bytes(count: float) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e5 else f"{count / 1e3:.1f} kB"


def ratio(record: CaseRecord, column: str) -> Optional[float]:
    """How much better `column` did than Python in the same run: Python's median time over its
    (memory: bytes over bytes), or its rate or scaling over Python's. None when either is missing."""
    by_column = {i["column"]: i for i in record["implementations"] if i["status"] == "ok"}
    python, other = by_column.get(REFERENCE), by_column.get(column)
    if python is None or other is None:
        return None
    kind = record["kind"]
    if kind == "time":
        in_python, in_column = measured(python["median"]), measured(other["median"])
        return float(in_python / in_column) if in_column > 0 else None
    in_python, in_column = measured(python["value"]), measured(other["value"])
    if kind == "memory":
        return float(in_python / in_column) if in_column > 0 else None
    return float(in_column / in_python) if in_python > 0 else None  # rate, scaling


def speedup(record: CaseRecord) -> Optional[float]:
    """fastkernels over Python, from the same run."""
    return ratio(record, "fastkernels")


def format_speedup(record: CaseRecord) -> str:
    factor = record["speedup"]
    if factor is None:
        return "-"
    kind = record["kind"]
    if kind == "memory":
        return f"{factor:.1f}x less memory"
    if kind == "time":
        return f"{factor:.3g}x faster" if factor >= 1 else f"{1 / factor:.3g}x slower"
    return f"{factor:.3g}x"


def columns_in(records: list[CaseRecord]) -> list[str]:
    used = {i["column"] for record in records for i in record["implementations"]}
    return [column for column in COLUMNS if column in used]


def rows(records: list[CaseRecord]) -> tuple[list[str], list[list[str]]]:
    columns = columns_in(records)
    header = ["workload", "size", *columns, "fastkernels vs Python"]
    body = [[record["case"], record["size"], *(cell(record, column) for column in columns), format_speedup(record)]
            for record in records]
    return header, body


def text_table(records: list[CaseRecord]) -> str:
    header, body = rows(records)
    widths = [max(len(line[index]) for line in [header, *body]) for index in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(text.ljust(width) if index < 2 else text.rjust(width)
                         for index, (text, width) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


def notes(records: list[CaseRecord]) -> list[str]:
    return [f"{record['case']}: {record['note']}" for record in records if record["note"]]


def markdown(records: list[CaseRecord], command: str, machine: str) -> str:
    header, body = rows(records)
    lines = [f"`{command}` on {machine}; medians of interleaved repeats after a checked warm-up, "
             "ratios of medians from this run.", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|",
             *("| " + " | ".join(cells) + " |" for cells in body)]
    extra = notes(records)
    if extra:
        lines += ["", *(f"- {note}" for note in extra)]
    sweep = sweep_text(records)
    if sweep:
        lines += ["", "```", sweep, "```"]
    return "\n".join(lines) + "\n"


def plot(records: list[CaseRecord], path: Path, machine: str) -> None:
    """Speed-up bars (log scale) of every column over Python, one group per row; the size sweep,
    when it ran, as a log-log chart of its own."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars: list[tuple[str, str, float]] = []
    for record in records:
        if record["kind"] == "memory" or "sweep" in record:
            continue
        for column in COLUMNS:
            factor = ratio(record, column) if column != REFERENCE else None
            if factor is not None:
                bars.append((record["case"], column, factor))
    series = sweep_series(records)
    labels = list(dict.fromkeys(label for label, _, _ in bars))
    bar_height = 0.45 * len(labels) + 1.5 if labels else 0.0
    sweep_height = 4.5 if series else 0.0
    figure, panels = plt.subplots(int(bool(labels)) + int(bool(series)), 1, squeeze=False,
                                  figsize=(10, max(bar_height + sweep_height, 2.0)),
                                  gridspec_kw={"height_ratios": [h for h in (bar_height, sweep_height) if h]})
    axes_list = list(panels[:, 0])
    if labels:
        axes = axes_list.pop(0)
        others = [column for column in COLUMNS if column != REFERENCE and any(c == column for _, c, _ in bars)]
        height = 0.8 / max(len(others), 1)
        for index, column in enumerate(others):
            positions = [labels.index(label) + index * height for label, c, _ in bars if c == column]
            values = [factor for _, c, factor in bars if c == column]
            axes.barh(positions, values, height=height, label=column)
        axes.set_yticks([position + 0.4 - height / 2 for position in range(len(labels))], labels)
        axes.invert_yaxis()
        axes.set_xscale("log")
        axes.axvline(1.0, color="black", linewidth=0.8)
        axes.set_xlabel("times faster than pure Python (log scale; memory rows left out)")
        axes.legend()
    if series:
        axes = axes_list.pop(0)
        for entry in series:
            known = [(n, r) for n, r in entry.points if r and n > 0]
            axes.plot([n for n, _ in known], [r for _, r in known], marker="o", label=series_label(entry))
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        axes.set_xlabel("input size (log scale)")
        axes.set_ylabel("speed-up over the idiom")
        axes.legend(fontsize=8)
    panels[0, 0].set_title(machine, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# ---- size sweeps (the `sizes` workload): a table, a text plot, an SVG ------------------------

def speedup_over(record: CaseRecord, column: str) -> Optional[float]:
    """fastkernels' speed-up over `column` in a time row: that column's median time over fastkernels'."""
    by_column = {i["column"]: i for i in record["implementations"] if i["status"] == "ok"}
    base, fast = by_column.get(column), by_column.get("fastkernels")
    if record["kind"] != "time" or base is None or fast is None or not fast["median"]:
        return None
    return float(measured(base["median"]) / fast["median"])


@dataclass
class Series:
    """One kernel of the size sweeps: its plot letter, the idiom it is compared with, and its points
    in order, (n, speed-up, or None where the check failed)."""
    name: str
    letter: str
    versus_label: str
    points: list[tuple[int, Optional[float]]] = field(default_factory=list)


def sweep_series(records: list[CaseRecord]) -> list[Series]:
    """The size sweeps among the records, one entry per series (kernel), in order."""
    series: dict[str, Series] = {}
    for record in records:
        point = record.get("sweep")
        if point is None:
            continue
        entry = series.setdefault(point["series"], Series(point["series"], point["letter"], point["versus_label"]))
        entry.points.append((point["n"], point["speedup"]))
    return list(series.values())


def size_label(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("K", 1_000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def format_factor(value: float) -> str:
    return f"{value:.3g}x"


def series_label(entry: Series) -> str:
    return f"{entry.name} (vs {entry.versus_label})" if entry.versus_label else entry.name


def sweep_table(series: list[Series]) -> str:
    """Speed-ups, a row per kernel and a column per size ("-": no figure, the check failed)."""
    sizes = sorted({n for entry in series for n, _ in entry.points})
    labels = [f"{entry.letter}  {series_label(entry)}" for entry in series]
    width = max(len(label) for label in labels)
    lines = ["".ljust(width) + "".join(f"{size_label(n):>9}" for n in sizes)]
    for label, entry in zip(labels, series):
        values = dict(entry.points)
        lines.append(label.ljust(width) + "".join(_sweep_cell(values, n) for n in sizes))
    return "\n".join(lines)


def _sweep_cell(values: dict[int, Optional[float]], n: int) -> str:
    """A kernel's speed-up at size n, 9 wide: blank where it was not measured, "-" where it has no figure."""
    if n not in values:
        return f"{'':>9}"
    value = values[n]
    return f"{format_factor(value) if value else '-':>9}"


def _log_bounds(values: list[float]) -> tuple[float, float]:
    """log10 bounds of the speed-up axis, in half decades, with 1x inside and half a decade of room."""
    low = min(min(values), 1.0)
    high = max(max(values), 1.0)
    return (min(math.floor(math.log10(low) * 2) / 2, -0.5), max(math.ceil(math.log10(high) * 2) / 2, 0.5))


def _ticks(low: float, high: float) -> list[float]:
    """1-2-5 values within [10**low, 10**high], 1x first, then the powers of ten, then the rest."""
    values = [m * 10.0**e for e in range(math.floor(low) - 1, math.ceil(high) + 1) for m in (1, 2, 5)]
    inside = [v for v in values if low - 1e-9 <= math.log10(v) <= high + 1e-9]
    return sorted(inside, key=lambda v: (v != 1.0, not math.isclose(math.log10(v) % 1, 0, abs_tol=1e-9), v))


def sweep_plot(series: list[Series], per_decade: int = 10) -> str:
    """A log-log text plot: x = size, y = speed-up over the idiom; each kernel its letter at every
    measured size, joined by dots; a line of '-' at 1x (above it, fastkernels is faster)."""
    points = [(n, r) for entry in series for n, r in entry.points if r and n > 0]
    if not points:
        return "(no speed-up to plot)"
    sizes = sorted({n for n, _ in points})
    x_low, x_high = math.log10(sizes[0]), math.log10(sizes[-1])
    if x_high - x_low < 1:
        x_high = x_low + 1
    width = round((x_high - x_low) * per_decade) + 1
    y_low, y_high = _log_bounds([r for _, r in points])
    # 10 rows a decade put 1x, 2x, 5x and 10x on rows of their own; 6 when the range is wide.
    rows_per_decade = 10 if y_high - y_low <= 2 else 6
    height = round((y_high - y_low) * rows_per_decade) + 1

    def column(n: float) -> int:
        return round((math.log10(n) - x_low) / (x_high - x_low) * (width - 1))

    def row_of(value: float) -> float:
        return (y_high - math.log10(value)) * rows_per_decade

    grid = [[" "] * width for _ in range(height)]
    one = round(row_of(1.0))
    grid[one] = ["-"] * width
    for entry in series:  # the lines first: markers go over them
        known = [(n, r) for n, r in entry.points if r and n > 0]
        for (n0, r0), (n1, r1) in zip(known, known[1:]):
            c0, c1 = column(n0), column(n1)
            for c in range(c0 + 1, c1):
                t = (c - c0) / (c1 - c0)
                r = round(row_of(r0) + t * (row_of(r1) - row_of(r0)))
                if grid[r][c] in " -":
                    grid[r][c] = "."
    for entry in series:
        for n, speedup in entry.points:
            if speedup and n > 0:
                cell = grid[round(row_of(speedup))]
                c = column(n)
                cell[c] = entry.letter if cell[c] in " -." or cell[c] == entry.letter else "*"
    labels: dict[int, str] = {}
    for value in _ticks(y_low, y_high):
        position = row_of(value)
        r = round(position)
        if abs(position - r) < 0.3 and all(abs(r - other) > 1 for other in labels):
            labels[r] = format_factor(value)
    margin = max(len(text) for text in labels.values()) + 1
    lines = ["speed-up over the idiom (log scale)"]
    for r, cells in enumerate(grid):
        lines.append((labels.get(r, "").rjust(margin - 1) + " | " + "".join(cells)).rstrip())
    axis = ["-"] * width
    names = [" "] * (width + 6)
    for n in sizes:
        c = column(n)
        axis[c] = "+"
        text = size_label(n)
        start = max(0, c - len(text) // 2)
        if all(ch == " " for ch in names[max(0, start - 1):start + len(text) + 1]):
            names[start:start + len(text)] = list(text)
    lines.append(" " * margin + "+-" + "".join(axis))
    lines.append(" " * (margin + 2) + "".join(names).rstrip() + "   size (log scale)")
    lines.append("")
    lines.append(" " * margin + "---  1x: as fast as the idiom; above it fastkernels is faster, below it slower")
    lines += [" " * margin + f"{entry.letter}    {series_label(entry)}" for entry in series]
    if any("*" in cells for cells in grid):
        lines.append(" " * margin + "*    two kernels at the same place")
    return "\n".join(lines)


def sweep_text(records: list[CaseRecord]) -> str:
    """The sweep section printed after the table (empty when no sweep ran)."""
    series = sweep_series(records)
    if not series:
        return ""
    return ("speed-up over the idiom by size (idiom's median time / fastkernels'; sort int64 array against "
            "numpy.sort where numpy is installed):\n" + sweep_table(series) + "\n\n" + sweep_plot(series))


# ---- SVG (hand-written: no matplotlib) -------------------------------------------------------

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _svg_sweep(series: list[Series], top: float, width: float) -> tuple[list[str], float]:
    """The log-log chart of the sweeps, as SVG elements from y = top; returns them and its height."""
    points = [(n, r) for entry in series for n, r in entry.points if r and n > 0]
    if not points:
        return [], 0.0
    left, plot_width, plot_top, plot_height = 70.0, width - 70.0 - 360.0, top + 30.0, 300.0
    sizes = sorted({n for n, _ in points})
    x_low, x_high = math.log10(sizes[0]), math.log10(sizes[-1])
    if x_high - x_low < 1:
        x_high = x_low + 1
    y_low, y_high = _log_bounds([r for _, r in points])

    def x(n: float) -> float:
        return left + (math.log10(n) - x_low) / (x_high - x_low) * plot_width

    def y(value: float) -> float:
        return plot_top + (y_high - math.log10(value)) / (y_high - y_low) * plot_height

    out = [f'<text x="{left}" y="{top + 18}" font-size="15" font-weight="bold">'
           "fastkernels' speed-up over the idiom, by input size</text>",
           f'<rect x="{left}" y="{plot_top}" width="{plot_width:.1f}" height="{plot_height}" fill="none" '
           'stroke="#888"/>']
    for value in sorted(_ticks(y_low, y_high)):
        out.append(f'<line x1="{left}" x2="{left + plot_width:.1f}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                   'stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">'
                   f"{escape(format_factor(value))}</text>")
    for n in sizes:
        out.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{plot_top}" y2="{plot_top + plot_height}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{x(n):.1f}" y="{plot_top + plot_height + 16}" font-size="11" '
                   f'text-anchor="middle">{size_label(n)}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_width:.1f}" y1="{y(1.0):.1f}" y2="{y(1.0):.1f}" '
               'stroke="black" stroke-width="1.2" stroke-dasharray="6 3"/>')
    out.append(f'<text x="{left + plot_width / 2:.1f}" y="{plot_top + plot_height + 34}" font-size="12" '
               'text-anchor="middle">input size (log scale)</text>')
    middle = plot_top + plot_height / 2
    out.append(f'<text x="18" y="{middle:.1f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 18 {middle:.1f})">speed-up over the idiom (log scale)</text>')
    for index, entry in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        runs: list[list[tuple[int, float]]] = [[]]
        for n, r in entry.points:
            if r and n > 0:
                runs[-1].append((n, r))
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if len(run) > 1:
                coordinates = " ".join(f"{x(n):.1f},{y(r):.1f}" for n, r in run)
                out.append(f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for n, r in run:
                out.append(f'<circle cx="{x(n):.1f}" cy="{y(r):.1f}" r="3.5" fill="{colour}">'
                           f"<title>{escape(entry.name)}, n={size_label(n)}: {format_factor(r)} "
                           f"(vs {escape(entry.versus_label)})</title></circle>")
        legend_y = plot_top + 10 + index * 20
        legend_x = left + plot_width + 16
        out.append(f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{legend_y}" y2="{legend_y}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<circle cx="{legend_x + 11}" cy="{legend_y}" r="3.5" fill="{colour}"/>')
        out.append(f'<text x="{legend_x + 30}" y="{legend_y + 4}" font-size="12">'
                   f"{escape(entry.letter + '  ' + series_label(entry))}</text>")
    legend_y = plot_top + 10 + len(series) * 20
    out.append(f'<line x1="{left + plot_width + 16}" x2="{left + plot_width + 38}" y1="{legend_y}" '
               f'y2="{legend_y}" stroke="black" stroke-dasharray="6 3"/>')
    out.append(f'<text x="{left + plot_width + 46}" y="{legend_y + 4}" font-size="12">1x: as fast as the idiom'
               "</text>")
    return out, plot_height + 80.0


def _svg_bars(records: list[CaseRecord], top: float, width: float) -> tuple[list[str], float]:
    """Speed-up bars of every column over Python (log scale, from 1x), one group per row: the PNG's
    chart. Memory rows and sweep points are left out."""
    bars = [(record["case"] + (f" ({record['size']})" if record["size"] else ""), column, factor)
            for record in records if record["kind"] != "memory" and "sweep" not in record
            for column in COLUMNS if column != REFERENCE
            for factor in [ratio(record, column)] if factor]
    if not bars:
        return [], 0.0
    labels = list(dict.fromkeys(label for label, _, _ in bars))
    others = [column for column in COLUMNS if column != REFERENCE and any(c == column for _, c, _ in bars)]
    left, plot_width = 300.0, width - 300.0 - 30.0
    bar, gap = 9.0, 8.0
    group = bar * len(others) + gap
    plot_top = top + 48.0
    low = math.floor(math.log10(min(min(f for _, _, f in bars), 1.0)))
    high = math.ceil(math.log10(max(max(f for _, _, f in bars), 1.0)))
    high = max(high, low + 1)

    def x(value: float) -> float:
        return left + (math.log10(value) - low) / (high - low) * plot_width

    height = group * len(labels)
    out = [f'<text x="20" y="{top + 18}" font-size="15" font-weight="bold">'
           "times faster than pure Python (log scale; memory rows left out)</text>"]
    for index, column in enumerate(others):
        colour = COLOURS[index % len(COLOURS)]
        out.append(f'<rect x="{left + index * 130}" y="{top + 28}" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{left + index * 130 + 18}" y="{top + 37}" font-size="12">{escape(column)}</text>')
    for e in range(low, high + 1):
        out.append(f'<line x1="{x(10.0**e):.1f}" x2="{x(10.0**e):.1f}" y1="{plot_top}" y2="{plot_top + height}" '
                   f'stroke="{"black" if e == 0 else "#ddd"}"/>')
        out.append(f'<text x="{x(10.0**e):.1f}" y="{plot_top + height + 14}" font-size="11" '
                   f'text-anchor="middle">{escape(format_factor(10.0**e))}</text>')
    for row, label in enumerate(labels):
        y0 = plot_top + row * group
        out.append(f'<text x="{left - 8}" y="{y0 + group / 2 + 2:.1f}" font-size="11" text-anchor="end">'
                   f"{escape(label)}</text>")
        for index, column in enumerate(others):
            factor = next((f for name, c, f in bars if name == label and c == column), None)
            if factor is None:
                continue
            start, end = sorted((x(1.0), x(factor)))
            out.append(f'<rect x="{start:.1f}" y="{y0 + index * bar:.1f}" width="{max(end - start, 0.5):.1f}" '
                       f'height="{bar - 1}" fill="{COLOURS[index % len(COLOURS)]}">'
                       f"<title>{escape(label)}: {escape(column)} {format_factor(factor)}</title></rect>")
    return out, height + 70.0


def svg(records: list[CaseRecord], machine: str, width: float = 960.0) -> str:
    """A standalone SVG document: the size sweep's log-log chart (when the sizes workload ran)
    and the speed-up bars of the other rows (when there are any)."""
    body = [f'<text x="20" y="20" font-size="11" fill="#555">{escape(machine)}</text>']
    top = 30.0
    elements, height = _svg_sweep(sweep_series(records), top, width)
    if elements:
        body += elements
        top += height + 10.0
    elements, height = _svg_bars(records, top, width)
    if elements:
        body += elements
        top += height + 10.0
    if len(body) == 1:
        body.append('<text x="20" y="50" font-size="13">no speed-up to draw</text>')
        top = 70.0
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{top + 10:.0f}" '
            f'viewBox="0 0 {width:.0f} {top + 10:.0f}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")

"""The bench CLI (python -m fastkernels bench): its JSON, its checks, its outputs, each workload."""
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest

from fastkernels import bench
from fastkernels.bench import report
from fastkernels.bench.workloads import SCALES, SWEEP_SERIES, WORKLOADS, Case, Implementation, Resources, Sizes

TINY = Sizes(elements=2_000, fib_recursive=(12,), fib_exact=(90, 1_000), corpus_mb=0.05, repeats=2,
             matmul_python=8, matmul_native=16, parallel_n=(12, 16), calls=50, sweep=(10, 1_000),
             sweep_sample=0.0002)
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAS_DASK = importlib.util.find_spec("distributed") is not None


def quiet() -> bench.Progress:
    return bench.Progress(io.StringIO(), enabled=False)


def cli(*args, check=True):
    completed = subprocess.run([sys.executable, "-m", "fastkernels", *args], capture_output=True, text=True)
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture(scope="module")
def quick_json(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "quick.json"
    completed = cli("bench", "--quick", "--json", str(path))
    return completed, json.loads(path.read_text())


def test_quick_run_writes_complete_json(quick_json):
    completed, data = quick_json
    assert data["scale"] == "quick"
    assert data["command"] == "python -m fastkernels bench --quick"
    machine = data["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["python"].startswith("CPython")
    assert machine["fastkernels"] == __import__("fastkernels").__version__
    assert set(machine) >= {"numpy", "polars", "system"}
    assert data["checks_passed"] is True and data["failures"] == []
    # The dask workload has no rows where dask is not installed (it says so and is skipped).
    expected = set(WORKLOADS) - (set() if HAS_DASK else {"dask"})
    assert {record["workload"] for record in data["results"]} == expected
    for record in data["results"]:
        assert set(record) >= {"case", "size", "kind", "implementations", "speedup", "note"}
        columns = [i["column"] for i in record["implementations"]]
        assert columns[0] == "Python" and "fastkernels" in columns
        for implementation in record["implementations"]:
            assert implementation["status"] in ("ok", "missing"), implementation
            if implementation["status"] != "ok":
                continue
            if record["kind"] in ("time", "rate"):
                seconds = implementation["seconds"]
                assert len(seconds) == 3 and min(seconds) <= implementation["median"] <= max(seconds)
                assert implementation["median"] > 0
            else:
                assert implementation["value"] > 0
    # The table is printed too, a row per case, after the command and machine lines.
    assert "python -m fastkernels bench --quick" in completed.stdout
    for record in data["results"]:
        assert record["case"] in completed.stdout


def test_speedups_are_ratios_of_the_same_runs(quick_json):
    _, data = quick_json
    for record in data["results"]:
        cells = {i["column"]: i for i in record["implementations"]}
        if record["kind"] == "time" and cells["fastkernels"]["status"] == "ok":
            assert record["speedup"] == pytest.approx(cells["Python"]["median"] / cells["fastkernels"]["median"])


def test_numpy_and_polars_columns_where_installed(quick_json):
    _, data = quick_json
    sort_rows = [r for r in data["results"] if r["workload"] == "sort" and "packed" in r["case"]]
    assert sort_rows
    for name in ("numpy", "polars"):
        installed = importlib.util.find_spec(name) is not None
        for record in sort_rows:
            cell = next(i for i in record["implementations"] if i["column"] == name)
            assert cell["status"] == ("ok" if installed else "missing")


def test_list_only_and_bad_names():
    listed = cli("bench", "--list").stdout
    for name in WORKLOADS:
        assert name in listed
    bad = cli("bench", "--only", "nonsense", check=False)
    assert bad.returncode == 2 and "unknown workload 'nonsense'" in bad.stderr
    bare = cli(check=False)
    assert bare.returncode == 2 and bare.stdout == "" and bare.stderr.startswith("usage: python -m fastkernels")
    helped = cli("--help")
    assert helped.stdout.startswith("usage: python -m fastkernels") and helped.stderr == ""
    unknown = cli("frobnicate", check=False)
    assert unknown.returncode == 2 and "unknown command 'frobnicate'" in unknown.stderr


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
def test_only_markdown_and_plot(tmp_path):
    markdown, png = tmp_path / "table.md", tmp_path / "bars.png"
    completed = cli("bench", "--quick", "--quiet", "--only", "fib_recursive,call_overhead", "--markdown",
                    str(markdown), "--plot", str(png))
    assert completed.stderr == ""
    assert "sort" not in completed.stdout
    text = markdown.read_text()
    assert text.startswith("`python -m fastkernels bench --quick --only fib_recursive,call_overhead` on ")
    assert text.count("\n| fibonacci_recursive(") == 2 and "| call overhead |" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_so(monkeypatch, capsys):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit) as exited:
        bench.main(["--quick", "--plot", "x.png"])
    assert exited.value.code == 2
    assert "--plot needs matplotlib, which is not installed" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_each_workload_on_tiny_sizes(name, tmp_path):
    if name == "dask" and not HAS_DASK:
        pytest.skip("dask is not installed")
    resources = Resources(tmp_path)
    try:
        cases = WORKLOADS[name].build(TINY, resources)
        assert cases
        for case in cases:
            record = bench.run_case(name, case, TINY.repeats, quiet())
            for implementation in record["implementations"]:
                assert implementation["status"] in ("ok", "missing"), (case.name, implementation)
            statuses = {i["column"]: i["status"] for i in record["implementations"]}
            assert statuses["Python"] == "ok"
            assert statuses["fastkernels"] == "ok" and record["speedup"] > 0
    finally:
        resources.close()  # the dask workload's LocalCluster: no threads left behind for later tests


def test_matmul_without_numpy_still_times_fastkernels_on_lists(monkeypatch, tmp_path):
    """numpy hidden: its column says it is not installed, fastkernels is timed on lists of lists."""
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy raises ImportError
    cases = WORKLOADS["matmul"].build(TINY, Resources(tmp_path))
    record = bench.run_case("matmul", cases[0], TINY.repeats, quiet())
    statuses = {i["column"]: i["status"] for i in record["implementations"]}
    assert statuses["Python"] == "ok" and statuses["fastkernels"] == "ok" and statuses["numpy"] == "missing"
    assert any("on lists" in i["label"] for i in record["implementations"] if i["column"] == "fastkernels")


def test_a_wrong_answer_is_a_failure_not_a_speed():
    case = Case("sort", "3", [
        Implementation("Python", "sorted", lambda: sorted([3, 1, 2])),
        Implementation("fastkernels", "a wrong sort", lambda: [3, 1, 2]),
        Implementation("numpy", "raises", lambda: 1 / 0),
        Implementation("polars", "polars", missing="not installed"),
    ])
    record = bench.run_case("sort", case, 2, quiet())
    cells = {i["column"]: i for i in record["implementations"]}
    assert cells["fastkernels"]["status"] == "wrong" and cells["fastkernels"]["seconds"] == []
    assert cells["numpy"]["status"] == "error" and "ZeroDivisionError" in cells["numpy"]["detail"]
    assert cells["polars"]["status"] == "missing"
    assert len(cells["Python"]["seconds"]) == 2
    assert record["speedup"] is None
    table = report.text_table([record])
    assert "WRONG ANSWER" in table and "ERROR" in table and "not installed" in table


def test_main_exits_1_and_records_failed_checks(monkeypatch, tmp_path, capsys):
    def broken(sizes, resources):
        return [Case("broken sum", "3", [Implementation("Python", "sum", lambda: sum([1, 2, 3])),
                                         Implementation("fastkernels", "off by one", lambda: 7)])]

    monkeypatch.setitem(WORKLOADS, "broken", bench.workloads.Workload("broken", "a wrong kernel", broken))
    path = tmp_path / "out.json"
    assert bench.main(["--only", "broken", "--quiet", "--json", str(path)]) == 1
    data = json.loads(path.read_text())
    assert data["checks_passed"] is False
    assert data["failures"] == ["broken sum: fastkernels wrong (its answer differs from pure Python's)"]
    assert "FAILED CHECKS" in capsys.readouterr().out


@pytest.mark.parametrize("option", ["--json", "--markdown", "--plot"])
def test_an_output_that_cannot_be_written_is_refused_before_the_run(option, tmp_path, monkeypatch, capsys):
    def never(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(bench.cli, "run_workloads", never)
    target = ".svg" if option == "--plot" else ".out"
    for path, problem in ((tmp_path, "is a directory"), (tmp_path / "missing" / f"x{target}", "no such directory")):
        with pytest.raises(SystemExit) as exited:
            bench.main(["--quick", "--quiet", "--only", "call_overhead", option, str(path)])
        assert exited.value.code == 2
        assert problem in capsys.readouterr().err


def test_a_failed_write_after_the_run_exits_2_with_the_table_printed(monkeypatch, tmp_path, capsys):
    def broken(sizes, resources):
        return [Case("a sum", "3", [Implementation("Python", "sum", lambda: sum([1, 2, 3])),
                                    Implementation("fastkernels", "sum", lambda: 6)])]

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(WORKLOADS, "tiny", bench.workloads.Workload("tiny", "a tiny check", broken))
    monkeypatch.setattr(bench.cli.Path, "write_text", full)
    assert bench.main(["--only", "tiny", "--quiet", "--json", str(tmp_path / "out.json")]) == 2
    captured = capsys.readouterr()
    assert "a sum" in captured.out and "could not write the report" in captured.err


@pytest.mark.parametrize("only", [",", "", " , "])
def test_an_empty_only_is_a_usage_error(only, capsys):
    with pytest.raises(SystemExit) as exited:
        bench.main(["--quick", "--only", only])
    assert exited.value.code == 2
    assert "--only needs a workload name" in capsys.readouterr().err


def test_ctrl_c_stops_the_bench_without_a_table(monkeypatch, capsys):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench.cli, "run_workloads", interrupted)  # where main looks it up
    assert bench.main(["--only", "sum", "--quiet"]) == 130
    captured = capsys.readouterr()
    assert "interrupted: no table" in captured.err and "workload" not in captured.out


# ---- the sizes workload: speed-up by size, its text plot and its SVG -----------------------------

@pytest.fixture(scope="module")
def sizes_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sizes")
    paths = {"json": folder / "sizes.json", "svg": folder / "sizes.svg", "md": folder / "sizes.md"}
    completed = cli("bench", "--quick", "--quiet", "--only", "sizes", "--json", str(paths["json"]),
                    "--plot", str(paths["svg"]), "--markdown", str(paths["md"]))
    return completed, json.loads(paths["json"].read_text()), paths


def test_sizes_reports_every_kernel_at_every_size(sizes_run):
    completed, data, _ = sizes_run
    assert data["checks_passed"] is True and {r["workload"] for r in data["results"]} == {"sizes"}
    points = {(r["sweep"]["series"], r["sweep"]["n"]): r for r in data["results"]}
    expected = {(series, n) for series, _ in SWEEP_SERIES for n in SCALES["quick"].sweep}
    assert set(points) == expected
    for (series, n), record in points.items():
        cells = {i["column"]: i for i in record["implementations"]}
        assert cells["Python"]["status"] == cells["fastkernels"]["status"] == "ok", record
        assert record["per_call"] >= 1 and record["sweep"]["speedup"] > 0
        versus = record["sweep"]["versus"]
        assert record["sweep"]["speedup"] == pytest.approx(cells[versus]["median"] / cells["fastkernels"]["median"])
        if series == "sort int64 array" and importlib.util.find_spec("numpy") is not None:
            assert versus == "numpy" and record["sweep"]["versus_label"] == "numpy.sort"
        else:
            assert versus == "Python"
    # Small sizes are batched so that a sample is not a single call of a microsecond.
    assert all(points[(series, 10)]["per_call"] > 1 for series, _ in SWEEP_SERIES)
    out = completed.stdout
    assert "speed-up over the idiom by size" in out and "size (log scale)" in out
    for series, letter in SWEEP_SERIES:
        assert f"{letter}  {series} (vs " in out


def test_sizes_text_plot_is_drawn(sizes_run):
    completed, data, _ = sizes_run
    plot = completed.stdout[completed.stdout.index("speed-up over the idiom (log scale)"):]
    lines = plot.splitlines()
    one = next(line for line in lines if line.lstrip().startswith("1x |"))
    assert set(one.split("|", 1)[1].strip()) <= set("-.*SAUW")  # the 1x line, crossed by some kernels
    grid = [line.split("|", 1)[1] for line in lines[1:] if "|" in line]
    for _, letter in SWEEP_SERIES:
        assert any(letter in row for row in grid) or any("*" in row for row in grid)
    axis = next(line for line in lines if line.lstrip().startswith("+-"))
    assert axis.count("+") == 1 + len(SCALES["quick"].sweep)
    for label in ("10", "100", "1K", "10K", "100K"):
        assert label in plot


def test_sizes_svg_is_valid_and_complete(sizes_run):
    _, data, paths = sizes_run
    root = ET.parse(paths["svg"]).getroot()  # well-formed XML
    namespace = "{http://www.w3.org/2000/svg}"
    assert root.tag == namespace + "svg" and float(root.get("width")) > 0 and float(root.get("height")) > 0
    text = "".join(root.itertext())
    for series, _ in SWEEP_SERIES:
        assert series in text
    assert "1x" in text
    lines = root.findall(f".//{namespace}polyline")
    assert len(lines) == len(SWEEP_SERIES)  # one line per kernel (every point measured)
    circles = [c for c in root.iter(namespace + "circle") if c.find(namespace + "title") is not None]
    assert len(circles) == len(SWEEP_SERIES) * len(SCALES["quick"].sweep)
    markdown = paths["md"].read_text()
    assert "```" in markdown and "size (log scale)" in markdown


def test_svg_plot_needs_no_matplotlib(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # importing it would fail
    path = tmp_path / "chart.svg"
    assert bench.main(["--quick", "--quiet", "--only", "fib_exact", "--plot", str(path)]) == 0
    root = ET.parse(path).getroot()
    assert "fibonacci(90)" in "".join(root.itertext())  # the bars of the other workloads


def sweep_record(series, letter, n, speedup, versus_label="idiom"):
    return {"workload": "sizes", "case": series, "size": str(n), "kind": "time", "note": "", "per_call": 1,
            "implementations": [], "speedup": speedup,
            "sweep": {"series": series, "letter": letter, "n": n, "versus": "Python",
                      "versus_label": versus_label, "speedup": speedup}}


def test_sweep_plot_places_markers_by_log_size_and_speed_up():
    records = [sweep_record("fast", "F", n, r) for n, r in ((10, 1.0), (100, 10.0), (1000, 100.0))]
    records += [sweep_record("slow", "L", n, r) for n, r in ((10, 0.1), (100, 0.1), (1000, None))]
    plot = report.sweep_plot(report.sweep_series(records))
    lines = plot.splitlines()
    rows = {line.split("|")[0].strip(): line.split("|", 1)[1] for line in lines if "|" in line}
    # 1x, 10x, 100x and 0.1x each label a row; markers sit on their rows, a decade apart in x.
    assert rows["100x"].index("F") > rows["10x"].index("F") > rows["1x"].index("F")
    assert rows["10x"].index("F") - rows["1x"].index("F") == rows["100x"].index("F") - rows["10x"].index("F")
    assert rows["0.1x"].count("L") == 2 and rows["1x"].count("-") > 5
    assert rows["1x"].index("F") == rows["0.1x"].index("L")  # n = 10 in the same column
    assert "L    slow (vs idiom)" in plot and "F    fast (vs idiom)" in plot
    table = report.sweep_table(report.sweep_series(records))
    assert "100x" in table and table.splitlines()[2].rstrip().endswith("-")  # the failed point: no figure
    document = report.svg(records, "a machine")
    root = ET.fromstring(document)
    assert "a machine" in "".join(root.itertext())
    assert len(root.findall(".//{http://www.w3.org/2000/svg}polyline")) == 2


def test_sweep_plot_marks_collisions_and_handles_nothing():
    records = [sweep_record("one", "O", 10, 2.0), sweep_record("two", "T", 10, 2.0), sweep_record("two", "T", 100, 3.0)]
    plot = report.sweep_plot(report.sweep_series(records))
    assert "*" in plot and "two kernels at the same place" in plot
    assert report.sweep_plot([]) == "(no speed-up to plot)"
    assert report.sweep_text([]) == ""
    assert ET.fromstring(report.svg([], "m")).tag.endswith("svg")


def test_sizes_script_cycles_through_distinct_inputs(tmp_path):
    """benchmarks/sizes.py --distinct: each size's samples run both sides on the same several
    different inputs (checked answer by answer), and the JSON says how many."""
    pytest.importorskip("numpy")
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "sizes.py"
    if not script.exists():
        pytest.skip("benchmarks/ is not beside the tests")
    out = tmp_path / "sizes.json"
    completed = subprocess.run([sys.executable, str(script), "--quick", "--max-n", "10", "--only", "sort",
                                "--distinct", "--json", str(out)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    record = json.loads(out.read_text())
    # min(64, 65536 // n, max_n // n) different inputs from n = 2 on; sizes 0 and 1 have one.
    assert record["distinct_inputs"] == {"0": 1, "1": 1, "2": 5, "5": 2, "10": 1}
    assert record["wrong_answers_or_errors"] == 0
    for row in record["rows"]:
        for cell in row["cells"]:
            assert cell["status"] == "ok"
            assert cell["calls_per_sample"] % record["distinct_inputs"][str(cell["n"])] == 0
    assert "distinct inputs: 0: 1, 1: 1, 2: 5, 5: 2, 10: 1" in completed.stdout


def test_repeat_call_over_several_inputs_calls_each_in_turn():
    from fastkernels.bench.measure import repeat_call
    seen = []
    run = repeat_call("record(x)", 3, {"record": seen.append}, over=("a", "b"))
    run()
    assert seen == ["a", "b"] * 3
    assert repeat_call("x * 2", 2, {}, over=(1, 5))() == 10  # the last call's value
    assert repeat_call("len(x)", 4, {"x": [1, 2, 3]})() == 3  # one input, as before

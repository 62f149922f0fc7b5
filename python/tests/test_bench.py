"""The bench CLI (python -m fastkernels bench): its JSON, its checks, its outputs, each workload."""
import importlib.util
import io
import json
import subprocess
import sys

import pytest

from fastkernels import bench
from fastkernels.bench import report
from fastkernels.bench.workloads import WORKLOADS, Case, Implementation, Sizes, build_all

TINY = Sizes(elements=2_000, fib_recursive=(12,), fib_exact=(90, 1_000), corpus_mb=0.05, repeats=2,
             matmul_python=8, matmul_native=16, parallel_n=(12, 16), calls=50)
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


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
    assert {record["workload"] for record in data["results"]} == set(WORKLOADS)
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
    assert cli(check=False).returncode == 2
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
    [(_, cases)] = build_all([name], TINY, tmp_path)
    assert cases
    for case in cases:
        record = bench.run_case(name, case, TINY.repeats, quiet())
        for implementation in record["implementations"]:
            assert implementation["status"] in ("ok", "missing"), (case.name, implementation)
        statuses = {i["column"]: i["status"] for i in record["implementations"]}
        assert statuses["Python"] == "ok"
        assert statuses["fastkernels"] == "ok" and record["speedup"] > 0


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


def test_ctrl_c_stops_the_bench_without_a_table(monkeypatch, capsys):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench, "run_workloads", interrupted)
    assert bench.main(["--only", "sum", "--quiet"]) == 130
    captured = capsys.readouterr()
    assert "interrupted: no table" in captured.err and "workload" not in captured.out

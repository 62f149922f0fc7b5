"""fastkernels.show_config() and python -m fastkernels info (issue 13)."""
import json
import os
import subprocess
import sys

import pytest

import fastkernels
from fastkernels import _native

TIERS = ["baseline", "avx2", "avx512"]
FAMILIES = {"sum", "fsum", "sort_array", "sort_list", "word_count", "matmul", "fibonacci"}


def run(*args, env=None):
    environment = dict(os.environ)
    for name in ("FASTKERNELS_ISA", "FASTKERNELS_NUM_THREADS"):
        environment.pop(name, None)
    environment.update(env or {})
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=environment, timeout=120)


def child_config(env):
    result = run("-m", "fastkernels", "info", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_dicts_mode_reports_every_section():
    info = fastkernels.show_config(mode="dicts")
    assert set(info) == {"fastkernels", "build", "python", "cpu", "kernels", "threads", "parallel_thresholds",
                         "installed"}
    assert info["fastkernels"]["version"] == fastkernels.__version__
    assert info["fastkernels"]["extension"] == _native.__file__
    assert info["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert set(info["kernels"]) == FAMILIES
    selected = info["cpu"]["isa_selected"]
    assert selected == _native._isa() and TIERS.index(selected) <= TIERS.index(info["cpu"]["isa_supported"])
    assert all(TIERS.index(tier) <= TIERS.index(selected) for tier in info["kernels"].values())
    assert info["parallel_thresholds"] == _native._parallel_thresholds()
    json.dumps(info)  # serialisable, for bug reports


def test_the_build_records_its_swift_compiler():
    build = fastkernels.show_config(mode="dicts")["build"]
    assert build["swift"].startswith("Swift version"), build
    assert sys.implementation.cache_tag in build["python"]


def test_threads_none_resolves_to_the_cpus_this_process_may_use():
    threads = child_config({})["threads"]
    if threads["cgroup_cpu_quota"] is None and hasattr(os, "sched_getaffinity"):
        assert threads["source"] == "CPU affinity"
        assert threads["threads"] == threads["affinity_cpus"] == len(os.sched_getaffinity(0))
    assert threads["FASTKERNELS_NUM_THREADS"] is None
    assert threads["online_cpus"] >= 1


def test_the_environment_variable_sets_the_thread_count():
    threads = child_config({"FASTKERNELS_NUM_THREADS": "3"})["threads"]
    assert (threads["threads"], threads["source"], threads["FASTKERNELS_NUM_THREADS"]) == (3, "FASTKERNELS_NUM_THREADS", "3")
    ignored = child_config({"FASTKERNELS_NUM_THREADS": "many"})["threads"]
    assert ignored["source"] != "FASTKERNELS_NUM_THREADS" and ignored["FASTKERNELS_NUM_THREADS"] == "many"


@pytest.mark.parametrize("tier", TIERS)
def test_a_lower_tier_forced_by_fastkernels_isa_is_reported(tier):
    supported = _native._config()["isa_supported"]
    info = child_config({"FASTKERNELS_ISA": tier})
    expected = tier if TIERS.index(tier) <= TIERS.index(supported) else supported
    assert info["cpu"]["isa_selected"] == expected and info["cpu"]["FASTKERNELS_ISA"] == tier
    assert all(TIERS.index(t) <= TIERS.index(expected) for t in info["kernels"].values())
    if expected == "baseline":
        assert set(info["kernels"].values()) == {"baseline"}
    else:  # the families with a build for every vector tier run the selected one (sum, fsum: AVX-512 too)
        for family in ("sum", "fsum", "sort_array", "sort_list", "word_count", "matmul"):
            assert info["kernels"][family] == expected, family
    text = run("-m", "fastkernels", "info", env={"FASTKERNELS_ISA": tier}).stdout
    assert f"FASTKERNELS_ISA={tier}" in text or expected == supported == tier


def test_the_text_report_names_everything():
    result = run("-c", "import fastkernels; print(repr(fastkernels.show_config()))")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"fastkernels {fastkernels.__version__}\n") and text.rstrip().endswith("None")
    for needle in ["built with:  Swift version", "threads=None:", "instruction set:", *sorted(FAMILIES)]:
        assert needle in text, needle
    assert run("-m", "fastkernels", "info").stdout == text[: -len("None\n")]


def test_bad_mode_and_bad_options():
    with pytest.raises(ValueError, match="mode must be"):
        fastkernels.show_config(mode="json")
    result = run("-m", "fastkernels", "info", "--frobnicate")
    assert result.returncode == 2 and "usage" in result.stderr
    result = run("-m", "fastkernels")
    assert result.returncode == 2 and "info" in result.stderr and result.stdout == ""


def test_importing_fastkernels_does_not_import_the_report():
    result = run("-c", "import sys, fastkernels; print('fastkernels._config' in sys.modules, 'json' in sys.modules)")
    assert result.stdout.split()[0] == "False"

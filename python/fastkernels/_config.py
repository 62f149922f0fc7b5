"""What fastkernels found on this machine: ``fastkernels.show_config()`` and
``python -m fastkernels info`` (paste its ``--json`` output into bug reports)."""
from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

# Libraries the benchmarks and the optional extras use; reported by version when installed
# (read from their metadata: none of them is imported).
OPTIONAL = ("numpy", "polars", "matplotlib", "threadpoolctl", "dask", "distributed")


def _build_info() -> dict[str, Any]:
    """What setup.py wrote next to the extension when it built it (the Swift compiler...)."""
    path = Path(__file__).with_name("_build_info.json")
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {"swift": None, "note": f"{path.name} not found (built without setup.py?)"}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _installed_versions() -> dict[str, str | None]:
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for name in OPTIONAL:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def config() -> dict[str, Any]:
    """Everything ``show_config()`` reports, as a JSON-serialisable dict."""
    from . import __version__, _native

    native = _native._config()
    return {
        "fastkernels": {
            "version": __version__,
            "package": str(Path(__file__).parent),
            "extension": _native.__file__,
        },
        "build": _build_info(),
        "python": {
            "implementation": platform.python_implementation(),
            "version": platform.python_version(),
            "executable": sys.executable,
            "platform": platform.platform(),
        },
        "cpu": {
            "model": _cpu_model(),
            "machine": platform.machine(),
            "isa_supported": native["isa_supported"],
            "isa_selected": native["isa_selected"],
            "FASTKERNELS_ISA": native["isa_requested"],
        },
        "kernels": native["kernels"],
        "threads": native["threads"],
        "parallel_thresholds": native["parallel_thresholds"],
        "installed": _installed_versions(),
    }


def format_config(info: dict[str, Any]) -> str:
    """The report as text, one section per line group."""
    threads = info["threads"]
    why = threads["source"]
    if why == "CPU affinity":
        why = f"the {threads['affinity_cpus']} CPUs this process may run on ({threads['online_cpus']} online)"
    elif why == "cgroup CPU quota":
        why = f"the cgroup CPU quota of {threads['cgroup_cpu_quota']} CPUs ({threads['affinity_cpus']} in the affinity mask)"
    else:
        why = f"FASTKERNELS_NUM_THREADS={threads['FASTKERNELS_NUM_THREADS']}"
    build = info["build"]
    cpu = info["cpu"]
    isa = cpu["isa_selected"]
    if cpu["isa_selected"] != cpu["isa_supported"]:
        isa += f" (FASTKERNELS_ISA={cpu['FASTKERNELS_ISA']}; the CPU supports {cpu['isa_supported']})"
    elif cpu["FASTKERNELS_ISA"] is not None:
        isa += f" (FASTKERNELS_ISA={cpu['FASTKERNELS_ISA']})"
    lines = [
        f"fastkernels {info['fastkernels']['version']}",
        f"  package:     {info['fastkernels']['package']}",
        f"  extension:   {info['fastkernels']['extension']}",
        f"  built with:  {build.get('swift') or 'unknown Swift compiler'}"
        + (f", for {build['python']}" if build.get("python") else ""),
        f"python:        {info['python']['implementation']} {info['python']['version']} ({info['python']['executable']})",
        f"platform:      {info['python']['platform']}",
        f"cpu:           {cpu['model']} ({cpu['machine']})",
        f"instruction set: {isa}",
        "kernels:       " + ", ".join(f"{family} {tier}" for family, tier in info["kernels"].items()),
        f"threads=None:  {threads['threads']} threads, from {why}",
        "installed:     " + ", ".join(f"{name} {version}" for name, version in info["installed"].items() if version)
        + (" (none of " + ", ".join(OPTIONAL) + ")" if not any(info["installed"].values()) else ""),
    ]
    return "\n".join(lines) + "\n"


def show_config(mode: str = "stdout") -> dict[str, Any] | None:
    """``fastkernels.show_config()``: see its docstring."""
    if mode == "dicts":
        return config()
    if mode != "stdout":
        raise ValueError(f"show_config(): mode must be 'stdout' or 'dicts', not {mode!r}")
    sys.stdout.write(format_config(config()))
    return None


def main(argv: list[str]) -> int:
    """``python -m fastkernels info [--json]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m fastkernels info",
                                     description="What fastkernels found on this machine (for bug reports).")
    parser.add_argument("--json", action="store_true", help="print it as JSON")
    args = parser.parse_args(argv)
    info = config()
    if args.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    else:
        sys.stdout.write(format_config(info))
    return 0

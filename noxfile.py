"""The version matrix (issue 13): ``nox -s tests`` (``make test-matrix``).

For every CPython 3.9-3.13 on this machine (nox skips the missing ones and says so): a fresh
venv, the manylinux wheel ``make wheels`` built for that version installed into it (from
dist/; built first when missing or older than the sources), the test dependencies, then the pytest suite run against
the installed package, with no Swift on PATH: using fastkernels must need no toolchain.
The tests that build from source or read the source tree skip themselves there
(FASTKERNELS_TEST_INSTALLED=1).

    nox -s tests                 every version found
    nox -s tests-3.9 tests-3.13  the oldest and newest (what CI runs)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
# What the tests import besides fastkernels (numpy is the reference of several kernels).
# dask (with distributed): fastkernels.dask is tested on every version too (dask 2024.8 is the last for 3.9).
TEST_REQUIREMENTS = ["pytest", "hypothesis", "numpy", "threadpoolctl", "dask[array,distributed]"]

nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = False


def expose_interpreters() -> None:
    """nox finds `python3.X` on PATH; pyenv keeps its interpreters elsewhere. Links to the ones
    tools/build_wheels.py finds (the same it builds the wheels with) go first on PATH."""
    sys.path.insert(0, str(ROOT / "tools"))
    from build_wheels import find_interpreter

    links = ROOT / ".nox" / "interpreters"
    links.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        found = find_interpreter(version)
        link = links / f"python{version}"
        if link.is_symlink() or link.exists():
            link.unlink()
        if found:
            link.symlink_to(found)
    os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


expose_interpreters()


def newest_source() -> float:
    """When the newest file a wheel is built from was changed."""
    files = [ROOT / "Package.swift", ROOT / "setup.py", ROOT / "pyproject.toml", *ROOT.glob("Sources/**/*"),
             *ROOT.glob("python/fastkernels/**/*.py"), *ROOT.glob("python/fastkernels/**/*.pyi")]
    return max(path.stat().st_mtime for path in files if path.is_file())


def wheel_for(session: nox.Session) -> Path:
    tag = "cp" + session.python.replace(".", "")  # type: ignore[union-attr]
    wheels = sorted((ROOT / "dist").glob(f"fastkernels-*-{tag}-{tag}-manylinux*.whl"))
    if wheels and wheels[-1].stat().st_mtime < newest_source():
        session.log(f"{wheels[-1].name} is older than the sources: building it again")
        wheels[-1].unlink()
        wheels = []
    if not wheels:
        session.log(f"no {tag} wheel in dist/: building it (tools/build_wheels.py)")
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_wheels.py"), "--versions", session.python],
                       check=True, cwd=ROOT)
        wheels = sorted((ROOT / "dist").glob(f"fastkernels-*-{tag}-{tag}-manylinux*.whl"))
    if not wheels:
        session.error(f"no {tag} manylinux wheel could be built")
    return wheels[-1]


@nox.session(python=VERSIONS)
def tests(session: nox.Session) -> None:
    wheel = wheel_for(session)
    session.install(*TEST_REQUIREMENTS)
    session.install("--no-deps", "--force-reinstall", str(wheel))
    # No Swift anywhere on PATH: the session's venv and the system's directories only.
    path = os.pathsep.join(entry for entry in os.environ.get("PATH", "").split(os.pathsep)
                           if entry and not (Path(entry) / "swift").exists())
    assert shutil.which("swift", path=path) is None
    with session.chdir(session.create_tmp()):  # not the source tree: `import fastkernels` is the installed one
        session.run("python", "-c", "import fastkernels, sys; assert 'site-packages' in fastkernels.__file__, "
                    "fastkernels.__file__; print(fastkernels.__file__)")
        session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "python" / "tests"),
                    *session.posargs,
                    env={"PATH": os.pathsep.join([str(Path(session.bin)), path]), "FASTKERNELS_TEST_INSTALLED": "1"})

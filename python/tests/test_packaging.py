"""The built extension and the wheel: what a user installs."""
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import fastkernels._native as native

ROOT = Path(__file__).resolve().parents[2]
# The version matrix (noxfile.py) runs the suite against an installed wheel, with no Swift and no
# build tools: the tests that build from the source tree or type-check it are for the dev venv.
INSTALLED = os.environ.get("FASTKERNELS_TEST_INSTALLED") == "1"
from_source = pytest.mark.skipif(INSTALLED, reason="builds or checks the source tree (dev venv only)")


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd not available")
def test_extension_needs_no_swift_runtime_and_no_libpython():
    libraries = subprocess.run(["ldd", native.__file__], capture_output=True, text=True, check=True).stdout
    assert "libswift" not in libraries
    assert "libdispatch" not in libraries
    assert "libpython" not in libraries


def functions_using(pattern: str) -> set[str]:
    """The (mangled) names of the extension's functions whose machine code matches `pattern`."""
    import re

    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", native.__file__], capture_output=True,
                             text=True, check=True).stdout
    found, name, matcher = set(), "", re.compile(pattern)
    for line in listing.splitlines():
        if line.endswith(">:"):
            name = line[line.index("<") + 1:-2]
        elif matcher.search(line):
            found.add(name)
    return found


@pytest.mark.skipif(shutil.which("objdump") is None or not sys.platform.startswith("linux")
                    or __import__("platform").machine() != "x86_64", reason="objdump on x86-64 Linux only")
def test_vector_instructions_stay_in_their_instruction_set_modules():
    """Code that runs on any x86-64 must not contain AVX or AVX-512 instructions: only the
    tier modules (KernelLoops for AVX2, KernelLoopsAVX512), which run after the CPU check, may.
    A generic specialization emitted in a tier module and shared with baseline code by the
    linker would show up here as a function of another module using ymm or zmm registers."""
    avx512 = functions_using(r"%zmm|%k[0-7]|\{1to|vpmullq")
    avx = functions_using(r"%ymm") | avx512
    assert any("KernelLoopsAVX512" in name for name in avx512)  # the AVX-512 kernels are there
    assert [name for name in avx512 if "17KernelLoopsAVX512" not in name] == []
    assert [name for name in avx if "11KernelLoops" not in name and "17KernelLoopsAVX512" not in name] == []


@pytest.mark.skipif(shutil.which("nm") is None, reason="nm not available")
def test_extension_exports_only_its_init_and_thread_limit_functions():
    lines = subprocess.run(["nm", "-D", "--defined-only", native.__file__], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    entries = [line.split()[-2:] for line in lines if len(line.split()) >= 2]  # [type, name]
    exported = [name for kind, name in entries if kind.isupper()]  # global or weak: what other objects can bind
    assert sorted(exported) == ["PyInit__native", "fastkernels_get_num_threads", "fastkernels_set_num_threads"]
    # The version script makes everything else local. The table may still list a few local
    # entries (functions whose address the code loads through the GOT): those bind to nothing.
    assert all(kind.islower() for kind, name in entries if name.startswith("$s"))


@from_source
def test_wheel_holds_package_stubs_and_extension(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True, cwd=ROOT,
    )
    (wheel,) = tmp_path.glob("fastkernels-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "fastkernels/__init__.py" in names
    assert "fastkernels/_native.pyi" in names
    assert "fastkernels/py.typed" in names
    assert "fastkernels/__main__.py" in names  # python -m fastkernels bench
    assert "fastkernels/_build_info.json" in names  # show_config(): the Swift compiler that built it
    assert "fastkernels/bench/workloads.py" in names
    assert "fastkernels/dask.py" in names  # fastkernels.dask, the [dask] extra
    assert [n for n in names if n.startswith("fastkernels/_native.") and n.endswith(".so")]
    assert not [n for n in names if "tests" in n]


@from_source
def test_stubs_match_the_module():
    # mypy.stubtest of the whole extension module: what the hand-written _native.pyi declares
    # (functions, signatures, defaults) must match fastkernels._native as built; names the stub
    # leaves out (private helpers) are not reported (--ignore-missing-stub).
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "fastkernels._native", "--ignore-missing-stub"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@from_source
def test_package_type_checks_strictly():
    # The Python API's annotations and the stubs must agree with each other under mypy --strict.
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(ROOT / "python" / "fastkernels")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@from_source
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or not Path("/opt/swift").is_dir(),
                    reason="hides /opt/swift in a private mount namespace: needs root and unshare")
def test_building_without_swift_says_at_once_what_is_needed(tmp_path):
    """No Swift on PATH, none in SWIFT, /opt/swift hidden: the build stops before setuptools
    does anything, with a message naming what is missing and where to get it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    path = os.pathsep.join(p for p in ["/usr/bin", "/bin"] if not (Path(p) / "swift").exists())
    script = (f"mount --bind {empty} /opt/swift && cd {ROOT} && "
              f"{sys.executable} setup.py build_ext --build-lib {tmp_path / 'lib'} --build-temp {tmp_path / 'tmp'}")
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True,
                            env={"PATH": path, "HOME": str(tmp_path)}, timeout=120)
    if "mount" in result.stderr and "permission denied" in result.stderr.lower():
        pytest.skip("mount namespaces are not allowed here")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "needs the Swift toolchain" in result.stderr and "https://www.swift.org/install/" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "lib").exists()


@from_source
def test_sdist_holds_what_the_build_needs_and_builds(tmp_path):
    pytest.importorskip("build")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    (sdist,) = tmp_path.glob("fastkernels-*.tar.gz")
    names = {name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name}
    for needed in ["Package.swift", "setup.py", "pyproject.toml", "README.md", "LICENSE", "tools/swiftpm_python.py",
                   "Sources/CPython/shim.h", "Sources/CPython/module.modulemap", "Sources/FastKernelsPython/exports.map",
                   "Sources/CPUFeatures/cpu_features.c", "Sources/CPUFeatures/include/cpu_features.h",
                   "Sources/FastKernels/WordCount/ShortText.swift", "python/fastkernels/__init__.py",
                   "python/fastkernels/_native.pyi", "python/fastkernels/py.typed"]:
        assert needed in names, needed
    sources = [n for n in names if n.startswith("Sources/") and n.endswith(".swift")]
    assert len(sources) == len(list((ROOT / "Sources").rglob("*.swift")))
    assert not [n for n in names if n.endswith(".so") or n.startswith(("python/tests/", ".build", "benchmarks/"))]
    # And it builds: a wheel from the sdist alone (a full SwiftPM release build, a few minutes).
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "wheel"), str(sdist)], check=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "wheel").glob("fastkernels-*.whl")
    built = zipfile.ZipFile(wheel).namelist()
    assert [n for n in built if n.startswith("fastkernels/_native.") and n.endswith(".so")]
    assert "fastkernels/_build_info.json" in built


@from_source
def test_make_wheels_gives_a_manylinux_wheel_that_runs_without_swift(tmp_path):
    """tools/build_wheels.py for this interpreter: a manylinux-tagged wheel, which a fresh venv
    installs and runs (the README's examples, show_config) with no Swift on PATH."""
    pytest.importorskip("auditwheel")
    version = "%d.%d" % sys.version_info[:2]
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_wheels.py"), "--versions", version, "--dist", str(dist)],
                   check=True, cwd=ROOT, capture_output=True)
    (wheel,) = dist.glob("fastkernels-*.whl")
    tag = "cp" + version.replace(".", "")
    assert f"-{tag}-{tag}-manylinux_" in wheel.name and wheel.name.endswith("_x86_64.whl"), wheel.name
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Install by unpacking into the venv's site-packages (a wheel is a zip; no pip, no network).
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    zipfile.ZipFile(wheel).extractall(site)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and not (Path(p) / "swift").exists())
    script = (
        "import doctest, fastkernels, json, sys\n"
        "assert fastkernels.__file__.startswith(sys.prefix), fastkernels.__file__\n"
        f"failures, tried = doctest.testfile({str(ROOT / 'README.md')!r}, module_relative=False,"
        " optionflags=doctest.ELLIPSIS)\n"
        "info = fastkernels.show_config(mode='dicts')\n"
        "print(json.dumps([failures, tried, info['build']['swift']]))\n"
    )
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": path, "HOME": str(tmp_path)}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    failures, tried, swift = __import__("json").loads(result.stdout.splitlines()[-1])
    assert tried > 0 and failures == 0
    assert swift.startswith("Swift version")

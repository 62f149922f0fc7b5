"""Build the Swift extension module `fastkernels._native` for the running Python.

`build_ext` runs `swift build -c release` against this interpreter's headers
(see tools/swiftpm_python.py), with the Swift standard library linked
statically, and copies the product to where Python expects the extension.
`pip install .`, `pip install -e .` and `pip wheel .` all go through it.
Metadata lives in pyproject.toml.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
import swiftpm_python  # noqa: E402


NO_SWIFT = """
fastkernels: building from source needs the Swift toolchain (Swift 6.0 or newer), and it
was not found: not in the SWIFT environment variable, not on PATH, not at /opt/swift.

  - To use fastkernels you do not need Swift: install a binary wheel
    (`pip install --only-binary fastkernels fastkernels`); wheels exist for CPython 3.9-3.13
    on Linux x86-64 (manylinux).
  - To build it: install Swift from https://www.swift.org/install/ (Linux: the tarball for
    your distribution, unpacked anywhere), then put its usr/bin on PATH or set
    SWIFT=/path/to/usr/bin/swift, and run pip again.
"""


def find_swift() -> str:
    for candidate in (os.environ.get("SWIFT"), shutil.which("swift"), "/opt/swift/usr/bin/swift"):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit(NO_SWIFT)


class SwiftExtension(Extension):
    """An extension built by SwiftPM from the dynamic-library product `product`."""

    def __init__(self, name: str, product: str) -> None:
        super().__init__(name, sources=[])
        self.product = product


class build_swift_ext(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not isinstance(ext, SwiftExtension):
            return super().build_extension(ext)
        command = [
            find_swift(), "build",
            "--configuration", "release",
            "--product", ext.product,
            "--scratch-path", str(swiftpm_python.scratch_dir()),
            # The Swift runtime goes inside the .so: it needs no toolchain at run time.
            "--static-swift-stdlib", "-Xswiftc", "-static-stdlib",
            # Inline small bridge helpers and kernels across module boundaries.
            "-Xswiftc", "-cross-module-optimization",
            # Export PyInit__native only.
            "-Xlinker", f"--version-script={ROOT / 'Sources' / 'FastKernelsPython' / 'exports.map'}",
            *swiftpm_python.flags(),
        ]
        env = swiftpm_python.environment()
        print(" ".join(command), flush=True)
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        bin_dir = subprocess.run(
            [*command, "--show-bin-path"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.strip().splitlines()[-1]
        suffix = ".dylib" if sys.platform == "darwin" else ".so"
        built = Path(bin_dir) / f"lib{ext.product}{suffix}"
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, destination)
        print(f"copied {built} -> {destination}", flush=True)
        targets = [destination.parent]
        if getattr(self, "editable_mode", False) or self.inplace:
            # An editable install copies only the extension itself into the source tree.
            targets.append(ROOT / "python" / "fastkernels")
        info = build_info(command[0], env)
        for directory in targets:
            (directory / "_build_info.json").write_text(info, encoding="utf-8")


def build_info(swift: str, env: dict) -> str:
    """What built the extension, as JSON, for `fastkernels.show_config()` (the package reads it)."""
    version = subprocess.run([swift, "--version"], env=env, capture_output=True, text=True).stdout.strip()
    info = {
        "swift": version.splitlines()[0] if version else None,
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.implementation.cache_tag})",
        "machine": platform.machine(),
        "static_swift_stdlib": True,
    }
    return json.dumps(info, indent=2) + "\n"


# Fail at once, not from deep inside setuptools, when a build needs Swift and there is none
# (egg_info, sdist and the metadata hooks do not).
if any(command in sys.argv for command in ("build", "build_ext", "bdist_wheel", "install", "develop", "editable_wheel")):
    find_swift()

setup(
    ext_modules=[SwiftExtension("fastkernels._native", product="_native")],
    cmdclass={"build_ext": build_swift_ext},
)

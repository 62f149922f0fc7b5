"""Point SwiftPM at the headers of the Python interpreter that runs this script.

The CPython system-library target finds its headers through pkg-config
(`python3`). A plain `swift build` gets whatever pkg-config's python3 is
(Debian's libpython3-dev), which may be another Python than the one that
will import the module. This writes a `python3.pc` for the running
interpreter and returns the environment and flags that make SwiftPM use it.

Used by setup.py (build_ext) and by the Makefile (`swift test`):

    python tools/swiftpm_python.py env     # prints PKG_CONFIG_PATH=... for the shell
    python tools/swiftpm_python.py flags   # prints the -Xcc -I... flags
"""
from __future__ import annotations

import os
import platform
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def include_dir() -> str:
    return sysconfig.get_paths()["include"]


def scratch_dir() -> Path:
    """A SwiftPM build folder per interpreter (headers differ between Pythons)."""
    return ROOT / ".build" / f"{sys.implementation.cache_tag}-{platform.machine()}"


def write_pkgconfig(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    pc = directory / "python3.pc"
    text = (
        f"Name: Python\n"
        f"Description: headers of {sys.executable}\n"
        f"Version: {platform.python_version()}\n"
        f"Libs:\n"
        f"Cflags: -I{include_dir()}\n"
    )
    if not pc.exists() or pc.read_text() != text:
        pc.write_text(text)
    return directory


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    pc_dir = write_pkgconfig(scratch_dir() / "pkgconfig")
    env["PKG_CONFIG_PATH"] = os.pathsep.join(p for p in (str(pc_dir), env.get("PKG_CONFIG_PATH", "")) if p)
    return env


def flags() -> list[str]:
    return ["-Xcc", f"-I{include_dir()}"]


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "flags"
    if what == "env":
        print(f"PKG_CONFIG_PATH={environment()['PKG_CONFIG_PATH']}")
    elif what == "flags":
        print(" ".join(flags()))
    elif what == "scratch":
        print(scratch_dir())
    else:
        sys.exit(f"usage: {sys.argv[0]} env|flags|scratch")

"""``python -m fastkernels``: the command line: ``bench`` and ``info``."""
from __future__ import annotations

import sys

USAGE = """usage: python -m fastkernels {bench,info} [options]

commands:
  bench   measure fastkernels against pure Python, numpy and polars on this machine
          (python -m fastkernels bench --help for its options)
  info    what fastkernels found on this machine: version, build, CPU tiers, threads
          (--json for bug reports)
"""


def main(argv: list[str]) -> int:
    if not argv:  # a usage error: the usage on stderr, as argparse prints it
        sys.stderr.write(USAGE)
        return 2
    if argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv[0] == "info":
        from ._config import main as info

        return info(argv[1:])
    if argv[0] != "bench":
        sys.stderr.write(f"python -m fastkernels: unknown command {argv[0]!r}\n\n{USAGE}")
        return 2
    from .bench import main as bench

    return bench(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

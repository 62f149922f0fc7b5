"""The bench behind ``python -m fastkernels bench`` (its options: cli.py, or --help).

- cli: the command line, ``main``;
- runner: checks each row against pure Python, then times it; the progress on stderr;
- workloads: what is measured (add one with ``@workload``), at the sizes of each scale;
- measure: how (interleaved repeats, batched calls, peak memory, the machine);
- report: the results as a table (text, Markdown), plots (PNG, SVG) and the size sweep's chart;
- corpus: the generated text the word-count rows count.
"""
from . import report, workloads  # bench.report and bench.workloads, as attributes of the package
from .cli import main
from .runner import Progress, run_case, run_workloads

__all__ = ["Progress", "main", "run_case", "run_workloads"]

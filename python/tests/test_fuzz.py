"""A short, time-boxed run of the differential fuzzer (fuzz/fuzz_kernels.py); `make fuzz` runs it longer."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")
pytest.importorskip("numpy")

FUZZER = Path(__file__).parent / "fuzz" / "fuzz_kernels.py"


def test_fuzz_briefly(tmp_path):
    seconds = int(os.environ.get("FASTKERNELS_FUZZ_SECONDS", "45"))
    (tmp_path / "corpus").mkdir()
    run = subprocess.run([sys.executable, str(FUZZER), f"-max_total_time={seconds}", "-seed=1",
                          "-rss_limit_mb=4096", f"-artifact_prefix={tmp_path}/", str(tmp_path / "corpus")],
                         capture_output=True, text=True, timeout=seconds + 120)
    report = run.stdout[-4000:] + run.stderr[-8000:]
    assert run.returncode == 0, report
    assert "Done" in run.stderr and "runs in" in run.stderr, report

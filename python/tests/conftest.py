"""Shared test settings and helpers, for every test module under python/tests.

The helpers are fixtures (a test takes one by naming it as a parameter), so that no test module
imports another file of this folder: the tests run with pytest's default import mode and with
``--import-mode=importlib`` alike.
"""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, settings

# CI machines are shared and slow: no deadlines (speed is measured by the benchmarks, not here).
settings.register_profile("ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# ---- whether a kernel releases the GIL: Python keeps running beside it ---------------------------

def count_python_steps_beside(target, *args, **kwargs) -> int:
    """Runs target(*args, **kwargs) in a worker thread and counts how many times this
    thread ran a Python loop body meanwhile. With the GIL held for the whole call, the
    loop could not run until the call returned: the count would stay tiny."""
    steps = 0
    worker = threading.Thread(target=target, args=args, kwargs=kwargs)
    worker.start()
    while worker.is_alive():
        steps += 1
    worker.join()
    return steps


@pytest.fixture
def python_steps_beside():
    """count_python_steps_beside: python_steps_beside(kernel, *args, **kwargs) > 1000 when the kernel
    releases the GIL."""
    return count_python_steps_beside


# ---- sending Ctrl-C to a child Python that is inside a kernel ------------------------------------

def interrupt_child_in_kernel(script: str, delay: float) -> tuple[int, float]:
    """Runs `script` in a new interpreter; once it prints "ready", waits `delay`
    seconds (the child is inside the kernel by then), sends SIGINT and returns
    the child's exit code and the seconds from the signal to its exit."""
    # The child takes Python's own SIGINT handler whatever it inherited (a shell's background
    # job starts with SIGINT ignored, and Python then leaves it ignored).
    prelude = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
    child = subprocess.Popen([sys.executable, "-c", prelude + script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        code = child.wait(timeout=30)
        return code, time.perf_counter() - sent
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def interrupt_child():
    """interrupt_child_in_kernel: code, elapsed = interrupt_child(script, delay)."""
    return interrupt_child_in_kernel

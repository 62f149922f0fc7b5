"""Sending Ctrl-C to a child Python that is inside a kernel."""
import signal
import subprocess
import sys
import time


def interrupt_child(script: str, delay: float) -> tuple[int, float]:
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

"""threadpoolctl caps fastkernels' workers and lists them (issue 13).

Each test runs in a fresh interpreter: whether threadpoolctl is imported before or after
fastkernels matters, and the limit is process-wide."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("threadpoolctl")

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def child(code, env=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("FASTKERNELS_NUM_THREADS", "FASTKERNELS_ISA")}
    environment.update(env or {})
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env=environment, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


LISTED = """
    import json
    {imports}
    entries = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "fastkernels"]
    print(json.dumps([entries, fastkernels._native._config()["threads"]["threads"]]))
"""


@pytest.mark.parametrize("imports", ["import fastkernels, threadpoolctl", "import threadpoolctl, fastkernels"])
def test_threadpool_info_lists_fastkernels_whichever_is_imported_first(imports):
    entries, threads = child(LISTED.format(imports=imports))
    assert len(entries) == 1
    (entry,) = entries
    assert entry["internal_api"] == "fastkernels" and entry["num_threads"] == threads
    assert os.path.basename(entry["filepath"]).startswith("_native.")
    import fastkernels

    assert entry["version"] == fastkernels.__version__ and entry["filepath"] == os.path.realpath(fastkernels._native.__file__)


def test_the_limit_caps_threads_none_and_is_undone_on_exit():
    before, inside, blas_only, after, source = child("""
        import json, fastkernels, threadpoolctl
        threads = lambda: fastkernels._native._config()["threads"]
        before = threads()["threads"]
        with threadpoolctl.threadpool_limits(1):
            inside, source = threads()["threads"], threads()["source"]
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            blas_only = threads()["threads"]
        print(json.dumps([before, inside, blas_only, threads()["threads"], source]))
    """)
    assert (before, inside, blas_only, after) == (CORES, 1, CORES, CORES)
    assert source == ("thread limit" if CORES > 1 else "CPU affinity")


def test_the_environment_variable_is_what_threadpoolctl_sees_and_restores():
    seen, inside, after = child("""
        import json, threadpoolctl, fastkernels
        info = lambda: [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "fastkernels"][0]
        seen = info()["num_threads"]
        with threadpoolctl.threadpool_limits({"fastkernels": 2}):
            inside = info()["num_threads"]
        print(json.dumps([seen, inside, info()["num_threads"]]))
    """, env={"FASTKERNELS_NUM_THREADS": "3"})
    assert (seen, inside, after) == (3, 2, 3)


@pytest.mark.skipif(CORES < 2 or not os.path.isdir("/proc/self/task"), reason="needs 2 cores and /proc")
def test_under_the_limit_no_worker_thread_runs():
    """The pool's threads exist (an unlimited sort started them); under threadpool_limits(1) a
    large sort must run on the calling thread alone: no other thread of the process gains CPU
    time, while without the limit they do."""
    gained_limited, gained_free, same = child("""
        import json, os, numpy as np, fastkernels, threadpoolctl
        def cpu_times():
            times = {}
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                times[int(task)] = int(fields[11]) + int(fields[12])  # utime + stime, in ticks
            return times
        data = np.random.default_rng(1).standard_normal(12_000_000)
        expected = fastkernels.sort(data)  # starts the pool's threads
        def others_gain(run):
            start = cpu_times()
            for _ in range(3):
                result = run()
            end = cpu_times()
            me = os.getpid()  # the main thread's task id
            return sum(end[t] - start.get(t, 0) for t in end if t != me), result
        with threadpoolctl.threadpool_limits(1):
            limited, a = others_gain(lambda: fastkernels.sort(data))
        free, b = others_gain(lambda: fastkernels.sort(data))
        print(json.dumps([limited, free, bool((a == expected).all() and (b == expected).all())]))
    """, env={"OPENBLAS_NUM_THREADS": "1"})
    assert same
    assert gained_limited <= 2, gained_limited  # a tick or two of noise at most
    assert gained_free > 5, gained_free


def test_importing_fastkernels_does_not_import_threadpoolctl():
    imported = child("""
        import json, sys, fastkernels
        print(json.dumps("threadpoolctl" in sys.modules))
    """)
    assert imported is False

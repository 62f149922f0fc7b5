"""Whether a kernel releases the GIL: Python keeps running beside it."""
import threading


def python_steps_beside(target, *args, **kwargs) -> int:
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

"""Pure-Python implementations of the kernels' workloads.

The baselines of the benchmarks and the references of the differential
tests: the same algorithms as the native kernels, in plain Python. Not
imported by `import fastkernels`.
"""


def fibonacci_iterative(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fibonacci_fast_doubling(n: int) -> int:
    """F(n) by the textbook fast doubling (a different formula from the kernel's)."""

    def pair(k: int) -> tuple[int, int]:  # (F(k), F(k+1))
        if k == 0:
            return 0, 1
        a, b = pair(k >> 1)
        c = a * (2 * b - a)
        d = a * a + b * b
        return (d, c + d) if k & 1 else (c, d)

    return pair(n)[0]


def fibonacci_recursive(n: int) -> int:
    return n if n < 2 else fibonacci_recursive(n - 1) + fibonacci_recursive(n - 2)

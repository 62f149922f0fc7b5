import FastKernels
import PythonBridge

/// From this n on, exact Fibonacci releases the GIL (F(2^14) takes tens of microseconds).
let fibonacciGILThreshold = 1 << 14
/// From this n on, the naive recursion releases the GIL (F(20) is ~22,000 calls).
let recursiveGILThreshold = 20

let fibonacciFunction = Function("fibonacci", "n, /", doc: """
    Return the n-th Fibonacci number, exactly.

    fibonacci(0) == 0, fibonacci(1) == 1, fibonacci(n) == fibonacci(n-1) + fibonacci(n-2).
    Up to n = 93 (the largest result that fits 64 bits) this is a table
    look-up; beyond it, fast doubling on arbitrary-precision integers, which
    never wraps or rounds. Large n run with the GIL released and can be
    interrupted with Ctrl-C.

    Raises ValueError if n < 0, TypeError if n is not an integer (bool counts
    as int, as in Python; objects with __index__ are accepted), OverflowError
    or MemoryError if the result is too large to be built on this machine.
    """) { args throws(PythonException) in
    let n = try args.clampedInt(0)
    if let small = fibonacciUInt64(n) { return try .int(small) }
    if n == Int.max {
        throw args.error(0, .overflowError, "is too large: F(n) could not be built")
    }
    let result = try args.runKernel(releasingGIL: n >= fibonacciGILThreshold) { isCancelled throws(KernelError) in
        try fibonacci(n, isCancelled: isCancelled)
    }
    return try .int(result)
}

let fibonacciRecursiveFunction = Function("fibonacci_recursive", "n, /", doc: """
    Return the n-th Fibonacci number by naive double recursion, natively.

    This runs exactly the textbook benchmark algorithm,
    fib(n) = fib(n-1) + fib(n-2) with no memoisation (a call tree of about 1.6**n nodes),
    so that it can be compared with the same function in pure Python. Use
    fibonacci() for real work.

    n must be in 0..92 (fib(92) is the largest that fits 64 bits): ValueError
    otherwise, TypeError if n is not an integer. For n >= 20 the GIL is
    released; Ctrl-C interrupts it with KeyboardInterrupt.
    """) { args throws(PythonException) in
    let n = try args.clampedInt(0)
    let result = try args.runKernel(releasingGIL: n >= recursiveGILThreshold) { isCancelled throws(KernelError) in
        try fibonacciRecursive(n, isCancelled: isCancelled)
    }
    return try .int(result)
}

import PythonBridge

// sum(values, /, start=0, *, threads=None): the built-in sum, exactly. The
// items the kernels understand (exact ints that fit 64 bits, bools, exact
// floats; numeric buffers) are added natively in the loop CPython would be in;
// anything else is added by Python itself (`result + item`), from the point
// where CPython would do so. See docs/sum.md.

let sumFunction = Function("sum", "values, /, start=0, *, threads=None", doc: """
    Return start (default 0) plus the sum of values, exactly as the built-in sum() does.

    values is any iterable of numbers, or a numeric buffer. The result is the
    built-in sum(values, start) bit for bit and type for type, under the rules of
    the running Python (floats are compensated from Python 3.12 on, as there):
    - lists and tuples of ints, floats and bools are added natively in Python's
      order (long lists of ints exactly, on several threads); other items (numpy
      scalars, Fraction, Decimal, subclasses...) are added by Python itself, from
      where the built-in would;
    - a 1-D numeric buffer (numpy array, array.array, memoryview, bytes...) gives
      builtins.sum(memoryview(values).tolist(), start): ints exact (an integer
      buffer gives an int, a bool buffer counts its true bytes), floats added in
      order; large ones with the GIL released;
    - any other iterable is read one item at a time (memory does not grow with it).
    An empty values gives start. threads (None: all cores, see
    FASTKERNELS_NUM_THREADS) changes speed, never the result. Raises what the
    built-in raises (TypeError for str start or items + refuses; the iterator's own
    errors), TypeError for numpy masked arrays, ValueError for threads < 1.
    """) { args throws(PythonException) in
    let threads = try args.threadCount(2)
    let values = try args.object(0)
    let start = args[1]
    if let items = exactSequenceItems(values) {
        try rejectStringLikeStart(start)
        if items.isEmpty {  // sum([], start) is start
            if let start { return PyRef(borrowing: start) }
            return try .int(0)
        }
        if start == nil, items.count <= 16, let total = smallIntegerSum(items) { return try .int(total) }
        return try sumOfSequence(values, items: items, start: start, threads: threads)
    }
    if let buffer = try args.numericBuffer(values, argument: 0) {
        try rejectStringLikeStart(start)
        return try sumOfBuffer(buffer, start: start, threads: threads, args: args)
    }
    let iterator = try PythonIterator(values)
    try rejectStringLikeStart(start)
    var sum = try SumInProgress(start: start)
    var count = 0
    while let item = try iterator.next() {
        try sum.add(item)
        count += 1
        if count & 0xFFFF == 0 { try checkSignals() }
    }
    return try sum.finish()
}

import FastKernels
import PythonBridge

// fsum(values, /, *, threads=None): math.fsum, exactly. Lists, tuples and
// buffers of plain numbers are summed exactly (a superaccumulator, in
// parallel); when that cannot decide math.fsum's outcome (overflow is
// possible, or infinities and NaNs are about), or an item needs Python to
// become a float, math.fsum's own algorithm runs in order. See docs/sum.md.

let fsumFunction = Function("fsum", "values, /, *, threads=None", doc: """
    Return an accurate floating-point sum of values, exactly as math.fsum() does.

    The correctly rounded sum of the items, each converted as float() converts
    it; bit for bit math.fsum(values), with its errors: OverflowError
    ("intermediate overflow in fsum") and ValueError ("-inf + inf in fsum") in the
    same cases, and what converting an item raises. Lists and tuples of ints and
    floats and 1-D numeric buffers (numpy arrays, array.array, memoryview...) are
    summed exactly with a superaccumulator, vectorized and, for large inputs, on
    several threads with the GIL released; any other iterable is read one item
    at a time. threads (None: all cores) never changes the result.
    """) { args in
    let threads = try args.threadCount(1)
    let values = try args.object(0)
    if let items = exactSequenceItems(values) { return try fsumOfSequence(values, items: items) }
    if let buffer = try args.numericBuffer(values, argument: 0) { return try fsumOfBuffer(buffer, threads: threads, args: args) }
    let iterator = try PythonIterator(values)
    var sequence = FSumSequence()
    var count = 0
    while let item = try iterator.next() {
        guard sequence.add(try convertToDouble(item.pointer)) else { break }
        count += 1
        if count & 0xFFFF == 0 { try checkSignals() }
    }
    return try fsumResult(sequence.outcome)
}

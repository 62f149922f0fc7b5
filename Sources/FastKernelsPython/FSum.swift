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
    """) { args throws(PythonException) in
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

// _fsum_partial(values, /, threads=None): the exact, mergeable partial of a chunked
// fsum (fastkernels.dask): (N, specials), the sum of the finite values being
// exactly N * 2**-1074 and specials the inf and nan seen (1 nan, 2 +inf, 4 -inf).
let fsumPartialFunction = Function("_fsum_partial", "values, /, threads=None", doc: """
    Return (N, specials) for a 1-D numeric buffer: the exact sum of its finite
    values (each as float() converts it) is N * 2**-1074; specials has bit 1 if
    a nan, 2 if +inf, 4 if -inf is among them. Partials of chunks add exactly
    (N1 + N2, s1 | s2): fastkernels.dask.fsum rounds their total once.
    """) { args throws(PythonException) in
    let threads = try args.threadCount(1)
    let values = try args.object(0)
    guard let buffer = try args.numericBuffer(values, argument: 0) else { throw args.typeError(0, expected: "a 1-D numeric buffer") }
    var partial = try buffer.visitElements(with: BufferExactPartial(threads: threads, releasingGIL: buffer.count >= arrayGILThreshold),
                                           args: args)
    let units = try partial.withIntegerBytes { bytes throws(PythonException) in try PyRef.int(signedLittleEndianBytes: bytes) }
    return try .tuple(units, .int(partial.specialValues))
}

/// The exact partial sum of a buffer's elements, each as a float (a bool buffer's non-zero bytes are 1.0).
struct BufferExactPartial: ElementVisitor {
    let threads: Int
    let releasingGIL: Bool

    func visit<Element: NumericElement>(_ elements: StridedBuffer<Element>,
                                        args: borrowing Arguments) throws(PythonException) -> ExactFloatSum {
        try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) -> ExactFloatSum in
            try exactPartialSum(elements, threads: threads, isCancelled: isCancelled)
        }
    }

    func visit(bools: StridedBuffer<UInt8>, args: borrowing Arguments) throws(PythonException) -> ExactFloatSum {
        try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) -> ExactFloatSum in
            let count = try countNonZero(bools, threads: threads, isCancelled: isCancelled)
            var sum = ExactFloatSum()
            sum.addInteger(Int128(count), count: bools.count)
            return sum
        }
    }
}

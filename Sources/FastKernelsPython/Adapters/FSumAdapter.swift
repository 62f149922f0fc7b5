import FastKernels
import PythonBridge

// fsum()'s adapter between Python objects and the kernels: exact lists and
// tuples (math.fsum's algorithm on the stack when short, the exact
// superaccumulator otherwise, math.fsum's own algorithm in order when that
// cannot decide) and numeric buffers (a visitor of their element type).

/// math.fsum's outcome as Python sees it: the float, or its exception.
func fsumResult(_ outcome: FSumOutcome) throws(PythonException) -> PyRef {
    switch outcome {
    case .value(let value): return try .float(value)
    case .intermediateOverflow: throw .overflowError("intermediate overflow in fsum")
    case .infMinusInf: throw .valueError("-inf + inf in fsum")
    }
}

/// fsum() of an exact list or tuple.
func fsumOfSequence(_ sequence: PyObjectPointer, items: UnsafeBufferPointer<PyObjectPointer?>) throws(PythonException) -> PyRef {
    if items.count <= smallFSumLimit, let outcome = fsumOfShortSequence(items) { return try fsumResult(outcome) }
    // Exactly, while every item is an exact float or an int within 64 bits (read without Python code).
    var exact = ExactFloatSum()
    var index = 0
    var plain = true
    let added: Void? = withTemporaryMemory(of: Double.self, capacity: 1024) { values in
        while plain && index < items.count {
            var n = 0
            while n < 1024 && index < items.count {
                switch scalarNumber(items[index]!) {
                case .float(let value): values[n] = value
                case .int(let value): values[n] = Double(value)  // nearest, ties to even: float(int)
                case .other: plain = false
                }
                if !plain { break }
                n += 1
                index += 1
            }
            exact.add(values, count: n)
        }
    }
    if added == nil { throw PythonException.memoryError("fsum(): not enough memory") }
    if plain, let outcome = exact.decidedOutcome { return try fsumResult(outcome) }
    // math.fsum's own algorithm, item by item, as a list iterator reads them.
    var ordered = FSumSequence()
    var position = 0
    while let item = sequenceItem(sequence, at: position) {
        position += 1
        guard ordered.add(try convertToDouble(item.pointer)) else { break }
        if position & 0xFFFF == 0 { try checkSignals() }
    }
    return try fsumResult(ordered.outcome)
}

/// Sequences up to this long are summed by math.fsum's own algorithm, their
/// partials on the stack: the exact accumulator's 4.7 KB cost more than a few values.
let smallFSumLimit = 60

/// math.fsum's outcome for a short sequence of exact floats and ints within 64 bits;
/// nil for other items (the general path then reads them as Python converts them).
func fsumOfShortSequence(_ items: UnsafeBufferPointer<PyObjectPointer?>) -> FSumOutcome? {
    let count = items.count
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * count + 1) { memory -> FSumOutcome? in
        let values = memory.baseAddress!
        for index in 0..<count {
            switch scalarNumber(items[index]!) {
            case .float(let value): values[index] = value
            case .int(let value): values[index] = Double(value)  // nearest, ties to even: float(int)
            case .other: return nil
            }
        }
        return FSumSequence.outcome(of: values, count: count, scratch: values + count)
    }
}

/// fsum() of a numeric buffer: its elements as floats (a bool buffer's non-zero bytes are 1.0).
func fsumOfBuffer(_ buffer: borrowing BufferView, threads: Int, args: borrowing Arguments) throws(PythonException) -> PyRef {
    let fsum = BufferFSum(threads: threads, releasingGIL: buffer.count >= arrayGILThreshold)
    return try fsumResult(buffer.visitElements(with: fsum, args: args))
}

/// math.fsum's outcome for a buffer's elements, each as a float.
struct BufferFSum: ElementVisitor {
    let threads: Int
    let releasingGIL: Bool

    func visit<Element: NumericElement>(_ elements: StridedBuffer<Element>,
                                        args: borrowing Arguments) throws(PythonException) -> FSumOutcome {
        try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) -> FSumOutcome in
            try fsum(elements, threads: threads, isCancelled: isCancelled)
        }
    }

    func visit(bools: StridedBuffer<UInt8>, args: borrowing Arguments) throws(PythonException) -> FSumOutcome {
        try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) -> FSumOutcome in
            .value(Double(try countNonZero(bools, threads: threads, isCancelled: isCancelled)))
        }
    }
}

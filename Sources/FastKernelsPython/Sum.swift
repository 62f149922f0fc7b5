import FastKernels
import PythonBridge

let sumFunction = Function("_sum", "values, /, threads=None", messageName: "sum", doc: """
    The native part of fastkernels.sum(): the sum of a list or tuple of ints
    and floats, or of a 1-D numeric buffer; None when values is anything else
    (fastkernels.sum then takes the general path).
    """) { args in
    let threads = try args.threadCount(1)
    let values = try args.object(0)
    if let items = sequenceItems(values) {
        guard let result = sumOfNumbers(items, threads: threads) else { return .none }
        switch result {
        case .int(let total): return try .int(total)
        case .float(let total): return try .float(total)
        }
    }
    guard let buffer = try BufferView(values, writable: false, describe: "sum() argument 'values'") else {
        return .none
    }
    let release = buffer.count >= arrayGILThreshold
    return try withTypedBuffer(buffer) { typed throws -> PyRef in
        switch typed {
        case .int8(let b): return try sum(b, args, threads, release)
        case .uint8(let b): return try sum(b, args, threads, release)
        case .int16(let b): return try sum(b, args, threads, release)
        case .uint16(let b): return try sum(b, args, threads, release)
        case .int32(let b): return try sum(b, args, threads, release)
        case .uint32(let b): return try sum(b, args, threads, release)
        case .int64(let b): return try sum(b, args, threads, release)
        case .uint64(let b): return try sum(b, args, threads, release)
        case .float32(let b): return try sum(b, args, threads, release)
        case .float64(let b): return try sum(b, args, threads, release)
        }
    }
}

/// The exact sum of an integer buffer, as a Python int.
func sum<T: FixedWidthInteger & BufferScalar>(
    _ values: StridedBuffer<T>, _ args: borrowing Arguments, _ threads: Int, _ releasingGIL: Bool
) throws -> PyRef {
    try .int(args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try exactSum(values, threads: threads, isCancelled: isCancelled)
    })
}

/// The compensated sum of a float buffer, as a Python float.
func sum<T: BinaryFloatingPoint & BufferScalar>(
    _ values: StridedBuffer<T>, _ args: borrowing Arguments, _ threads: Int, _ releasingGIL: Bool
) throws -> PyRef {
    try .float(args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try compensatedSum(values, threads: threads, isCancelled: isCancelled)
    })
}

/// Sequences from this long are read by several threads (GIL held by this
/// thread, so no Python code can change the list or its items meanwhile).
let parallelSequenceSumThreshold = 1 << 17

/// Python's sum() of a list's items when they are all ints (within 64 bits) and
/// floats; nil at the first item that is anything else.
func sumOfNumbers(_ items: UnsafeBufferPointer<PyObjectPointer?>, threads: Int) -> PythonSum.Result? {
    if items.count >= parallelSequenceSumThreshold,  // whatever `threads` is: the same blocks, the same bits
       let result = sumOfHomogeneousSequence(count: items.count, threads: threads, read: { range, integers, floats in
           readChunk(items, range, integers, floats)
       }) {
        return result
    }
    return sumOfNumbersInOrder(items)
}

/// Items `range` as ints or as floats, when they are all of one kind.
@inline(__always)
func readChunk(_ items: UnsafeBufferPointer<PyObjectPointer?>, _ range: Range<Int>,
               _ integers: UnsafeMutablePointer<Int64>, _ floats: UnsafeMutablePointer<Double>) -> NumberChunk {
    var sawInt = false, sawFloat = false
    for (offset, index) in range.enumerated() {
        switch scalarNumber(items[index]!) {
        case .int(let value):
            integers[offset] = value
            sawInt = true
        case .float(let value):
            floats[offset] = value
            sawFloat = true
        case .other:
            return .mixed
        }
    }
    return sawInt && sawFloat ? .mixed : sawFloat ? .floats : .integers
}

/// Python's sum() in item order: runs of ints and of floats are gathered, a
/// chunk at a time, and added in bulk (SIMD).
func sumOfNumbersInOrder(_ items: UnsafeBufferPointer<PyObjectPointer?>) -> PythonSum.Result? {
    let chunk = 2048
    return withUnsafeTemporaryAllocation(of: Int64.self, capacity: chunk) { integers in
        withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk) { floats in
            var sum = PythonSum()
            var intCount = 0, floatCount = 0
            for item in items {
                switch scalarNumber(item!) {
                case .int(let value):
                    if floatCount > 0 { sum.add(floats: floats.baseAddress!, count: floatCount); floatCount = 0 }
                    integers[intCount] = value
                    intCount += 1
                    if intCount == chunk { sum.add(integers: integers.baseAddress!, count: intCount); intCount = 0 }
                case .float(let value):
                    if intCount > 0 { sum.add(integers: integers.baseAddress!, count: intCount); intCount = 0 }
                    floats[floatCount] = value
                    floatCount += 1
                    if floatCount == chunk { sum.add(floats: floats.baseAddress!, count: floatCount); floatCount = 0 }
                case .other:
                    return nil
                }
            }
            sum.add(integers: integers.baseAddress!, count: intCount)
            sum.add(floats: floats.baseAddress!, count: floatCount)
            return sum.result
        }
    }
}

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
        var sum = PythonSum()
        for item in items {
            switch scalarNumber(item!) {
            case .int(let value): sum.add(value)
            case .float(let value): sum.add(value)
            case .other: return .none
            }
        }
        switch sum.result {
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

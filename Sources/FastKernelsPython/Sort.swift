import FastKernels
import PythonBridge

let sortFunction = Function("_sort", "values, /, reverse=False, threads=None", messageName: "sort", doc: """
    The native part of fastkernels.sort() for a list or tuple: a new sorted
    list of the same objects when all are ints that fit 64 bits, or all are
    floats; None otherwise (fastkernels.sort then takes the general path).
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    guard let items = sequenceItems(try args.object(0)) else { return .none }
    let count = items.count
    guard let memory = KeyedItems(count: count) else {
        throw PythonException.memoryError("sort(): not enough memory for \(count) sort keys")
    }
    // Keys in list order; NaNs aside, in order, to go last.
    var sawInt = false, sawFloat = false
    var nans: [PyObjectPointer] = []
    var keyed = 0
    var references = RetainedItems(items)
    for item in items {
        let object = item!
        references.retainNext()
        let key: UInt64
        switch scalarNumber(object) {
        case .int(let value):
            sawInt = true
            key = Int64.key(value)
        case .float(let value):
            sawFloat = true
            if value.isNaN {
                nans.append(object)
                continue
            }
            key = Double.key(value == 0 ? 0 : value)  // -0.0 == 0.0: one key, stable order
        case .other:
            return .none
        }
        if sawInt && sawFloat { return .none }  // int/float comparisons: the general path
        memory.items[keyed] = KeyedItem(key: reverse ? ~key : key, object: UInt(bitPattern: object))
        keyed += 1
    }
    let sortedCount = keyed
    try args.runKernel(releasingGIL: sortedCount >= arrayGILThreshold) { isCancelled throws(KernelError) in
        try memory.sort(count: sortedCount, threads: threads, isCancelled: isCancelled)
    }
    return try references.makeList { index in
        index < sortedCount ? UnsafeMutablePointer(bitPattern: memory.items[index].object)! : nans[index - sortedCount]
    }
}

let sortInPlaceFunction = Function("_sort_inplace", "values, /, reverse=False, threads=None, caller='sort_inplace'", messageName: "sort_inplace", doc: """
    The native part of fastkernels.sort_inplace() for a writable 1-D numeric
    buffer: sorts it in place, NaNs last, and returns True; None when values is
    not a buffer. caller names the public function in error messages.
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    let caller = args[3] == nil ? "sort_inplace" : try args.string(3)
    guard let buffer = try BufferView(try args.object(0), writable: true,
                                      describe: "\(caller)() argument 'values'") else { return .none }
    let release = buffer.count >= arrayGILThreshold
    try withTypedBuffer(buffer) { typed throws in
        switch typed {
        case .int8(let b): try sort(b, args, reverse, threads, release)
        case .uint8(let b): try sort(b, args, reverse, threads, release)
        case .int16(let b): try sort(b, args, reverse, threads, release)
        case .uint16(let b): try sort(b, args, reverse, threads, release)
        case .int32(let b): try sort(b, args, reverse, threads, release)
        case .uint32(let b): try sort(b, args, reverse, threads, release)
        case .int64(let b): try sort(b, args, reverse, threads, release)
        case .uint64(let b): try sort(b, args, reverse, threads, release)
        case .float32(let b): try sort(b, args, reverse, threads, release)
        case .float64(let b): try sort(b, args, reverse, threads, release)
        }
    }
    return .bool(true)
}

func sort<T: RadixSortable>(
    _ values: StridedBuffer<T>, _ args: borrowing Arguments, _ reverse: Bool, _ threads: Int, _ releasingGIL: Bool
) throws {
    try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try sortInPlace(values, reverse: reverse, threads: threads, isCancelled: isCancelled)
    }
}

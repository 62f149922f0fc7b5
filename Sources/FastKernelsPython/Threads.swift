import FastKernels
import PythonBridge

extension Arguments {
    /// The `threads` argument: None (or not given) means all cores; otherwise an int >= 1.
    func threadCount(_ index: Int) throws(PythonException) -> Int {
        guard isGiven(index) else { return availableCores() }
        let threads = try clampedInt(index)
        guard threads >= 1 else {
            throw error(index, .valueError, "must be >= 1 (or None for all cores), got \(threads == Int.min ? "a negative number" : String(threads))")
        }
        return threads
    }
}

/// Work (in elements) from which a kernel over an array releases the GIL.
let arrayGILThreshold = 1 << 15

/// Calls `body` with the buffer's elements typed as their element type.
func withTypedBuffer<R: ~Copyable>(_ view: borrowing BufferView, _ body: (AnyStridedBuffer) throws -> R) rethrows -> R {
    let swapped = !view.nativeByteOrder
    func typed<T: BufferScalar>(_: T.Type) -> StridedBuffer<T> {
        StridedBuffer(start: view.start, count: view.count, byteStride: view.byteStride, byteSwapped: swapped)
    }
    switch view.element {
    case .int8: return try body(.int8(typed(Int8.self)))
    case .uint8, .bool: return try body(.uint8(typed(UInt8.self)))
    case .int16: return try body(.int16(typed(Int16.self)))
    case .uint16: return try body(.uint16(typed(UInt16.self)))
    case .int32: return try body(.int32(typed(Int32.self)))
    case .uint32: return try body(.uint32(typed(UInt32.self)))
    case .int64: return try body(.int64(typed(Int64.self)))
    case .uint64: return try body(.uint64(typed(UInt64.self)))
    case .float32: return try body(.float32(typed(Float.self)))
    case .float64: return try body(.float64(typed(Double.self)))
    }
}

/// A buffer's elements with their Swift type.
enum AnyStridedBuffer {
    case int8(StridedBuffer<Int8>), uint8(StridedBuffer<UInt8>)
    case int16(StridedBuffer<Int16>), uint16(StridedBuffer<UInt16>)
    case int32(StridedBuffer<Int32>), uint32(StridedBuffer<UInt32>)
    case int64(StridedBuffer<Int64>), uint64(StridedBuffer<UInt64>)
    case float32(StridedBuffer<Float>), float64(StridedBuffer<Double>)
}

let parallelThresholdsFunction = Function("_parallel_thresholds", "", doc: """
    The sizes from which each kernel uses more than one worker (when threads
    allows it), as a dict: 'sort' (elements of a list, or of an array the radix
    sort takes), 'sort_array_avx2' (elements of an int32/int64/float32/float64
    array on a CPU with AVX2: the vector quicksort), 'sum_list' (items of an int list),
    'sum_int_array' and 'fsum_array' (elements), 'word_count' (bytes of text),
    'matmul' (multiply-adds). For benchmarks/calibrate_threads.py and bug reports.
    """) { _ in
    let dict = try PyRef.dict()
    for (name, value) in [("sort", singleLevelSortLimit), ("sort_array_avx2", parallelVectorSortMinimum),
                          ("sum_list", parallelSequenceSumThreshold),
                          ("sum_int_array", parallelIntegerSumThreshold), ("fsum_array", parallelFSumThreshold),
                          ("word_count", parallelWordCountThreshold), ("matmul", matmulParallelThreshold)] {
        try dict.setItem(PyRef.string(name), PyRef.int(value))
    }
    return dict
}

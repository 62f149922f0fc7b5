import CPUFeatures
import KernelLoops
import KernelLoopsAVX512

// Sums over numeric arrays: exact for integers (in parallel), and Python's
// own order of float additions otherwise. See docs/sum.md.

/// True when the AVX2 + FMA loops may run on this CPU (checked once; `FASTKERNELS_ISA` can lower it).
let cpuHasAVX2 = InstructionSet.selected >= .avx2
/// The AVX-512 tier (F/CD/DQ/BW/VL), or FASTKERNELS_ISA lowered it.
let cpuHasAVX512 = InstructionSet.selected >= .avx512

/// Elements gathered at a time from a strided or byte-swapped array (a multiple of 16).
let gatherChunk = 4096

/// Integer sums run in blocks of this many elements (far below the 2^31 the loops allow).
let integerBlockLength = 1 << 16

/// The same for integer sums, which run at memory speed on one core: a second
/// thread only pays once the array is well beyond the caches.
public let parallelIntegerSumThreshold = 1 << 22

/// The exact sum of an integer (or bool, as UInt8) array, as a 128-bit integer:
/// no wrap-around whatever the values (2^63 int64 values cannot reach 2^127).
///
/// - Parameters:
///   - values: the array; strided and byte-swapped arrays are read a chunk at a time.
///   - threads: workers to use (1 = this thread only); the result does not depend on it.
///   - isCancelled: polled once per block of 65,536 elements.
/// - Throws: `.cancelled`.
/// - Complexity: O(n) time, split among the workers from about a million elements;
///   O(workers) extra memory (a chunk buffer each for strided or byte-swapped arrays).
@_specialize(exported: true, where T == Int8)
@_specialize(exported: true, where T == UInt8)
@_specialize(exported: true, where T == Int16)
@_specialize(exported: true, where T == UInt16)
@_specialize(exported: true, where T == Int32)
@_specialize(exported: true, where T == UInt32)
@_specialize(exported: true, where T == Int64)
@_specialize(exported: true, where T == UInt64)
public func exactSum<T: FixedWidthInteger & BufferScalar>(
    _ values: StridedBuffer<T>, threads: Int, isCancelled: () -> Bool = { false }
) throws(KernelError) -> Int128 {
    let blocks = (values.count + integerBlockLength - 1) / integerBlockLength
    let workers = values.count < parallelIntegerSumThreshold ? 1 : min(effectiveWorkers(threads), blocks)
    if workers <= 1 && values.isContiguous { return try contiguousExactSum(values, isCancelled: isCancelled) }
    // Per worker: a gather buffer for strided or byte-swapped input (contiguous input needs none).
    let scratchCount = values.isContiguous ? 0 : gatherChunk
    guard let scratch = allocateChecked(T.self, max(workers * scratchCount, 1)),
          let partials = allocateChecked(Int128.self, max(workers, 1)) else { throw .outOfMemory }
    defer {
        deallocateChecked(scratch, count: max(workers * scratchCount, 1))
        deallocateChecked(partials, count: max(workers, 1))
    }
    partials.initialize(repeating: 0, count: max(workers, 1))
    let cancelled = StopFlag()
    withoutActuallyEscaping(isCancelled) { isCancelled in
        let shared = SharedPointer(partials)
        let gather = SharedPointer(scratch)
        runWorkers(workers, isCancelled: isCancelled) { worker, workers in
            var total: Int128 = 0
            var block = worker
            while block < blocks {
                if cancelled.isSet { return }
                if isCancelled() { cancelled.set(); return }
                let start = block * integerBlockLength
                let range = start..<min(start + integerBlockLength, values.count)
                values.withChunks(range, chunk: gatherChunk, scratch: gather.pointer + worker * scratchCount) { p, n in
                    total += integerBlockSum(p, n)
                }
                block += workers
            }
            shared.pointer[worker] = total
        }
    }
    if cancelled.isSet || isCancelled() { throw .cancelled }
    return UnsafeBufferPointer(start: partials, count: max(workers, 1)).reduce(0, +)
}

/// `exactSum` of contiguous values on this thread: no memory besides the registers.
func contiguousExactSum<T: FixedWidthInteger & BufferScalar>(
    _ values: StridedBuffer<T>, isCancelled: () -> Bool
) throws(KernelError) -> Int128 {
    var total: Int128 = 0
    var start = 0
    while start < values.count {
        if isCancelled() { throw .cancelled }
        let end = min(start + integerBlockLength, values.count)
        total += integerBlockSum(values.elements + start, end - start)
        start = end
    }
    return total
}

@inline(__always)
func integerBlockSum<T: FixedWidthInteger>(_ p: UnsafePointer<T>, _ n: Int) -> Int128 {
    if T.bitWidth == 64 {
        if cpuHasAVX512 {
            return T.isSigned ? exactSumAVX512(UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self), n)
                : exactSumAVX512(UnsafeRawPointer(p).assumingMemoryBound(to: UInt64.self), n)
        }
        if cpuHasAVX2 {
            return T.isSigned ? exactSumAVX2(UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self), n)
                : exactSumAVX2(UnsafeRawPointer(p).assumingMemoryBound(to: UInt64.self), n)
        }
        return T.isSigned ? exactSum64(UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self), n)
            : exactSum64(UnsafeRawPointer(p).assumingMemoryBound(to: UInt64.self), n)
    }
    return Int128(exactSumNarrow(p, n))
}

/// Python's sum() of an integer array, continuing `sum`: element after element,
/// in order, as `builtins.sum(memoryview(values).tolist(), start)` adds them
/// (an unsigned 64-bit value above 2^63 - 1 is an int beyond a C long).
/// `asBool` reads bytes as bools: any non-zero byte is True, that is 1.
///
/// While the sum is in the int loop, `exactSum` gives the same total faster (and
/// in parallel); this is for sums already in the float or generic loop.
///
/// - Complexity: O(n), one pass; strided and byte-swapped arrays are read a chunk at a time.
/// - Throws: `.cancelled` (polled every 65,536 elements).
@_specialize(exported: true, where T == Int8)
@_specialize(exported: true, where T == UInt8)
@_specialize(exported: true, where T == Int16)
@_specialize(exported: true, where T == UInt16)
@_specialize(exported: true, where T == Int32)
@_specialize(exported: true, where T == UInt32)
@_specialize(exported: true, where T == Int64)
@_specialize(exported: true, where T == UInt64)
public func addInOrder<T: BufferScalar & FixedWidthInteger>(
    _ values: StridedBuffer<T>, to sum: inout PythonSum, asBool: Bool = false, isCancelled: () -> Bool = { false }
) throws(KernelError) {
    let converted = try withTemporaryMemory(of: Int64.self, capacity: min(gatherChunk, values.count)) { integers throws(KernelError) in
        try forEachChunk(of: values, isCancelled: isCancelled) { p, n in
            if T.self == UInt64.self {
                var run = 0  // values below 2^63, added in bulk
                for i in 0..<n {
                    if p[i] >> 63 == 0 {
                        integers[run] = Int64(truncatingIfNeeded: p[i])
                        run += 1
                    } else {
                        sum.add(integers: integers, count: run)
                        run = 0
                        sum.add(wideInteger: UInt64(truncatingIfNeeded: p[i]))
                    }
                }
                sum.add(integers: integers, count: run)
            } else {
                for i in 0..<n { integers[i] = asBool ? (p[i] != 0 ? 1 : 0) : Int64(truncatingIfNeeded: p[i]) }
                sum.add(integers: integers, count: n)
            }
        }
    }
    if converted == nil { throw .outOfMemory }
}

/// Python's sum() of a float array, continuing `sum`, element after element in
/// order (the float loop is sequential by definition: every addition rounds).
/// `Float` elements are widened to `Double` exactly, as `tolist()` does.
///
/// - Complexity: O(n), one pass.
/// - Throws: `.cancelled` (polled every 65,536 elements).
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func addInOrder<T: BufferScalar & BinaryFloatingPoint>(
    _ values: StridedBuffer<T>, to sum: inout PythonSum, isCancelled: () -> Bool = { false }
) throws(KernelError) {
    // (Double elements are added where they are: no conversion buffer.)
    let widened = try withTemporaryMemory(of: Double.self, capacity: T.self == Double.self ? 1 : min(gatherChunk, values.count)) {
        floats throws(KernelError) in
        try forEachChunk(of: values, isCancelled: isCancelled) { p, n in
            if T.self == Double.self {
                sum.add(floats: UnsafeRawPointer(p).assumingMemoryBound(to: Double.self), count: n)
            } else {
                for i in 0..<n { floats[i] = Double(p[i]) }
                sum.add(floats: floats, count: n)
            }
        }
    }
    if widened == nil { throw .outOfMemory }
}

/// Calls `body` with the elements of `values` as contiguous native memory, in
/// order, `gatherChunk` at a time, polling `isCancelled` every 65,536 elements.
@inline(__always)
func forEachChunk<T: BufferScalar>(of values: StridedBuffer<T>, isCancelled: () -> Bool,
                                   _ body: (UnsafePointer<T>, Int) -> Void) throws(KernelError) {
    // A gather buffer only for strided or byte-swapped input.
    let gathered = try withTemporaryMemory(of: T.self, capacity: values.isContiguous ? 1 : min(gatherChunk, values.count)) {
        scratch throws(KernelError) in
        var index = 0
        while index < values.count {
            if index % (1 << 16) == 0 && isCancelled() { throw .cancelled }
            let end = min(index + gatherChunk, values.count)
            values.withChunks(index..<end, chunk: gatherChunk, scratch: scratch, body)
            index = end
        }
    }
    if gathered == nil { throw .outOfMemory }
}

/// The number of non-zero bytes: the sum of a bool buffer (`?` format), where
/// any non-zero byte reads as True.
///
/// - Complexity: O(n); in parallel from `parallelIntegerSumThreshold` elements.
public func countNonZero(_ values: StridedBuffer<UInt8>, threads: Int,
                         isCancelled: () -> Bool = { false }) throws(KernelError) -> Int {
    let blocks = (values.count + integerBlockLength - 1) / integerBlockLength
    let workers = values.count < parallelIntegerSumThreshold ? 1 : min(effectiveWorkers(threads), blocks)
    guard let partials = CheckedBuffer(Int.self, count: workers, repeating: 0) else { throw .outOfMemory }
    let shared = SharedPointer(partials.base)
    let stopped = StopFlag()
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        var total = 0
        var block = worker
        while block < blocks {
            if stopped.shouldStop(isCancelled) { return }
            let start = block * integerBlockLength
            for i in start..<min(start + integerBlockLength, values.count) where values.load(i) != 0 { total += 1 }
            block += workers
        }
        shared.pointer[worker] = total
    }
    if stopped.isSet { throw .cancelled }
    var total = 0
    for worker in 0..<workers { total += partials[worker] }
    return total
}

import CPUFeatures
import KernelLoops

// Sums over numeric arrays: exact for integers, compensated for floats,
// identical whatever the number of threads. See docs/sum.md.

/// True when the AVX2 + FMA loops may run on this CPU (checked once).
let cpuHasAVX2 = fk_cpu_has_avx2_fma() != 0

/// Elements gathered at a time from a strided or byte-swapped array (a multiple of 16).
let gatherChunk = 4096

/// Integer sums run in blocks of this many elements (far below the 2^31 the loops allow).
let integerBlockLength = 1 << 16

/// Below this many elements a float sum runs on one thread whatever `threads`
/// says (waking a second thread costs tens of microseconds; compensated
/// addition is compute-bound, so a second core pays from about this size).
public let parallelSumThreshold = 1 << 18

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
    let workers = values.count < parallelIntegerSumThreshold ? 1 : min(threads, blocks)
    return try withUnsafeTemporaryAllocation(of: Int128.self, capacity: max(workers, 1)) { partials throws(KernelError) in
        partials.initialize(repeating: 0)
        var cancelled = false
        withoutActuallyEscaping(isCancelled) { isCancelled in
            let shared = SharedPointer(partials.baseAddress!)
            runWorkers(workers) { worker, workers in
                withUnsafeTemporaryAllocation(of: T.self, capacity: gatherChunk) { scratch in
                    var total: Int128 = 0
                    var block = worker
                    while block < blocks {
                        if isCancelled() { cancelled = true; return }
                        let start = block * integerBlockLength
                        let range = start..<min(start + integerBlockLength, values.count)
                        values.withChunks(range, chunk: gatherChunk, scratch: scratch.baseAddress!) { p, n in
                            total += integerBlockSum(p, n)
                        }
                        block += workers
                    }
                    shared.pointer[worker] = total
                }
            }
        }
        if cancelled || isCancelled() { throw .cancelled }
        return partials.reduce(0, +)
    }
}

@inline(__always)
func integerBlockSum<T: FixedWidthInteger>(_ p: UnsafePointer<T>, _ n: Int) -> Int128 {
    if T.bitWidth == 64 {
        if cpuHasAVX2 {
            return T.isSigned ? exactSumAVX2(UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self), n)
                : exactSumAVX2(UnsafeRawPointer(p).assumingMemoryBound(to: UInt64.self), n)
        }
        return T.isSigned ? exactSum64(UnsafeRawPointer(p).assumingMemoryBound(to: Int64.self), n)
            : exactSum64(UnsafeRawPointer(p).assumingMemoryBound(to: UInt64.self), n)
    }
    return Int128(exactSumNarrow(p, n))
}

/// How many elements make one block of a float sum: a function of the length
/// only (at most 1,024 blocks), so that blocks, and therefore the rounding,
/// are the same whatever the number of threads.
func floatBlockLength(_ count: Int) -> Int {
    let length = max(1 << 16, (count + 1023) / 1024)
    return (length + 15) / 16 * 16
}

/// The compensated (Neumaier/TwoSum) sum of a float array, as Python 3.12's
/// sum() would compute it for the same floats: each addition's rounding
/// error is kept and added back at the end, so the result is as accurate as
/// summing in twice the precision, and at least as accurate as numpy's
/// pairwise sum. inf and nan propagate as in Python.
///
/// Sixteen interleaved lanes per block, blocks of a size fixed by the length,
/// partials combined in block order: the same bits for every `threads`.
///
/// - Throws: `.cancelled` (polled once per block).
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func compensatedSum<T: BinaryFloatingPoint & BufferScalar>(
    _ values: StridedBuffer<T>, threads: Int, isCancelled: () -> Bool = { false }
) throws(KernelError) -> Double {
    let blockLength = floatBlockLength(values.count)
    let blocks = (values.count + blockLength - 1) / blockLength
    let workers = values.count < parallelSumThreshold ? 1 : min(threads, blocks)
    return try withUnsafeTemporaryAllocation(of: CompensatedSum.self, capacity: max(blocks, 1)) {
        partials throws(KernelError) in
        var cancelled = false
        withoutActuallyEscaping(isCancelled) { isCancelled in
            let shared = SharedPointer(partials.baseAddress!)
            runWorkers(workers) { worker, workers in
                withUnsafeTemporaryAllocation(of: T.self, capacity: gatherChunk) { scratch in
                    var block = worker
                    while block < blocks {
                        if isCancelled() { cancelled = true; return }
                        let start = block * blockLength
                        let range = start..<min(start + blockLength, values.count)
                        var lanes = CompensatedLanes()
                        values.withChunks(range, chunk: gatherChunk, scratch: scratch.baseAddress!) { p, n in
                            addLanes(&lanes, p, n)
                        }
                        (shared.pointer + block).initialize(to: lanes.total)
                        block += workers
                    }
                }
            }
        }
        if cancelled || isCancelled() { throw .cancelled }
        var total = CompensatedSum()
        for block in 0..<blocks { total.add(partials[block]) }
        return total.value
    }
}

@inline(__always)
func addLanes<T: BinaryFloatingPoint>(_ lanes: inout CompensatedLanes, _ p: UnsafePointer<T>, _ n: Int) {
    if T.self == Double.self {
        let p = UnsafeRawPointer(p).assumingMemoryBound(to: Double.self)
        cpuHasAVX2 ? compensatedAddAVX2(&lanes, p, n) : lanes.add(p, n)
    } else {
        let p = UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
        cpuHasAVX2 ? compensatedAddAVX2(&lanes, p, n) : lanes.add(p, n)
    }
}

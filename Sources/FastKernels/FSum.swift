import KernelLoops

// math.fsum over numeric arrays: the same float, or the same error, as Python's
// math.fsum(values). See docs/fsum.md.
//
// Two engines:
// - `ExactFloatSum`, a superaccumulator (exact, order-independent, mergeable,
//   vectorised: Sources/KernelLoops/ExactSums.swift), whose correctly rounded
//   value is math.fsum's result whenever fsum's own process cannot overflow;
// - `FSumSequence`, math.fsum's own algorithm (Shewchuk's msum with CPython's
//   rules for inf, nan and intermediate overflow), for everything else.

/// What math.fsum gives for a sequence of doubles.
public enum FSumOutcome: Equatable, Sendable {
    /// The result (compare bit patterns in tests: nan, signed zero).
    case value(Double)
    /// OverflowError("intermediate overflow in fsum").
    case intermediateOverflow
    /// ValueError("-inf + inf in fsum").
    case infMinusInf

    /// Equal values compare by bit pattern (so nan == nan, and 0.0 != -0.0).
    public static func == (lhs: FSumOutcome, rhs: FSumOutcome) -> Bool {
        switch (lhs, rhs) {
        case let (.value(a), .value(b)): return a.bitPattern == b.bitPattern
        case (.intermediateOverflow, .intermediateOverflow), (.infMinusInf, .infMinusInf): return true
        default: return false
        }
    }
}

// MARK: - The kernel

/// The element types `fsum` reads: converted to a double as Python's float() does.
public protocol FSumElement: BufferScalar {
    /// float(x): exact for floats and for integers below 2^53, otherwise
    /// correctly rounded (ties to even).
    var fsumDouble: Double { get }
    /// The exact sum of the values as integers, when they are integers of at
    /// most 32 bits (their doubles are the integers themselves); nil otherwise.
    static func fsumExactIntegerSum(_ values: StridedBuffer<Self>, threads: Int,
                                    isCancelled: () -> Bool) throws(KernelError) -> Int128?
}

extension FSumElement {
    public static func fsumExactIntegerSum(_ values: StridedBuffer<Self>, threads: Int,
                                           isCancelled: () -> Bool) throws(KernelError) -> Int128? { nil }
}

/// Integers: float(x) rounds to 53 bits (cvtsi2sd; for UInt64 LLVM's correctly rounded
/// sequence), half to even, as PyLong's float() does. Those of at most 32 bits are their own
/// doubles: their exact integer sum, rounded once, is fsum's.
extension FSumElement where Self: FixedWidthInteger {
    public var fsumDouble: Double { Double(self) }
    public static func fsumExactIntegerSum(_ values: StridedBuffer<Self>, threads: Int,
                                           isCancelled: () -> Bool) throws(KernelError) -> Int128? {
        Self.bitWidth <= 32 ? try exactSum(values, threads: threads, isCancelled: isCancelled) : nil
    }
}

extension Int8: FSumElement {}
extension UInt8: FSumElement {}
extension Int16: FSumElement {}
extension UInt16: FSumElement {}
extension Int32: FSumElement {}
extension UInt32: FSumElement {}
extension Int64: FSumElement {}
extension UInt64: FSumElement {}
extension Float: FSumElement {
    public var fsumDouble: Double { Double(self) }
}
extension Double: FSumElement {
    public var fsumDouble: Double { self }
}

/// Below this many elements, fsum runs on one thread whatever `threads` says.
public let parallelFSumThreshold = 1 << 19

/// Elements per block of the exact sum (the unit of cancellation polling and of
/// work sharing; the result does not depend on it: the sum is exact).
let fsumBlockLength = 1 << 16

/// math.fsum(values) of a numeric array: each element converted to a double as
/// Python's float() does (ints: correctly rounded, ties to even; Float: exact),
/// summed exactly on up to `threads` workers, and re-run sequentially with
/// `FSumSequence` when `ExactFloatSum.decidedOutcome` is nil. The outcome is
/// math.fsum's, bit for bit, and the same for every `threads`.
///
/// - Complexity: O(n): one pass, about 0.5 ns per double on one core of a
///   current x86-64 (the exact sum; see docs/fsum.md); a second, screened pass
///   over arrays holding inf or nan; msum's own sequential pass (20-250 ns per
///   element) only when values near the top of the double range could make
///   fsum's process overflow. Memory: O(threads) (4.7 KB accumulators, gather buffers).
/// - Throws: `.cancelled` (polled between blocks of 65,536 elements),
///   `.outOfMemory` (per-worker accumulators and gather buffers).
@_specialize(exported: true, where T == Int8)
@_specialize(exported: true, where T == UInt8)
@_specialize(exported: true, where T == Int16)
@_specialize(exported: true, where T == UInt16)
@_specialize(exported: true, where T == Int32)
@_specialize(exported: true, where T == UInt32)
@_specialize(exported: true, where T == Int64)
@_specialize(exported: true, where T == UInt64)
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func fsum<T: FSumElement>(_ values: StridedBuffer<T>, threads: Int,
                                 isCancelled: () -> Bool = { false }) throws(KernelError) -> FSumOutcome {
    // (Integers of at most 32 bits: |sum| < 2^95, always decided.)
    var sum = try exactPartialSum(values, threads: threads, isCancelled: isCancelled)
    if let outcome = sum.decide() { return outcome }
    if sum.overflowImpossible {
        // Only inf and nan stand in the way: fsum's outcome is theirs, in order.
        return try specialValuesOutcome(values, isCancelled: isCancelled)
    }
    return try sequentialFSum(values, isCancelled: isCancelled)
}

/// Adds the array's doubles to `sum` (an empty accumulator), on up to `threads` workers.
func addExactly<T: FSumElement>(_ values: StridedBuffer<T>, to sum: inout ExactFloatSum, threads: Int,
                                isCancelled: () -> Bool) throws(KernelError) {
    let count = values.count
    let blocks = (count + fsumBlockLength - 1) / fsumBlockLength
    let workers = count < parallelFSumThreshold ? 1 : max(1, min(effectiveWorkers(threads), blocks))
    // Per worker: a gather buffer for strided or byte-swapped input.
    let scratchBytes = values.isContiguous ? 0 : (gatherChunk * MemoryLayout<T>.stride + 63) & ~63
    let scratch = scratchBytes == 0 ? nil : allocateChecked(UInt8.self, workers * scratchBytes)
    defer { deallocateChecked(scratch, count: workers * scratchBytes) }
    if scratchBytes > 0 && scratch == nil { throw .outOfMemory }

    /// Adds blocks worker, worker + workers, ... to `sum`; false when cancelled.
    func run(_ sum: inout ExactFloatSum, worker: Int, workers: Int, stop: borrowing StopFlag) -> Bool {
        let mine = scratch.map { $0 + worker * scratchBytes }
        let gather = mine.map { UnsafeMutableRawPointer($0).bindMemory(to: T.self, capacity: gatherChunk) }
        var block = worker
        while block < blocks {
            if stop.isSet { return false }
            if isCancelled() { stop.set(); return false }
            let start = block * fsumBlockLength
            let range = start..<min(start + fsumBlockLength, count)
            if values.isContiguous {
                addElements(&sum, values.elements + range.lowerBound, range.count)
            } else if let gather {
                values.withChunks(range, chunk: gatherChunk, scratch: gather) { p, n in
                    addElements(&sum, p, n)
                }
            }
            block += workers
        }
        return true
    }

    let stop = StopFlag()
    if workers == 1 {
        guard run(&sum, worker: 0, workers: 1, stop: stop), !isCancelled() else { throw .cancelled }
        return
    }
    guard let sums = allocateChecked(ExactFloatSum.self, workers) else { throw .outOfMemory }
    defer { deallocateChecked(sums, count: workers) }
    withoutActuallyEscaping(isCancelled) { isCancelled in
        let shared = SharedPointer(sums)
        runWorkers(workers, isCancelled: isCancelled) { worker, workers in
            let sum = shared.pointer + worker
            sum.initialize(to: ExactFloatSum())
            _ = run(&sum.pointee, worker: worker, workers: workers, stop: stop)
        }
    }
    // Merge in worker order (exact, so the order does not matter anyway).
    for worker in 0..<workers { sum.merge(UnsafePointer(sums + worker)) }
    sums.deinitialize(count: workers)
    if stop.isSet || isCancelled() { throw .cancelled }
}

/// Adds `n` elements at `p` (contiguous, native order).
@inline(__always)
func addElements<T: FSumElement>(_ sum: inout ExactFloatSum, _ p: UnsafePointer<T>, _ n: Int) {
    let raw = UnsafeRawPointer(p)
    if T.self == Double.self {
        sum.add(raw.assumingMemoryBound(to: Double.self), count: n)
    } else if T.self == Float.self {
        sum.add(raw.assumingMemoryBound(to: Float.self), count: n)
    } else if T.self == Int64.self {
        sum.add(raw.assumingMemoryBound(to: Int64.self), count: n)
    } else if T.self == UInt64.self {
        sum.add(raw.assumingMemoryBound(to: UInt64.self), count: n)
    } else {
        // Integers of at most 32 bits: exact as doubles (fsum sums them as integers first).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 64) { wide in
            var done = 0
            while done < n {
                let length = min(64, n - done)
                for k in 0..<length { wide[k] = p[done + k].fsumDouble }
                sum.add(wide.baseAddress!, count: length)
                done += length
            }
        }
    }
}

/// fsum's outcome for an array holding inf or nan, when its finite values cannot
/// overflow: the special values alone decide it, added in order as CPython does.
func specialValuesOutcome<T: FSumElement>(_ values: StridedBuffer<T>,
                                          isCancelled: () -> Bool) throws(KernelError) -> FSumOutcome {
    var specials = FSumSpecials()
    var start = 0
    while start < values.count {
        if isCancelled() { throw .cancelled }
        let end = min(start + fsumBlockLength, values.count)
        if values.isContiguous && T.self == Double.self {
            addSpecials(&specials, UnsafeRawPointer(values.elements + start).assumingMemoryBound(to: Double.self),
                        end - start)
        } else if values.isContiguous && T.self == Float.self {
            addSpecials(&specials, UnsafeRawPointer(values.elements + start).assumingMemoryBound(to: Float.self),
                        end - start)
        } else {
            for i in start..<end {
                let x = values.load(i).fsumDouble
                if !x.isFinite { specials.add(x) }
            }
        }
        start = end
    }
    return specials.outcome ?? .value(0)  // (a special value was seen: never nil)
}

/// Adds the infinities and nans among `count` values, in order. Groups of 256
/// are screened first: x - x is 0 for a finite x and nan otherwise.
@inline(__always)
func addSpecials<F: BinaryFloatingPoint & SIMDScalar>(_ specials: inout FSumSpecials, _ values: UnsafePointer<F>,
                                                     _ count: Int) {
    let raw = UnsafeRawPointer(values)
    var start = 0
    while start < count {
        let end = min(start + 256, count)
        var screen = SIMD8<F>()
        var i = start
        while i + 8 <= end {
            let x = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<F>.stride, as: SIMD8<F>.self)
            screen += x - x
            i += 8
        }
        var tail: F = 0
        while i < end {
            tail += values[i] - values[i]
            i += 1
        }
        if (screen.sum() + tail).isNaN {
            for k in start..<end where !values[k].isFinite { specials.add(Double(values[k])) }
        }
        start = end
    }
}

/// math.fsum's own process over the array, in order.
func sequentialFSum<T: FSumElement>(_ values: StridedBuffer<T>,
                                    isCancelled: () -> Bool) throws(KernelError) -> FSumOutcome {
    var sequence = FSumSequence()
    var start = 0
    scan: while start < values.count {
        if isCancelled() { throw .cancelled }
        let end = min(start + fsumBlockLength, values.count)
        for i in start..<end where !sequence.add(values.load(i).fsumDouble) { break scan }
        start = end
    }
    return sequence.finish()
}

/// The exact sum of an array's finite values (each converted as float() converts
/// it) and which special values it holds: the partial that chunked sums merge
/// exactly (fastkernels.dask.fsum). Unlike `fsum`, it never runs math.fsum's
/// ordered process: the exact sum does not depend on the order.
///
/// - Complexity: O(n), `fsum`'s exact pass (on up to `threads` workers from
///   2^19 elements). Memory: O(threads) accumulators.
/// - Throws: `.cancelled`, `.outOfMemory`.
@_specialize(exported: true, where T == Int8)
@_specialize(exported: true, where T == UInt8)
@_specialize(exported: true, where T == Int16)
@_specialize(exported: true, where T == UInt16)
@_specialize(exported: true, where T == Int32)
@_specialize(exported: true, where T == UInt32)
@_specialize(exported: true, where T == Int64)
@_specialize(exported: true, where T == UInt64)
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func exactPartialSum<T: FSumElement>(_ values: StridedBuffer<T>, threads: Int,
                                            isCancelled: () -> Bool = { false }) throws(KernelError) -> ExactFloatSum {
    var sum = ExactFloatSum()
    if let total = try T.fsumExactIntegerSum(values, threads: threads, isCancelled: isCancelled) {
        sum.addInteger(total, count: values.count)
    } else {
        try addExactly(values, to: &sum, threads: threads, isCancelled: isCancelled)
    }
    return sum
}

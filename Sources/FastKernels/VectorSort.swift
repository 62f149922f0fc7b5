import KernelLoops
import KernelLoopsAVX512
import Synchronization

// The AVX2 quicksort of KernelLoops (SortAVX2.swift) for arrays of 32- and 64-bit
// integers and floats, on every core from 32,768 elements: it sorts them faster than
// the radix sort, whose passes depend on how the keys' bits are spread (but for int64
// arrays of 256 to 65,535 elements). See docs/sort.md.
//
// The quicksort is not stable, which only floats could tell: -0.0 and +0.0 are
// equal, and `sort` keeps them in input order. Floats are compared as numbers (NaNs
// moved last first), and when an array holds both zeros their signs are recorded
// before the sort and written back over the run of zeros after it.

/// Whether `count` elements (of any of the vector sort's types) are sorted faster by the vector
/// quicksort than by the radix sort (measured on 100 to 10M random values with both, against numpy.sort;
/// docs/sort.md): from 33 elements (below, the insertion sort costs less to start), but for
/// the int64 arrays `narrowInt64Range` gives the radix sort.
///
/// Until 2026-12-06 int64 arrays of 256 to 65,535 elements kept the radix sort on the AVX2
/// tier: timed on one array sorted over and over, it beat the quicksort on the AMD machine.
/// Its small buckets' branches learn a repeated input; on fresh arrays each call (AMD EPYC
/// Zen 3, values over the whole range, over +-2^30 or in 0..999) the quicksort was 1.2-1.46x
/// faster from 300 to 60K elements, but where few values repeat many times (0..999 from 10K
/// elements on: the radix sort's one digit is a counting sort there, 2.5x faster).
func prefersVectorSort(count: Int) -> Bool {
    count >= 33
}

/// Whether `count` int64 values span so narrow a range that the radix sort beats the
/// quicksort (measured on the AVX2 tier, fresh arrays each call: values in 0..999, 10K elements
/// and more): at most an eighth of their count, 8 or more elements a possible value. From 256
/// elements to `singleLevelSortLimit` (one digit, no workers), on the AVX2 tier only (the
/// AVX-512 tier's quicksort was measured against the radix sort on wide ranges only).
/// Returns the least and greatest radix keys (`Int64.key`) then, for the radix sort, which
/// need not read them again; nil otherwise.
func narrowInt64Range(_ values: UnsafePointer<Int64>, _ count: Int) -> (least: UInt64, greatest: UInt64)? {
    guard cpuHasAVX2, vectorSortTier != .avx512, count >= mergeSortLimit, count < singleLevelSortLimit else {
        return nil
    }
    let bounds = boundsAVX2(values, count: count)
    guard UInt64(bitPattern: bounds.greatest &- bounds.least) < UInt64(count / 8) else { return nil }
    return (Int64.key(bounds.least), Int64.key(bounds.greatest))
}

/// Below this many elements the quicksort runs on one worker (benchmarks/calibrate_threads.py,
/// float64: threads=1 / threads=None is 0.97-1.00x below, 1.14x at 32,768; docs/threads.md).
public let parallelVectorSortMinimum = 1 << 15

/// Sorts `data[0..<count]` ascending with the AVX2 quicksort, NaNs last in input order,
/// when the CPU has AVX2 and `T` is a 32- or 64-bit signed integer or float. Returns
/// nil, the data untouched, when it does not apply; otherwise how many elements are
/// not NaN (they come first) and whether they are sorted (false: a little memory for
/// the signs of the zeros could not be had; the radix sort finishes them).
///
/// - Throws: `.cancelled` when `isCancelled` said so: `data` holds a permutation of its
///   values; `.outOfMemory` when NaNs are to be moved and the scratch for them (`count`
///   elements, allocated only then) cannot be had: `data` untouched.
func vectorSort<T: RadixSortable>(_ data: UnsafeMutablePointer<T>, _ count: Int,
                                  threads: Int, isCancelled: () -> Bool) throws(KernelError) -> (ordered: Int, sorted: Bool)? {
    guard cpuHasAVX2 && vectorSortAvailable else { return nil }
    let raw = UnsafeMutableRawPointer(data)
    if T.self == Int64.self || T.self == Int32.self {
        let outcome = T.self == Int64.self
            ? sortVectors(raw.assumingMemoryBound(to: Int64.self), count, threads: threads, isCancelled: isCancelled)
            : sortVectors(raw.assumingMemoryBound(to: Int32.self), count, threads: threads, isCancelled: isCancelled)
        if outcome == .cancelled { throw .cancelled }
        return (count, outcome == .sorted)
    }
    guard T.self == Double.self || T.self == Float.self else { return nil }
    func sortPrefix(_ count: Int) -> FloatSortOutcome {
        T.self == Double.self
            ? sortFloats(raw.assumingMemoryBound(to: Double.self), count, threads: threads, isCancelled: isCancelled)
            : sortFloats(raw.assumingMemoryBound(to: Float.self), count, threads: threads, isCancelled: isCancelled)
    }
    var ordered = count
    var outcome = sortPrefix(count)
    if outcome == .unordered {
        // NaNs (rare): moved last in input order, then the rest sorted.
        guard let scratch = CheckedBuffer(T.self, count: count) else { throw .outOfMemory }
        ordered = moveUnorderedLast(data, count, scratch: scratch.base)
        outcome = sortPrefix(ordered)
    }
    switch outcome {
    case .sorted: return (ordered, true)
    case .cancelled: throw .cancelled
    case .unordered, .unavailable: return (ordered, false)  // .unordered: another thread wrote a NaN meanwhile
    }
}

/// Moves the NaNs of `data[0..<count]` after the other values, both in input order;
/// returns how many values are not NaN. `scratch` has room for `count` elements.
func moveUnorderedLast<T: RadixSortable>(_ data: UnsafeMutablePointer<T>, _ count: Int,
                                         scratch: UnsafeMutablePointer<T>) -> Int {
    var kept = 0, unordered = 0
    for i in 0..<count {
        let value = data[i]
        if T.isUnordered(value) {
            scratch[unordered] = value
            unordered += 1
        } else {
            data[kept] = value
            kept += 1
        }
    }
    (data + kept).update(from: scratch, count: unordered)
    return kept
}

/// How `sortFloats` ended.
enum FloatSortOutcome {
    case sorted
    /// `isCancelled` said so: the floats hold a permutation of themselves.
    case cancelled
    /// A NaN was found: the floats are untouched.
    case unordered
    /// The memory for the signs of the zeros could not be had: the floats are untouched.
    case unavailable
}

/// The tier of the vector quicksort: AVX-512 (KernelLoopsAVX512/SortAVX512.swift) where
/// `InstructionSet.selected` has it, otherwise AVX2 (`vectorSort` needs at least that).
let vectorSortTier = InstructionSet.selected

/// An element type with the vector quicksort's entry points (the AVX-512 or AVX2 tier).
protocol VectorSortable: Comparable {
    /// `splitAVX2`: parts whose separate sorts make a sorted whole.
    static func split(_ values: UnsafeMutablePointer<Self>, _ count: Int) -> Int
    static func sort(_ values: UnsafeMutablePointer<Self>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome
    /// Moves the elements below `pivot` first (any count); returns how many there are.
    static func partition(_ values: UnsafeMutablePointer<Self>, _ count: Int, pivot: Self) -> Int
    /// The least value greater than `x` (never NaN), or nil when there is none.
    static func above(_ x: Self) -> Self?
}

extension Int64: VectorSortable {
    static func partition(_ values: UnsafeMutablePointer<Int64>, _ count: Int, pivot: Int64) -> Int {
        vectorSortTier == .avx512 ? partitionAVX512(values, count: count, pivot: pivot)
                                  : partitionAVX2(values, count: count, pivot: pivot)
    }
    static func above(_ x: Int64) -> Int64? { x == .max ? nil : x + 1 }
    static func split(_ values: UnsafeMutablePointer<Int64>, _ count: Int) -> Int {
        vectorSortTier == .avx512 ? splitAVX512(values, count: count) : splitAVX2(values, count: count)
    }
    static func sort(_ values: UnsafeMutablePointer<Int64>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        vectorSortTier == .avx512 ? sortAVX512(values, count: count, isCancelled: isCancelled)
                                  : sortAVX2(values, count: count, isCancelled: isCancelled)
    }
}

extension Int32: VectorSortable {
    static func partition(_ values: UnsafeMutablePointer<Int32>, _ count: Int, pivot: Int32) -> Int {
        vectorSortTier == .avx512 ? partitionAVX512(values, count: count, pivot: pivot)
                                  : partitionAVX2(values, count: count, pivot: pivot)
    }
    static func above(_ x: Int32) -> Int32? { x == .max ? nil : x + 1 }
    static func split(_ values: UnsafeMutablePointer<Int32>, _ count: Int) -> Int {
        vectorSortTier == .avx512 ? splitAVX512(values, count: count) : splitAVX2(values, count: count)
    }
    static func sort(_ values: UnsafeMutablePointer<Int32>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        vectorSortTier == .avx512 ? sortAVX512(values, count: count, isCancelled: isCancelled)
                                  : sortAVX2(values, count: count, isCancelled: isCancelled)
    }
}

extension Double: VectorSortable {
    static func partition(_ values: UnsafeMutablePointer<Double>, _ count: Int, pivot: Double) -> Int {
        vectorSortTier == .avx512 ? partitionAVX512(values, count: count, pivot: pivot)
                                  : partitionAVX2(values, count: count, pivot: pivot)
    }
    static func above(_ x: Double) -> Double? { x == .infinity ? nil : x.nextUp }
    static func split(_ values: UnsafeMutablePointer<Double>, _ count: Int) -> Int {
        vectorSortTier == .avx512 ? splitAVX512(values, count: count) : splitAVX2(values, count: count)
    }
    static func sort(_ values: UnsafeMutablePointer<Double>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        vectorSortTier == .avx512 ? sortAVX512(values, count: count, isCancelled: isCancelled)
                                  : sortAVX2(values, count: count, isCancelled: isCancelled)
    }
}

extension Float: VectorSortable {
    static func partition(_ values: UnsafeMutablePointer<Float>, _ count: Int, pivot: Float) -> Int {
        vectorSortTier == .avx512 ? partitionAVX512(values, count: count, pivot: pivot)
                                  : partitionAVX2(values, count: count, pivot: pivot)
    }
    static func above(_ x: Float) -> Float? { x == .infinity ? nil : x.nextUp }
    static func split(_ values: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
        vectorSortTier == .avx512 ? splitAVX512(values, count: count) : splitAVX2(values, count: count)
    }
    static func sort(_ values: UnsafeMutablePointer<Float>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        vectorSortTier == .avx512 ? sortAVX512(values, count: count, isCancelled: isCancelled)
                                  : sortAVX2(values, count: count, isCancelled: isCancelled)
    }
}

/// The vector quicksort on `threads` workers (one below `parallelVectorSortMinimum`
/// elements): the largest part is split until there are four parts a worker (or the
/// parts are small), and the workers then sort the parts, largest first. Parts of
/// `parallelSplitMinimum` elements or more are split by all workers together
/// (`parallelSplit`), smaller ones on this thread.
/// - Complexity: the splits read the largest parts once each: O(count log workers).
func sortVectors<T: VectorSortable>(_ values: UnsafeMutablePointer<T>, _ count: Int, threads: Int,
                                    isCancelled: () -> Bool) -> VectorSortOutcome {
    let workers = count >= parallelVectorSortMinimum ? effectiveWorkers(threads) : 1
    if workers == 1 { return T.sort(values, count, isCancelled: isCancelled) }
    let maximumParts = 4 * workers
    guard let parts = CheckedBuffer(Range<Int>.self, count: maximumParts) else {
        return T.sort(values, count, isCancelled: isCancelled)
    }
    parts[0] = 0..<count
    var partCount = 1
    while partCount < maximumParts {
        if isCancelled() { return .cancelled }
        var largest = 0
        for k in 1..<partCount where parts[k].count > parts[largest].count { largest = k }
        let part = parts[largest]
        if part.count < parallelVectorSortMinimum / 2 { break }
        let lows = part.count >= parallelSplitMinimum
            ? parallelSplit(values + part.lowerBound, part.count, workers: workers, isCancelled: isCancelled)
            : T.split(values + part.lowerBound, part.count)
        if lows == part.count || lows == 0 { break }  // all equal: nothing to split
        parts[largest] = part.lowerBound..<(part.lowerBound + lows)
        parts[partCount] = (part.lowerBound + lows)..<part.upperBound
        partCount += 1
    }
    var order = UnsafeMutableBufferPointer(start: parts.base, count: partCount)
    order.sort { $0.count > $1.count }
    let shared = SharedPointer(values), sharedParts = SharedPointer(parts.base)
    let next = Atomic<Int>(0), cancelled = Atomic<Bool>(false), failed = Atomic<Bool>(false)
    let total = partCount
    runWorkers(workers, isCancelled: isCancelled) { _, _ in
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if index >= total || cancelled.load(ordering: .relaxed) { return }
            let part = sharedParts.pointer[index]
            switch T.sort(shared.pointer + part.lowerBound, part.count, isCancelled: isCancelled) {
            case .sorted: break
            case .cancelled: cancelled.store(true, ordering: .relaxed)
            case .unavailable: failed.store(true, ordering: .relaxed)
            }
        }
    }
    if cancelled.load(ordering: .relaxed) { return .cancelled }
    return failed.load(ordering: .relaxed) ? .unavailable : .sorted
}

/// An IEEE float type with the AVX2 scan for it, and the AVX-512 search that may spare it.
protocol VectorSortableFloat: BinaryFloatingPoint, VectorSortable {
    static func scan(_ values: UnsafeMutablePointer<Self>, _ count: Int)
        -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool)
    /// The index of the first zero or NaN, or `count` (AVX-512 tier only).
    static func firstZeroOrNaN(_ values: UnsafeMutablePointer<Self>, _ count: Int) -> Int
}

extension Double: VectorSortableFloat {
    static func scan(_ values: UnsafeMutablePointer<Double>, _ count: Int)
        -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool) { scanFloatsAVX2(values, count: count) }
    static func firstZeroOrNaN(_ values: UnsafeMutablePointer<Double>, _ count: Int) -> Int {
        firstZeroOrNaNAVX512(values, count: count)
    }
}

extension Float: VectorSortableFloat {
    static func scan(_ values: UnsafeMutablePointer<Float>, _ count: Int)
        -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool) { scanFloatsAVX2(values, count: count) }
    static func firstZeroOrNaN(_ values: UnsafeMutablePointer<Float>, _ count: Int) -> Int {
        firstZeroOrNaNAVX512(values, count: count)
    }
}

/// Sorts floats when none is NaN. The vector sort compares them as numbers, which
/// treats -0.0 and 0.0 as equal but may hand back either for both: when the floats hold
/// both zeros, their signs are recorded in input order first and the run of zeros
/// rewritten from them afterwards, which gives the stable sort's result.
func sortFloats<F: VectorSortableFloat>(_ values: UnsafeMutablePointer<F>, _ count: Int, threads: Int,
                                        isCancelled: () -> Bool) -> FloatSortOutcome {
    // On the AVX-512 tier, the exact counts only from the first zero or NaN on (most arrays
    // have none: one cheaper read, about half the counting one).
    let first = vectorSortTier == .avx512 ? F.firstZeroOrNaN(values, count) : 0
    let scan = first == count ? (negativeZeros: 0, positiveZeros: 0, unordered: false) : F.scan(values + first, count - first)
    if scan.unordered { return .unordered }
    let total = scan.negativeZeros + scan.positiveZeros
    var signs: UnsafeMutablePointer<Bool>? = nil
    if scan.negativeZeros > 0 && scan.positiveZeros > 0 {
        guard let memory = allocateChecked(Bool.self, total) else { return .unavailable }
        var next = 0
        for i in 0..<count where next < total && values[i] == 0 {
            memory[next] = values[i].sign == .minus
            next += 1
        }
        signs = memory
    }
    let outcome = sortVectors(values, count, threads: threads, isCancelled: isCancelled)
    if outcome == .sorted, let signs {
        let low = partitionPoint(count) { values[$0] < 0 }  // the zeros' run: from the first value >= 0
        // Within bounds even if another thread wrote to the array meanwhile.
        for k in 0..<min(total, count - low) { values[low + k] = signs[k] ? -0.0 : 0.0 }
    } else if outcome == .cancelled && signs != nil {
        // Cancelled midway, the zeros are wherever the partitions left them, and min/max may
        // have turned one sign into the other: give back as many of each as there were, so
        // that the array still holds a permutation of its values.
        var negatives = scan.negativeZeros
        for i in 0..<count where values[i] == 0 {
            values[i] = negatives > 0 ? -0.0 : 0.0
            negatives -= 1
        }
    }
    deallocateChecked(signs, count: total)
    return outcome == .sorted ? .sorted : outcome == .cancelled ? .cancelled : .unavailable
}

import KernelLoops

// The AVX2 quicksort of KernelLoops (SortAVX2.swift) for arrays of 32- and 64-bit
// integers and floats: below the sizes where the parallel radix sort wins, it sorts
// numeric arrays faster than the radix sort, whose passes depend on how the keys'
// bits are spread. See docs/sort.md.
//
// The quicksort is not stable, which only floats could tell: -0.0 and +0.0 are
// equal, and `sort` keeps them in input order. Floats are compared as numbers (NaNs
// moved last first), and when an array holds both zeros their signs are recorded
// before the sort and written back over the run of zeros after it.

/// Whether `count` elements of `T` are sorted faster by the AVX2 quicksort than by the
/// radix sort on `threads` workers (measured on 100 to 1M random values with both,
/// against numpy.sort; docs/sort.md): from 33 elements (below, the insertion sort costs
/// less to start), on one core (with more, the parallel radix sort takes over from
/// 65,536 elements). Int64 keys of 256 to 65,535 elements keep the radix sort, which
/// beats the quicksort there when their top bits are spread (its first digit then
/// leaves a few elements a bucket); the exponents of floats are not, and 32-bit keys
/// fill twice the lanes of a vector.
func prefersVectorSort<T>(_: T.Type, count: Int, threads: Int) -> Bool {
    guard count >= 33 else { return false }
    if count >= singleLevelSortLimit { return effectiveWorkers(threads) == 1 }
    return count < mergeSortLimit || T.self != Int64.self
}

/// Sorts `data[0..<count]` ascending with the AVX2 quicksort, NaNs last in input order,
/// when the CPU has AVX2 and `T` is a 32- or 64-bit signed integer or float. Returns
/// nil, the data untouched, when it does not apply; otherwise how many elements are
/// not NaN (they come first) and whether they are sorted (false: a little memory for
/// the signs of the zeros could not be had; the radix sort finishes them).
///
/// - Parameter scratch: room for `count` elements (used only to move NaNs).
/// - Throws: `.cancelled` when `isCancelled` said so: `data` holds a permutation of its values.
func vectorSort<T: RadixSortable>(_ data: UnsafeMutablePointer<T>, _ count: Int, scratch: UnsafeMutablePointer<T>,
                                  isCancelled: () -> Bool) throws(KernelError) -> (ordered: Int, sorted: Bool)? {
    guard cpuHasAVX2 && vectorSortAvailable else { return nil }
    let raw = UnsafeMutableRawPointer(data)
    if T.self == Int64.self || T.self == Int32.self {
        let outcome = T.self == Int64.self
            ? sortAVX2(raw.assumingMemoryBound(to: Int64.self), count: count, isCancelled: isCancelled)
            : sortAVX2(raw.assumingMemoryBound(to: Int32.self), count: count, isCancelled: isCancelled)
        if outcome == .cancelled { throw .cancelled }
        return (count, outcome == .sorted)
    }
    guard T.self == Double.self || T.self == Float.self else { return nil }
    func sortPrefix(_ count: Int) -> FloatSortOutcome {
        T.self == Double.self ? sortFloats(raw.assumingMemoryBound(to: Double.self), count, isCancelled: isCancelled)
            : sortFloats(raw.assumingMemoryBound(to: Float.self), count, isCancelled: isCancelled)
    }
    var ordered = count
    var outcome = sortPrefix(count)
    if outcome == .unordered {
        // NaNs (rare): moved last in input order, then the rest sorted.
        ordered = moveUnorderedLast(data, count, scratch: scratch)
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

/// How a sort of floats' bits ended.
enum FloatSortOutcome {
    case sorted
    /// `isCancelled` said so: the floats hold a permutation of themselves.
    case cancelled
    /// A NaN was found: the floats are untouched.
    case unordered
    /// The memory for the signs of the zeros could not be had: the floats are untouched.
    case unavailable
}

/// An IEEE float type with the AVX2 loops for it.
protocol VectorSortableFloat: BinaryFloatingPoint {
    static func scan(_ values: UnsafeMutablePointer<Self>, _ count: Int)
        -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool)
    static func sort(_ values: UnsafeMutablePointer<Self>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome
}

extension Double: VectorSortableFloat {
    static func scan(_ values: UnsafeMutablePointer<Double>, _ count: Int)
        -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool) { scanFloatsAVX2(values, count: count) }
    static func sort(_ values: UnsafeMutablePointer<Double>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        sortAVX2(values, count: count, isCancelled: isCancelled)
    }
}

extension Float: VectorSortableFloat {
    static func scan(_ values: UnsafeMutablePointer<Float>, _ count: Int)
        -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool) { scanFloatsAVX2(values, count: count) }
    static func sort(_ values: UnsafeMutablePointer<Float>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        sortAVX2(values, count: count, isCancelled: isCancelled)
    }
}

/// Sorts floats when none is NaN. The vector sort compares them as numbers, which
/// treats -0.0 and 0.0 as equal but may hand back either for both: when the floats hold
/// both zeros, their signs are recorded in input order first and the run of zeros
/// rewritten from them afterwards, which gives the stable sort's result.
func sortFloats<F: VectorSortableFloat>(_ values: UnsafeMutablePointer<F>, _ count: Int,
                                        isCancelled: () -> Bool) -> FloatSortOutcome {
    let scan = F.scan(values, count)
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
    let outcome = F.sort(values, count, isCancelled: isCancelled)
    if outcome == .sorted, let signs {
        // The zeros' run starts at the first value >= 0 (-0.0 included).
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < 0 { low = middle + 1 } else { high = middle }
        }
        // Within bounds even if another thread wrote to the array meanwhile.
        for k in 0..<min(total, count - low) { values[low + k] = signs[k] ? -0.0 : 0.0 }
    }
    deallocateChecked(signs, count: total)
    return outcome == .sorted ? .sorted : outcome == .cancelled ? .cancelled : .unavailable
}

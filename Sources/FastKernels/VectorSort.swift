import KernelLoops

// The AVX2 quicksort of KernelLoops (SortAVX2.swift) for arrays of 32- and 64-bit
// integers and floats: below the sizes where the parallel radix sort wins, it sorts
// numeric arrays faster than the radix sort, whose passes depend on how the keys'
// bits are spread. See docs/sort.md.
//
// The quicksort is not stable, which only floats could tell: -0.0 and +0.0 are
// equal, and `sort` keeps them in input order. Floats are sorted as integers of the
// same order (in which -0.0 sorts just before +0.0), and when an array holds both
// zeros their signs are put back in input order afterwards.

/// Whether `count` elements of `T` (no NaN among them) are sorted faster by the AVX2
/// quicksort than by the radix sort on `threads` workers (measured on 100 to 1M random
/// values with both, against numpy.sort; docs/sort.md): from 33 elements (below, the
/// insertion sort costs less to start), on one core (with more, the parallel radix sort
/// takes over from 65,536 elements). Integer keys of 256 to 65,535 elements keep the
/// radix sort, which beats the quicksort there when their top bits are spread (its
/// first digit then leaves a few elements a bucket); the exponents of floats are not.
func prefersVectorSort<T>(_: T.Type, count: Int, threads: Int) -> Bool {
    guard count >= 33 else { return false }
    if count >= singleLevelSortLimit { return effectiveWorkers(threads) == 1 }
    return count < mergeSortLimit || T.self == Double.self || T.self == Float.self
}

/// Sorts `data[0..<count]` (no NaN among them) ascending with the AVX2 quicksort, when
/// the CPU has AVX2 and `T` is a 32- or 64-bit signed integer or float; returns false,
/// the data untouched, otherwise (or when a little memory for the signs of the zeros,
/// or for the sort's tables, cannot be had).
///
/// - Throws: `.cancelled` when `isCancelled` said so: `data` holds a permutation of its values.
func vectorSort<T: RadixSortable>(_ data: UnsafeMutablePointer<T>, _ count: Int,
                                  isCancelled: () -> Bool) throws(KernelError) -> Bool {
    guard cpuHasAVX2 else { return false }
    let raw = UnsafeMutableRawPointer(data)
    let outcome: VectorSortOutcome
    if T.self == Int64.self {
        outcome = sortAVX2(raw.assumingMemoryBound(to: Int64.self), count: count, isCancelled: isCancelled)
    } else if T.self == Int32.self {
        outcome = sortAVX2(raw.assumingMemoryBound(to: Int32.self), count: count, isCancelled: isCancelled)
    } else if T.self == Double.self {
        outcome = sortFloatBits(raw.assumingMemoryBound(to: Int64.self), count, isCancelled: isCancelled)
    } else if T.self == Float.self {
        outcome = sortFloatBits(raw.assumingMemoryBound(to: Int32.self), count, isCancelled: isCancelled)
    } else {
        return false
    }
    switch outcome {
    case .sorted: return true
    case .unavailable: return false
    case .cancelled: throw .cancelled
    }
}

/// The bits of an IEEE float as a signed integer (Int64 for doubles, Int32 for floats),
/// with the AVX2 loops for that width.
protocol FloatBits: FixedWidthInteger & SignedInteger {
    /// Maps floats' bits to integers of their order, or back (its own inverse); returns
    /// how many of the results are -1 (-0.0 going in) and 0 (+0.0 going in).
    static func flip(_ bits: UnsafeMutablePointer<Self>, _ count: Int) -> (negative: Int, positive: Int)
    static func sort(_ bits: UnsafeMutablePointer<Self>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome
}

extension Int64: FloatBits {
    static func flip(_ bits: UnsafeMutablePointer<Int64>, _ count: Int) -> (negative: Int, positive: Int) {
        flipNegativeFloatsAVX2(bits, count: count)
    }
    static func sort(_ bits: UnsafeMutablePointer<Int64>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        sortAVX2(bits, count: count, isCancelled: isCancelled)
    }
}

extension Int32: FloatBits {
    static func flip(_ bits: UnsafeMutablePointer<Int32>, _ count: Int) -> (negative: Int, positive: Int) {
        flipNegativeFloatsAVX2(bits, count: count)
    }
    static func sort(_ bits: UnsafeMutablePointer<Int32>, _ count: Int, isCancelled: () -> Bool) -> VectorSortOutcome {
        sortAVX2(bits, count: count, isCancelled: isCancelled)
    }
}

/// Sorts IEEE floats given as their bits, none of them NaN; `.unavailable` (the floats
/// untouched) when the memory for the zeros' signs, or the sort's tables, cannot be had.
func sortFloatBits<Bits: FloatBits>(_ bits: UnsafeMutablePointer<Bits>, _ count: Int,
                                    isCancelled: () -> Bool) -> VectorSortOutcome {
    let zeros = Bits.flip(bits, count)  // now integers in the floats' order: -0.0 is -1, +0.0 is 0
    let total = zeros.negative + zeros.positive
    var signs: UnsafeMutablePointer<Bool>? = nil
    if zeros.negative > 0 && zeros.positive > 0 {
        // Both zeros: remember their signs in input order (-1 is only ever -0.0).
        guard let memory = allocateChecked(Bool.self, total) else {
            _ = Bits.flip(bits, count)
            return .unavailable
        }
        var next = 0
        for i in 0..<count where next < total && (bits[i] == 0 || bits[i] == -1) {
            memory[next] = bits[i] == -1
            next += 1
        }
        signs = memory
    }
    let outcome = Bits.sort(bits, count, isCancelled: isCancelled)
    if outcome == .sorted, let signs {
        // The zeros' run starts at the first value >= -1.
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if bits[middle] < -1 { low = middle + 1 } else { high = middle }
        }
        // Within bounds even if another thread wrote to the array meanwhile.
        for k in 0..<min(total, count - low) { bits[low + k] = signs[k] ? -1 : 0 }
    }
    deallocateChecked(signs, count: total)
    _ = Bits.flip(bits, count)
    return outcome
}

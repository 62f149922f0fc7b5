import KernelLoops
import KernelLoopsAVX512

// The superaccumulator: an exact, order-independent, mergeable sum of doubles whose
// correctly rounded value is math.fsum's whenever fsum's own process cannot overflow.
// See docs/fsum.md.

/// An exact accumulator (superaccumulator) of doubles: order-independent,
/// mergeable, vectorised. Tracks what decides whether its rounded value IS
/// math.fsum's outcome.
///
/// A plain struct of fixed size (588 Int64, 4.7 KB; no heap): a header (count,
/// largest exponent, inf and nan seen), the fixed-point sum in 72 chunks of
/// 32-bit digits, and the hot loop's bins, zero between calls (layout and
/// design: Sources/KernelLoops/ExactSums.swift).
public struct ExactFloatSum {
    var storage = InlineArray<588, Int64>(repeating: 0)

    public init() {}

    /// Runs `body` with a pointer to the accumulator's memory.
    @inline(__always)
    mutating func withState<R>(_ body: (UnsafeMutablePointer<Int64>) -> R) -> R {
        withUnsafeMutableBytes(of: &storage) { body($0.baseAddress!.assumingMemoryBound(to: Int64.self)) }
    }

    /// Adds `count` doubles (inf and nan are recorded, not summed).
    public mutating func add(_ values: UnsafePointer<Double>, count: Int) {
        add(values, count: count, path: .automatic)
    }

    /// Adds `count` floats, each widened exactly to a double.
    public mutating func add(_ values: UnsafePointer<Float>, count: Int) {
        add(values, count: count, path: .automatic)
    }

    /// Which loop adds the values (tests compare them; all give the same sum).
    enum Path {
        /// The AVX-512 loop on that tier, else the AVX2 loop when the CPU has it, else the baseline loop.
        case automatic
        /// The hot loop compiled for the baseline CPU.
        case baseline
        /// The hot loop compiled for AVX2 (the baseline one when the CPU lacks it).
        case avx2
        /// The hot loop compiled for AVX-512 (on a lower tier, that tier's loop).
        case avx512
        /// Every value straight into the chunks, one at a time (the reference).
        case oneByOne
    }

    mutating func add(_ values: UnsafePointer<Double>, count: Int, path: Path) {
        add(count: count, path: path, avx512: { exactAccumulateAVX512($0, values, count) },
            avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { values[$0] })
    }

    mutating func add(_ values: UnsafePointer<Float>, count: Int, path: Path) {
        add(count: count, path: path, avx512: { exactAccumulateAVX512($0, values, count) },
            avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { Double(values[$0]) })
    }

    /// Adds `count` integers, each rounded to a double as Python's float() rounds it.
    mutating func add(_ values: UnsafePointer<Int64>, count: Int, path: Path = .automatic) {
        add(count: count, path: path, avx512: { exactAccumulateAVX512($0, values, count) },
            avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { Double(values[$0]) })
    }

    /// Adds `count` integers, each rounded to a double as Python's float() rounds it.
    mutating func add(_ values: UnsafePointer<UInt64>, count: Int, path: Path = .automatic) {
        add(count: count, path: path, avx512: { exactAccumulateAVX512($0, values, count) },
            avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { Double(values[$0]) })
    }

    @inline(__always)
    mutating func add(count: Int, path: Path, avx512: (UnsafeMutablePointer<Int64>) -> Void,
                      avx2: (UnsafeMutablePointer<Int64>) -> Void,
                      baseline: (UnsafeMutablePointer<Int64>) -> Void, element: (Int) -> Double) {
        guard count > 0 else { return }
        withState { state in
            switch path {
            case .automatic, .avx512:
                if cpuHasAVX512 { avx512(state) } else if cpuHasAVX2 { avx2(state) } else { baseline(state) }
            case .avx2:
                if cpuHasAVX2 { avx2(state) } else { baseline(state) }
            case .baseline:
                baseline(state)
            case .oneByOne:
                for i in 0..<count {
                    exactAddOne(state, element(i).bitPattern)
                    state[ExactSumLayout.countSlot] &+= 1
                    if state[ExactSumLayout.pendingSlot] >= ExactSumLayout.normalizeThreshold { exactNormalize(state) }
                }
            }
        }
    }

    /// Adds an exact integer: the sum of `count` integers of at most 32 bits
    /// each (|total| < 2^95), which are their own doubles.
    public mutating func addInteger(_ total: Int128, count: Int) {
        withState { state in
            // Units are 2^-1074: the integer's bit 0 is at position 1074.
            exactAddScaled(state, Int64(truncatingIfNeeded: total & ((1 << 62) - 1)), at: 1074)
            exactAddScaled(state, Int64(truncatingIfNeeded: total >> 62), at: 1074 + 62)
            state[ExactSumLayout.countSlot] &+= Int64(max(count, 0))
            // Integers below 2^32: biased exponent at most 1023 + 31.
            if count > 0 { state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot], 1023 + 31) }
        }
    }

    /// Adds everything `other` holds (exact: the order of merges never matters).
    public mutating func merge(_ other: borrowing ExactFloatSum) {
        other.storage.span.withUnsafeBufferPointer { mergeState($0.baseAddress!) }
    }

    /// `merge`, from an accumulator in memory (no copy of it).
    mutating func merge(_ other: UnsafePointer<ExactFloatSum>) {
        UnsafeRawPointer(other).withMemoryRebound(to: Int64.self, capacity: ExactSumLayout.totalSlots) { mergeState($0) }
    }

    /// Both `merge`s: adds the state of another accumulator, `ExactSumLayout.totalSlots` slots at `theirs`.
    private mutating func mergeState(_ theirs: UnsafePointer<Int64>) {
        withState { state in
            for i in ExactSumLayout.chunksOffset..<ExactSumLayout.binsOffset { state[i] &+= theirs[i] }
            state[ExactSumLayout.countSlot] &+= theirs[ExactSumLayout.countSlot]
            state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot],
                                                        theirs[ExactSumLayout.maxExponentSlot])
            state[ExactSumLayout.specialsSlot] |= theirs[ExactSumLayout.specialsSlot]
            // Each chunk now holds at most the two pending counts' worth, plus a normalised digit each.
            state[ExactSumLayout.pendingSlot] &+= theirs[ExactSumLayout.pendingSlot] &+ 2
            if state[ExactSumLayout.pendingSlot] >= ExactSumLayout.normalizeThreshold { exactNormalize(state) }
        }
    }

    /// Values added so far (finite or not).
    public var count: Int { Int(truncatingIfNeeded: storage[ExactSumLayout.countSlot]) }

    /// True when an infinity or a nan was added.
    var sawSpecialValue: Bool { storage[ExactSumLayout.specialsSlot] != 0 }

    /// True when math.fsum's process cannot overflow on these values, in any order.
    ///
    /// Let A be the sum of the magnitudes of the n finite values, u = 2^-53 and
    /// m = 2,098 the most partials msum can hold (see `FSumSequence`). Adding v
    /// to partials of total magnitude P: each running value is a rounded sum,
    /// |hi| <= (|x| + |y|)(1 + u), and each error |lo| <= u|hi|; so every sum
    /// msum rounds is at most (|v| + P)(1 + u)^m, and the new partials total at
    /// most (|v| + P)g with g = (1 + u)^m (1 + mu) <= e^(2mu). By induction,
    /// every sum msum rounds is at most A g^n < 2A for n <= 2^40 (g^n <= e^0.52).
    /// A value of biased exponent E is below 2^(E - 1022), so A < n 2^(E - 1022);
    /// when n 2^(E - 1022) <= 2^1022, every rounding is of a number below
    /// 2^1023 and none overflows (not even in the final sum_exact loop). The
    /// same holds between special values (msum restarts there, on fewer values).
    var overflowImpossible: Bool {
        let n = UInt64(bitPattern: storage[ExactSumLayout.countSlot])
        guard n <= 1 << 40 else { return false }
        let log2Ceiling = n <= 1 ? 0 : 64 - (n - 1).leadingZeroBitCount
        return log2Ceiling + Int(storage[ExactSumLayout.maxExponentSlot]) <= 2044
    }

    /// math.fsum's outcome when it is certain from the exact sum alone: every
    /// value finite and the magnitudes small enough that no prefix of fsum's own
    /// process can overflow (`overflowImpossible`); nil otherwise (the caller
    /// then re-runs `FSumSequence` over the same values, in order).
    ///
    /// math.fsum returns the correctly rounded (half-even) exact sum when it
    /// does not overflow, and +0.0 for an exact zero: the rounded value here.
    public var decidedOutcome: FSumOutcome? {
        var copy = self
        return copy.decide()
    }

    /// The exact sum of the finite values, rounded to the nearest double (ties to
    /// even); +0.0 when it is exactly zero, infinity when it rounds beyond the
    /// largest double.
    public var roundedValue: Double {
        var copy = self
        return copy.rounded()
    }

    /// `decidedOutcome`, without copying the accumulator (a getter would).
    mutating func decide() -> FSumOutcome? {
        guard !sawSpecialValue, overflowImpossible else { return nil }
        return .value(rounded())
    }

    /// `roundedValue`, without copying the accumulator.
    mutating func rounded() -> Double {
        withState { state in
            // The header and the chunks (not the bins), rounded in a copy.
            var copy = InlineArray<76, Int64>(repeating: 0)
            return withUnsafeMutableBytes(of: &copy) { raw in
                let digits = raw.baseAddress!.assumingMemoryBound(to: Int64.self)
                digits.update(from: state, count: ExactSumLayout.binsOffset)
                return exactRoundedValue(digits)
            }
        }
    }

    /// Which special values were added: `specialNaN | specialPositiveInfinity | specialNegativeInfinity`.
    public var specialValues: Int { Int(truncatingIfNeeded: storage[ExactSumLayout.specialsSlot]) }
    public static let specialNaN = Int(ExactSumLayout.nanSeen)
    public static let specialPositiveInfinity = Int(ExactSumLayout.positiveInfinitySeen)
    public static let specialNegativeInfinity = Int(ExactSumLayout.negativeInfinitySeen)

    /// Bytes of `withIntegerBytes`' integer: 71 base-2^32 digits and a signed 64-bit top chunk.
    public static let integerByteCount = 4 * (ExactSumLayout.chunkCount - 1) + 8

    /// Runs `body` with the exact sum of the finite values as an integer N (the sum
    /// is N * 2^-1074), in `integerByteCount` little-endian two's-complement bytes.
    public mutating func withIntegerBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withUnsafeTemporaryAllocation(byteCount: Self.integerByteCount, alignment: 8) { bytes throws(E) -> R in
            withState { state in
                exactNormalize(state)
                let chunks = state + ExactSumLayout.chunksOffset
                let digits = ExactSumLayout.chunkCount - 1
                // Normalised: digits 0..<71 in 0..<2^32, the last chunk the signed rest.
                for i in 0..<digits {
                    bytes.storeBytes(of: UInt32(truncatingIfNeeded: chunks[i]).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
                bytes.storeBytes(of: chunks[digits].littleEndian, toByteOffset: 4 * digits, as: Int64.self)
            }
            return try body(UnsafeRawBufferPointer(bytes))
        }
    }

    /// True when `other` holds exactly the same sum, and the same header.
    func holdsSameSum(as other: borrowing ExactFloatSum) -> Bool {
        var mine = self, theirs = copy other
        mine.withState { exactNormalize($0) }
        theirs.withState { exactNormalize($0) }
        for i in 0..<ExactSumLayout.binsOffset where i != ExactSumLayout.pendingSlot {
            if mine.storage[i] != theirs.storage[i] { return false }
        }
        return true
    }
}

/// The accumulator's integer (in units of 2^-1074) rounded to the nearest
/// double, ties to even. Normalises (and may negate) the chunks.
func exactRoundedValue(_ state: UnsafeMutablePointer<Int64>) -> Double {
    let count = ExactSumLayout.chunkCount
    let chunks = state + ExactSumLayout.chunksOffset
    exactNormalize(state)
    let negative = chunks[count - 1] < 0
    if negative {
        for i in 0..<count { chunks[i] = -chunks[i] }
        exactNormalize(state)
    }
    var top = count - 1
    while top >= 0 && chunks[top] == 0 { top -= 1 }
    guard top >= 0 else { return 0.0 }  // an exact zero is +0.0
    let sign: UInt64 = negative ? 1 << 63 : 0
    // The highest set bit, counting from the unit 2^-1074.
    let highBit = 32 * top + 63 - chunks[top].leadingZeroBitCount
    /// 64 bits of the (normalised, non-negative) integer from bit `low` on; bits below 0 are zero.
    func bits(from low: Int) -> UInt64 {
        if low < 0 { return bits(from: 0) << UInt64(-low) }
        func digit(_ i: Int) -> UInt128 { i < count ? UInt128(UInt64(chunks[i])) : 0 }
        let first = low >> 5
        let window = digit(first) | digit(first + 1) << 32 | digit(first + 2) << 64
        return UInt64(truncatingIfNeeded: window >> UInt128(low & 31))
    }
    if highBit < 53 {
        // Below 2^-1021: exactly representable; its bit pattern is the integer itself.
        return Double(bitPattern: sign | bits(from: 0))
    }
    let window = bits(from: highBit - 63)  // the top 64 bits
    var mantissa = window >> 11
    let roundBit = (window >> 10) & 1
    var sticky = window & 0x3FF != 0
    if !sticky && highBit - 63 > 0 {
        let lowest = highBit - 63  // bits below this one
        let fullChunks = lowest >> 5
        for i in 0..<fullChunks where chunks[i] != 0 { sticky = true; break }
        if !sticky && lowest & 31 != 0 {
            sticky = chunks[fullChunks] & ((1 << Int64(lowest & 31)) - 1) != 0
        }
    }
    var exponent = highBit - 51  // biased exponent of mantissa * 2^(highBit - 52) units
    if roundBit == 1 && (sticky || mantissa & 1 == 1) {
        mantissa += 1
        if mantissa == 1 << 53 {
            mantissa >>= 1
            exponent += 1
        }
    }
    if exponent >= 0x7FF { return Double(bitPattern: sign | 0x7FF0_0000_0000_0000) }
    return Double(bitPattern: sign | UInt64(exponent) << 52 | (mantissa & 0x000F_FFFF_FFFF_FFFF))
}

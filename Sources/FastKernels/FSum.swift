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

// MARK: - The sequential reference

/// math.fsum's special-value bookkeeping: `special_sum` and `inf_sum`, in the
/// same order as CPython, down to which nan comes out.
///
/// Which nan `special_sum += x` gives when both are nans is not IEEE's to say:
/// x86's addsd keeps its destination operand's, and CPython as built by GCC
/// for x86-64 (checked against python3.11 here) computes `x + special_sum`, so
/// the newer nan wins, quieted. LLVM may order a commutative addition either
/// way, so the nan cases are spelled out instead of left to `+=`.
struct FSumSpecials {
    var specialSum = 0.0
    var infSum = 0.0

    /// Records an infinity or a nan.
    @inline(__always)
    mutating func add(_ x: Double) {
        if x.isInfinite { infSum += x }  // ±inf or a nan: only the nan-ness matters
        if x.isNaN {
            specialSum = Double(bitPattern: x.bitPattern | 0x0008_0000_0000_0000)
        } else if !specialSum.isNaN {
            specialSum += x  // inf arithmetic (+inf + -inf is an error at the end anyway)
        }
    }

    /// The outcome when a special value was seen (nil when none was).
    var outcome: FSumOutcome? {
        guard specialSum != 0 else { return nil }  // nan != 0 too
        return infSum.isNaN ? .infMinusInf : .value(specialSum)
    }
}

/// math.fsum's own algorithm (msum with its special-value rules), fed in order:
/// the exact, sequential reference, for inputs the fast path cannot decide and
/// for streams (Python iterators) that can only be read once.
///
/// The partials live inline (no allocation). How many can there be? msum keeps
/// them nonzero, finite and nonoverlapping (Shewchuk 1997, Theorem 10: the
/// lowest set bit of each is above the highest set bit of the one before).
/// The set bits of a finite double lie in positions 2^-1074 ... 2^1023, 2,098
/// positions, and nonoverlapping partials use disjoint ones: at most 2,098
/// partials, the capacity here. (Far fewer in practice, but not ~40: two
/// consecutive partials can be as little as two binades apart, and random
/// inputs already reach 80 partials.) The store can therefore not run out;
/// should it ever (it would take a non-IEEE CPU), `add` folds the smallest
/// partial into the next one with a rounded addition instead of trapping.
public struct FSumSequence: ~Copyable {
    /// The most nonoverlapping finite doubles there can be.
    static let capacity = 2098

    var partials = InlineArray<2098, Double>(repeating: 0)
    var partialCount = 0
    var specials = FSumSpecials()
    var overflowed = false

    public init() {}

    /// Adds `x` (msum's loop body, as CPython's math_fsum runs it).
    ///
    /// - Returns: false once the outcome is decided as an error (an intermediate
    ///   overflow): stop feeding. "-inf + inf" is not decided before the end: a
    ///   later finite value can still overflow, and Python raises that first.
    @inline(__always)
    public mutating func add(_ x: Double) -> Bool {
        guard !overflowed else { return false }
        let count = partialCount
        let original = x
        let (kept, x) = withUnsafeMutableBytes(of: &partials) { raw in
            FSumSequence.accumulate(x, into: raw.baseAddress!.assumingMemoryBound(to: Double.self), count: count,
                                    capacity: FSumSequence.capacity)
        }
        partialCount = kept
        if x != 0 && !x.isFinite {
            // Intermediate overflow, or an inf or nan among the summands.
            if original.isFinite {
                overflowed = true
                return false
            }
            specials.add(original)
            partialCount = 0  // reset the partials
        }
        return true
    }

    /// msum's loop body: adds `x` to the `count` partials at `p` (room for
    /// `capacity`); returns how many partials there are now and the last sum,
    /// which is not finite after an overflow or for an inf or nan summand.
    @inline(__always)
    static func accumulate(_ x: Double, into p: UnsafeMutablePointer<Double>, count: Int,
                           capacity: Int) -> (kept: Int, x: Double) {
        var kept = 0
        var x = x
        for j in 0..<count {
            var y = p[j]
            if x.magnitude < y.magnitude { swap(&x, &y) }
            let hi = x + y
            let yr = hi - x
            let lo = y - yr
            if lo != 0 {
                p[kept] = lo
                kept += 1
            }
            x = hi
        }
        if x != 0 && x.isFinite {
            if kept == capacity {  // cannot happen (see the type's comment, and `outcome(of:)`)
                p[1] += p[0]
                for k in 1..<kept { p[k - 1] = p[k] }
                kept -= 1
            }
            p[kept] = x
            kept += 1
        }
        return (kept, x)
    }

    /// math.fsum of `count` values, its partials in the caller's `scratch` (room
    /// for `count + 1`): for short sequences, without the 16 KB of a sequence's
    /// own partials (there are never more partials than values added).
    /// - Complexity: O(count x partials) time, partials being the non-overlapping
    ///   partial sums kept (a few for most data, at most 40 for doubles); no allocation.
    public static func outcome(of values: UnsafePointer<Double>, count: Int,
                               scratch: UnsafeMutablePointer<Double>) -> FSumOutcome {
        var kept = 0
        var specials = FSumSpecials()
        for i in 0..<max(count, 0) {
            let original = values[i]
            let (partials, x) = accumulate(original, into: scratch, count: kept, capacity: count + 1)
            kept = partials
            if x != 0 && !x.isFinite {
                if original.isFinite { return .intermediateOverflow }
                specials.add(original)
                kept = 0
            }
        }
        if let special = specials.outcome { return special }
        return sumExact(scratch, kept)
    }

    /// Adds `count` values in order; false once an intermediate overflow decided the outcome.
    public mutating func add(_ values: UnsafePointer<Double>, count: Int) -> Bool {
        for i in 0..<max(count, 0) where !add(values[i]) { return false }
        return !overflowed
    }

    /// math.fsum's result for the values added so far.
    ///
    /// A getter of a ~Copyable struct this large works on a copy of it (16 KB);
    /// `finish()` gives the same outcome in place.
    public var outcome: FSumOutcome {
        if overflowed { return .intermediateOverflow }
        if let special = specials.outcome { return special }
        let count = partialCount
        return withUnsafeBytes(of: partials) { raw in
            FSumSequence.sumExact(raw.baseAddress!.assumingMemoryBound(to: Double.self), count)
        }
    }

    /// `outcome`, without copying the partials (the sequence can still be fed afterwards).
    public mutating func finish() -> FSumOutcome {
        if overflowed { return .intermediateOverflow }
        if let special = specials.outcome { return special }
        let count = partialCount
        return withUnsafeMutableBytes(of: &partials) { raw in
            FSumSequence.sumExact(raw.baseAddress!.assumingMemoryBound(to: Double.self), count)
        }
    }

    /// CPython's sum_exact: the correctly rounded sum of `n` nonoverlapping partials.
    static func sumExact(_ partials: UnsafePointer<Double>, _ count: Int) -> FSumOutcome {
        var n = count
        var hi = 0.0
        guard n > 0 else { return .value(hi) }
        // sum_exact from the top, stopping when the sum becomes inexact.
        n -= 1
        hi = partials[n]
        var lo = 0.0
        while n > 0 {
            let x = hi
            n -= 1
            let y = partials[n]
            hi = x + y
            let yr = hi - x
            lo = y - yr
            if lo != 0 { break }
        }
        // Half-even rounding across partials (CPython: sum([1e-16, 1, 1e16])).
        if n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0)) {
            let y = lo * 2
            let x = hi + y
            let yr = x - hi
            if y == yr { hi = x }
        }
        return .value(hi)
    }
}

// MARK: - The superaccumulator

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
        /// The AVX2 loop when the CPU has it, else the baseline loop.
        case automatic
        /// The hot loop compiled for the baseline CPU.
        case baseline
        /// The hot loop compiled for AVX2 (the baseline one when the CPU lacks it).
        case avx2
        /// Every value straight into the chunks, one at a time (the reference).
        case oneByOne
    }

    mutating func add(_ values: UnsafePointer<Double>, count: Int, path: Path) {
        add(count: count, path: path, avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { values[$0] })
    }

    mutating func add(_ values: UnsafePointer<Float>, count: Int, path: Path) {
        add(count: count, path: path, avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { Double(values[$0]) })
    }

    /// Adds `count` integers, each rounded to a double as Python's float() rounds it.
    mutating func add(_ values: UnsafePointer<Int64>, count: Int, path: Path = .automatic) {
        add(count: count, path: path, avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { Double(values[$0]) })
    }

    /// Adds `count` integers, each rounded to a double as Python's float() rounds it.
    mutating func add(_ values: UnsafePointer<UInt64>, count: Int, path: Path = .automatic) {
        add(count: count, path: path, avx2: { exactAccumulateAVX2($0, values, count) },
            baseline: { exactAccumulate($0, values, count) }, element: { Double(values[$0]) })
    }

    @inline(__always)
    mutating func add(count: Int, path: Path, avx2: (UnsafeMutablePointer<Int64>) -> Void,
                      baseline: (UnsafeMutablePointer<Int64>) -> Void, element: (Int) -> Double) {
        guard count > 0 else { return }
        withState { state in
            switch path {
            case .automatic, .avx2:
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
    mutating func addInteger(_ total: Int128, count: Int) {
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
        let theirs = other.storage.span
        withState { state in
            for i in ExactSumLayout.chunksOffset..<ExactSumLayout.binsOffset { state[i] &+= theirs[i] }
            state[ExactSumLayout.countSlot] &+= theirs[ExactSumLayout.countSlot]
            state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot],
                                                        theirs[ExactSumLayout.maxExponentSlot])
            state[ExactSumLayout.specialsSlot] |= theirs[ExactSumLayout.specialsSlot]
            // Each chunk now holds at most the two pending counts' worth, plus a normalised digit each.
            state[ExactSumLayout.pendingSlot] &+= theirs[ExactSumLayout.pendingSlot] &+ 2
        }
        if storage[ExactSumLayout.pendingSlot] >= ExactSumLayout.normalizeThreshold {
            withState { exactNormalize($0) }
        }
    }

    /// `merge`, from an accumulator in memory (no copy of it).
    mutating func merge(_ other: UnsafePointer<ExactFloatSum>) {
        UnsafeRawPointer(other).withMemoryRebound(to: Int64.self, capacity: ExactSumLayout.totalSlots) { theirs in
            withState { state in
                for i in ExactSumLayout.chunksOffset..<ExactSumLayout.binsOffset { state[i] &+= theirs[i] }
                state[ExactSumLayout.countSlot] &+= theirs[ExactSumLayout.countSlot]
                state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot],
                                                            theirs[ExactSumLayout.maxExponentSlot])
                state[ExactSumLayout.specialsSlot] |= theirs[ExactSumLayout.specialsSlot]
                state[ExactSumLayout.pendingSlot] &+= theirs[ExactSumLayout.pendingSlot] &+ 2
                if state[ExactSumLayout.pendingSlot] >= ExactSumLayout.normalizeThreshold { exactNormalize(state) }
            }
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
    var sum = ExactFloatSum()
    if let total = try T.fsumExactIntegerSum(values, threads: threads, isCancelled: isCancelled) {
        // Integers of at most 32 bits: exact as doubles, and |sum| < 2^95 cannot overflow.
        sum.addInteger(total, count: values.count)
        return .value(sum.rounded())
    }
    try addExactly(values, to: &sum, threads: threads, isCancelled: isCancelled)
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

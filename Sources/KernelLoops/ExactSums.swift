import CPUFeatures

// The hot loops of the exact (correctly rounded) float sum behind fsum, written
// once and compiled twice like Sums.swift: `@inlinable` code inlined into
// FastKernels for the baseline CPU, and the `...AVX2` entry points at the end,
// compiled here with `-target-cpu haswell`. Everything here works on raw
// pointers, integers and SIMD types only: no struct or enum of its own, whose
// value witnesses (weak symbols, shared with the baseline modules at link time)
// would be compiled for AVX2 (see ARCHITECTURE.md, "ISA tiers").
//
// The accumulator is one array of Int64 (`ExactSumLayout`): a small header,
// the exact sum, and scratch.
//
// - The exact sum is a fixed-point integer whose unit is 2^-1074, the last bit
//   of every double: `chunkCount` signed 64-bit chunks, chunk i standing for
//   digit i in base 2^32 (Neal's "small superaccumulator", arXiv:1505.05571).
//   An addition puts at most 2^32 in magnitude into a chunk, so chunks can
//   take 2^31 additions before carries must be propagated; the header counts
//   them and `exactNormalize` propagates long before that.
//
// - Values come in blocks of at most 1,024. A first pass over a block finds
//   its largest and (a lower bound of) its smallest exponent; then one of three
//   paths adds the block, each exact, so the sum never depends on which ran:
//
//   1. the split path (almost all data: exponents spanning at most 115
//      binades, none near the ends of the range): error-free extraction
//      (Rump, Ogita and Oishi's AccSum), vectorised floating-point additions
//      only, and 2 to 4 additions into the chunks per block;
//   2. the bins path (narrow spans near the ends of the range, subnormals):
//      Neal's "large superaccumulator", per-exponent integer bins of 53-bit
//      mantissas, 4 interleaved columns, flushed into the chunks per block;
//   3. the general path (inf or nan in the block, or spans too wide for the
//      bins): every value straight into the chunks.

/// The layout of the accumulator's Int64 array (a namespace: no instances).
public enum ExactSumLayout {
    /// Header slot: values added (finite or not).
    @inlinable public static var countSlot: Int { 0 }
    /// Header slot: the largest biased exponent (0...2046) among the finite values; 0 when none.
    @inlinable public static var maxExponentSlot: Int { 1 }
    /// Header slot: `nanSeen | positiveInfinitySeen | negativeInfinitySeen`.
    @inlinable public static var specialsSlot: Int { 2 }
    /// Header slot: additions into the chunks since the last carry propagation.
    @inlinable public static var pendingSlot: Int { 3 }
    /// Where the chunks start.
    @inlinable public static var chunksOffset: Int { 4 }
    /// Chunks of the fixed-point integer (32-bit digits, unit 2^-1074). A finite
    /// double is below 2^1024 = 2^2098 units; 2^64 of them stay below 2^2162, so
    /// the normalised number fits in digits 0...67 plus a sign chunk. During
    /// accumulation a value at bit position p (at most 2045) touches chunks
    /// p/32 ... p/32 + 2 (at most 65).
    @inlinable public static var chunkCount: Int { 72 }
    /// Where the bins start.
    @inlinable public static var binsOffset: Int { chunksOffset + chunkCount }
    /// Exponent rows of the bins (a power of two).
    @inlinable public static var binRows: Int { 128 }
    /// Int64 slots of the bins (4 columns per row); all zero between calls.
    @inlinable public static var binSlots: Int { binRows * 4 }
    /// Int64 slots of the whole accumulator.
    @inlinable public static var totalSlots: Int { binsOffset + binSlots }
    /// Values per block: a bin row takes at most this many mantissas below
    /// 2^53, and the split path's bounds assume at most 2^10 values.
    @inlinable public static var blockLength: Int { 1024 }
    /// Carry propagation runs once this many additions are pending (far below 2^31).
    @inlinable public static var normalizeThreshold: Int64 { 1 << 30 }

    @inlinable public static var nanSeen: Int64 { 1 }
    @inlinable public static var positiveInfinitySeen: Int64 { 2 }
    @inlinable public static var negativeInfinitySeen: Int64 { 4 }

    /// What the values are stored as (`source` arguments; constants after inlining).
    @inlinable public static var doubles: Int { 0 }
    @inlinable public static var floats: Int { 1 }
    @inlinable public static var int64s: Int { 2 }
    @inlinable public static var uint64s: Int { 3 }
}

@inlinable @inline(__always) var exactAbsMask: UInt64 { 0x7FFF_FFFF_FFFF_FFFF }
@inlinable @inline(__always) var exactFractionMask: UInt64 { 0x000F_FFFF_FFFF_FFFF }
@inlinable @inline(__always) var exactImplicitBit: UInt64 { 1 << 52 }

// MARK: - The chunks

/// Adds `value * 2^position` units (2^-1074 each) to the chunks. `position` is
/// in 0...2045 and |value| < 2^63: the shifted value spans at most 94 bits,
/// split into two unsigned 32-bit digits and a signed top below 2^30.
@inlinable @inline(__always)
public func exactAddScaled(_ state: UnsafeMutablePointer<Int64>, _ value: Int64, at position: Int) {
    let chunks = state + ExactSumLayout.chunksOffset + position &>> 5
    let shifted = Int128(value) &<< Int128(position & 31)
    chunks[0] &+= Int64(truncatingIfNeeded: shifted) & 0xFFFF_FFFF
    chunks[1] &+= Int64(truncatingIfNeeded: shifted &>> 32) & 0xFFFF_FFFF
    chunks[2] &+= Int64(truncatingIfNeeded: shifted &>> 64)
    state[ExactSumLayout.pendingSlot] &+= 1
}

/// Propagates carries: afterwards chunks 0..<chunkCount-1 hold digits in
/// 0..<2^32 and the last chunk the signed rest (0 or -1 for any reachable sum).
@inlinable
public func exactNormalize(_ state: UnsafeMutablePointer<Int64>) {
    let chunks = state + ExactSumLayout.chunksOffset
    var carry: Int64 = 0
    for i in 0..<(ExactSumLayout.chunkCount - 1) {
        let digit = chunks[i] &+ carry
        carry = digit &>> 32
        chunks[i] = digit & 0xFFFF_FFFF
    }
    chunks[ExactSumLayout.chunkCount - 1] &+= carry
    state[ExactSumLayout.pendingSlot] = 0
}

/// Adds one finite double (as its bit pattern) straight into the chunks.
@inlinable @inline(__always)
public func exactAddFinite(_ state: UnsafeMutablePointer<Int64>, _ bits: UInt64) {
    let exponent = (bits & exactAbsMask) &>> 52
    let mantissa = (bits & exactFractionMask) | (exponent != 0 ? exactImplicitBit : 0)
    guard mantissa != 0 else { return }
    let signed = bits >> 63 == 0 ? Int64(bitPattern: mantissa) : -Int64(bitPattern: mantissa)
    // A subnormal (exponent field 0) has the scale of exponent field 1.
    exactAddScaled(state, signed, at: Int(truncatingIfNeeded: max(exponent, 1) &- 1))
}

/// Adds one double (as its bit pattern) straight into the chunks; records inf
/// and nan, and the largest exponent (not the count).
@inlinable @inline(__always)
public func exactAddOne(_ state: UnsafeMutablePointer<Int64>, _ bits: UInt64) {
    let magnitude = bits & exactAbsMask
    let exponent = Int64(truncatingIfNeeded: magnitude &>> 52)
    if exponent == 0x7FF {
        state[ExactSumLayout.specialsSlot] |= magnitude & exactFractionMask != 0 ? ExactSumLayout.nanSeen
            : bits >> 63 == 0 ? ExactSumLayout.positiveInfinitySeen : ExactSumLayout.negativeInfinitySeen
        return
    }
    state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot], exponent)
    exactAddFinite(state, bits)
}

// MARK: - Loading values

/// Four 64-bit integers converted to doubles, correctly rounded (ties to
/// even, as cvtsi2sd and Python's float() round), without AVX-512's vcvtqq2pd:
/// the high half times 2^32 and the low half are each exact doubles (built
/// from their bits with a "magic" exponent), and the one final addition rounds.
/// Signed values are biased by 2^63 (a flip of the top bit), the bias folded
/// into the constant subtracted from the high half, which stays exact.
@inlinable @inline(__always)
public func exactWiden(_ x: SIMD4<UInt64>, signed: Bool) -> SIMD4<Double> {
    typealias V = SIMD4<UInt64>
    let biased = signed ? x ^ V(repeating: 1 << 63) : x
    // 2^84 + high * 2^32 and 2^52 + low, as doubles.
    let high = unsafeBitCast((biased &>> 32) | V(repeating: 0x4530_0000_0000_0000), to: SIMD4<Double>.self)
    let low = unsafeBitCast((biased & V(repeating: 0xFFFF_FFFF)) | V(repeating: 0x4330_0000_0000_0000),
                            to: SIMD4<Double>.self)
    // 2^84 + 2^52 (+ 2^63 for the bias): high - offset = high half * 2^32 - 2^52, exactly.
    let offset = signed ? 0x1.00000801p84 as Double : 0x1.00000001p84 as Double
    return (high - SIMD4(repeating: offset)) + low
}

/// The bit patterns of the doubles of elements i..<i+4 (floats widened, integers rounded).
@inlinable @inline(__always)
public func exactLoadGroup(_ values: UnsafeRawPointer, _ i: Int, _ source: Int) -> SIMD4<UInt64> {
    switch source {
    case ExactSumLayout.floats:
        let wide = SIMD4<Double>(values.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self))
        return unsafeBitCast(wide, to: SIMD4<UInt64>.self)
    case ExactSumLayout.int64s, ExactSumLayout.uint64s:
        let wide = exactWiden(values.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<UInt64>.self),
                              signed: source == ExactSumLayout.int64s)
        return unsafeBitCast(wide, to: SIMD4<UInt64>.self)
    default:
        return values.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<UInt64>.self)
    }
}

/// The bit pattern of the double of element i.
@inlinable @inline(__always)
public func exactLoadOne(_ values: UnsafeRawPointer, _ i: Int, _ source: Int) -> UInt64 {
    switch source {
    case ExactSumLayout.floats: return Double(values.loadUnaligned(fromByteOffset: i &* 4, as: Float.self)).bitPattern
    case ExactSumLayout.int64s: return Double(values.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self)).bitPattern
    case ExactSumLayout.uint64s: return Double(values.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self)).bitPattern
    default: return values.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self)
    }
}

// MARK: - Blocks

/// Adds `count` values of kind `source` (an `ExactSumLayout` constant) from
/// contiguous memory, a block at a time.
///
/// A block normally takes two passes: one to find its exponent range, one to
/// add it by the path that range allows. When the previous block took the
/// split path, this one is first tried in a single pass, on the previous
/// block's split parameters (with a binade of headroom above), checking the
/// range as it goes; the sums are kept only when the check passes (almost
/// always, on homogeneous data), otherwise the block takes its two passes.
@inlinable @inline(__always)
public func exactAccumulate(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafeRawPointer, count: Int,
                            source: Int) {
    var guessTop = 0, guessLevels = 0  // 0 levels: no guess
    var start = 0
    while start < count {
        let end = min(start + ExactSumLayout.blockLength, count)
        if guessLevels == 0
            || !exactSplitBlock(state, values, start: start, end: end, top: guessTop, levels: guessLevels,
                                checked: true, source: source) {
            (guessTop, guessLevels) = exactAccumulateBlock(state, values, start: start, end: end, source: source)
        }
        state[ExactSumLayout.countSlot] &+= Int64(end - start)
        if state[ExactSumLayout.pendingSlot] >= ExactSumLayout.normalizeThreshold { exactNormalize(state) }
        start = end
    }
}

/// The split path's limits: the largest unbiased exponent it takes, the
/// smallest, and the widest span (top - bottom) `levels` levels take exactly.
@inlinable @inline(__always) var exactSplitHighest: Int { 1010 }
@inlinable @inline(__always) var exactSplitLowest: Int { -960 }
@inlinable @inline(__always)
func exactSplitSpan(_ levels: Int) -> Int { levels == 2 ? 31 : levels == 3 ? 73 : 115 }

/// One block of at most `blockLength` values, in two passes (see the file
/// comment). Returns split parameters for the next block (levels 0: none).
@inlinable @inline(__always)
public func exactAccumulateBlock(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafeRawPointer,
                                 start: Int, end: Int, source: Int) -> (top: Int, levels: Int) {
    typealias V = SIMD4<UInt64>
    typealias S = SIMD4<Int64>
    let absMask = V(repeating: exactAbsMask)

    // Pass 1: the largest exponent field, and a lower bound of the smallest
    // exponent field among the non-zero values: (magnitude - 1) >> 52 is the
    // exponent field, or one less for a power of two, or 0xFFF for a zero.
    var high0 = S(repeating: 0), high1 = S(repeating: 0)
    var low0 = S(repeating: 0xFFF), low1 = S(repeating: 0xFFF)
    var i = start
    while i + 8 <= end {
        let a0 = exactLoadGroup(values, i, source) & absMask, a1 = exactLoadGroup(values, i + 4, source) & absMask
        high0 = pointwiseMax(high0, S(truncatingIfNeeded: a0 &>> 52))
        high1 = pointwiseMax(high1, S(truncatingIfNeeded: a1 &>> 52))
        low0 = pointwiseMin(low0, S(truncatingIfNeeded: (a0 &- 1) &>> 52))
        low1 = pointwiseMin(low1, S(truncatingIfNeeded: (a1 &- 1) &>> 52))
        i += 8
    }
    var highest = pointwiseMax(high0, high1).max()
    var lowest = pointwiseMin(low0, low1).min()
    while i < end {
        let a = exactLoadOne(values, i, source) & exactAbsMask
        highest = max(highest, Int64(truncatingIfNeeded: a &>> 52))
        lowest = min(lowest, Int64(truncatingIfNeeded: (a &- 1) &>> 52))
        i += 1
    }

    guard highest < 0x7FF else {
        // An inf or a nan: the general path (which records them).
        for j in start..<end { exactAddOne(state, exactLoadOne(values, j, source)) }
        return (0, 0)
    }
    state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot], highest)
    guard lowest <= highest else { return (0, 0) }  // only zeros

    // The split path, when the block's exponents (unbiased) lie in [-960, 1010]
    // and span at most 115 binades: 2 levels up to 31 binades, 3 up to 73, 4 up to 115.
    let top = Int(highest) - 1023, bottom = Int(lowest) - 1023
    if top <= exactSplitHighest && bottom >= exactSplitLowest && top - bottom <= exactSplitSpan(4) {
        let levels = top - bottom <= exactSplitSpan(2) ? 2 : top - bottom <= exactSplitSpan(3) ? 3 : 4
        _ = exactSplitBlock(state, values, start: start, end: end, top: top, levels: levels,
                            checked: false, source: source)
        // The next block's guess: a binade of headroom above, and levels with 4 binades to spare below.
        let guessTop = min(top + 1, exactSplitHighest), span = guessTop - bottom + 4
        let guessLevels = span <= exactSplitSpan(2) ? 2 : span <= exactSplitSpan(3) ? 3 : 4
        return (guessTop, guessLevels)
    } else if highest - lowest < Int64(ExactSumLayout.binRows) {
        exactBinBlock(state, values, start: start, end: end, lowest: lowest, highest: highest, source: source)
    } else {
        // Too wide a span for the bins: the general path.
        for j in start..<end { exactAddFinite(state, exactLoadOne(values, j, source)) }
    }
    return (0, 0)
}

/// The split path ("error-free extraction", as in Rump, Ogita and Oishi's
/// AccSum). For sigma = 2^k and |x| <= sigma / 2^11, q = (sigma + x) - sigma
/// and r = x - q are exact (Sterbenz), q is a multiple of 2^(k-53) and
/// |r| <= 2^(k-53). With every |x| < 2^(top+1) and at most 2^10 values,
/// sigma = 2^(top+12) makes every partial sum of the q's (in any lane, in any
/// order) a multiple of 2^(k-53) below 2^k: their floating-point sum is exact.
/// The remainders, below 2^(top-41), are split again with sigma / 2^42, and so
/// on. The last level adds the remainders themselves: below 2^(k'-53) for the
/// previous level's k', they are multiples of the smallest value's last bit,
/// at least 2^(bottom-52); 2^10 of them stay below 2^(k'-43), which is exact as
/// long as k' - 43 - (bottom - 52) <= 52. That gives the level counts of the
/// caller: 2 levels when top - bottom <= 31, 3 up to 73, 4 up to 115.
///
/// Every level's sum is then added into the chunks exactly. Per value, two
/// levels cost five floating-point additions, vectorised: no scatter, no
/// integer work. The bounds on `top` and `bottom` (unbiased exponents) keep
/// every sigma and every remainder a normal double.
///
/// `checked`: `top` and `levels` are a guess; the values are checked against
/// them in the same pass (each magnitude below 2^(top+1), and either zero or
/// at least 2^bottom with bottom = max(top - span(levels), -960): integer
/// compares of the bit patterns, which also reject inf and nan), and nothing
/// is added unless all pass. Returns whether the block was added.
@inlinable @inline(__always)
public func exactSplitBlock(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafeRawPointer,
                            start: Int, end: Int, top: Int, levels: Int, checked: Bool, source: Int) -> Bool {
    typealias D = SIMD4<Double>
    typealias V = SIMD4<UInt64>
    typealias S = SIMD4<Int64>
    // The checks. Magnitudes as integers: the largest, and "zero or at least 2^bottom"
    // as one signed compare of magnitude + (2^63 - 1), which is the largest number
    // for a zero and otherwise grows with the magnitude from -2^63.
    let absMask = V(repeating: exactAbsMask)
    let shift = S(repeating: Int64.max)
    let lowLimit = Int64(max(top - exactSplitSpan(levels), exactSplitLowest) + 1023) << 52 &+ Int64.max
    let low = S(repeating: lowLimit)
    var largest0 = S(), largest1 = S()
    var bad0 = S(), bad1 = S()
    @inline(__always) func check(_ bits: D, _ largest: inout S, _ bad: inout S) {
        guard checked else { return }
        let magnitude = S(truncatingIfNeeded: unsafeBitCast(bits, to: V.self) & absMask)
        largest = pointwiseMax(largest, magnitude)
        bad |= S(repeating: 0).replacing(with: -1, where: magnitude &+ shift .< low)
    }
    let sigma1 = Double(sign: .plus, exponent: top + 12, significand: 1)
    let sigma2 = Double(sign: .plus, exponent: top + 12 - 42, significand: 1)
    let sigma3 = Double(sign: .plus, exponent: top + 12 - 84, significand: 1)
    let s1 = D(repeating: sigma1), s2 = D(repeating: sigma2), s3 = D(repeating: sigma3)
    var a1 = D(), b1 = D(), a2 = D(), b2 = D(), a3 = D(), b3 = D(), a4 = D(), b4 = D()
    @inline(__always) func group(_ index: Int) -> D {
        unsafeBitCast(exactLoadGroup(values, index, source), to: D.self)
    }
    var i = start
    // The values 2 KiB (256 doubles) ahead are asked for as these are read, one cache line per
    // iteration of the two-level loop (the usual one). Without it, 10M doubles out of cache took
    // the time of numpy's sum plus that of the adding: the loop kept too few loads in flight for
    // memory to stream (A/B, 10M: float64 1.46-1.71x faster, int64 1.24-1.63x, float32 1.02-1.11x;
    // in cache alike: docs/fsum.md). In the 3- and 4-level loops, and in the first pass, it
    // measured slower.
    let width = source == ExactSumLayout.floats ? 4 : 8, ahead = 256 &* width
    switch levels {
    case 2:
        while i + 8 <= end {
            fk_prefetch_for_read(values + (i &* width &+ ahead))
            let x = group(i), y = group(i + 4)
            check(x, &largest0, &bad0); check(y, &largest1, &bad1)
            let qx = (s1 + x) - s1, qy = (s1 + y) - s1
            a1 += qx; b1 += qy
            a2 += x - qx; b2 += y - qy
            i += 8
        }
    case 3:
        while i + 8 <= end {
            let x = group(i), y = group(i + 4)
            check(x, &largest0, &bad0); check(y, &largest1, &bad1)
            let qx = (s1 + x) - s1, qy = (s1 + y) - s1
            a1 += qx; b1 += qy
            let rx = x - qx, ry = y - qy
            let px = (s2 + rx) - s2, py = (s2 + ry) - s2
            a2 += px; b2 += py
            a3 += rx - px; b3 += ry - py
            i += 8
        }
    default:
        while i + 8 <= end {
            let x = group(i), y = group(i + 4)
            check(x, &largest0, &bad0); check(y, &largest1, &bad1)
            let qx = (s1 + x) - s1, qy = (s1 + y) - s1
            a1 += qx; b1 += qy
            let rx = x - qx, ry = y - qy
            let px = (s2 + rx) - s2, py = (s2 + ry) - s2
            a2 += px; b2 += py
            let tx = rx - px, ty = ry - py
            let ox = (s3 + tx) - s3, oy = (s3 + ty) - s3
            a3 += ox; b3 += oy
            a4 += tx - ox; b4 += ty - oy
            i += 8
        }
    }
    // The tail, one value at a time, into lane 0 (same levels).
    while i < end {
        var x = Double(bitPattern: exactLoadOne(values, i, source))
        check(D(x, 0, 0, 0), &largest0, &bad0)
        let q = (sigma1 + x) - sigma1
        a1[0] += q
        x -= q
        if levels == 2 {
            a2[0] += x
        } else {
            let p = (sigma2 + x) - sigma2
            a2[0] += p
            x -= p
            if levels == 3 {
                a3[0] += x
            } else {
                let o = (sigma3 + x) - sigma3
                a3[0] += o
                a4[0] += x - o
            }
        }
        i += 1
    }
    if checked {
        let largest = pointwiseMax(largest0, largest1).max()
        guard (bad0 | bad1) == S(), largest < Int64(top + 1 + 1023) << 52 else { return false }
        state[ExactSumLayout.maxExponentSlot] = max(state[ExactSumLayout.maxExponentSlot], largest >> 52)
    }
    // Each level's lanes add up exactly (the same bounds); then into the chunks.
    @inline(__always) func flush(_ level: D) {
        exactAddFinite(state, ((level[0] + level[1]) + (level[2] + level[3])).bitPattern)
    }
    flush(a1 + b1)
    flush(a2 + b2)
    if levels >= 3 { flush(a3 + b3) }
    if levels >= 4 { flush(a4 + b4) }
    return true
}

/// The bins path: each value's signed 53-bit integer mantissa into row
/// (exponent field - lowest) of the bins, in column i % 4 (so that consecutive
/// values with the same exponent do not wait on each other's stores). A row
/// takes at most 1,024 mantissas below 2^53: its four columns add up, with
/// wrapping arithmetic, to the exact row total. Then one addition per row into
/// the chunks, and the rows are zeroed again.
@inlinable @inline(__always)
public func exactBinBlock(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafeRawPointer,
                          start: Int, end: Int, lowest: Int64, highest: Int64, source: Int) {
    typealias V = SIMD4<UInt64>
    typealias S = SIMD4<Int64>
    let bins = state + ExactSumLayout.binsOffset
    let absMask = V(repeating: exactAbsMask)
    let base = V(repeating: UInt64(lowest))
    let rowMask = V(repeating: UInt64(ExactSumLayout.binRows - 1))
    let columns = V(0, 1, 2, 3)
    let fractionMask = V(repeating: exactFractionMask), implicitBit = V(repeating: exactImplicitBit)
    let zero = V(repeating: 0)
    @inline(__always) func slots(_ bits: V) -> (slot: V, mantissa: V) {
        let exponent = (bits & absMask) &>> 52
        // Subnormals (exponent field 0) have no implicit bit and the scale of field 1:
        // their row is that of field 0, which the flush reads at the scale of field 1.
        let mantissa = (bits & fractionMask) | zero.replacing(with: implicitBit, where: exponent .!= 0)
        let negative = zero.replacing(with: ~zero, where: S(truncatingIfNeeded: bits) .< 0)
        let signed = (mantissa ^ negative) &- negative
        // A zero's row is meaningless but in range (the mask), and it adds nothing.
        let slot = (((exponent &- base) & rowMask) &<< 2) | columns
        return (slot, signed)
    }
    var i = start
    while i + 8 <= end {
        let (s0, m0) = slots(exactLoadGroup(values, i, source))
        let (s1, m1) = slots(exactLoadGroup(values, i + 4, source))
        bins[Int(truncatingIfNeeded: s0[0])] &+= Int64(bitPattern: m0[0])
        bins[Int(truncatingIfNeeded: s0[1])] &+= Int64(bitPattern: m0[1])
        bins[Int(truncatingIfNeeded: s0[2])] &+= Int64(bitPattern: m0[2])
        bins[Int(truncatingIfNeeded: s0[3])] &+= Int64(bitPattern: m0[3])
        bins[Int(truncatingIfNeeded: s1[0])] &+= Int64(bitPattern: m1[0])
        bins[Int(truncatingIfNeeded: s1[1])] &+= Int64(bitPattern: m1[1])
        bins[Int(truncatingIfNeeded: s1[2])] &+= Int64(bitPattern: m1[2])
        bins[Int(truncatingIfNeeded: s1[3])] &+= Int64(bitPattern: m1[3])
        i += 8
    }
    while i < end {
        let bits = exactLoadOne(values, i, source)
        let exponent = (bits & exactAbsMask) &>> 52
        let mantissa = (bits & exactFractionMask) | (exponent != 0 ? exactImplicitBit : 0)
        let row = Int(truncatingIfNeeded: (exponent &- UInt64(lowest)) & UInt64(ExactSumLayout.binRows - 1))
        bins[row &<< 2] &+= bits >> 63 == 0 ? Int64(bitPattern: mantissa) : -Int64(bitPattern: mantissa)
        i += 1
    }
    for exponent in lowest...highest {
        let row = bins + Int(exponent - lowest) &<< 2
        let total = row[0] &+ row[1] &+ row[2] &+ row[3]
        row[0] = 0; row[1] = 0; row[2] = 0; row[3] = 0
        if total != 0 { exactAddScaled(state, total, at: Int(max(exponent, 1) - 1)) }
    }
}

// MARK: - Typed entry points

/// Adds `count` doubles from contiguous memory (baseline code, inlined into the caller).
@inlinable @inline(__always)
public func exactAccumulate(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Double>, _ count: Int) {
    exactAccumulate(state, UnsafeRawPointer(values), count: count, source: ExactSumLayout.doubles)
}

/// Adds `count` floats from contiguous memory, each widened to a double (exactly).
@inlinable @inline(__always)
public func exactAccumulate(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Float>, _ count: Int) {
    exactAccumulate(state, UnsafeRawPointer(values), count: count, source: ExactSumLayout.floats)
}

/// Adds `count` signed 64-bit integers from contiguous memory, each rounded to a double.
@inlinable @inline(__always)
public func exactAccumulate(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Int64>, _ count: Int) {
    exactAccumulate(state, UnsafeRawPointer(values), count: count, source: ExactSumLayout.int64s)
}

/// Adds `count` unsigned 64-bit integers from contiguous memory, each rounded to a double.
@inlinable @inline(__always)
public func exactAccumulate(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<UInt64>, _ count: Int) {
    exactAccumulate(state, UnsafeRawPointer(values), count: count, source: ExactSumLayout.uint64s)
}

// MARK: - AVX2 entry points (call only when fk_cpu_has_avx2_fma() says so)

@inline(never)
public func exactAccumulateAVX2(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Double>, _ count: Int) {
    exactAccumulate(state, values, count)
}

@inline(never)
public func exactAccumulateAVX2(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Float>, _ count: Int) {
    exactAccumulate(state, values, count)
}

@inline(never)
public func exactAccumulateAVX2(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Int64>, _ count: Int) {
    exactAccumulate(state, values, count)
}

@inline(never)
public func exactAccumulateAVX2(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<UInt64>, _ count: Int) {
    exactAccumulate(state, values, count)
}

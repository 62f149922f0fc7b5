// The hot loops of the integer sum kernels, written once and compiled twice:
//
// - as `@inlinable` generic code, inlined into FastKernels and compiled there
//   for the baseline CPU (x86-64 with SSE2; any arm64);
// - as the concrete `...AVX2` entry points below, compiled in this module
//   with `-target-cpu haswell` (AVX2, FMA) on x86-64. FastKernels calls those
//   only after CPUFeatures confirmed the CPU has AVX2 and FMA; they are
//   `@inline(never)` so that their code never lands in a baseline function.

/// The exact sum of 64-bit integers, for counts below 2^32, without 128-bit
/// additions in the loop. For unsigned x, with W the wrapping sum and H the sum
/// of the high halves (x >> 32), the exact sum is H * 2^32 + L, where the sum
/// of the low halves L = (W - H * 2^32) mod 2^64 because 0 <= L < count * 2^32.
/// Signed values are first biased to unsigned (x + 2^63, a flip of the top bit)
/// and the bias taken off at the end: only logical shifts, which AVX2 has.
@inlinable @inline(__always)
public func exactSum64<T: FixedWidthInteger & SIMDScalar>(_ values: UnsafePointer<T>, _ count: Int) -> Int128 {
    exactSum64(values, count, lanes: SIMD4<UInt64>.self)
}

/// `exactSum64` on vectors of `V` (4 lanes for AVX2, 8 for AVX-512).
@inlinable @inline(__always)
public func exactSum64<T: FixedWidthInteger & SIMDScalar, V: SIMD>(_ values: UnsafePointer<T>, _ count: Int,
                                                                   lanes _: V.Type, fourVectors: Bool = false) -> Int128
    where V.Scalar == UInt64 {
    assert(T.bitWidth == 64 && count < 1 << 32)
    let raw = UnsafeRawPointer(values)
    let bias: UInt64 = T.isSigned ? 1 << 63 : 0
    let biasVector = V(repeating: bias)
    var w0 = V(), w1 = V(), h0 = V(), h1 = V()
    var i = 0
    let width = V.scalarCount
    // `fourVectors` (the AVX2 entry points): four vectors a round, four accumulators each for
    // W and H. AVX2, int64 arrays, A/B of two builds, four runs: 1.05-1.28x at 1K-100K elements,
    // 1.00-1.21x at 1M, 0.99-1.05x at 3M (docs/sum.md); the baseline build (two SSE registers a
    // vector: sixteen for the accumulators alone) measured 0.93-1.08x, so it keeps two.
    var w2 = V(), w3 = V(), h2 = V(), h3 = V()
    while fourVectors && i + 4 * width <= count {
        let x0 = raw.loadUnaligned(fromByteOffset: i * 8, as: V.self) ^ biasVector
        let x1 = raw.loadUnaligned(fromByteOffset: i * 8 + 8 * width, as: V.self) ^ biasVector
        let x2 = raw.loadUnaligned(fromByteOffset: i * 8 + 16 * width, as: V.self) ^ biasVector
        let x3 = raw.loadUnaligned(fromByteOffset: i * 8 + 24 * width, as: V.self) ^ biasVector
        w0 &+= x0
        w1 &+= x1
        w2 &+= x2
        w3 &+= x3
        h0 &+= x0 &>> 32
        h1 &+= x1 &>> 32
        h2 &+= x2 &>> 32
        h3 &+= x3 &>> 32
        i += 4 * width
    }
    w0 &+= w2
    w1 &+= w3
    h0 &+= h2
    h1 &+= h3
    while i + 2 * width <= count {
        let x0 = raw.loadUnaligned(fromByteOffset: i * 8, as: V.self) ^ biasVector
        let x1 = raw.loadUnaligned(fromByteOffset: i * 8 + 8 * width, as: V.self) ^ biasVector
        w0 &+= x0
        w1 &+= x1
        h0 &+= x0 &>> 32
        h1 &+= x1 &>> 32
        i += 2 * width
    }
    var w = (w0 &+ w1).wrappedSum(), h = (h0 &+ h1).wrappedSum()
    while i < count {
        let x = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) ^ bias
        w &+= x
        h &+= x &>> 32
        i += 1
    }
    let low = w &- (h &<< 32)
    let unsignedTotal = (Int128(h) << 32) + Int128(low)
    return unsignedTotal - Int128(count) * Int128(bias)
}

/// The exact sum of integers of at most 32 bits, for counts below 2^31 (no Int64 overflow).
@inlinable @inline(__always)
public func exactSumNarrow<T: FixedWidthInteger>(_ values: UnsafePointer<T>, _ count: Int) -> Int64 {
    assert(T.bitWidth <= 32 && count < 1 << 31)
    var a0: Int64 = 0, a1: Int64 = 0, a2: Int64 = 0, a3: Int64 = 0
    var i = 0
    while i + 4 <= count {
        a0 &+= Int64(values[i])
        a1 &+= Int64(values[i + 1])
        a2 &+= Int64(values[i + 2])
        a3 &+= Int64(values[i + 3])
        i += 4
    }
    while i < count {
        a0 &+= Int64(values[i])
        i += 1
    }
    return a0 &+ a1 &+ a2 &+ a3
}

// MARK: - AVX2 entry points (call only when fk_cpu_has_avx2_fma() says so)

@inline(never)
public func exactSumAVX2(_ values: UnsafePointer<Int64>, _ count: Int) -> Int128 {
    exactSum64(values, count, lanes: SIMD4<UInt64>.self, fourVectors: true)
}

@inline(never)
public func exactSumAVX2(_ values: UnsafePointer<UInt64>, _ count: Int) -> Int128 {
    exactSum64(values, count, lanes: SIMD4<UInt64>.self, fourVectors: true)
}

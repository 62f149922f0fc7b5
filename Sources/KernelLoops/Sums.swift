// The hot loops of the sum kernels, written once and compiled twice:
//
// - as `@inlinable` generic code, inlined into FastKernels and compiled there
//   for the baseline CPU (x86-64 with SSE2; any arm64);
// - as the concrete `...AVX2` entry points below, compiled in this module
//   with `-target-cpu haswell` (AVX2, FMA) on x86-64. FastKernels calls those
//   only after CPUFeatures confirmed the CPU has AVX2 and FMA; they are
//   `@inline(never)` so that their code never lands in a baseline function.

/// A compensated partial sum: the rounded sum and the accumulated rounding
/// errors (Neumaier / TwoSum), combined in a fixed order for reproducibility.
@frozen
public struct CompensatedSum: Sendable, Equatable {
    public var sum: Double
    public var compensation: Double

    @inlinable
    public init(sum: Double = 0, compensation: Double = 0) {
        self.sum = sum
        self.compensation = compensation
    }

    /// Adds `x` exactly-compensated: the error of the rounded addition (TwoSum) goes to `compensation`.
    @inlinable @inline(__always)
    public mutating func add(_ x: Double) {
        let t = sum + x
        let bp = t - sum
        compensation += (sum - (t - bp)) + (x - bp)
        sum = t
    }

    /// Adds another partial sum (its sum compensated, its compensation plainly).
    @inlinable @inline(__always)
    public mutating func add(_ other: CompensatedSum) {
        add(other.sum)
        compensation += other.compensation
    }

    /// The result, as Python 3.12's sum() finishes: the compensation is added
    /// only when it is non-zero and finite, so that infinities and overflow
    /// stay infinities instead of becoming NaN.
    @inlinable
    public var value: Double {
        compensation != 0 && compensation.isFinite ? sum + compensation : sum
    }
}

/// Sixteen lanes of compensated sums (two 8-wide vectors, for instruction-level
/// parallelism), fed in chunks. Lane `i` takes elements `i, i+16, i+32...` of
/// the stream, whatever the chunking, as long as every chunk but the last has a
/// multiple of 16 elements: so a strided buffer gathered in chunks sums exactly
/// like the same values in contiguous memory.
@frozen
public struct CompensatedLanes: Sendable {
    public typealias Vector = SIMD8<Double>
    @usableFromInline var s0 = Vector(), c0 = Vector(), s1 = Vector(), c1 = Vector()
    @usableFromInline var tail = CompensatedSum()

    @inlinable
    public init() {}

    /// Adds `count` elements, element `i` being `load(i)` for groups of 8.
    @inlinable @inline(__always)
    public mutating func add(count: Int, loadGroup: (Int) -> Vector, loadOne: (Int) -> Double) {
        var i = 0
        while i + 16 <= count {
            let x0 = loadGroup(i), x1 = loadGroup(i + 8)
            let t0 = s0 + x0, t1 = s1 + x1
            let b0 = t0 - s0, b1 = t1 - s1
            c0 += (s0 - (t0 - b0)) + (x0 - b0)
            c1 += (s1 - (t1 - b1)) + (x1 - b1)
            s0 = t0
            s1 = t1
            i += 16
        }
        while i < count {
            tail.add(loadOne(i))
            i += 1
        }
    }

    /// Adds one value (kept apart from the vector lanes).
    @inlinable
    public mutating func addOne(_ value: Double) {
        tail.add(value)
    }

    /// The lanes folded into one partial sum, in lane order.
    @inlinable
    public var total: CompensatedSum {
        var result = CompensatedSum()
        for lane in 0..<8 {
            result.add(CompensatedSum(sum: s0[lane], compensation: c0[lane]))
            result.add(CompensatedSum(sum: s1[lane], compensation: c1[lane]))
        }
        result.add(tail)
        return result
    }

    @inlinable @inline(__always)
    public mutating func add(_ values: UnsafePointer<Double>, _ count: Int) {
        let raw = UnsafeRawPointer(values)
        add(count: count,
            loadGroup: { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Vector.self) },
            loadOne: { values[$0] })
    }

    @inlinable @inline(__always)
    public mutating func add(_ values: UnsafePointer<Float>, _ count: Int) {
        let raw = UnsafeRawPointer(values)
        add(count: count,
            loadGroup: { Vector(raw.loadUnaligned(fromByteOffset: $0 * 4, as: SIMD8<Float>.self)) },
            loadOne: { Double(values[$0]) })
    }
}

/// The exact sum of 64-bit integers, for counts below 2^32, without 128-bit
/// additions in the loop. For unsigned x, with W the wrapping sum and H the sum
/// of the high halves (x >> 32), the exact sum is H * 2^32 + L, where the sum
/// of the low halves L = (W - H * 2^32) mod 2^64 because 0 <= L < count * 2^32.
/// Signed values are first biased to unsigned (x + 2^63, a flip of the top bit)
/// and the bias taken off at the end: only logical shifts, which AVX2 has.
@inlinable @inline(__always)
public func exactSum64<T: FixedWidthInteger & SIMDScalar>(_ values: UnsafePointer<T>, _ count: Int) -> Int128 {
    assert(T.bitWidth == 64 && count < 1 << 32)
    typealias V = SIMD4<UInt64>
    let raw = UnsafeRawPointer(values)
    let bias: UInt64 = T.isSigned ? 1 << 63 : 0
    let biasVector = V(repeating: bias)
    var w0 = V(), w1 = V(), h0 = V(), h1 = V()
    var i = 0
    while i + 8 <= count {
        let x0 = raw.loadUnaligned(fromByteOffset: i * 8, as: V.self) ^ biasVector
        let x1 = raw.loadUnaligned(fromByteOffset: i * 8 + 32, as: V.self) ^ biasVector
        w0 &+= x0
        w1 &+= x1
        h0 &+= x0 &>> 32
        h1 &+= x1 &>> 32
        i += 8
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
public func compensatedAddAVX2(_ lanes: inout CompensatedLanes, _ values: UnsafePointer<Double>, _ count: Int) {
    lanes.add(values, count)
}

@inline(never)
public func compensatedAddAVX2(_ lanes: inout CompensatedLanes, _ values: UnsafePointer<Float>, _ count: Int) {
    lanes.add(values, count)
}

@inline(never)
public func exactSumAVX2(_ values: UnsafePointer<Int64>, _ count: Int) -> Int128 {
    exactSum64(values, count)
}

@inline(never)
public func exactSumAVX2(_ values: UnsafePointer<UInt64>, _ count: Int) -> Int128 {
    exactSum64(values, count)
}

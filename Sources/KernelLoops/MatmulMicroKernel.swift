// The register micro-kernel of matrix multiplication, written once and compiled
// per tier: as `@inlinable` generic code inlined into FastKernels (baseline)
// and KernelLoopsAVX512, and as the concrete AVX2 entry points below. See
// docs/matmul.md.

import CPUFeatures

/// A SIMD vector the micro-kernel accumulates in: one multiply-add per lane.
public protocol MatmulVector: SIMD where Scalar: MatmulScalar {
    /// `accumulator + a * b`, lane by lane: fused (one rounding) when `fused`,
    /// which only the FMA tiers may ask for (elsewhere a fused multiply-add is a
    /// libm call per lane); wrapping for integers.
    static func multiplyAdd(_ accumulator: Self, _ a: Self, _ b: Self, fused: Bool) -> Self
    /// The sum of the lanes, by halves (the upper half added to the lower, and again):
    /// a few dependent adds rather than one a lane.
    func laneSum(fused: Bool) -> Scalar
}

extension SIMD4: MatmulVector where Scalar: MatmulScalar {
    @inlinable @inline(__always)
    public static func multiplyAdd(_ accumulator: Self, _ a: Self, _ b: Self, fused: Bool) -> Self {
        Scalar.multiplyAdd4(accumulator, a, b, fused: fused)
    }
    @inlinable @inline(__always)
    public func laneSum(fused: Bool) -> Scalar {
        Scalar.matmulSum(Scalar.matmulSum(self[0], self[2]), Scalar.matmulSum(self[1], self[3]))
    }
}

extension SIMD8: MatmulVector where Scalar: MatmulScalar {
    @inlinable @inline(__always)
    public static func multiplyAdd(_ accumulator: Self, _ a: Self, _ b: Self, fused: Bool) -> Self {
        Scalar.multiplyAdd8(accumulator, a, b, fused: fused)
    }
    @inlinable @inline(__always)
    public func laneSum(fused: Bool) -> Scalar {
        // x * 1 + y: exactly x + y, rounded once, in every type.
        SIMD4.multiplyAdd(lowHalf, highHalf, SIMD4(repeating: Scalar.matmulOne), fused: fused).laneSum(fused: fused)
    }
}

extension SIMD16: MatmulVector where Scalar: MatmulScalar {
    @inlinable @inline(__always)
    public static func multiplyAdd(_ accumulator: Self, _ a: Self, _ b: Self, fused: Bool) -> Self {
        Scalar.multiplyAdd16(accumulator, a, b, fused: fused)
    }
    @inlinable @inline(__always)
    public func laneSum(fused: Bool) -> Scalar {
        SIMD8.multiplyAdd(lowHalf, highHalf, SIMD8(repeating: Scalar.matmulOne), fused: fused).laneSum(fused: fused)
    }
}

/// The element types the micro-kernel multiplies: Double and Float (rounded),
/// Int64 and Int32 (wrapping, as numpy's integer matmul wraps).
public protocol MatmulScalar: SIMDScalar {
    /// 1 of this type (the micro-kernel adds as `x + y * 1`, exact in every type).
    static var matmulOne: Self { get }
    static func multiplyAdd4(_ c: SIMD4<Self>, _ a: SIMD4<Self>, _ b: SIMD4<Self>, fused: Bool) -> SIMD4<Self>
    static func multiplyAdd8(_ c: SIMD8<Self>, _ a: SIMD8<Self>, _ b: SIMD8<Self>, fused: Bool) -> SIMD8<Self>
    static func multiplyAdd16(_ c: SIMD16<Self>, _ a: SIMD16<Self>, _ b: SIMD16<Self>, fused: Bool) -> SIMD16<Self>
    /// x + y (wrapping for integers).
    static func matmulSum(_ x: Self, _ y: Self) -> Self
    /// x * y (wrapping for integers).
    static func matmulProduct(_ x: Self, _ y: Self) -> Self
}

extension Double: MatmulScalar {
    @inlinable @inline(__always) public static func matmulSum(_ x: Self, _ y: Self) -> Self { x + y }
    @inlinable @inline(__always) public static func matmulProduct(_ x: Self, _ y: Self) -> Self { x * y }
    @inlinable public static var matmulOne: Self { 1.0 }
    @inlinable @inline(__always)
    public static func multiplyAdd4(_ c: SIMD4<Self>, _ a: SIMD4<Self>, _ b: SIMD4<Self>, fused: Bool) -> SIMD4<Self> {
        fused ? c.addingProduct(a, b) : a * b + c
    }
    @inlinable @inline(__always)
    public static func multiplyAdd8(_ c: SIMD8<Self>, _ a: SIMD8<Self>, _ b: SIMD8<Self>, fused: Bool) -> SIMD8<Self> {
        fused ? c.addingProduct(a, b) : a * b + c
    }
    @inlinable @inline(__always)
    public static func multiplyAdd16(_ c: SIMD16<Self>, _ a: SIMD16<Self>, _ b: SIMD16<Self>, fused: Bool) -> SIMD16<Self> {
        fused ? c.addingProduct(a, b) : a * b + c
    }
}

extension Float: MatmulScalar {
    @inlinable @inline(__always) public static func matmulSum(_ x: Self, _ y: Self) -> Self { x + y }
    @inlinable @inline(__always) public static func matmulProduct(_ x: Self, _ y: Self) -> Self { x * y }
    @inlinable public static var matmulOne: Self { 1.0 }
    @inlinable @inline(__always)
    public static func multiplyAdd4(_ c: SIMD4<Self>, _ a: SIMD4<Self>, _ b: SIMD4<Self>, fused: Bool) -> SIMD4<Self> {
        fused ? c.addingProduct(a, b) : a * b + c
    }
    @inlinable @inline(__always)
    public static func multiplyAdd8(_ c: SIMD8<Self>, _ a: SIMD8<Self>, _ b: SIMD8<Self>, fused: Bool) -> SIMD8<Self> {
        fused ? c.addingProduct(a, b) : a * b + c
    }
    @inlinable @inline(__always)
    public static func multiplyAdd16(_ c: SIMD16<Self>, _ a: SIMD16<Self>, _ b: SIMD16<Self>, fused: Bool) -> SIMD16<Self> {
        fused ? c.addingProduct(a, b) : a * b + c
    }
}

extension Int64: MatmulScalar {
    @inlinable @inline(__always) public static func matmulSum(_ x: Self, _ y: Self) -> Self { x &+ y }
    @inlinable @inline(__always) public static func matmulProduct(_ x: Self, _ y: Self) -> Self { x &* y }
    @inlinable public static var matmulOne: Self { 1 }
    @inlinable @inline(__always)
    public static func multiplyAdd4(_ c: SIMD4<Self>, _ a: SIMD4<Self>, _ b: SIMD4<Self>, fused: Bool) -> SIMD4<Self> {
        c &+ a &* b
    }
    @inlinable @inline(__always)
    public static func multiplyAdd8(_ c: SIMD8<Self>, _ a: SIMD8<Self>, _ b: SIMD8<Self>, fused: Bool) -> SIMD8<Self> {
        c &+ a &* b
    }
    @inlinable @inline(__always)
    public static func multiplyAdd16(_ c: SIMD16<Self>, _ a: SIMD16<Self>, _ b: SIMD16<Self>, fused: Bool) -> SIMD16<Self> {
        c &+ a &* b
    }
}

extension Int32: MatmulScalar {
    @inlinable @inline(__always) public static func matmulSum(_ x: Self, _ y: Self) -> Self { x &+ y }
    @inlinable @inline(__always) public static func matmulProduct(_ x: Self, _ y: Self) -> Self { x &* y }
    @inlinable public static var matmulOne: Self { 1 }
    @inlinable @inline(__always)
    public static func multiplyAdd4(_ c: SIMD4<Self>, _ a: SIMD4<Self>, _ b: SIMD4<Self>, fused: Bool) -> SIMD4<Self> {
        c &+ a &* b
    }
    @inlinable @inline(__always)
    public static func multiplyAdd8(_ c: SIMD8<Self>, _ a: SIMD8<Self>, _ b: SIMD8<Self>, fused: Bool) -> SIMD8<Self> {
        c &+ a &* b
    }
    @inlinable @inline(__always)
    public static func multiplyAdd16(_ c: SIMD16<Self>, _ a: SIMD16<Self>, _ b: SIMD16<Self>, fused: Bool) -> SIMD16<Self> {
        c &+ a &* b
    }
}

/// C[0..<MR, 0..<NV*V.scalarCount] (+)= A-panel * B-panel over `depth` steps:
/// the MR x NR block of rank-1 updates, its accumulators held in registers.
///
/// - Parameters:
///   - depth: the shared dimension of the two panels (may be 0).
///   - a: the A panel: row `r`'s value of step `kk` at `a[r * aRowStride + kk * aStepStride]`
///     (the entry points pass a packed panel: strides 1 and MR, constants the compiler folds).
///   - b: the B panel: step `kk`'s NR values adjacent from `b + kk * bStepStride` (packed: NR).
///   - c: the block's top-left element; row `r` starts at `c + r * rowStride`, its NR
///     elements adjacent.
///   - accumulate: add to what C holds (false: overwrite it).
///   - fused: use fused multiply-adds (FMA tiers only).
@inlinable @inline(__always)
public func matmulMicroKernel<let MR: Int, let NV: Int, V: MatmulVector>(
    depth: Int, a: UnsafePointer<V.Scalar>, aRowStride: Int, aStepStride: Int,
    b: UnsafePointer<V.Scalar>, bStepStride: Int, c: UnsafeMutablePointer<V.Scalar>,
    rowStride: Int, accumulate: Bool, fused: Bool, shape: InlineArray<MR, InlineArray<NV, V>>.Type
) {
    // C's rows are needed at the end: start loading them now (first and last byte of each).
    let rowBytes = NV * MemoryLayout<V>.stride
    for r in 0..<MR {
        let row = UnsafeRawPointer(c + r &* rowStride)
        fk_prefetch_for_write(row)
        fk_prefetch_for_write(row + (rowBytes - 1))
    }
    let width = MemoryLayout<V>.stride
    let zero = V()
    guard depth > 0 else {
        if !accumulate {
            for r in 0..<MR {
                let row = UnsafeMutableRawPointer(c + r &* rowStride)
                for j in 0..<NV { row.storeBytes(of: zero, toByteOffset: j * width, as: V.self) }
            }
        }
        return
    }
    var a = a
    var b = UnsafeRawPointer(b)
    // The first step sets the accumulators to 0 + a * b: computed, not stored as zeros
    // (a zeroed array becomes a memset and a round trip through the stack on every
    // call, measured at a tenth of the kernel's time).
    var acc = InlineArray<MR, InlineArray<NV, V>> { r in
        let ar = V(repeating: a[r &* aRowStride])
        return InlineArray<NV, V> { j in
            V.multiplyAdd(zero, ar, b.loadUnaligned(fromByteOffset: j * width, as: V.self), fused: fused)
        }
    }
    a += aStepStride
    b += bStepStride &* MemoryLayout<V.Scalar>.stride
    var step = 1
    while step < depth {
        var bv = InlineArray<NV, V>(repeating: V())
        for j in 0..<NV { bv[j] = b.loadUnaligned(fromByteOffset: j * width, as: V.self) }
        for r in 0..<MR {
            let ar = V(repeating: a[r &* aRowStride])
            for j in 0..<NV { acc[r][j] = V.multiplyAdd(acc[r][j], ar, bv[j], fused: fused) }
        }
        a += aStepStride
        b += bStepStride &* MemoryLayout<V.Scalar>.stride
        step += 1
    }
    // Two loops, not one with the choice inside: the compiler unrolls each fully and
    // keeps the accumulators in registers (with the choice inside, it stored them all
    // to the stack to index them).
    if accumulate {
        let one = V(repeating: V.Scalar.matmulOne)
        for r in 0..<MR {
            let row = UnsafeMutableRawPointer(c + r &* rowStride)
            for j in 0..<NV {
                let sum = V.multiplyAdd(row.loadUnaligned(fromByteOffset: j * width, as: V.self), acc[r][j], one, fused: fused)
                row.storeBytes(of: sum, toByteOffset: j * width, as: V.self)
            }
        }
    } else {
        for r in 0..<MR {
            let row = UnsafeMutableRawPointer(c + r &* rowStride)
            for j in 0..<NV { row.storeBytes(of: acc[r][j], toByteOffset: j * width, as: V.self) }
        }
    }
}

// MARK: - AVX2 entry points (call only when InstructionSet.selected >= .avx2)
//
// Shapes: 6 rows of 2 vectors for the floating types (12 accumulators of the 16
// ymm registers), 4 x 2 for Int64 (no 64-bit vector multiply in AVX2: the
// emulation needs registers of its own).

@inline(never)
public func matmulKernel6x8AVX2(depth: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                                c: UnsafeMutablePointer<Double>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 6, b: b, bStepStride: 8, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<6, InlineArray<2, SIMD4<Double>>>.self)
}


@inline(never)
public func matmulKernel6x16AVX2(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 6, b: b, bStepStride: 16, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<6, InlineArray<2, SIMD8<Float>>>.self)
}


@inline(never)
public func matmulKernel4x8AVX2(depth: Int, a: UnsafePointer<Int64>, b: UnsafePointer<Int64>,
                                c: UnsafeMutablePointer<Int64>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 4, b: b, bStepStride: 8, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<4, InlineArray<2, SIMD4<Int64>>>.self)
}


@inline(never)
public func matmulKernel6x16AVX2(depth: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int32>,
                                 c: UnsafeMutablePointer<Int32>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 6, b: b, bStepStride: 16, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<6, InlineArray<2, SIMD8<Int32>>>.self)
}

// AVX2 edge kernels: the first vector of a tile of the kernels above, for a last
// micro-panel of B of at most half their width (packed at the full width).

@inline(never)
public func matmulKernel6x8AVX2Edge4(depth: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                                c: UnsafeMutablePointer<Double>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 6, b: b, bStepStride: 8, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<6, InlineArray<1, SIMD4<Double>>>.self)
}

@inline(never)
public func matmulKernel6x16AVX2Edge8(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                c: UnsafeMutablePointer<Float>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 6, b: b, bStepStride: 16, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<6, InlineArray<1, SIMD8<Float>>>.self)
}

@inline(never)
public func matmulKernel4x8AVX2Edge4(depth: Int, a: UnsafePointer<Int64>, b: UnsafePointer<Int64>,
                                c: UnsafeMutablePointer<Int64>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 4, b: b, bStepStride: 8, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<4, InlineArray<1, SIMD4<Int64>>>.self)
}

@inline(never)
public func matmulKernel6x16AVX2Edge8(depth: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int32>,
                                c: UnsafeMutablePointer<Int32>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 6, b: b, bStepStride: 16, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<6, InlineArray<1, SIMD8<Int32>>>.self)
}

// AVX2 strided kernels (see KernelLoopsAVX512's): the full and half widths of the
// floating-point kernels above.

@inline(never)
public func matmulKernel6x4AVX2StridedDouble(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                             b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Double.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Double.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Double.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<6, InlineArray<1, SIMD4<Double>>>.self)
}

@inline(never)
public func matmulKernel6x8AVX2StridedDouble(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                             b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Double.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Double.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Double.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<6, InlineArray<2, SIMD4<Double>>>.self)
}

@inline(never)
public func matmulKernel6x8AVX2StridedFloat(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                            b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Float.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Float.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Float.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<6, InlineArray<1, SIMD8<Float>>>.self)
}

@inline(never)
public func matmulKernel6x16AVX2StridedFloat(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                             b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Float.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Float.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Float.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<6, InlineArray<2, SIMD8<Float>>>.self)
}

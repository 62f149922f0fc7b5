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

// MARK: - Row dot products (matrix times vector)

/// y[i * yStride] = sum over p of a[i * aRowStride + p] * x[p], for i in 0..<rows: a
/// matrix (rows adjacent along p) times a contiguous vector, four rows at a time so that
/// each load of x serves four multiply-adds. Sums in V-wide partial sums, then across them.
@inlinable @inline(__always)
public func matmulRowDots<V: MatmulVector>(rows: Int, depth: Int, a: UnsafePointer<V.Scalar>, aRowStride: Int,
                                           x: UnsafePointer<V.Scalar>, y: UnsafeMutablePointer<V.Scalar>,
                                           yStride: Int, fused: Bool, vector _: V.Type) {
    let lanes = V.scalarCount
    let whole = depth / lanes * lanes
    let raw = UnsafeRawPointer(x)
    let width = MemoryLayout<V.Scalar>.stride
    // A partial last vector of each row is read as the whole vector ending at the row's
    // end (when the row holds one): a scalar loop there was a chain of dependent adds,
    // 12 a row for 300 float32 columns, which took a third of the product's time.
    let tail = whole < depth && whole > 0
    var tailLanes = SIMDMask<V.MaskStorage>(repeating: false)
    for lane in 0..<lanes where lane >= whole &+ lanes &- depth { tailLanes[lane] = true }
    let xTail = tail ? V().replacing(with: raw.loadUnaligned(fromByteOffset: (depth &- lanes) &* width, as: V.self),
                                     where: tailLanes) : V()
    @inline(__always) func dots<let R: Int>(_ first: Int, _: InlineArray<R, Int>.Type) {
        // Two partial sums a row: four rows of one would be a chain of dependent
        // multiply-adds every cycle, which waits on their latency when A is in cache.
        var acc = InlineArray<R, V>(repeating: V())
        var odd = InlineArray<R, V>(repeating: V())
        var p = 0
        while p &+ 2 &* lanes <= whole {
            let xv = raw.loadUnaligned(fromByteOffset: p &* width, as: V.self)
            let xw = raw.loadUnaligned(fromByteOffset: (p &+ lanes) &* width, as: V.self)
            for r in 0..<R {
                let row = UnsafeRawPointer(a + (first &+ r) &* aRowStride)
                acc[r] = V.multiplyAdd(acc[r], row.loadUnaligned(fromByteOffset: p &* width, as: V.self), xv, fused: fused)
                odd[r] = V.multiplyAdd(odd[r], row.loadUnaligned(fromByteOffset: (p &+ lanes) &* width, as: V.self), xw,
                                       fused: fused)
            }
            p &+= 2 &* lanes
        }
        if p < whole {
            let xv = raw.loadUnaligned(fromByteOffset: p &* width, as: V.self)
            for r in 0..<R {
                let row = UnsafeRawPointer(a + (first &+ r) &* aRowStride)
                acc[r] = V.multiplyAdd(acc[r], row.loadUnaligned(fromByteOffset: p &* width, as: V.self), xv, fused: fused)
            }
        }
        let one = V(repeating: V.Scalar.matmulOne)
        for r in 0..<R { acc[r] = V.multiplyAdd(acc[r], odd[r], one, fused: fused) }
        if tail {
            // The last `depth - whole` values: the vector ending at the row's end, its
            // lanes already summed set to zero (in the row as well as in x, so that an
            // inf there gives no 0 * inf).
            for r in 0..<R {
                let row = UnsafeRawPointer(a + (first &+ r) &* aRowStride)
                let last = V().replacing(with: row.loadUnaligned(fromByteOffset: (depth &- lanes) &* width, as: V.self),
                                         where: tailLanes)
                acc[r] = V.multiplyAdd(acc[r], last, xTail, fused: fused)
            }
        }
        for r in 0..<R {
            // Across the lanes by halves: a chain of lanes - 1 dependent adds was a fifth of
            // a 64 x 64 float32 matrix times a vector.
            var total = acc[r].laneSum(fused: fused)
            if !tail {
                // Rows shorter than a vector: one value at a time.
                let row = a + (first &+ r) &* aRowStride
                var q = whole
                while q < depth {
                    total = V.Scalar.matmulSum(total, V.Scalar.matmulProduct(row[q], x[q]))
                    q &+= 1
                }
            }
            y[(first &+ r) &* yStride] = total
        }
    }
    var i = 0
    while i &+ 4 <= rows {
        dots(i, InlineArray<4, Int>.self)
        i &+= 4
    }
    while i < rows {
        dots(i, InlineArray<1, Int>.self)
        i &+= 1
    }
}

/// y[j] = sum over p of x[p] * a[p * aRowStride + j], for j in 0..<columns: a row vector
/// times a matrix whose rows are contiguous (numpy's `x @ A` for A in C order), y and x
/// contiguous. Four rows of A at a time are added into a block of y small enough to stay
/// in L1 (8 KiB) while they stream past, so every load of y serves four multiply-adds
/// and A is read row after row, as it lies. Each y[j] sums in the order of p.
@inlinable @inline(__always)
public func matmulRowCombination<V: MatmulVector>(columns: Int, depth: Int, a: UnsafePointer<V.Scalar>,
                                                  aRowStride: Int, x: UnsafePointer<V.Scalar>,
                                                  y: UnsafeMutablePointer<V.Scalar>, fused: Bool,
                                                  vector _: V.Type) {
    let lanes = V.scalarCount
    let width = MemoryLayout<V.Scalar>.stride
    let block = max(lanes, 8192 / width / lanes * lanes)
    let zero = V()
    var start = 0
    while start < columns {
        let count = min(block, columns &- start)
        let whole = count / lanes * lanes
        let out = UnsafeMutableRawPointer(y + start)
        var tailLanes = SIMDMask<V.MaskStorage>(repeating: false)
        for lane in 0..<lanes where lane >= whole &+ lanes &- count { tailLanes[lane] = true }
        var j = 0
        while j < whole {
            out.storeBytes(of: zero, toByteOffset: j &* width, as: V.self)
            j &+= lanes
        }
        while j < count {
            y[start &+ j] = zero[0]
            j &+= 1
        }
        @inline(__always) func add<let R: Int>(rows first: Int, _: InlineArray<R, Int>.Type) {
            let row = InlineArray<R, UnsafeRawPointer> { r in
                let offset: Int = (first &+ r) &* aRowStride &+ start
                return UnsafeRawPointer(a + offset)
            }
            let factor = InlineArray<R, V> { r in V(repeating: x[first &+ r]) }
            var j = 0
            while j < whole {
                var sum = out.loadUnaligned(fromByteOffset: j &* width, as: V.self)
                for r in 0..<R {
                    sum = V.multiplyAdd(sum, row[r].loadUnaligned(fromByteOffset: j &* width, as: V.self), factor[r],
                                        fused: fused)
                }
                out.storeBytes(of: sum, toByteOffset: j &* width, as: V.self)
                j &+= lanes
            }
            if j < count && whole > 0 {
                // The last count - whole columns: the vector ending at the block's end, its
                // lanes already added to in this pass keeping what they hold now.
                let last = (count &- lanes) &* width
                let before = out.loadUnaligned(fromByteOffset: last, as: V.self)
                var sum = before
                for r in 0..<R {
                    sum = V.multiplyAdd(sum, row[r].loadUnaligned(fromByteOffset: last, as: V.self), factor[r],
                                        fused: fused)
                }
                out.storeBytes(of: before.replacing(with: sum, where: tailLanes), toByteOffset: last, as: V.self)
                j = count
            }
            while j < count {
                var sum = y[start &+ j]
                for r in 0..<R {
                    sum = V.Scalar.matmulSum(sum, V.Scalar.matmulProduct(row[r].load(fromByteOffset: j &* width,
                                                                                      as: V.Scalar.self), x[first &+ r]))
                }
                y[start &+ j] = sum
                j &+= 1
            }
        }
        var p = 0
        while p &+ 8 <= depth {
            add(rows: p, InlineArray<8, Int>.self)
            p &+= 8
        }
        while p < depth {
            add(rows: p, InlineArray<1, Int>.self)
            p &+= 1
        }
        start &+= count
    }
}

@inline(never)
public func matmulRowDotsAVX2(rows: Int, depth: Int, a: UnsafePointer<Double>, aRowStride: Int, x: UnsafePointer<Double>,
                              y: UnsafeMutablePointer<Double>, yStride: Int) {
    matmulRowDots(rows: rows, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, yStride: yStride, fused: true,
                  vector: SIMD4<Double>.self)
}

@inline(never)
public func matmulRowDotsAVX2(rows: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int, x: UnsafePointer<Float>,
                              y: UnsafeMutablePointer<Float>, yStride: Int) {
    matmulRowDots(rows: rows, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, yStride: yStride, fused: true,
                  vector: SIMD8<Float>.self)
}

@inline(never)
public func matmulRowCombinationAVX2(columns: Int, depth: Int, a: UnsafePointer<Double>, aRowStride: Int,
                                     x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
    matmulRowCombination(columns: columns, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, fused: true,
                         vector: SIMD4<Double>.self)
}

@inline(never)
public func matmulRowCombinationAVX2(columns: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
                                     x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    matmulRowCombination(columns: columns, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, fused: true,
                         vector: SIMD8<Float>.self)
}

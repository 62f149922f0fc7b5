import KernelLoops
import KernelLoopsAVX512

/// A type the matrix kernel computes in: Double, Float (rounded), Int64,
/// Int32 (wrapping). Operands are converted into it while they are packed.
protocol MatmulCompute: MatmulScalar, MatrixScalar, Hashable, Codable {
    static var zero: Self { get }
    static func converting<S: MatrixScalar>(_ value: S) -> Self
    func stored<Out: MatrixScalar>(as _: Out.Type) -> Out
    static func matmulAdd(_ x: Self, _ y: Self) -> Self
    /// `accumulator + x * y`, unfused (floats round twice, as on every tier), wrapping for integers.
    static func multiplyAdd(_ accumulator: Self, _ x: Self, _ y: Self) -> Self
    /// Builds the register kernels of an instruction set (`microKernel(for:)` keeps them).
    static func makeMicroKernel(for instructionSet: InstructionSet) -> MicroKernel<Self>
    /// `makeMicroKernel` for every instruction set, built once (`InstructionSet.allCases`
    /// order) rather than on every call, which allocated their tables.
    static var microKernels: [MicroKernel<Self>] { get }
}

extension MatmulCompute {
    /// The register kernel of an instruction set (only for sets at most `InstructionSet.supported`).
    @inline(__always)
    static func microKernel(for instructionSet: InstructionSet) -> MicroKernel<Self> {
        microKernels[instructionSet.rawValue]
    }
}

/// One register kernel: C[mr x nr] (+)= A-panel * B-panel (see `matmulMicroKernel`).
struct MicroKernel<T>: @unchecked Sendable {
    typealias Body = (_ depth: Int, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>,
                      _ rowStride: Int, _ accumulate: Bool) -> Void
    let rows: Int
    let columns: Int
    let run: Body
    let instructionSet: InstructionSet
    /// Narrower kernels over the same packed panels (B step stride `columns`), by
    /// increasing width: the first `width` columns of a tile, for a last micro-panel
    /// of B that holds no more than that.
    var edges: [(width: Int, run: Body)] = []
    /// Kernels with the operands' strides as arguments, by increasing width (the last
    /// `columns` wide), for products read in place; empty where the tier has none.
    var strided: [(width: Int, run: StridedBody)] = []

    /// Matrix times vector for this tier (`matmulRowDots`), nil where it has none.
    var rowDots: RowDotsBody? = nil
    /// Vector times matrix for this tier (`matmulRowCombination`), nil where it has none.
    var rowCombination: RowCombinationBody? = nil

    typealias RowDotsBody = (_ rows: Int, _ depth: Int, _ a: UnsafePointer<T>, _ aRowStride: Int, _ x: UnsafePointer<T>,
                             _ y: UnsafeMutablePointer<T>, _ yStride: Int) -> Void
    typealias RowCombinationBody = (_ columns: Int, _ depth: Int, _ a: UnsafePointer<T>, _ aRowStride: Int,
                                    _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) -> Void

    /// A C function pointer over untyped pointers: a Swift closure of a type that names T
    /// is called through a reabstraction thunk that retains and releases its context on
    /// every call (4% of a 64 x 64 x 64 float32 product, which makes 16 calls).
    typealias StridedBody = @convention(c) (_ depth: Int, _ a: UnsafeRawPointer, _ aRowStride: Int, _ aStepStride: Int,
                                            _ b: UnsafeRawPointer, _ bStepStride: Int, _ c: UnsafeMutableRawPointer,
                                            _ rowStride: Int) -> Void

    /// The kernel that covers the first `columns` columns of a tile at the least cost.
    @inline(__always)
    func covering(_ columns: Int) -> (width: Int, run: Body) {
        narrowest(covering: columns, in: edges, otherwise: (self.columns, run))
    }
}

/// The first of `kernels` (ordered by increasing width) at least `columns` wide, or
/// `widest` when none is.
@inline(__always)
func narrowest<Body>(covering columns: Int, in kernels: [(width: Int, run: Body)],
                     otherwise widest: (width: Int, run: Body)) -> (width: Int, run: Body) {
    for kernel in kernels where columns <= kernel.width { return kernel }
    return widest
}

extension Double: MatmulCompute {
    static var zero: Double { 0 }
    @inline(__always) static func converting<S: MatrixScalar>(_ value: S) -> Double { value.matrixDouble }
    @inline(__always) func stored<Out: MatrixScalar>(as _: Out.Type) -> Out { Out.fromMatrixDouble(self) }
    @inline(__always) static func multiplyAdd(_ accumulator: Double, _ x: Double, _ y: Double) -> Double { accumulator + x * y }
    @inline(__always) static func matmulAdd(_ x: Double, _ y: Double) -> Double { x + y }
    static let microKernels = InstructionSet.allCases.map(makeMicroKernel)
    static func makeMicroKernel(for instructionSet: InstructionSet) -> MicroKernel<Double> {
        switch instructionSet {
        case .avx512: MicroKernel(rows: 8, columns: 24, run: matmulKernel8x24AVX512, instructionSet: .avx512,
                                 edges: [(8, matmulKernel8x24AVX512Edge8), (16, matmulKernel8x24AVX512Edge16)],
                                 strided: [(8, matmulKernel8x8AVX512StridedDouble), (16, matmulKernel8x16AVX512StridedDouble),
                                           (24, matmulKernel8x24AVX512StridedDouble)],
                                 rowDots: matmulRowDotsAVX512, rowCombination: matmulRowCombinationAVX512)
        case .avx2: MicroKernel(rows: 6, columns: 8, run: matmulKernel6x8AVX2, instructionSet: .avx2,
                               edges: [(4, matmulKernel6x8AVX2Edge4)],
                               strided: [(4, matmulKernel6x4AVX2StridedDouble), (8, matmulKernel6x8AVX2StridedDouble)],
                               rowDots: matmulRowDotsAVX2, rowCombination: matmulRowCombinationAVX2)
        case .baseline: MicroKernel(rows: 4, columns: 4, run: matmulKernel4x4Baseline, instructionSet: .baseline,
                                    rowDots: matmulRowDotsBaseline, rowCombination: matmulRowCombinationBaseline)
        }
    }
}

extension Float: MatmulCompute {
    static var zero: Float { 0 }
    @inline(__always) static func converting<S: MatrixScalar>(_ value: S) -> Float { value.matrixFloat }
    @inline(__always) func stored<Out: MatrixScalar>(as _: Out.Type) -> Out { Out.fromMatrixDouble(Double(self)) }
    @inline(__always) static func multiplyAdd(_ accumulator: Float, _ x: Float, _ y: Float) -> Float { accumulator + x * y }
    @inline(__always) static func matmulAdd(_ x: Float, _ y: Float) -> Float { x + y }
    static let microKernels = InstructionSet.allCases.map(makeMicroKernel)
    static func makeMicroKernel(for instructionSet: InstructionSet) -> MicroKernel<Float> {
        switch instructionSet {
        case .avx512: MicroKernel(rows: 8, columns: 48, run: matmulKernel8x48AVX512, instructionSet: .avx512,
                                 edges: [(16, matmulKernel8x48AVX512Edge16), (32, matmulKernel8x48AVX512Edge32)],
                                 strided: [(16, matmulKernel8x16AVX512StridedFloat), (32, matmulKernel8x32AVX512StridedFloat),
                                           (48, matmulKernel8x48AVX512StridedFloat)],
                                 rowDots: matmulRowDotsAVX512, rowCombination: matmulRowCombinationAVX512)
        case .avx2: MicroKernel(rows: 6, columns: 16, run: matmulKernel6x16AVX2, instructionSet: .avx2,
                               edges: [(8, matmulKernel6x16AVX2Edge8)],
                               strided: [(8, matmulKernel6x8AVX2StridedFloat), (16, matmulKernel6x16AVX2StridedFloat)],
                               rowDots: matmulRowDotsAVX2, rowCombination: matmulRowCombinationAVX2)
        case .baseline: MicroKernel(rows: 4, columns: 8, run: matmulKernel4x8Baseline, instructionSet: .baseline,
                                    rowDots: matmulRowDotsBaseline, rowCombination: matmulRowCombinationBaseline)
        }
    }
}

extension Int64: MatmulCompute {
    static var zero: Int64 { 0 }
    @inline(__always) static func converting<S: MatrixScalar>(_ value: S) -> Int64 { value.matrixInt64 }
    @inline(__always) func stored<Out: MatrixScalar>(as _: Out.Type) -> Out { Out.fromMatrixInt64(self) }
    @inline(__always) static func multiplyAdd(_ accumulator: Int64, _ x: Int64, _ y: Int64) -> Int64 { accumulator &+ x &* y }
    @inline(__always) static func matmulAdd(_ x: Int64, _ y: Int64) -> Int64 { x &+ y }
    static let microKernels = InstructionSet.allCases.map(makeMicroKernel)
    static func makeMicroKernel(for instructionSet: InstructionSet) -> MicroKernel<Int64> {
        switch instructionSet {
        case .avx512: MicroKernel(rows: 8, columns: 24, run: matmulKernel8x24AVX512, instructionSet: .avx512,
                                 edges: [(8, matmulKernel8x24AVX512Edge8), (16, matmulKernel8x24AVX512Edge16)])
        case .avx2: MicroKernel(rows: 4, columns: 8, run: matmulKernel4x8AVX2, instructionSet: .avx2,
                               edges: [(4, matmulKernel4x8AVX2Edge4)])
        case .baseline: MicroKernel(rows: 4, columns: 4, run: matmulKernel4x4Baseline, instructionSet: .baseline)
        }
    }
}

extension Int32: MatmulCompute {
    static var zero: Int32 { 0 }
    @inline(__always) static func converting<S: MatrixScalar>(_ value: S) -> Int32 {
        Int32(truncatingIfNeeded: value.matrixInt64)
    }
    @inline(__always) func stored<Out: MatrixScalar>(as _: Out.Type) -> Out { Out.fromMatrixInt64(Int64(self)) }
    @inline(__always) static func multiplyAdd(_ accumulator: Int32, _ x: Int32, _ y: Int32) -> Int32 { accumulator &+ x &* y }
    @inline(__always) static func matmulAdd(_ x: Int32, _ y: Int32) -> Int32 { x &+ y }
    static let microKernels = InstructionSet.allCases.map(makeMicroKernel)
    static func makeMicroKernel(for instructionSet: InstructionSet) -> MicroKernel<Int32> {
        switch instructionSet {
        case .avx512: MicroKernel(rows: 8, columns: 48, run: matmulKernel8x48AVX512, instructionSet: .avx512,
                                 edges: [(16, matmulKernel8x48AVX512Edge16), (32, matmulKernel8x48AVX512Edge32)])
        case .avx2: MicroKernel(rows: 6, columns: 16, run: matmulKernel6x16AVX2, instructionSet: .avx2,
                               edges: [(8, matmulKernel6x16AVX2Edge8)])
        case .baseline: MicroKernel(rows: 4, columns: 8, run: matmulKernel4x8Baseline, instructionSet: .baseline)
        }
    }
}

// MARK: - Baseline kernels (any x86-64: SSE2; unfused multiply-adds)

@inline(never)
func matmulKernel4x4Baseline(depth: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                             c: UnsafeMutablePointer<Double>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 4, b: b, bStepStride: 4, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: false, shape: InlineArray<4, InlineArray<1, SIMD4<Double>>>.self)
}


@inline(never)
func matmulKernel4x8Baseline(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             c: UnsafeMutablePointer<Float>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 4, b: b, bStepStride: 8, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: false, shape: InlineArray<4, InlineArray<1, SIMD8<Float>>>.self)
}


@inline(never)
func matmulKernel4x4Baseline(depth: Int, a: UnsafePointer<Int64>, b: UnsafePointer<Int64>,
                             c: UnsafeMutablePointer<Int64>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 4, b: b, bStepStride: 4, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: false, shape: InlineArray<4, InlineArray<1, SIMD4<Int64>>>.self)
}


@inline(never)
func matmulKernel4x8Baseline(depth: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int32>,
                             c: UnsafeMutablePointer<Int32>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 4, b: b, bStepStride: 8, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: false, shape: InlineArray<4, InlineArray<2, SIMD4<Int32>>>.self)
}


@inline(never)
func matmulRowDotsBaseline(rows: Int, depth: Int, a: UnsafePointer<Double>, aRowStride: Int, x: UnsafePointer<Double>,
                           y: UnsafeMutablePointer<Double>, yStride: Int) {
    matmulRowDots(rows: rows, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, yStride: yStride, fused: false,
                  vector: SIMD4<Double>.self)
}

@inline(never)
func matmulRowDotsBaseline(rows: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int, x: UnsafePointer<Float>,
                           y: UnsafeMutablePointer<Float>, yStride: Int) {
    matmulRowDots(rows: rows, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, yStride: yStride, fused: false,
                  vector: SIMD8<Float>.self)
}

@inline(never)
func matmulRowCombinationBaseline(columns: Int, depth: Int, a: UnsafePointer<Double>, aRowStride: Int,
                                  x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
    matmulRowCombination(columns: columns, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, fused: false,
                         vector: SIMD4<Double>.self)
}

@inline(never)
func matmulRowCombinationBaseline(columns: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
                                  x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    matmulRowCombination(columns: columns, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, fused: false,
                         vector: SIMD8<Float>.self)
}

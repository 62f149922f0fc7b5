import KernelLoops

// The AVX-512 micro-kernels of matrix multiplication (x86-64-v4). Call only when
// InstructionSet.selected is .avx512. This module holds concrete entry points
// over raw pointers and SIMD types only: any generic specialization emitted here
// could be shared with baseline callers by the linker (see ARCHITECTURE.md).
//
// Shapes: 8 rows of 3 vectors (24 of the 32 zmm registers), as AOCL's Zen 4
// configuration uses for double.

@inline(never)
public func matmulKernel8x24AVX512(depth: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                                   c: UnsafeMutablePointer<Double>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 24, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<3, SIMD8<Double>>>.self)
}


@inline(never)
public func matmulKernel8x48AVX512(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 48, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<3, SIMD16<Float>>>.self)
}


@inline(never)
public func matmulKernel8x24AVX512(depth: Int, a: UnsafePointer<Int64>, b: UnsafePointer<Int64>,
                                   c: UnsafeMutablePointer<Int64>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 24, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<3, SIMD8<Int64>>>.self)
}


@inline(never)
public func matmulKernel8x48AVX512(depth: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int32>,
                                   c: UnsafeMutablePointer<Int32>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 48, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<3, SIMD16<Int32>>>.self)
}


// Edge kernels: the first 1 or 2 vectors of a tile of the kernels above, for the
// last micro-panel of B when it holds fewer columns (packed at the full width, so
// the B step stride stays 24 or 48). A 64-column float32 product would otherwise
// spend a third of its multiply-adds on padding.

@inline(never)
public func matmulKernel8x24AVX512Edge8(depth: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                                   c: UnsafeMutablePointer<Double>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 24, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<1, SIMD8<Double>>>.self)
}

@inline(never)
public func matmulKernel8x24AVX512Edge16(depth: Int, a: UnsafePointer<Double>, b: UnsafePointer<Double>,
                                   c: UnsafeMutablePointer<Double>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 24, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<2, SIMD8<Double>>>.self)
}

@inline(never)
public func matmulKernel8x48AVX512Edge16(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 48, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<1, SIMD16<Float>>>.self)
}

@inline(never)
public func matmulKernel8x48AVX512Edge32(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 48, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<2, SIMD16<Float>>>.self)
}

@inline(never)
public func matmulKernel8x24AVX512Edge8(depth: Int, a: UnsafePointer<Int64>, b: UnsafePointer<Int64>,
                                   c: UnsafeMutablePointer<Int64>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 24, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<1, SIMD8<Int64>>>.self)
}

@inline(never)
public func matmulKernel8x24AVX512Edge16(depth: Int, a: UnsafePointer<Int64>, b: UnsafePointer<Int64>,
                                   c: UnsafeMutablePointer<Int64>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 24, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<2, SIMD8<Int64>>>.self)
}

@inline(never)
public func matmulKernel8x48AVX512Edge16(depth: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int32>,
                                   c: UnsafeMutablePointer<Int32>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 48, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<1, SIMD16<Int32>>>.self)
}

@inline(never)
public func matmulKernel8x48AVX512Edge32(depth: Int, a: UnsafePointer<Int32>, b: UnsafePointer<Int32>,
                                   c: UnsafeMutablePointer<Int32>, rowStride: Int, accumulate: Bool) {
    matmulMicroKernel(depth: depth, a: a, aRowStride: 1, aStepStride: 8, b: b, bStepStride: 48, c: c,
                      rowStride: rowStride, accumulate: accumulate, fused: true, shape: InlineArray<8, InlineArray<2, SIMD16<Int32>>>.self)
}

// Strided kernels, for small products read in place: A's row r of step kk at
// `a[r * aRowStride + kk * aStepStride]` and B's step kk from `b + kk * bStepStride`
// (row-major operands: aRowStride = A's row length, aStepStride = 1, bStepStride =
// B's row length; a packed panel: 1, MR, NR). Widths as above.

@inline(never)
public func matmulKernel8x8AVX512StridedDouble(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                               b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Double.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Double.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Double.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<8, InlineArray<1, SIMD8<Double>>>.self)
}

@inline(never)
public func matmulKernel8x16AVX512StridedDouble(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                                b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Double.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Double.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Double.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<8, InlineArray<2, SIMD8<Double>>>.self)
}

@inline(never)
public func matmulKernel8x24AVX512StridedDouble(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                                b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Double.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Double.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Double.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<8, InlineArray<3, SIMD8<Double>>>.self)
}

@inline(never)
public func matmulKernel8x16AVX512StridedFloat(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                               b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Float.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Float.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Float.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<8, InlineArray<1, SIMD16<Float>>>.self)
}

@inline(never)
public func matmulKernel8x32AVX512StridedFloat(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                               b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Float.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Float.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Float.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<8, InlineArray<2, SIMD16<Float>>>.self)
}

@inline(never)
public func matmulKernel8x48AVX512StridedFloat(depth: Int, a: UnsafeRawPointer, aRowStride: Int, aStepStride: Int,
                                               b: UnsafeRawPointer, bStepStride: Int, c: UnsafeMutableRawPointer, rowStride: Int) {
    matmulMicroKernel(depth: depth, a: a.assumingMemoryBound(to: Float.self), aRowStride: aRowStride,
                      aStepStride: aStepStride, b: b.assumingMemoryBound(to: Float.self), bStepStride: bStepStride,
                      c: c.assumingMemoryBound(to: Float.self), rowStride: rowStride, accumulate: false, fused: true, shape: InlineArray<8, InlineArray<3, SIMD16<Float>>>.self)
}

// Matrix times vector (see `matmulRowDots`).

@inline(never)
public func matmulRowDotsAVX512(rows: Int, depth: Int, a: UnsafePointer<Double>, aRowStride: Int,
                                x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>, yStride: Int) {
    matmulRowDots(rows: rows, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, yStride: yStride, fused: true,
                  vector: SIMD8<Double>.self)
}

@inline(never)
public func matmulRowDotsAVX512(rows: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
                                x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, yStride: Int) {
    matmulRowDots(rows: rows, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, yStride: yStride, fused: true,
                  vector: SIMD16<Float>.self)
}

// Vector times matrix (see `matmulRowCombination`).

@inline(never)
public func matmulRowCombinationAVX512(columns: Int, depth: Int, a: UnsafePointer<Double>, aRowStride: Int,
                                       x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>) {
    matmulRowCombination(columns: columns, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, fused: true,
                         vector: SIMD8<Double>.self)
}

@inline(never)
public func matmulRowCombinationAVX512(columns: Int, depth: Int, a: UnsafePointer<Float>, aRowStride: Int,
                                       x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    matmulRowCombination(columns: columns, depth: depth, a: a, aRowStride: aRowStride, x: x, y: y, fused: true,
                         vector: SIMD16<Float>.self)
}

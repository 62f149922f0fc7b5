// The loops of a matrix times a vector (`matmulRowDots`) and of a vector times a matrix
// (`matmulRowCombination`), written once over `MatmulVector` and compiled per tier like
// the register kernel (the AVX2 entry points are at the end). See docs/matmul.md.

/// A mask of the last `count` lanes of a V (the lanes of a vector read to end at a row's
/// end that lie past the last whole vector).
@inlinable @inline(__always)
func lastLanes<V: SIMD>(_ count: Int, of _: V.Type) -> SIMDMask<V.MaskStorage> {
    var mask = SIMDMask<V.MaskStorage>(repeating: false)
    for lane in 0..<V.scalarCount where lane >= V.scalarCount &- count { mask[lane] = true }
    return mask
}

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
    let tailLanes = lastLanes(depth &- whole, of: V.self)
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
        let tailLanes = lastLanes(count &- whole, of: V.self)
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
                // Fewer columns than a vector: each as one lane of the vector path computes it
                // (fused where that is), so that a column's bits do not depend on whether the
                // workers' split of the columns left it in a vector or here.
                var sum = V(repeating: y[start &+ j])
                for r in 0..<R {
                    sum = V.multiplyAdd(sum, V(repeating: row[r].load(fromByteOffset: j &* width, as: V.Scalar.self)),
                                        factor[r], fused: fused)
                }
                y[start &+ j] = sum[0]
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

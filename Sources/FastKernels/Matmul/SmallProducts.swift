// Small products: the textbook loops below 8 x 8 x 8, then the strided register kernels on
// operands read in place up to 2^21 multiply-adds. See docs/matmul.md.

/// Products of fewer than this many multiply-adds (8 x 8 x 8) take the textbook loops: for
/// them the fixed cost of the register kernels (their tiles, edge panels) is larger than
/// the arithmetic (measured: 6 x 6 x 6 0.95-1.00x numpy's time this way, 1.12x through
/// the kernels; 8 x 8 x 8 1.11-1.16x this way, 0.97-1.07x through them).
let smallProductLimit = 1 << 9

/// C = A B by the textbook loops, reading the operands in place (all of type T, native order).
func multiplySmall<T: MatmulCompute>(_ a: MatrixView, _ b: MatrixView, _ c: MatrixView, _: T.Type) {
    for i in 0..<a.rows {
        for j in 0..<b.columns {
            var sum = T.zero
            var left = UnsafeRawPointer(a.address(i, 0)), right = UnsafeRawPointer(b.address(0, j))
            for _ in 0..<a.columns {
                sum = T.multiplyAdd(sum, left.loadUnaligned(as: T.self), right.loadUnaligned(as: T.self))
                left += a.columnStride
                right += b.rowStride
            }
            c.address(i, j).storeBytes(of: sum, as: T.self)
        }
    }
}

/// Products of at most this many multiply-adds (128 x 128 x 128) whose operands hold T
/// in rows are read in place: for them packing costs as much as a quarter of the call,
/// and their operands sit in L1 or L2 anyway. (Measured against packing, float64: 64^3
/// 0.86 -> 0.88x numpy, 96^3 0.74 -> 0.87x, 128^3 1.08 -> 1.16x, (32, 512) @ (512, 32)
/// 0.45 -> 0.90x; (128, 32) @ (32, 128) 0.85 -> 0.79x is the one loss seen. Below the
/// parallel threshold, so one thread does it all.)
let inPlaceProductLimit = 1 << 21

/// The deepest product read in place: its edge panels (MR x k of A, k x NR of B) are
/// packed whole, so k bounds that memory (a (1, 2^21) @ (2^21, 1) product would
/// otherwise take 256 MiB); deeper products take the blocked path, whose buffers KC bounds.
let inPlaceDepthLimit = 4096

/// True when `view` holds T in native order, each row's elements adjacent and aligned.
@inline(__always)
func readableInPlace<T: MatmulCompute>(_ view: MatrixView, _: T.Type) -> Bool {
    let size = MemoryLayout<T>.stride
    return view.element == T.matrixElement && !view.byteSwapped && view.columnStride == size
        && view.rowStride % size == 0 && Int(bitPattern: view.start) % MemoryLayout<T>.alignment == 0
}

/// C = A B for a small product of operands in rows of T (`readableInPlace`): the
/// strided register kernels read A and B where they are. Only a last partial panel
/// is packed (zero-padded): MR-high rows of A, or columns of B that no kernel width
/// covers exactly (a kernel reading past them would read past B's last row).
func multiplyInPlace<T: MatmulCompute>(_ a: MatrixView, _ b: MatrixView, _ c: MatrixView,
                                       kernel: MicroKernel<T>) throws(KernelError) {
    let m = a.rows, n = b.columns, k = a.columns
    let mr = kernel.rows, nr = kernel.columns
    let size = MemoryLayout<T>.stride
    let lda = a.rowStride / size, ldb = b.rowStride / size, ldc = c.rowStride / size
    let aOrigin = UnsafePointer(a.start.assumingMemoryBound(to: T.self))
    let bOrigin = UnsafePointer(b.start.assumingMemoryBound(to: T.self))
    let cOrigin = c.start.assumingMemoryBound(to: T.self)
    // The last column panel takes the narrowest kernel that covers it; when none covers
    // it exactly it is packed, once, zero-padded to that width.
    let lastStart = (n - 1) / nr * nr
    let full = kernel.strided[kernel.strided.count - 1].run
    let lastColumns = n - lastStart
    let (lastWidth, lastRun) = narrowest(covering: lastColumns, in: kernel.strided,
                                         otherwise: kernel.strided[kernel.strided.count - 1])
    let packedASize = cacheLineMultiple(mr * k, of: T.self), packedBSize = cacheLineMultiple(k * nr, of: T.self)
    try withScratch(T.self, count: packedASize + packedBSize + mr * nr) { scratch throws(KernelError) in
        let packedA = scratch, packedB = scratch + packedASize, tile = scratch + packedASize + packedBSize
        let lastPacked = lastWidth != lastColumns
        if lastPacked {
            packPanels(b.transposed, panels: lastStart..<n, depth: 0..<k, width: lastWidth, into: packedB)
        }
        var i = 0
        while i < m {
            let rowsHere = min(mr, m - i)
            var panelA = aOrigin + i &* lda, aRowStride = lda, aStepStride = 1
            if rowsHere < mr {
                packPanels(a, panels: i..<m, depth: 0..<k, width: mr, into: packedA)
                (panelA, aRowStride, aStepStride) = (UnsafePointer(packedA), 1, mr)
            }
            @inline(__always) func product(_ j: Int, _ run: MicroKernel<T>.StridedBody, columns: Int, width: Int,
                                           b panelB: UnsafePointer<T>, stride bStepStride: Int) {
                if rowsHere == mr && columns == width {
                    run(k, panelA, aRowStride, aStepStride, panelB, bStepStride, cOrigin + (i &* ldc &+ j), ldc)
                } else {
                    run(k, panelA, aRowStride, aStepStride, panelB, bStepStride, tile, nr)
                    for r in 0..<rowsHere {
                        (cOrigin + ((i + r) &* ldc &+ j)).update(from: tile + r * nr, count: columns)
                    }
                }
            }
            var j = 0
            while j < lastStart {
                product(j, full, columns: nr, width: nr, b: bOrigin + j, stride: ldb)
                j += nr
            }
            if lastPacked {
                product(lastStart, lastRun, columns: lastColumns, width: lastWidth, b: UnsafePointer(packedB),
                        stride: lastWidth)
            } else {
                product(lastStart, lastRun, columns: lastColumns, width: lastWidth, b: bOrigin + lastStart, stride: ldb)
            }
            i += mr
        }
    }
}

// A matrix times a vector and a vector times a matrix: read in place, no packing (through the
// register kernels all but one of their rows or columns would be padding). See docs/matmul.md.

/// C (m x 1) = A (m x k, rows in place) times the vector B (k x 1, contiguous): dot
/// products of A's rows with it (`matmulRowDots`). Through the register kernels every one
/// of NR columns but the first would be padding.
func multiplyByVector<T: MatmulCompute>(_ a: MatrixView, _ b: MatrixView, _ c: MatrixView,
                                        rowDots: MicroKernel<T>.RowDotsBody, _ threads: Int,
                                        _ isCancelled: () -> Bool) throws(KernelError) {
    let m = a.rows, k = a.columns
    let size = MemoryLayout<T>.stride
    let aOrigin = UnsafePointer(a.start.assumingMemoryBound(to: T.self))
    let x = UnsafePointer(b.start.assumingMemoryBound(to: T.self))
    let y = c.start.assumingMemoryBound(to: T.self)
    let lda = a.rowStride / size, ldy = c.rowStride / size
    // Reading A is the work: workers by its size (`vectorProductWorkers`), each taking a
    // contiguous range of rows in pieces of about 2^20 multiply-adds, with Ctrl-C polled
    // between them.
    let piece = max(4, (1 << 20) / k / 4 * 4)
    let workers = max(1, min(effectiveWorkers(threads), (m + 3) / 4, vectorProductWorkers(rows: m, columns: k, elementSize: size)))
    let stopped = StopFlag()
    let sharedA = SharedPointer(UnsafeMutablePointer(mutating: aOrigin)), sharedX = SharedPointer(UnsafeMutablePointer(mutating: x))
    let sharedY = SharedPointer(y)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        forEachSlice(of: partition(m, parts: workers, index: worker), length: piece, stopped: stopped,
                     isCancelled) { rows in
            rowDots(rows.count, k, UnsafePointer(sharedA.pointer) + rows.lowerBound &* lda, lda,
                    UnsafePointer(sharedX.pointer), sharedY.pointer + rows.lowerBound &* ldy, ldy)
        }
    }
    if stopped.isSet { throw .cancelled }
}

/// C (1 x n) = the vector A (1 x k, contiguous) times B (k x n, rows in place): B's rows
/// scaled and added (`matmulRowCombination`), rather than B packed whole for one row of C.
/// Workers (as for matrix times vector) take contiguous ranges of columns, in pieces of
/// about 2^20 multiply-adds with Ctrl-C polled between them.
func multiplyVectorByMatrix<T: MatmulCompute>(_ a: MatrixView, _ b: MatrixView, _ c: MatrixView,
                                              rowCombination: MicroKernel<T>.RowCombinationBody, _ threads: Int,
                                              _ isCancelled: () -> Bool) throws(KernelError) {
    let k = b.rows, n = b.columns
    let size = MemoryLayout<T>.stride
    let ldb = b.rowStride / size
    let x = SharedPointer(UnsafeMutablePointer(mutating: a.start.assumingMemoryBound(to: T.self)))
    let matrix = SharedPointer(b.start.assumingMemoryBound(to: T.self))
    let y = SharedPointer(c.start.assumingMemoryBound(to: T.self))
    // Columns go to workers in units of 16 (whole cache lines of y, whichever the type).
    let unit = 16, units = (n + unit - 1) / unit
    let piece = max(1, (1 << 20) / k / unit) * unit
    let workers = max(1, min(effectiveWorkers(threads), units, vectorProductWorkers(rows: k, columns: n, elementSize: size)))
    let stopped = StopFlag()
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        let part = partition(units, parts: workers, index: worker)
        let columns = min(n, part.lowerBound * unit)..<min(n, part.upperBound * unit)
        forEachSlice(of: columns, length: piece, stopped: stopped, isCancelled) { slice in
            rowCombination(slice.count, k, UnsafePointer(matrix.pointer) + slice.lowerBound, ldb,
                           UnsafePointer(x.pointer), y.pointer + slice.lowerBound)
        }
    }
    if stopped.isSet { throw .cancelled }
}

/// Workers for a matrix-vector product reading `rows x columns` elements of `size` bytes:
/// a second worker pays once the matrix no longer fits one core's L2 (measured on the
/// AVX-512 Xeon, L2 2 MiB, threads=2 over threads=1 for a matrix times a vector: float64
/// 450 x 450 (1.6 MB) 1.04, 500 x 500 (2 MB) 0.71, 650 x 650 0.36; float32 600 x 600
/// (1.4 MB) 1.19, 700 x 700 (2 MB) 0.78). So one per 85% of L2.
func vectorProductWorkers(rows: Int, columns: Int, elementSize: Int) -> Int {
    let elements = rows.multipliedReportingOverflow(by: columns)
    let bytes = elements.partialValue.multipliedReportingOverflow(by: elementSize)
    guard !elements.overflow, !bytes.overflow else { return Int.max }
    let perWorker = max(1, CacheSizes.current.level2 / 20 * 17)
    return max(1, (bytes.partialValue + perWorker - 1) / perWorker)
}

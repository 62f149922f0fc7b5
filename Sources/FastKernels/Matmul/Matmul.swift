// Matrix multiplication C = A B, BLIS's five loops around a register kernel.
// See docs/matmul.md for the algorithm, the block sizes and the number rules.

/// Multiplies `a` (m x k) by `b` (k x n) into `c` (m x n), as numpy's `a @ b`.
///
/// The type of `c` decides the arithmetic: float64 and float32 are computed in
/// that type (rounded as a blocked GEMM rounds: within the usual error bound of
/// the exact product, not bit for bit a sequential sum); integer and bool results
/// are exact modulo 2^bits of `c`'s type, as numpy wraps (computed in 64 or
/// 32-bit wrapping integers, or in float64 when the operands' magnitudes prove
/// every sum exact there). Operands of any element type, layout, stride sign
/// and byte order are converted while they are packed; neither is copied whole.
/// `c` may overlap `a` or `b` (the product then goes through a temporary).
///
/// - Parameters:
///   - a, b: the operands; `a.columns == b.rows`.
///   - c: the result, `a.rows x b.columns`, native byte order.
///   - threads: workers to use (1 = this thread only); rows (or columns) of C are
///     split among them, never the shared dimension, so that every thread count
///     rounds the same way.
///   - isCancelled: polled between blocks (every few milliseconds of work).
///   - instructionSet: the register kernels to use (capped at what the CPU supports).
/// - Throws: `.invalidArgument` for mismatched shapes or a byte-swapped `c`,
///   `.outOfMemory`, `.cancelled` (then `c` holds a partial result).
/// - Complexity: O(m n k) operations, O(m k + k n) reads of the operands.
public func matmul(_ a: MatrixView, _ b: MatrixView, into c: MatrixView, threads: Int = 1,
                   isCancelled: () -> Bool = { false },
                   instructionSet: InstructionSet = .selected) throws(KernelError) {
    let isa = instructionSet
    guard a.rows >= 0, a.columns >= 0, b.rows >= 0, b.columns >= 0 else {
        throw .invalidArgument(argument: "a, b", requirement: "shapes must not be negative")
    }
    guard a.columns == b.rows else {
        throw .invalidArgument(argument: "a, b", requirement:
            "the columns of a (\(a.columns)) must equal the rows of b (\(b.rows))")
    }
    guard c.rows == a.rows, c.columns == b.columns else {
        throw .invalidArgument(argument: "out", requirement:
            "must have shape (\(a.rows), \(b.columns)), not (\(c.rows), \(c.columns))")
    }
    guard !c.byteSwapped else {
        throw .invalidArgument(argument: "out", requirement: "must be in native byte order")
    }
    switch c.element {
    case .float64: try multiply(a, b, c, Double.self, Double.self, threads, isCancelled, instructionSet: isa)
    case .float32: try multiply(a, b, c, Float.self, Float.self, threads, isCancelled, instructionSet: isa)
    case .int64: try multiplyIntegers(a, b, c, Int64.self, threads, isCancelled, isa)
    case .uint64: try multiplyIntegers(a, b, c, UInt64.self, threads, isCancelled, isa)
    case .int32: try multiplyIntegers(a, b, c, Int32.self, threads, isCancelled, isa)
    case .uint32: try multiplyIntegers(a, b, c, UInt32.self, threads, isCancelled, isa)
    case .int16: try multiplyIntegers(a, b, c, Int16.self, threads, isCancelled, isa)
    case .uint16: try multiplyIntegers(a, b, c, UInt16.self, threads, isCancelled, isa)
    case .int8: try multiplyIntegers(a, b, c, Int8.self, threads, isCancelled, isa)
    case .uint8: try multiplyIntegers(a, b, c, UInt8.self, threads, isCancelled, isa)
    case .bool: try multiplyIntegers(a, b, c, MatrixBool.self, threads, isCancelled, isa)
    }
}

/// The largest |element| of `view` as a Double (for integers: their value,
/// rounded up a little by the conversion, which only makes the test stricter).
func largestMagnitude(_ view: MatrixView) -> Double {
    switch view.element {
    case .int8: largestMagnitude(view, Int8.self)
    case .uint8: largestMagnitude(view, UInt8.self)
    case .int16: largestMagnitude(view, Int16.self)
    case .uint16: largestMagnitude(view, UInt16.self)
    case .int32: largestMagnitude(view, Int32.self)
    case .uint32: largestMagnitude(view, UInt32.self)
    case .int64: largestMagnitude(view, Int64.self)
    case .uint64: largestMagnitude(view, UInt64.self)
    case .bool: largestMagnitude(view, MatrixBool.self)
    case .float32, .float64: .infinity
    }
}

func largestMagnitude<S: MatrixScalar>(_ view: MatrixView, _: S.Type) -> Double {
    var largest = 0.0
    for row in 0..<view.rows {
        for column in 0..<view.columns {
            largest = max(largest, abs(view.load(row, column, as: S.self).matrixDouble))
        }
    }
    return largest
}

/// Below this many multiply-adds (m n k) the exactness scan is not worth it.
let exactScanThreshold = 1 << 15

/// Integer and bool results: of at most 32 bits in wrapping 32-bit integers; of
/// 64 bits (and bool) in float64 when every partial sum is provably an integer
/// below 2^52 (exact there, and faster than 64-bit integer multiplies, which
/// AVX2 lacks), otherwise in wrapping 64-bit integers.
func multiplyIntegers<Out: MatrixScalar>(_ a: MatrixView, _ b: MatrixView, _ c: MatrixView, _: Out.Type,
                                         _ threads: Int, _ isCancelled: () -> Bool,
                                         _ isa: InstructionSet) throws(KernelError) {
    let work = Double(a.rows) * Double(a.columns) * Double(b.columns)
    let narrow = Out.matrixElement.byteCount <= 4 && Out.matrixElement != .bool
    // Results of at most 32 bits: the 32-bit integer kernels (twice the lanes of float64) win.
    if !narrow, work >= Double(exactScanThreshold), !a.element.isFloatingPoint, !b.element.isFloatingPoint {
        let bound = largestMagnitude(a) * largestMagnitude(b) * Double(a.columns)
        if bound < 0x1p52 { return try multiply(a, b, c, Double.self, Out.self, threads, isCancelled, instructionSet: isa) }
    }
    if narrow {
        try multiply(a, b, c, Int32.self, Out.self, threads, isCancelled, instructionSet: isa)
    } else {
        try multiply(a, b, c, Int64.self, Out.self, threads, isCancelled, instructionSet: isa)
    }
}

/// Work (m n k) below which one thread does it all (about 8 MFLOP, n = 160): waking a
/// worker and packing B twice cost more than the second core gives below that
/// (measured on a 2-core VM: threads=2 was no faster than 1 at n = 192).
public let matmulParallelThreshold = 1 << 22

/// C = A B computed in `T`, stored as `Out`.
func multiply<T: MatmulCompute, Out: MatrixScalar>(_ a: MatrixView, _ b: MatrixView, _ c: MatrixView,
                                                   _: T.Type, _: Out.Type, _ threads: Int,
                                                   _ isCancelled: () -> Bool,
                                                   instructionSet: InstructionSet = .selected) throws(KernelError) {
    let m = a.rows, n = b.columns, k = a.columns
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m { for j in 0..<n { c.address(i, j).storeBytes(of: Out.fromMatrixInt64(0), as: Out.self) } }
        return
    }
    if c.overlaps(a) || c.overlaps(b) {
        // The product goes through a temporary, then into c.
        guard let temporary = CheckedBuffer(Out.self, count: m * n) else { throw .outOfMemory }
        let view = MatrixView(start: UnsafeMutableRawPointer(temporary.base), rows: m, columns: n,
                              rowStride: n * MemoryLayout<Out>.stride, columnStride: MemoryLayout<Out>.stride,
                              element: c.element)
        try multiply(a, b, view, T.self, Out.self, threads, isCancelled, instructionSet: instructionSet)
        for i in 0..<m {
            for j in 0..<n { c.address(i, j).storeBytes(of: temporary[i * n + j], as: Out.self) }
        }
        return
    }
    let multiplyAdds = Double(m) * Double(n) * Double(k)
    if multiplyAdds < Double(smallProductLimit), a.element == T.matrixElement,
       b.element == T.matrixElement, Out.self == T.self, !a.byteSwapped, !b.byteSwapped {
        multiplySmall(a, b, c, T.self)
        return
    }
    let kernel = T.microKernel(for: min(instructionSet, .supported))
    if n == 1, let rowDots = kernel.rowDots, Out.self == T.self, readableInPlace(a, T.self),
       readableInPlace(b.transposed, T.self), c.rowStride % MemoryLayout<T>.stride == 0,
       Int(bitPattern: c.start) % MemoryLayout<T>.alignment == 0 {
        return try multiplyByVector(a, b, c, rowDots: rowDots, threads, isCancelled)
    }
    if m == 1, let rowCombination = kernel.rowCombination, Out.self == T.self, readableInPlace(a, T.self),
       readableInPlace(b, T.self), readableInPlace(c, T.self) {
        return try multiplyVectorByMatrix(a, b, c, rowCombination: rowCombination, threads, isCancelled)
    }
    if multiplyAdds <= Double(inPlaceProductLimit), k <= inPlaceDepthLimit, !kernel.strided.isEmpty,
       Out.self == T.self, readableInPlace(a, T.self), readableInPlace(b, T.self), readableInPlace(c, T.self) {
        return try multiplyInPlace(a, b, c, kernel: kernel)
    }
    let blocks = MatmulBlocks(kernel: kernel, elementSize: MemoryLayout<T>.stride, m: m, n: n, k: k)
    let work = m.multipliedReportingOverflow(by: n).partialValue.multipliedReportingOverflow(by: k)
    let splitRows = m >= n
    let units = splitRows ? (m + kernel.rows - 1) / kernel.rows : (n + kernel.columns - 1) / kernel.columns
    let byWork = work.overflow ? Int.max : work.partialValue / matmulParallelThreshold
    let workers = max(1, min(effectiveWorkers(threads), units, byWork))
    // Each worker's packed A block, packed B panel and edge tile, in one allocation.
    let perWorker = blocks.mc * blocks.kc + blocks.kc * blocks.nc + kernel.rows * kernel.columns + 64
    let stopped = StopFlag()
    try withScratch(T.self, count: perWorker * workers) { scratch throws(KernelError) in
        let shared = SharedPointer(scratch)
        runWorkers(workers, isCancelled: isCancelled) { worker, workers in
            let part = partition(units, parts: workers, index: worker)
            let rows = splitRows ? min(m, part.lowerBound * kernel.rows)..<min(m, part.upperBound * kernel.rows) : 0..<m
            let columns = splitRows ? 0..<n : min(n, part.lowerBound * kernel.columns)..<min(n, part.upperBound * kernel.columns)
            let base = shared.pointer + worker * perWorker
            let buffers = MatmulBuffers(packedA: base, packedB: base + blocks.mc * blocks.kc,
                                        tile: base + blocks.mc * blocks.kc + blocks.kc * blocks.nc)
            multiplyBlock(a, b, c, rows: rows, columns: columns, kernel: kernel, blocks: blocks, buffers: buffers,
                          Out.self, stopped: stopped, isCancelled)
        }
    }
    if stopped.isSet { throw .cancelled }
}

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
    let workers = max(1, min(effectiveWorkers(threads), (m + 3) / 4, vectorProductWorkers(bytes: m, k, size)))
    let stopped = StopFlag()
    let sharedA = SharedPointer(UnsafeMutablePointer(mutating: aOrigin)), sharedX = SharedPointer(UnsafeMutablePointer(mutating: x))
    let sharedY = SharedPointer(y)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        let rows = partition(m, parts: workers, index: worker)
        var first = rows.lowerBound
        while first < rows.upperBound {
            if stopped.isSet { return }
            if first > rows.lowerBound && isCancelled() {
                stopped.set()
                return
            }
            let count = min(piece, rows.upperBound - first)
            rowDots(count, k, UnsafePointer(sharedA.pointer) + first &* lda, lda, UnsafePointer(sharedX.pointer),
                    sharedY.pointer + first &* ldy, ldy)
            first += count
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
    let workers = max(1, min(effectiveWorkers(threads), units, vectorProductWorkers(bytes: k, n, size)))
    let stopped = StopFlag()
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        let part = partition(units, parts: workers, index: worker)
        let columns = min(n, part.lowerBound * unit)..<min(n, part.upperBound * unit)
        var first = columns.lowerBound
        while first < columns.upperBound {
            if stopped.isSet { return }
            if first > columns.lowerBound && isCancelled() {
                stopped.set()
                return
            }
            let count = min(piece, columns.upperBound - first)
            rowCombination(count, k, UnsafePointer(matrix.pointer) + first, ldb, UnsafePointer(x.pointer),
                           y.pointer + first)
            first += count
        }
    }
    if stopped.isSet { throw .cancelled }
}

/// Workers for a matrix-vector product reading `rows x columns` elements of `size` bytes:
/// a second worker pays once the matrix no longer fits one core's L2 (measured on the
/// AVX-512 Xeon, L2 2 MiB, threads=2 over threads=1 for a matrix times a vector: float64
/// 450 x 450 (1.6 MB) 1.04, 500 x 500 (2 MB) 0.71, 650 x 650 0.36; float32 600 x 600
/// (1.4 MB) 1.19, 700 x 700 (2 MB) 0.78). So one per 85% of L2.
func vectorProductWorkers(bytes rows: Int, _ columns: Int, _ size: Int) -> Int {
    let bytes = rows.multipliedReportingOverflow(by: columns).partialValue.multipliedReportingOverflow(by: size)
    let perWorker = max(1, CacheSizes.current.level2 / 20 * 17)
    return bytes.overflow ? Int.max : max(1, (bytes.partialValue + perWorker - 1) / perWorker)
}

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
    try withScratch(T.self, count: mr * k + k * nr + mr * nr) { scratch throws(KernelError) in
        let packedA = scratch, packedB = scratch + mr * k, tile = scratch + mr * k + k * nr
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

/// The cache blocking of one product: KC deep panels, MC x KC blocks of A (in
/// L3), KC x NC panels of B (in L2), from the cache sizes of this CPU.
struct MatmulBlocks {
    /// The most rows of A packed at once (a multiple of the kernel's rows).
    let mc: Int
    /// The depth of the packed panels.
    let kc: Int
    /// The most columns of B packed at once (a multiple of the kernel's columns).
    let nc: Int
    let rowMultiple: Int
    let columnMultiple: Int

    init<T>(kernel: MicroKernel<T>, elementSize: Int, m: Int, n: Int, k: Int) {
        let caches = CacheSizes.current
        // The MR x KC micro-panel of A and the NR x KC micro-panel of B that one kernel
        // call reads take two thirds of L1 together, a KC x NC panel of B half of L2, an
        // MC x KC block of A an eighth of L3 (shared by the cores). Then each is evened
        // out over the blocks its dimension needs, so that no last block is a sliver
        // (k = 300 is 150 + 150, not 256 + 44). Sized for the A micro-panel alone (KC 384
        // for 8 x 24 float64), the B micro-panel streaming through L1 evicted it before the
        // next call reused it: a 2048 product took 4-6% longer than at KC 128.
        let microPanels = (kernel.rows + kernel.columns) * elementSize
        let kcLimit = max(64, min(caches.level1 * 2 / 3 / microPanels, 384))
        let kc = balanced(k, limit: kcLimit, multiple: 1)
        let ncLimit = max(kernel.columns, caches.level2 / 2 / (kc * elementSize))
        let mcLimit = max(kernel.rows, min(caches.level3 / 8 / (kc * elementSize), 2048))
        self.kc = kc
        self.mc = balanced(m, limit: mcLimit, multiple: kernel.rows)
        self.nc = balanced(n, limit: ncLimit, multiple: kernel.columns)
        rowMultiple = kernel.rows
        columnMultiple = kernel.columns
    }

    /// The blocks for a worker's part of C: never larger than these, evened out over its part.
    func fitted(rows: Int, columns: Int) -> (mc: Int, nc: Int) {
        (balanced(rows, limit: mc, multiple: rowMultiple), balanced(columns, limit: nc, multiple: columnMultiple))
    }
}

/// The block length for `length` elements in blocks of at most about `limit`:
/// as many blocks as `limit` needs, equal in size, rounded up to `multiple`.
func balanced(_ length: Int, limit: Int, multiple: Int) -> Int {
    let limit = max(multiple, limit / multiple * multiple)
    let blocks = max(1, (length + limit - 1) / limit)
    let size = (length + blocks - 1) / blocks
    return max(multiple, (size + multiple - 1) / multiple * multiple)
}

/// Data cache sizes in bytes, read once from sysfs (typical values when it cannot be read).
struct CacheSizes: Equatable {
    let level1: Int
    let level2: Int
    let level3: Int

    /// The caches of CPU 0.
    static let current = CacheSizes(sysfs: "/sys/devices/system/cpu/cpu0/cache")

    /// 32 KiB, 512 KiB and 8 MiB: what is used for a level that cannot be read.
    static let fallback = CacheSizes(level1: 32 << 10, level2: 512 << 10, level3: 8 << 20)

    init(level1: Int, level2: Int, level3: Int) {
        (self.level1, self.level2, self.level3) = (level1, level2, level3)
    }

    /// Reads `directory/index<N>/{level,type,size}` as Linux lays out a CPU's caches (each
    /// file one line, ending in a newline), the data and unified caches only; each level
    /// is then kept within sane bounds (16 KiB-256 KiB, 128 KiB-8 MiB, 1 MiB-256 MiB).
    init(sysfs directory: String) {
        var sizes = [1: CacheSizes.fallback.level1, 2: CacheSizes.fallback.level2, 3: CacheSizes.fallback.level3]
        for index in 0..<8 {
            let folder = "\(directory)/index\(index)/"
            func field(_ name: String) -> String? { readSmallFile(folder + name)?.trimmingWhitespace() }
            guard let level = field("level").flatMap({ Int($0) }), let type = field("type"), type != "Instruction",
                  let size = field("size").flatMap(parseCacheSize), size > 0 else { continue }
            sizes[level] = size
        }
        self.init(level1: min(max(sizes[1]!, 16 << 10), 256 << 10),
                  level2: min(max(sizes[2]!, 128 << 10), 8 << 20),
                  level3: min(max(sizes[3]!, 1 << 20), 256 << 20))
    }
}

/// "32K", "512K", "32768K", "1M" -> bytes.
func parseCacheSize(_ text: String) -> Int? {
    guard let unit = text.last else { return nil }
    switch unit {
    case "K": return Int(text.dropLast()).map { $0 << 10 }
    case "M": return Int(text.dropLast()).map { $0 << 20 }
    default: return Int(text)
    }
}

/// One worker's packing buffers.
struct MatmulBuffers<T> {
    let packedA: UnsafeMutablePointer<T>
    let packedB: UnsafeMutablePointer<T>
    let tile: UnsafeMutablePointer<T>
}

/// C[rows, columns] = A[rows, :] B[:, columns]: the five loops on one worker.
///
/// The order keeps each operand where it is reused: an MR x KC micro-panel of A
/// in L1 while the register kernel sweeps it along a row of tiles, the KC x NC
/// panel of B those tiles read in L2, the MC x KC block of A in L3. C is then
/// written along its rows, tile after adjacent tile, and each operand is packed
/// once per KC-deep slice (B again only for each further MC block of rows).
func multiplyBlock<T: MatmulCompute, Out: MatrixScalar>(
    _ a: MatrixView, _ b: MatrixView, _ c: MatrixView, rows: Range<Int>, columns: Range<Int>,
    kernel: MicroKernel<T>, blocks: MatmulBlocks, buffers: MatmulBuffers<T>, _: Out.Type,
    stopped: borrowing StopFlag, _ isCancelled: () -> Bool
) {
    let k = a.columns
    let mr = kernel.rows, nr = kernel.columns
    let (mc, nc) = blocks.fitted(rows: rows.count, columns: columns.count)
    let bTransposed = b.transposed
    let stride = MemoryLayout<T>.stride
    // C may be written directly by the register kernel when it has T's layout.
    let direct = Out.self == T.self && readableInPlace(c, T.self)
    let rowStrideInElements = c.rowStride / stride
    var pc = 0
    while pc < k {
        let kb = min(blocks.kc, k - pc)
        var ic = rows.lowerBound
        while ic < rows.upperBound {
            if stopped.isSet { return }
            let mb = min(mc, rows.upperBound - ic)
            packPanels(a, panels: ic..<(ic + mb), depth: pc..<(pc + kb), width: mr, into: buffers.packedA)
            var jc = columns.lowerBound
            while jc < columns.upperBound {
                if stopped.isSet { return }
                if isCancelled() {
                    stopped.set()
                    return
                }
                let nb = min(nc, columns.upperBound - jc)
                packPanels(bTransposed, panels: jc..<(jc + nb), depth: pc..<(pc + kb), width: nr,
                           into: buffers.packedB)
                // The kernel for the panel's last micro-panel, chosen once (closures taken out of
                // the table per tile were retained and released each time: 3% of a 2048 product).
                let edge = kernel.covering(nb - (nb - 1) / nr * nr)
                var ir = 0
                while ir < mb {
                    let rowsHere = min(mr, mb - ir)
                    let panelA = UnsafePointer(buffers.packedA + ir * kb)
                    @inline(__always) func tile(_ jr: Int, _ run: MicroKernel<T>.Body, width: Int) {
                        let columnsHere = min(nr, nb - jr)
                        let panelB = UnsafePointer(buffers.packedB + jr * kb)
                        let i = ic + ir, j = jc + jr
                        if direct && rowsHere == mr && columnsHere == width {
                            let target = c.address(i, j).assumingMemoryBound(to: T.self)
                            run(kb, panelA, panelB, target, rowStrideInElements, pc > 0)
                        } else {
                            run(kb, panelA, panelB, buffers.tile, nr, false)
                            storeTile(buffers.tile, tileColumns: nr, rows: rowsHere, columns: columnsHere,
                                      into: c, at: i, j, accumulate: pc > 0, Out.self)
                        }
                    }
                    var jr = 0
                    while jr + nr <= nb {
                        tile(jr, kernel.run, width: nr)
                        jr += nr
                    }
                    if jr < nb { tile(jr, edge.run, width: edge.width) }
                    ir += mr
                }
                jc += nb
            }
            ic += mb
        }
        pc += kb
    }
}

/// Adds (or stores) the top-left `rows x columns` of a computed tile into C,
/// converting to C's type: integers modulo 2^bits, floats in their own type.
@inline(__always)
func storeTile<T: MatmulCompute, Out: MatrixScalar>(_ tile: UnsafeMutablePointer<T>, tileColumns: Int,
                                                    rows: Int, columns: Int, into c: MatrixView, at i: Int, _ j: Int,
                                                    accumulate: Bool, _: Out.Type) {
    for r in 0..<rows {
        for s in 0..<columns {
            let address = c.address(i + r, j + s)
            let partial = tile[r * tileColumns + s]
            let value: Out
            if Out.matrixElement.isFloatingPoint {
                let old = accumulate ? T.converting(address.loadUnaligned(as: Out.self)) : T.zero
                value = T.matmulAdd(old, partial).stored(as: Out.self)
            } else {
                let old = accumulate ? address.loadUnaligned(as: Out.self).matrixInt64 : 0
                value = Out.fromMatrixInt64(old &+ partial.matrixInt64)
            }
            address.storeBytes(of: value, as: Out.self)
        }
    }
}

extension MatrixView {
    /// The same matrix with rows and columns exchanged (no data moves).
    var transposed: MatrixView {
        MatrixView(start: start, rows: columns, columns: rows, rowStride: columnStride, columnStride: rowStride,
                   element: element, byteSwapped: byteSwapped)
    }
}

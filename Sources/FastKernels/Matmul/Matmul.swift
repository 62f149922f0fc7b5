// Matrix multiplication C = A B, BLIS's five loops around a register kernel.
// See docs/matmul.md for the algorithm, the block sizes and the number rules.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

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

/// Work (m n k) for each worker of a product whose workers each pack all of B (one
/// thread below 2^23 multiply-adds, 16 MFLOP): waking a worker and packing B twice
/// cost more than the second core gives below that (measured on a 2-core VM:
/// threads=2 was no faster than 1 at n = 192).
public let matmulParallelThreshold = 1 << 22

/// Work for each worker of a product whose workers share one packed B
/// (`multiplySharingB`), in multiply-adds times the element's bytes: 2^21 multiply-adds
/// of float64 (two workers from n = 161), 2^22 of float32 (from n = 204), about 0.1 ms
/// of arithmetic each. Measured on a 2-core AMD VM, time with two workers over one,
/// two runs: float64 n = 176 0.80 / 0.84, 200 0.80 / 0.78; float32 n = 200 0.89 / 1.07
/// (a loss: 0.1 ms is about what a sleeping thread takes to wake there), 224 0.76 / 0.85.
public let matmulSharedBWork = 1 << 24

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
    func byWork(_ perWorker: Int) -> Int { work.overflow ? Int.max : work.partialValue / perWorker }
    let cores = effectiveWorkers(threads)
    let workers = max(1, min(cores, units, byWork(matmulParallelThreshold)))
    // Each worker's packed A block, packed B panel and edge tile, in one allocation.
    // Each starts on a cache line, as the scratch does: the register kernels load B's
    // micro-panels a line a step, and a panel 16-48 bytes off a line splits a load on
    // every step (A/B, both orders: 1024 float32 and 2048 float64 1.05-1.07x faster).
    let packedASize = cacheLineMultiple(blocks.mc * blocks.kc, of: T.self)
    let packedBSize = cacheLineMultiple(blocks.kc * blocks.nc, of: T.self)
    let tileSize = cacheLineMultiple(kernel.rows * kernel.columns + 64, of: T.self)
    let perWorker = packedASize + packedBSize + tileSize
    let stopped = StopFlag()
    let shared = SharedBPlan(blocks: blocks, k: k, n: n)
    let sharedWorkers = min(cores, byWork(matmulSharedBWork / MemoryLayout<T>.stride),
                            (m + kernel.rows - 1) / kernel.rows / sharedBChunkParts)
    if sharedWorkers > 1, shared.pieces <= sharedWorkers {
        try multiplySharingB(a, b, c, kernel: kernel, blocks: blocks, plan: shared, workers: sharedWorkers,
                             packedASize: packedASize, packedBSize: packedBSize, tileSize: tileSize, Out.self,
                             stopped: stopped, isCancelled)
        if stopped.isSet { throw .cancelled }
        return
    }
    try withScratch(T.self, count: perWorker * workers) { scratch throws(KernelError) in
        let shared = SharedPointer(scratch)
        runWorkers(workers, isCancelled: isCancelled) { worker, workers in
            let part = partition(units, parts: workers, index: worker)
            let rows = splitRows ? min(m, part.lowerBound * kernel.rows)..<min(m, part.upperBound * kernel.rows) : 0..<m
            let columns = splitRows ? 0..<n : min(n, part.lowerBound * kernel.columns)..<min(n, part.upperBound * kernel.columns)
            let base = shared.pointer + worker * perWorker
            let buffers = MatmulBuffers(packedA: base, packedB: base + packedASize,
                                        tile: base + packedASize + packedBSize)
            multiplyBlock(a, b, c, rows: rows, columns: columns, kernel: kernel, blocks: blocks, buffers: buffers,
                          Out.self, stopped: stopped, isCancelled)
        }
    }
    if stopped.isSet { throw .cancelled }
}

/// How B is cut into the pieces the blocked loops pack it in: KC-deep slices, each
/// in NC-wide blocks (the order of `multiplyBlock`'s loops), piece `slice * columnBlocks + block`.
struct SharedBPlan {
    let kc: Int
    let nc: Int
    let columnBlocks: Int
    let pieces: Int

    init(blocks: MatmulBlocks, k: Int, n: Int) {
        kc = blocks.kc
        nc = blocks.fitted(rows: 1, columns: n).nc
        columnBlocks = (n + nc - 1) / nc
        pieces = (k + kc - 1) / kc * columnBlocks
    }
}

/// Rows of C in a part that a worker takes at a time on the shared-B path.
let sharedBChunkParts = 4

/// C = A B on several workers that share one packed copy of B: for products whose
/// packed B is no larger than the workers' B panels together (pieces <= workers), which
/// are the products (n up to about 256) where each worker packing all of B, and a worker
/// that wakes late, cost the second core most of what it gives.
///
/// The workers pack B's pieces together, each taking the next unclaimed piece, then wait
/// until every piece is packed; a worker only waits for pieces another worker has claimed
/// and is packing, so there is no barrier: run one after the other, the first packs them
/// all. Rows of C are then handed out in parts of a few register-kernel panels, the next
/// part to whichever worker is free: a worker that starts late (a sleeping thread takes a
/// few hundred microseconds to wake on a VM) takes fewer parts instead of leaving the
/// others waiting for its half. Each part is still computed by one worker, over the whole
/// depth, so the sums round as on one thread.
func multiplySharingB<T: MatmulCompute, Out: MatrixScalar>(
    _ a: MatrixView, _ b: MatrixView, _ c: MatrixView, kernel: MicroKernel<T>, blocks: MatmulBlocks,
    plan: SharedBPlan, workers: Int, packedASize: Int, packedBSize: Int, tileSize: Int, _: Out.Type,
    stopped: borrowing StopFlag, _ isCancelled: () -> Bool
) throws(KernelError) {
    let m = a.rows, n = b.columns, k = a.columns
    let mr = kernel.rows
    let perWorker = packedASize + tileSize  // no B panel: B is packed once, after the workers' buffers
    let panels = (m + mr - 1) / mr
    // Parts of about a quarter of a worker's share (never more rows than an A block holds).
    let partPanels = max(1, min(blocks.mc / mr, (panels + workers * sharedBChunkParts - 1) / (workers * sharedBChunkParts)))
    let parts = (panels + partPanels - 1) / partPanels
    let nextPiece = Atomic<Int>(0), packedPieces = Atomic<Int>(0), nextPart = Atomic<Int>(0)
    try withScratch(T.self, count: perWorker * workers + packedBSize * plan.pieces) { scratch throws(KernelError) in
        let shared = SharedPointer(scratch)
        let bTransposed = b.transposed
        runWorkers(workers, isCancelled: isCancelled) { worker, _ in
            let packedB = shared.pointer + perWorker * workers
            while true {
                let piece = nextPiece.wrappingAdd(1, ordering: .relaxed).oldValue
                if piece >= plan.pieces { break }
                let pc = piece / plan.columnBlocks * plan.kc, jc = piece % plan.columnBlocks * plan.nc
                packPanels(bTransposed, panels: jc..<min(n, jc + plan.nc), depth: pc..<min(k, pc + plan.kc),
                           width: kernel.columns, into: packedB + piece * packedBSize)
                packedPieces.wrappingAdd(1, ordering: .releasing)
            }
            while packedPieces.load(ordering: .acquiring) < plan.pieces { sched_yield() }
            let base = shared.pointer + worker * perWorker
            let buffers = MatmulBuffers(packedA: base, packedB: packedB, tile: base + packedASize)
            while !stopped.isSet {
                let part = nextPart.wrappingAdd(1, ordering: .relaxed).oldValue
                if part >= parts { break }
                let rows = part * partPanels * mr..<min(m, (part + 1) * partPanels * mr)
                multiplyBlock(a, b, c, rows: rows, columns: 0..<n, kernel: kernel, blocks: blocks, buffers: buffers,
                              Out.self, stopped: stopped, isCancelled,
                              sharedB: (plan, packedBSize))
            }
        }
    }
}

/// `count` rounded up to whole 64-byte cache lines of `T`, so that what follows
/// `count` values of `T` on a line boundary starts on one too.
@inline(__always)
func cacheLineMultiple<T>(_ count: Int, of _: T.Type) -> Int {
    let perLine = max(1, 64 / MemoryLayout<T>.stride)
    return (count + perLine - 1) / perLine * perLine
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
    stopped: borrowing StopFlag, _ isCancelled: () -> Bool,
    sharedB: (plan: SharedBPlan, pieceStride: Int)? = nil
) {
    let k = a.columns
    let mr = kernel.rows, nr = kernel.columns
    var (mc, nc) = blocks.fitted(rows: rows.count, columns: columns.count)
    if let sharedB { nc = sharedB.plan.nc }
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
                if stopped.shouldStop(isCancelled) { return }
                let nb = min(nc, columns.upperBound - jc)
                let packedB: UnsafeMutablePointer<T>
                if let sharedB {  // packed already (the whole of B, columns 0..<n)
                    let piece = pc / sharedB.plan.kc * sharedB.plan.columnBlocks + jc / nc
                    packedB = buffers.packedB + piece * sharedB.pieceStride
                } else {
                    packedB = buffers.packedB
                    packPanels(bTransposed, panels: jc..<(jc + nb), depth: pc..<(pc + kb), width: nr, into: packedB)
                }
                // The kernel for the panel's last micro-panel, chosen once (closures taken out of
                // the table per tile were retained and released each time: 3% of a 2048 product).
                let edge = kernel.covering(nb - (nb - 1) / nr * nr)
                var ir = 0
                while ir < mb {
                    let rowsHere = min(mr, mb - ir)
                    let panelA = UnsafePointer(buffers.packedA + ir * kb)
                    @inline(__always) func tile(_ jr: Int, _ run: MicroKernel<T>.Body, width: Int) {
                        let columnsHere = min(nr, nb - jr)
                        let panelB = UnsafePointer(packedB + jr * kb)
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

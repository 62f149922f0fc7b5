import Foundation
import XCTest
@testable import FastKernels

final class MatmulTests: XCTestCase {
    /// The instruction sets this CPU can run: every one is tested.
    let tiers = InstructionSet.allCases.filter { $0 <= .supported }

    /// A row-major matrix of `T` that lives as long as the test.
    final class Matrix<T: MatrixScalar> {
        let rows: Int, columns: Int
        let storage: UnsafeMutablePointer<T>
        init(rows: Int, columns: Int, _ value: (Int, Int) -> T) {
            self.rows = rows
            self.columns = columns
            storage = .allocate(capacity: max(rows * columns, 1))
            for i in 0..<rows { for j in 0..<columns { storage[i * columns + j] = value(i, j) } }
        }
        deinit { storage.deallocate() }
        var view: MatrixView { MatrixView(storage, rows: rows, columns: columns) }
        subscript(i: Int, j: Int) -> T { storage[i * columns + j] }
    }

    func reference(_ a: Matrix<Double>, _ b: Matrix<Double>) -> (value: [Double], bound: [Double]) {
        var value = [Double](repeating: 0, count: a.rows * b.columns), bound = value
        for i in 0..<a.rows {
            for j in 0..<b.columns {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<a.columns {
                    sum += a[i, p] * b[p, j]
                    magnitude += abs(a[i, p] * b[p, j])
                }
                value[i * b.columns + j] = sum
                bound[i * b.columns + j] = magnitude
            }
        }
        return (value, bound)
    }

    /// Every m, n, k around the register tile sizes (every edge tile), every tier, one and three threads.
    func testFloat64AgainstTheSequentialSumWithinTheGEMMBound() throws {
        var rng = SystemRandomNumberGenerator()
        let sizes = [0, 1, 2, 3, 5, 7, 8, 9, 13, 17, 24, 25, 49]
        for tier in tiers {
            for m in sizes {
                for n in sizes where (m * 7 + n) % 3 == 0 || m < 3 {
                    for k in [0, 1, 3, 17, 300] {
                        let a = Matrix<Double>(rows: m, columns: k) { _, _ in Double.random(in: -1...1, using: &rng) }
                        let b = Matrix<Double>(rows: k, columns: n) { _, _ in Double.random(in: -1...1, using: &rng) }
                        let expected = reference(a, b)
                        for threads in [1, 3] {
                            let c = Matrix<Double>(rows: m, columns: n) { _, _ in .nan }
                            try matmul(a.view, b.view, into: c.view, threads: threads, instructionSet: tier)
                            for index in 0..<(m * n) {
                                let error = abs(c.storage[index] - expected.value[index])
                                XCTAssertLessThanOrEqual(error, 2 * Double(k + 2) * Double.ulpOfOne * expected.bound[index],
                                                         "\(tier) m \(m) n \(n) k \(k) threads \(threads)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Partial tiles at both edges, thin and wide shapes, float64 and int32, on every tier.
    func testPartialTilesAndThinShapesOnEveryTier() throws {
        var rng = SystemRandomNumberGenerator()
        for tier in tiers {
            for (m, n, k) in [(64, 64, 100), (65, 70, 100), (13, 200, 50), (200, 13, 9), (24, 16, 40), (24, 36, 7),
                              (10, 12, 1), (9, 30, 17), (40, 8, 5), (130, 129, 200), (200, 1, 47), (33, 1, 1000),
                              (1, 2049, 9), (1, 1030, 33), (1, 77, 300)] {
                let a = Matrix<Double>(rows: m, columns: k) { _, _ in Double.random(in: -1...1, using: &rng) }
                let b = Matrix<Double>(rows: k, columns: n) { _, _ in Double.random(in: -1...1, using: &rng) }
                let expected = reference(a, b)
                let c = Matrix<Double>(rows: m, columns: n) { _, _ in .nan }
                try matmul(a.view, b.view, into: c.view, threads: 1, instructionSet: tier)
                for index in 0..<(m * n) {
                    XCTAssertLessThanOrEqual(abs(c.storage[index] - expected.value[index]),
                                             2 * Double(k + 2) * Double.ulpOfOne * expected.bound[index],
                                             "\(tier) \(m)x\(n)x\(k)")
                }
                let a32 = Matrix<Int32>(rows: m, columns: k) { _, _ in Int32.random(in: .min ... .max, using: &rng) }
                let b32 = Matrix<Int32>(rows: k, columns: n) { _, _ in Int32.random(in: .min ... .max, using: &rng) }
                let c32 = Matrix<Int32>(rows: m, columns: n) { _, _ in 0 }
                try matmul(a32.view, b32.view, into: c32.view, threads: 1, instructionSet: tier)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum: Int32 = 0
                        for p in 0..<k { sum &+= a32[i, p] &* b32[p, j] }
                        XCTAssertEqual(c32[i, j], sum, "\(tier) \(m)x\(n)x\(k)")
                    }
                }
            }
        }
    }

    func testEveryThreadCountGivesTheSameBits() throws {
        var rng = SystemRandomNumberGenerator()
        let a = Matrix<Double>(rows: 131, columns: 700) { _, _ in Double.random(in: -1...1, using: &rng) }
        let b = Matrix<Double>(rows: 700, columns: 97) { _, _ in Double.random(in: -1...1, using: &rng) }
        let one = Matrix<Double>(rows: 131, columns: 97) { _, _ in 0 }
        try matmul(a.view, b.view, into: one.view, threads: 1)
        for threads in [2, 3, 8] {
            let many = Matrix<Double>(rows: 131, columns: 97) { _, _ in 0 }
            try matmul(a.view, b.view, into: many.view, threads: threads)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: many.storage, count: 131 * 97)),
                           Array(UnsafeBufferPointer(start: one.storage, count: 131 * 97)), "threads \(threads)")
        }
        // A vector times a matrix (workers take columns) and a matrix times a vector (rows), both
        // large enough for several workers.
        for (m, n, k) in [(1, 3000, 700), (3000, 1, 700)] {
            let a = Matrix<Double>(rows: m, columns: k) { _, _ in Double.random(in: -1...1, using: &rng) }
            let b = Matrix<Double>(rows: k, columns: n) { _, _ in Double.random(in: -1...1, using: &rng) }
            let one = Matrix<Double>(rows: m, columns: n) { _, _ in 0 }
            try matmul(a.view, b.view, into: one.view, threads: 1)
            for threads in [2, 3] {
                let many = Matrix<Double>(rows: m, columns: n) { _, _ in 0 }
                try matmul(a.view, b.view, into: many.view, threads: threads)
                XCTAssertEqual(Array(UnsafeBufferPointer(start: many.storage, count: m * n)),
                               Array(UnsafeBufferPointer(start: one.storage, count: m * n)), "\(m)x\(n) threads \(threads)")
            }
        }
    }

    /// Products whose workers share one packed B (`multiplySharingB`: B packed in a few
    /// pieces, rows handed out in parts) give the bits one thread gives, on every tier, for
    /// 2-8 workers, row counts no part size divides, and float64 and float32; and stop with
    /// `.cancelled` when asked.
    func testWorkersSharingOnePackedBGiveTheSameBits() throws {
        var rng = SystemRandomNumberGenerator()
        var shared = 0
        func check<T: MatmulCompute & MatrixScalar & BinaryFloatingPoint>(_: T.Type, m: Int, k: Int, n: Int,
                                                                          isa: InstructionSet) throws
            where T.RawSignificand: FixedWidthInteger {
            let a = Matrix<T>(rows: m, columns: k) { _, _ in T.random(in: -1...1, using: &rng) }
            let b = Matrix<T>(rows: k, columns: n) { _, _ in T.random(in: -1...1, using: &rng) }
            let one = Matrix<T>(rows: m, columns: n) { _, _ in 0 }
            try matmul(a.view, b.view, into: one.view, threads: 1, instructionSet: isa)
            let kernel = T.microKernel(for: isa)
            let plan = SharedBPlan(blocks: MatmulBlocks(kernel: kernel, elementSize: MemoryLayout<T>.stride,
                                                        m: m, n: n, k: k), k: k, n: n)
            let workers = min(availableCores(), m * n * k / (matmulSharedBWork / MemoryLayout<T>.stride),
                              (m + kernel.rows - 1) / kernel.rows / sharedBChunkParts)
            if workers > 1 && plan.pieces <= workers { shared += 1 }
            for threads in [2, 3, 8] {
                let many = Matrix<T>(rows: m, columns: n) { _, _ in .nan }
                try matmul(a.view, b.view, into: many.view, threads: threads, instructionSet: isa)
                let differing = (0..<(m * n)).filter { many.storage[$0] != one.storage[$0] }.count
                XCTAssertEqual(differing, 0, "\(T.self) \(m)x\(k)x\(n) threads \(threads) \(isa): elements differing")
            }
            let out = Matrix<T>(rows: m, columns: n) { _, _ in 0 }
            XCTAssertThrowsError(try matmul(a.view, b.view, into: out.view, threads: 2, isCancelled: { true },
                                            instructionSet: isa)) {
                XCTAssertEqual($0 as? KernelError, .cancelled)
            }
        }
        for isa in tiers {
            for (m, k, n) in [(2003, 64, 45), (250, 256, 250), (301, 97, 150)] {
                try check(Double.self, m: m, k: k, n: n, isa: isa)
                try check(Float.self, m: m, k: k, n: n, isa: isa)
            }
        }
        if availableCores() > 1 { XCTAssertGreaterThan(shared, 0, "no product took the shared-B path") }
    }

    /// Integers wrap as numpy's do, on the integer kernels and on the exact float64 path.
    func testIntegerResultsAreExactModuloTheirWidth() throws {
        var rng = SystemRandomNumberGenerator()
        for tier in tiers {
            for (m, n, k, range) in [(5, 7, 3, Int64.min...Int64.max), (33, 41, 37, -1000...1000),
                                     (40, 40, 40, Int64.min...Int64.max), (1, 50, 200, -3...3)] {
                let a = Matrix<Int64>(rows: m, columns: k) { _, _ in Int64.random(in: range, using: &rng) }
                let b = Matrix<Int64>(rows: k, columns: n) { _, _ in Int64.random(in: range, using: &rng) }
                let c64 = Matrix<Int64>(rows: m, columns: n) { _, _ in 7 }
                let c32 = Matrix<Int32>(rows: m, columns: n) { _, _ in 7 }
                let c8 = Matrix<UInt8>(rows: m, columns: n) { _, _ in 7 }
                try matmul(a.view, b.view, into: c64.view, threads: 2, instructionSet: tier)
                try matmul(a.view, b.view, into: c32.view, threads: 2, instructionSet: tier)
                try matmul(a.view, b.view, into: c8.view, threads: 1, instructionSet: tier)
                for i in 0..<m {
                    for j in 0..<n {
                        var sum: Int64 = 0
                        for p in 0..<k { sum &+= a[i, p] &* b[p, j] }
                        XCTAssertEqual(c64[i, j], sum, "\(tier) \(m)x\(n)x\(k)")
                        XCTAssertEqual(c32[i, j], Int32(truncatingIfNeeded: sum))
                        XCTAssertEqual(c8[i, j], UInt8(truncatingIfNeeded: sum))
                    }
                }
            }
        }
    }

    /// Strided, transposed, reversed and byte-swapped operands; mixed element types.
    func testLayoutsAndConversionsArePackedCorrectly() throws {
        let m = 11, k = 13, n = 9
        let a = Matrix<Int32>(rows: m, columns: k) { i, j in Int32(i * 3 - j * 5 + 1) }
        let bT = Matrix<Float>(rows: n, columns: k) { j, p in Float(j - 2 * p) / 4 }  // B stored transposed
        // B through bT's transpose, reversed along its rows.
        var b = bT.view.transposed
        b.start += (k - 1) * b.rowStride
        b.rowStride = -b.rowStride
        // A byte-swapped copy of a.
        let swapped = Matrix<Int32>(rows: m, columns: k) { i, j in a[i, j].byteSwapped }
        var aSwapped = swapped.view
        aSwapped.byteSwapped = true
        let c = Matrix<Double>(rows: m, columns: n) { _, _ in 0 }
        for view in [a.view, aSwapped] {
            try matmul(view, b, into: c.view)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += Double(a[i, p]) * Double(bT[j, k - 1 - p]) }
                    XCTAssertEqual(c[i, j], sum, accuracy: 1e-9)
                }
            }
        }
    }

    func testAResultOverlappingAnOperandIsStillRight() throws {
        let n = 20
        let a = Matrix<Double>(rows: n, columns: n) { i, j in Double(i + 2 * j) }
        let b = Matrix<Double>(rows: n, columns: n) { i, j in Double(i == j ? 2 : 0) }
        try matmul(a.view, b.view, into: a.view)  // a = a * 2I
        for i in 0..<n { for j in 0..<n { XCTAssertEqual(a[i, j], 2 * Double(i + 2 * j)) } }
    }

    func testShapeErrorsAndCancellationAreThrownNotTrapped() throws {
        let a = Matrix<Double>(rows: 3, columns: 4) { _, _ in 1 }
        let c = Matrix<Double>(rows: 3, columns: 3) { _, _ in 1 }
        XCTAssertThrowsError(try matmul(a.view, a.view, into: c.view)) {
            XCTAssertEqual($0 as? KernelError, .invalidArgument(argument: "a, b",
                requirement: "the columns of a (4) must equal the rows of b (3)"))
        }
        let big = Matrix<Double>(rows: 300, columns: 300) { _, _ in 1 }
        let out = Matrix<Double>(rows: 300, columns: 300) { _, _ in 1 }
        XCTAssertThrowsError(try matmul(big.view, big.view, into: out.view, threads: 2, isCancelled: { true })) {
            XCTAssertEqual($0 as? KernelError, .cancelled)
        }
        // k = 0: zeros, whatever c held.
        let empty = Matrix<Double>(rows: 3, columns: 0) { _, _ in 1 }
        let emptyB = Matrix<Double>(rows: 0, columns: 3) { _, _ in 1 }
        try matmul(empty.view, emptyB.view, into: c.view)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: c.storage, count: 9)), [Double](repeating: 0, count: 9))
    }

    /// The packing buffers are laid out in whole cache lines, so that each B panel starts
    /// on one (1026 x 171 float64 is 48 bytes past a line; 1026 x 205 float32, 40).
    func testPackingBuffersStartOnCacheLines() {
        for count in [0, 1, 7, 8, 9, 1026 * 171, 1026 * 205, 258 * 128 + 1] {
            for (size, rounded) in [(8, cacheLineMultiple(count, of: Double.self)),
                                    (4, cacheLineMultiple(count, of: Float.self)),
                                    (8, cacheLineMultiple(count, of: Int64.self))] {
                XCTAssertEqual(rounded * size % 64, 0, "\(count) x \(size) bytes")
                XCTAssertTrue(rounded >= count && rounded < count + 64 / size, "\(count) x \(size) bytes -> \(rounded)")
            }
        }
    }

    func testCacheSizesParse() {
        XCTAssertEqual(parseCacheSize("32K"), 32 << 10)
        XCTAssertEqual(parseCacheSize("1M"), 1 << 20)
        XCTAssertEqual(parseCacheSize("4096"), 4096)
        XCTAssertNil(parseCacheSize("big"))
        let caches = CacheSizes.current
        XCTAssertTrue(caches.level1 <= caches.level2 && caches.level2 <= caches.level3)
    }

    /// The files as Linux writes them, each ending in a newline (which the first reader
    /// did not strip: every machine got the fallback sizes).
    func testCacheSizesAreReadFromSysfsFiles() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("caches-\(getpid())-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let entries = [("1", "Data", "48K"), ("1", "Instruction", "32K"), ("2", "Unified", "2048K"),
                       ("3", "Unified", "307200K")]
        for (index, (level, type, size)) in entries.enumerated() {
            let folder = root.appendingPathComponent("index\(index)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, value) in [("level", level), ("type", type), ("size", size)] {
                try (value + "\n").write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
        }
        // L3 is capped at 256 MiB; the instruction cache is not L1's size.
        XCTAssertEqual(CacheSizes(sysfs: root.path), CacheSizes(level1: 48 << 10, level2: 2 << 20, level3: 256 << 20))
        XCTAssertEqual(CacheSizes(sysfs: root.path + "/missing"), CacheSizes.fallback)
        // This machine's own files, read the same way, when it has them.
        let cpu0 = "/sys/devices/system/cpu/cpu0/cache"
        if let text = try? String(contentsOfFile: cpu0 + "/index0/size", encoding: .utf8), !text.isEmpty,
           (try? String(contentsOfFile: cpu0 + "/index0/type", encoding: .utf8))?.hasPrefix("Data") == true,
           let size = parseCacheSize(text.trimmingWhitespace()) {
            XCTAssertEqual(CacheSizes.current.level1, min(max(size, 16 << 10), 256 << 10))
        }
    }
}

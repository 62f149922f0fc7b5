import XCTest
@testable import FastKernels

final class SumTests: XCTestCase {
    func strided<T>(_ values: inout [T], _ body: (StridedBuffer<T>) throws -> Void) rethrows {
        try values.withUnsafeBufferPointer { try body(StridedBuffer($0)) }
    }

    func testIntegerSumsAreExactAtTheExtremes() throws {
        var values = [Int64](repeating: .max, count: 100_000) + [Int64](repeating: .min, count: 3)
        let expected = Int128(Int64.max) * 100_000 + Int128(Int64.min) * 3
        for threads in [1, 2, 5] {
            try strided(&values) { XCTAssertEqual(try exactSum($0, threads: threads), expected) }
        }
        var unsigned = [UInt64](repeating: .max, count: 70_000)
        try strided(&unsigned) { XCTAssertEqual(try exactSum($0, threads: 2), Int128(UInt64.max) * 70_000) }
        var small: [Int8] = [-128, 127, -1]
        try strided(&small) { XCTAssertEqual(try exactSum($0, threads: 1), -2) }
    }

    func testRandomIntegerSumsAgainstWideArithmetic() throws {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 7, 8, 9, 1000, 65_536, 300_001] {
            var values = (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }
            let expected = values.reduce(Int128(0)) { $0 + Int128($1) }
            try strided(&values) { XCTAssertEqual(try exactSum($0, threads: 3), expected, "count \(count)") }
        }
    }

    func testStridedAndByteSwappedReads() throws {
        var values: [Int32] = (0..<1000).map { Int32($0) - 500 }
        try values.withUnsafeMutableBytes { raw in
            // Every other element, backwards.
            let last = raw.baseAddress! + 999 * 4
            let view = StridedBuffer<Int32>(start: last, count: 500, byteStride: -8)
            let expected = stride(from: 999, through: 0, by: -2).reduce(Int128(0)) { $0 + Int128($1 - 500) }
            XCTAssertEqual(try exactSum(view, threads: 1), expected)
        }
        var big = [Int64](repeating: 0, count: 4)
        for i in 0..<4 { big[i] = Int64(i + 1).byteSwapped }
        try big.withUnsafeMutableBytes { raw in
            let view = StridedBuffer<Int64>(start: raw.baseAddress!, count: 4, byteStride: 8, byteSwapped: true)
            XCTAssertEqual(try exactSum(view, threads: 1), 10)
        }
    }

    func testCompensatedSumRecoversWhatNaiveSummationLoses() throws {
        var values = [Double](repeating: 0, count: 3 * 100_000)
        for i in 0..<100_000 { values[3 * i] = 1e100; values[3 * i + 1] = 1.0; values[3 * i + 2] = -1e100 }
        try strided(&values) { XCTAssertEqual(try compensatedSum($0, threads: 2), 100_000) }
        var tenths = [Double](repeating: 0.1, count: 10)
        try strided(&tenths) { XCTAssertEqual(try compensatedSum($0, threads: 1), 1.0) }
    }

    func sum(_ values: [Double]) throws -> Double {
        var values = values
        return try values.withUnsafeBufferPointer { try compensatedSum(StridedBuffer($0), threads: 1) }
    }

    func testSpecialValues() throws {
        XCTAssertEqual(try sum([.infinity, 1]), .infinity)
        XCTAssertTrue(try sum([.infinity, -.infinity]).isNaN)
        XCTAssertTrue(try sum([.nan, 1]).isNaN)
        XCTAssertEqual(try sum([-0.0]), 0)
        XCTAssertEqual(try sum([.leastNonzeroMagnitude, .leastNonzeroMagnitude]), 2 * .leastNonzeroMagnitude)
        XCTAssertEqual(try sum([1e308, 1e308, -1e308]), .infinity)
    }

    func testFloatResultIsTheSameForEveryThreadCount() throws {
        var rng = SystemRandomNumberGenerator()
        var values = (0..<1_000_003).map { _ in Double.random(in: -1e6...1e6, using: &rng) }
        try strided(&values) { buffer in
            let one = try compensatedSum(buffer, threads: 1)
            for threads in [2, 3, 7] { XCTAssertEqual(try compensatedSum(buffer, threads: threads).bitPattern, one.bitPattern) }
        }
    }

    func testCancellation() {
        let values = [Double](repeating: 1, count: 1 << 20)
        let result = values.withUnsafeBufferPointer { buffer in
            try? compensatedSum(StridedBuffer(buffer), threads: 2, isCancelled: { true })
        }
        XCTAssertNil(result)
    }

    func testPythonSumPromotion() {
        var sum = PythonSum()
        let ints: [Int64] = [Int64.max, Int64.max]
        ints.withUnsafeBufferPointer { sum.add(integers: $0.baseAddress!, count: 2) }
        XCTAssertEqual(sum.result, .int(Int128(Int64.max) * 2))
        let floats: [Double] = [0.5, 1e-20]
        floats.withUnsafeBufferPointer { sum.add(floats: $0.baseAddress!, count: 2) }
        // float(2 * Int64.max) + 0.5 rounds once, then 1e-20 is kept in the compensation.
        XCTAssertEqual(sum.result, .float(Double(Int128(Int64.max) * 2) + 0.5))
    }
}

import XCTest
import KernelLoops
import KernelLoopsAVX512
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

    /// Each tier's 64-bit loop (baseline, AVX2 on 4 lanes, AVX-512 on 8, two vectors a step)
    /// at every count around its steps, signed and unsigned, extremes included.
    func testEveryTiersSixtyFourBitLoopIsExact() throws {
        var rng = SystemRandomNumberGenerator()
        for count in Array(0...70) + [1000, 4099] {
            let signed = (0..<count).map { i in
                i % 5 == 0 ? Int64.min : i % 7 == 0 ? Int64.max : Int64.random(in: .min ... .max, using: &rng)
            }
            let unsigned = signed.map { UInt64(bitPattern: $0) }
            let expectedSigned = signed.reduce(Int128(0)) { $0 + Int128($1) }
            let expectedUnsigned = unsigned.reduce(Int128(0)) { $0 + Int128($1) }
            signed.withUnsafeBufferPointer { p in
                XCTAssertEqual(exactSum64(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, count), expectedSigned)
                if InstructionSet.supported >= .avx2 {
                    XCTAssertEqual(exactSumAVX2(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, count), expectedSigned)
                }
                if InstructionSet.supported >= .avx512 {
                    XCTAssertEqual(exactSumAVX512(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, count), expectedSigned,
                                   "count \(count)")
                }
            }
            unsigned.withUnsafeBufferPointer { p in
                XCTAssertEqual(exactSum64(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, count), expectedUnsigned)
                if InstructionSet.supported >= .avx2 {
                    XCTAssertEqual(exactSumAVX2(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, count), expectedUnsigned,
                                   "count \(count)")
                }
                if InstructionSet.supported >= .avx512 {
                    XCTAssertEqual(exactSumAVX512(p.baseAddress ?? UnsafePointer(bitPattern: 8)!, count), expectedUnsigned,
                                   "count \(count)")
                }
            }
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

    /// Python's sum() of `values` (a float array), from `start`, under `rules`.
    func pythonSum(_ values: [Double], start: Int64 = 0, rules: PythonSumRules) throws -> PythonSum.Result {
        var sum = PythonSum(start: start, rules: rules)
        var values = values
        try strided(&values) { try addInOrder($0, to: &sum) }
        return sum.result
    }

    func testPlainRuleAddsInOrder() throws {
        // CPython 3.9-3.11: `f += x`, one rounding per addition.
        XCTAssertEqual(try pythonSum([Double](repeating: 0.1, count: 10), rules: .plain), .float(0.9999999999999999))
        let cancelling: [Double] = [1.0, 1e100, 1.0, -1e100]
        XCTAssertEqual(try pythonSum(cancelling, rules: .plain), .float(0.0))
        XCTAssertEqual(try pythonSum([-0.0], rules: .plain), .float(0.0))  // int 0 + -0.0
    }

    func testCompensatedRuleIsNeumaiersAsCPythonWritesIt() throws {
        XCTAssertEqual(try pythonSum([Double](repeating: 0.1, count: 10), rules: .compensatedFloats), .float(1.0))
        var values: [Double] = []
        for _ in 0..<13 { values += [1.0, 1e100, 1.0, -1e100] }
        XCTAssertEqual(try pythonSum(values, rules: .compensatedFloats), .float(26.0))
        XCTAssertEqual(try pythonSum([.infinity, 1], rules: .compensatedFloats), .float(.infinity))
        guard case .float(let nan) = try pythonSum([.infinity, -.infinity], rules: .compensatedFloats) else {
            return XCTFail("not a float")
        }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(try pythonSum([1e308, 1e308, -1e308], rules: .compensatedFloats), .float(.infinity))
    }

    func testIntsInTheFloatLoop() {
        // 3.12-3.13 add ints plainly (no compensation), 3.14 compensates them too.
        for (rules, expected) in [(PythonSumRules.plain, 0.0), (.compensatedFloats, 0.0), (.compensated, 1.0)] {
            var sum = PythonSum(start: 1e100, rules: rules)
            sum.add(integer: 1)
            sum.add(float: -1e100)
            XCTAssertEqual(sum.result, PythonSum.Result.float(expected), "\(rules)")
        }
    }

    func testIntLoopOverflowMovesToTheGenericLoop() {
        // The int loop's total overflows a C long: exact from then on, and floats added plainly even in 3.12.
        var sum = PythonSum(start: Int64(0), rules: .compensatedFloats)
        let ints: [Int64] = [Int64.max, Int64.max]
        ints.withUnsafeBufferPointer { sum.add(integers: $0.baseAddress!, count: 2) }
        XCTAssertEqual(sum.mode, PythonSum.Mode.genericInt)
        XCTAssertEqual(sum.result, PythonSum.Result.int(Int128(Int64.max) * 2))
        sum.add(float: 0.5)
        XCTAssertEqual(sum.mode, PythonSum.Mode.genericFloat)
        XCTAssertEqual(sum.result, PythonSum.Result.float(roundedToDouble(Int128(Int64.max) * 2) + 0.5))
        sum.add(float: 1e-300)
        XCTAssertEqual(sum.result, PythonSum.Result.float(roundedToDouble(Int128(Int64.max) * 2) + 0.5))
    }

    func testWideUnsignedValuesLeaveTheFastLoops() {
        var sum = PythonSum(start: Int64(0), rules: .plain)
        sum.add(wideInteger: UInt64.max)
        XCTAssertEqual(sum.mode, PythonSum.Mode.genericInt)
        var floating = PythonSum(start: 0.5, rules: .compensatedFloats)
        floating.add(wideInteger: 1 << 63)
        XCTAssertEqual(floating.mode, PythonSum.Mode.genericFloat)
        XCTAssertEqual(floating.result, PythonSum.Result.float(0.5 + 9223372036854775808.0))
    }

    func testRoundingAnIntToADoubleIsHalfEven() {
        let twoTo60 = Int128(1) << 60
        XCTAssertEqual(roundedToDouble(twoTo60 + 128), Double(1 << 60))          // a tie: to even
        XCTAssertEqual(roundedToDouble(twoTo60 + 384), Double(1 << 60) + 512)    // a tie: to even (up)
        XCTAssertEqual(roundedToDouble(twoTo60 + 129), Double(1 << 60) + 256)
        XCTAssertEqual(roundedToDouble(-(Int128(1) << 100) - 1), -0x1p100)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let value = Int128(Int64.random(in: .min ... .max, using: &rng))
            XCTAssertEqual(roundedToDouble(value), Double(Int64(value)))
            let wide = value << Int128(Int.random(in: 0..<60, using: &rng)) + Int128(Int.random(in: 0..<1000, using: &rng))
            XCTAssertEqual(roundedToDouble(wide), Double(wide))  // the standard library also rounds half to even
        }
    }

    func testCountNonZeroBytes() throws {
        let bytes: [UInt8] = [0, 1, 2, 255, 0] + [UInt8](repeating: 3, count: 70_000)
        try bytes.withUnsafeBufferPointer { buffer in
            XCTAssertEqual(try countNonZero(StridedBuffer(buffer), threads: 2), 70_003)
        }
    }

    func testIntegerSequenceSumDeclinesMixedInput() {
        let total = exactSumOfIntegerSequence(count: 200_000, threads: 3) { range, integers in
            for (offset, index) in range.enumerated() { integers[offset] = Int64(index) }
            return true
        }
        XCTAssertEqual(total, Int128(200_000) * 199_999 / 2)
        let declined = exactSumOfIntegerSequence(count: 200_000, threads: 3) { range, _ in !range.contains(150_000) }
        XCTAssertNil(declined)
    }
}

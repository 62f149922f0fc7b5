import XCTest
@testable import FastKernels

/// math.fsum's outcomes, checked against Python 3.11's math.fsum (the expected
/// bit patterns below were computed by it) and against each other: the
/// sequential reference (FSumSequence), the superaccumulator (ExactFloatSum)
/// and the array kernel (fsum) on every buffer layout and thread count.
final class FSumTests: XCTestCase {
    // MARK: helpers

    func sequence(_ values: [Double]) -> FSumOutcome {
        var s = FSumSequence()
        for x in values where !s.add(x) { break }
        return s.outcome
    }

    func exact(_ values: [Double], path: ExactFloatSum.Path? = nil) -> ExactFloatSum {
        var sum = ExactFloatSum()
        values.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            if let path { sum.add(base, count: b.count, path: path) } else { sum.add(base, count: b.count) }
        }
        return sum
    }

    func kernel<T: FSumElement>(_ values: [T], threads: Int = 1) throws -> FSumOutcome {
        var values = values
        return try values.withUnsafeMutableBufferPointer { try fsum(StridedBuffer(UnsafeBufferPointer($0)), threads: threads) }
    }

    /// Every engine agrees with `expected` (the exact sum only when it decides).
    func assertAll(_ values: [Double], _ expected: FSumOutcome, _ message: String = "",
                   file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(sequence(values), expected, "FSumSequence \(message)", file: file, line: line)
        if let decided = exact(values).decidedOutcome {
            XCTAssertEqual(decided, expected, "ExactFloatSum \(message)", file: file, line: line)
        }
        for threads in [1, 2] {
            XCTAssertEqual(try kernel(values, threads: threads), expected, "fsum \(message)", file: file, line: line)
        }
    }

    func value(_ x: Double) -> FSumOutcome { .value(x) }

    // MARK: hand-checked cases

    func testEmptyAndZeros() throws {
        try assertAll([], value(0.0))
        try assertAll([-0.0], value(0.0))   // fsum never returns -0.0
        try assertAll([-0.0, -0.0], value(0.0))
        try assertAll([0.0, -0.0], value(0.0))
        try assertAll([1.5, -1.5], value(0.0))
        XCTAssertNotEqual(FSumOutcome.value(0.0), .value(-0.0))  // outcomes compare bit patterns
        XCTAssertEqual(FSumOutcome.value(.nan), .value(.nan))
    }

    func testClassicCases() throws {
        try assertAll([1e-16, 1, 1e16], value(10000000000000002.0))  // half-even across partials
        try assertAll([Double](repeating: 0.1, count: 10), value(1.0))
        try assertAll([1e308, 1.0, -1e308], value(1.0))
        try assertAll([1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], value(1e-100))
        try assertAll([5e-324, 5e-324, 5e-324], value(1.5e-323))
        try assertAll([2.2250738585072014e-308, -5e-324], value(2.225073858507201e-308))
        try assertAll([1.0, 0x1p-53], value(1.0))                       // a tie, to even
        try assertAll([1.0, 0x1p-53, 0x1p-106], value(1.0000000000000002))  // just above the tie
        try assertAll([1.0 + 0x1p-52, 0x1p-53], value(1.0000000000000004))  // a tie, to even (up)
        try assertAll([1.0, -0x1p-54], value(1.0))
    }

    func testIntermediateOverflowDependsOnOrder() throws {
        try assertAll([1e308, 1e308, -1e308], .intermediateOverflow)
        try assertAll([1e308, -1e308, 1e308], value(1e308))
        try assertAll([.greatestFiniteMagnitude, 0x1p970], .intermediateOverflow)  // rounds up to inf
        try assertAll([.greatestFiniteMagnitude, 0x1p969], value(.greatestFiniteMagnitude))
        var s = FSumSequence()
        XCTAssertTrue(s.add(1e308))
        XCTAssertFalse(s.add(1e308))   // decided: stop feeding
        XCTAssertFalse(s.add(-1e308))
        XCTAssertEqual(s.outcome, .intermediateOverflow)
    }

    func testSpecialValues() throws {
        try assertAll([.infinity], value(.infinity))
        try assertAll([-.infinity, 1, -.infinity], value(-.infinity))
        try assertAll([.infinity, -.infinity], .infMinusInf)
        try assertAll([.infinity, 1e308, 1e308], .intermediateOverflow)  // the reset does not hide it
        try assertAll([1e308, .infinity, 1e308], value(.infinity))       // the partials restart at inf
        try assertAll([.infinity, 1e308, 1e308, -.infinity], .intermediateOverflow)
        try assertAll([.nan, 1], value(Double(bitPattern: 0x7FF8_0000_0000_0000)))
        // Which nan: the newest one, quieted (as CPython's special_sum += x gives on x86-64).
        let a = Double(bitPattern: 0x7FF0_0000_0000_0005), b = Double(bitPattern: 0xFFF8_0000_0000_1234)
        try assertAll([a, 2.0], value(Double(bitPattern: 0x7FF8_0000_0000_0005)))
        try assertAll([a, .infinity, b, 3.0], value(b))
        try assertAll([b, .infinity, a], value(Double(bitPattern: 0x7FF8_0000_0000_0005)))
        try assertAll([.nan, .infinity, -.infinity], .infMinusInf)
    }

    /// Expected outcomes computed by Python 3.11's math.fsum (inputs and results as bit patterns).
    let pythonCases: [([UInt64], FSumOutcome)] = [
        ([0x3c9cd2b297d889bc, 0x3ff0000000000000, 0x4341c37937e08000], .value(Double(bitPattern: 0x4341c37937e08001))),
        ([0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a, 0x3fb999999999999a], .value(Double(bitPattern: 0x3ff0000000000000))),
        ([0x7fe1ccf385ebc8a0, 0x7fe1ccf385ebc8a0, 0xffe1ccf385ebc8a0], .intermediateOverflow),
        ([0x7fe1ccf385ebc8a0, 0xffe1ccf385ebc8a0, 0x7fe1ccf385ebc8a0], .value(Double(bitPattern: 0x7fe1ccf385ebc8a0))),
        ([0x7fefffffffffffff, 0x7c90000000000000], .intermediateOverflow),
        ([0x7fefffffffffffff, 0x7c80000000000000], .value(Double(bitPattern: 0x7fefffffffffffff))),
        ([0x7fefffffffffffff, 0x7c90000000000000, 0xffefffffffffffff], .intermediateOverflow),
        ([0x7fefffffffffffff, 0xffefffffffffffff, 0x7fefffffffffffff, 0x7c90000000000000], .intermediateOverflow),
        ([0x7fe0000000000000, 0x7fe0000000000000, 0xffe0000000000000], .intermediateOverflow),
        ([0xffe0000000000000, 0xffe0000000000000], .intermediateOverflow),
        ([0x7fefffffffffffff, 0x7c9fffffffffffff, 0xffefffffffffffff], .intermediateOverflow),
        ([0x0000000000000001, 0x0000000000000001, 0x0000000000000001], .value(Double(bitPattern: 0x0000000000000003))),
        ([0x0010000000000000, 0x8000000000000001], .value(Double(bitPattern: 0x000fffffffffffff))),
        ([0x00000000000007e8, 0x00000000000007e8, 0x80000000000017b8, 0x0011fa182c40c60d], .value(Double(bitPattern: 0x0011fa182c40be25))),
        ([0x3ff0000000000000, 0x3ca0000000000000], .value(Double(bitPattern: 0x3ff0000000000000))),
        ([0x3ff0000000000000, 0x3ca0000000000000, 0x3950000000000000], .value(Double(bitPattern: 0x3ff0000000000001))),
        ([0x3ff0000000000000, 0x3ca0000000000000, 0xb950000000000000], .value(Double(bitPattern: 0x3ff0000000000000))),
        ([0x3ff0000000000001, 0x3ca0000000000000], .value(Double(bitPattern: 0x3ff0000000000002))),
        ([0x4340000000000000, 0x3ff0000000000000], .value(Double(bitPattern: 0x4340000000000000))),
        ([0x4340000000000001, 0x3ff0000000000000], .value(Double(bitPattern: 0x4340000000000002))),
        ([0x4340000000000001, 0x3ff0000000000000, 0xbd70000000000000], .value(Double(bitPattern: 0x4340000000000001))),
        ([0x4008000000000000, 0x3cb0000000000000, 0x3960000000000000], .value(Double(bitPattern: 0x4008000000000001))),
        ([0x3ffb333333333333, 0xbffb333333333333, 0x01a56e1fc2f8f359], .value(Double(bitPattern: 0x01a56e1fc2f8f359))),
        ([0x54b249ad2594c37d, 0x3ff0000000000000, 0xd4b249ad2594c37d, 0x2b2bff2ee48e0530], .value(Double(bitPattern: 0x3ff0000000000000))),
        ([0x0000000000000003, 0x8000000000000002], .value(Double(bitPattern: 0x0000000000000001))),
        ([0x3fb999999999999a, 0x3fc999999999999a, 0x3fd3333333333333, 0xbfe3333333333333], .value(Double(bitPattern: 0x3c80000000000000))),
        ([0x4341c37937e08000, 0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, 0xc341c37937e08000], .value(Double(bitPattern: 0x4008000000000000))),
        ([0xc341c37937e08000, 0x3fdffffffffffffe, 0x4341c37937e08000], .value(Double(bitPattern: 0x3fdffffffffffffe))),
        ([0x4132d687e4189375, 0xbeb4b3fd5942cd96, 0x430c122187b67200, 0xc30c122187b67200, 0x0000000000000001], .value(Double(bitPattern: 0x4132d687e4187ec1))),
        ([0x7ff0000000000000, 0x7fe1ccf385ebc8a0, 0x7fe1ccf385ebc8a0], .intermediateOverflow),
        ([0x7fe1ccf385ebc8a0, 0x7fe1ccf385ebc8a0, 0x7ff0000000000000], .intermediateOverflow),
        ([0x7ff0000000000000, 0xfff0000000000000, 0x3ff0000000000000], .infMinusInf),
        ([0x7ff8000000000000, 0x3ff0000000000000], .value(Double(bitPattern: 0x7ff8000000000000))),
        ([0xfff0000000000000, 0xfff0000000000000, 0x4008000000000000], .value(Double(bitPattern: 0xfff0000000000000))),
        ([0x7ff0000000000000, 0x7fe1ccf385ebc8a0, 0x7fe1ccf385ebc8a0, 0xfff0000000000000], .intermediateOverflow),
        ([0xa364d4746513270f, 0x8f5125f2d23f0825, 0xda2db209531985d0, 0x065bc0d82c0146b6, 0x0e8738f1ece0b928], .value(Double(bitPattern: 0xda2db209531985d0))),
        ([0x9c6c931bca304174, 0xe25f3d7b0cb1e29d, 0x88bb78928e81973f], .value(Double(bitPattern: 0xe25f3d7b0cb1e29d))),
        ([0xe8114d4c24ede6a5, 0xcbca1db58f6d0559, 0x9732474e94e3bf91, 0xdc21871f18f135d3, 0x0bfa5cda79dda6c4], .value(Double(bitPattern: 0xe8114d4c24ede6a5))),
        ([0x6a341afd8df0ee32, 0xf0c32f60b92152b2, 0xaad8f45db2f14c95, 0x11b33749261add5e, 0x54acb9b37579da42, 0x0f8061c01e398f11, 0xa6f5e43f83a7f9fe, 0xf9b412f6bf46c690], .value(Double(bitPattern: 0xf9b412f6bf46c690))),
        ([0x4d263fdc57124243, 0x7bf980239474031b, 0x0e37f5eeb84107f8, 0xf62540bcb2715945, 0x0c56729fbb2d420f, 0x6ee6ee9d48db40af, 0x55ae19cb05c6af07, 0xd7c38ca72b0537e7, 0x7b1bee383c5e8c04], .value(Double(bitPattern: 0x7bf980934d54f495))),
        ([0x3c290550cbb93ea2, 0x116cbf7c552df636, 0x43d186cb8895c564, 0x440a943769acd476], .value(Double(bitPattern: 0x440cc510dabf8d23))),
        ([0xde1d8943d4b77d74, 0x91e35dbcb4726bc4, 0xb87f09a0062d213e, 0xbfa0c424164e5e80, 0x6807a1d911b5e802, 0x9cfb7e95b0c4312d, 0x71bbdf10e647cb8f, 0xe2a93942cc46f40a], .value(Double(bitPattern: 0x71bbdf10e647cb8f))),
        ([0xe33865e43fbde4a4, 0xb224c659c333b0c4, 0xd39aeb399c943090, 0x8004d7299118bb17, 0xd99a1cf3a3bc5420, 0xb1f814253a67403a], .value(Double(bitPattern: 0xe33865e43fbde4a4))),
        ([0x3d563ba1e9331afa, 0x760d87c8fb94b558, 0x740ef724f5f658d2, 0x129a28f1272712d8, 0xc09a85fb7a86f7a3, 0x02be6e793488f877, 0xa25161abb0a844e5, 0xc91492c6fa7f0eab], .value(Double(bitPattern: 0x760d87c8fbb3ac7d))),
        ([0xbf977803096b5032, 0x57bc847b1676e45c, 0xb5e9f7e69cfc8653, 0xba09a4d1a2fc892e, 0x2fef89bd0907f172, 0x03ec9b9faad524e0, 0x7598c9590965014c, 0x6f4dfc13cefe2a1f], .value(Double(bitPattern: 0x7598c9590965014c))),
        ([0x913a26f9c381c008, 0xf5159d7c64b6abba, 0xf85f87289fc2d0a1, 0x7784e532e8c14743, 0x92852384d5ab8b4d], .value(Double(bitPattern: 0xf85f8681762b8a98))),
        ([0xafdc72c77a605a91, 0x6be458d1ca04c79f, 0x130e46fccd02c5e1, 0xf367c98b66c1494f, 0xa57fc7932b855c1f, 0x03d2e7ef26b1cffd], .value(Double(bitPattern: 0xf367c98b66c1494f))),
        ([0x7c90000000000000, 0x7c90000000000000, 0xffd0000000000000, 0x3ff0000000000000], .value(Double(bitPattern: 0xffcffffffffffffc))),
        ([0xffefffffffffffff, 0x7c90000000000000, 0x7c90000000000000, 0xffefffffffffffff, 0x7fefffffffffffff], .intermediateOverflow),
        ([0x3ff0000000000000, 0x3ff0000000000000, 0x7fefffffffffffff], .value(Double(bitPattern: 0x7fefffffffffffff))),
        ([0xffd0000000000000, 0xffefffffffffffff, 0xffefffffffffffff, 0x7fefffffffffffff], .intermediateOverflow),
        ([0xffefffffffffffff, 0x7fd0000000000000, 0x7c90000000000000, 0xffefffffffffffff, 0x7c90000000000000], .intermediateOverflow),
        ([0x7fd0000000000000, 0x7c90000000000000, 0xffd0000000000000, 0xffefffffffffffff, 0x7fefffffffffffff], .value(Double(bitPattern: 0x7c90000000000000))),
    ]

    func testAgainstPython() throws {
        for (index, (bits, expected)) in pythonCases.enumerated() {
            try assertAll(bits.map { Double(bitPattern: $0) }, expected, "case \(index)")
        }
    }

    func testIntegersRoundLikePythonFloat() throws {
        // math.fsum(ints) in Python 3.11: each int rounded to a double (ties to even) first.
        let signed: [([Int64], UInt64)] = [
            ([9007199254740993, 9007199254740993], 0x4350000000000000),
            ([9223372036854775807, 9223372036854775807, -9223372036854775808], 0x43e0000000000000),
            ([-9223372036854775808, 1], 0xc3e0000000000000),
            ([4611686018427388672, 3], 0x43d0000000000001),
            ([1152921504606847168, 1152921504606847168], 0x43c0000000000001),
            ([5187557457942614157, -5720297781732648398, 219675563324631337, -7487100707436686299,
              -6607713467406502783, 2480216081659408167], 0xc3e4b0f245700c36),
            ([2768320932762453118, -8058184880770253130, 1837629336617744952, -665291745068442432,
              352777619416061162, -3797233274302355379, 2996664992439013030], 0xc3cfada1d1ff764d),
        ]
        let unsigned: [([UInt64], UInt64)] = [
            ([18446744073709551615], 0x43f0000000000000),
            ([18446744073709551615, 18446744073709551615, 1], 0x4400000000000000),
            ([9007199254740993, 9223372036854778881], 0x43e0040000000002),
            ([18446744073709550592, 18446744073709549568], 0x4400000000000000),
            ([4976481267635116274, 5740804462466766099, 17784067281842656897, 17023535457172910436,
              202084392168729537, 14702451914164292652, 2415916268331689182], 0x440b413c05aef74d),
        ]
        for (values, bits) in signed {
            // Repeated past a vector group, so both the SIMD and the scalar conversions run.
            let many = Array(repeating: values, count: 9).joined()
            XCTAssertEqual(try kernel(values), value(Double(bitPattern: bits)), "\(values)")
            XCTAssertEqual(try kernel(Array(many)), sequence(many.map { Double($0) }))
        }
        for (values, bits) in unsigned {
            let many = Array(repeating: values, count: 9).joined()
            XCTAssertEqual(try kernel(values), value(Double(bitPattern: bits)), "\(values)")
            XCTAssertEqual(try kernel(Array(many)), sequence(many.map { Double($0) }))
        }
        XCTAssertEqual(try kernel([Int8.min, 127, -1]), value(-2))
        XCTAssertEqual(try kernel([UInt32.max, UInt32.max]), value(8589934590))
    }

    func testVectorIntegerConversionRoundsLikeScalar() {
        var rng = SystemRandomNumberGenerator()
        var samples: [UInt64] = [0, 1, .max, 1 << 63, (1 << 63) - 1, (1 << 63) + 1, 1 << 53, (1 << 53) + 1]
        for shift in 53..<64 {
            let ulp: UInt64 = 1 << (shift - 52)
            for k: UInt64 in [0, 1, 2, 3] {
                let base = (UInt64(1) << shift) &+ k &* ulp
                samples += [base &+ ulp / 2, base &+ ulp / 2 &- 1, base &+ ulp / 2 &+ 1, base, ~base, ~(base &+ ulp / 2)]
            }
        }
        for _ in 0..<2000 { samples.append(UInt64.random(in: 0 ... .max, using: &rng) >> UInt64.random(in: 0..<64, using: &rng)) }
        // Each value alone among zeros, so that it goes through the vector conversion.
        for x in samples {
            for path in [ExactFloatSum.Path.baseline, .avx2, .avx512] {
                var unsigned = ExactFloatSum(), signed = ExactFloatSum()
                var u = [UInt64](repeating: 0, count: 8), s = [Int64](repeating: 0, count: 8)
                u[5] = x
                s[2] = Int64(bitPattern: x)
                u.withUnsafeBufferPointer { unsigned.add($0.baseAddress!, count: 8, path: path) }
                s.withUnsafeBufferPointer { signed.add($0.baseAddress!, count: 8, path: path) }
                XCTAssertEqual(unsigned.roundedValue.bitPattern, Double(x).bitPattern, "\(x)")
                XCTAssertEqual(signed.roundedValue.bitPattern, Double(Int64(bitPattern: x)).bitPattern, "\(Int64(bitPattern: x))")
            }
        }
    }

    // MARK: random inputs

    struct Generator: RandomNumberGenerator {  // xorshift*, seeded: reproducible failures
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2685821657736338717
        }
    }

    /// A double with a random sign, exponent in `exponents` and a mantissa of random length.
    func randomDouble(_ rng: inout Generator, exponents: ClosedRange<Int> = -1074...1023) -> Double {
        let bits = [1, 2, 7, 30, 53, 53][Int.random(in: 0..<6, using: &rng)]
        let mantissa = Double(UInt64.random(in: 0..<(1 << UInt64(bits)), using: &rng) | 1)
        let exponent = Int.random(in: exponents, using: &rng)
        let x = Double(sign: .plus, exponent: exponent, significand: mantissa * 0x1p-52)  // like ldexp
        let finite = x.isFinite ? x : .greatestFiniteMagnitude
        return Bool.random(using: &rng) ? finite : -finite
    }

    func randomVector(_ rng: inout Generator, count: Int, family: Int) -> [Double] {
        switch family {
        case 0:  // anything finite
            return (0..<count).map { _ in randomDouble(&rng) }
        case 1:  // subnormals and the smallest normals
            return (0..<count).map { _ in randomDouble(&rng, exponents: -1074 ... -1010) }
        case 2:  // huge cancellation: pairs x, -x, plus a little
            var values = (0..<count / 2).map { _ in randomDouble(&rng, exponents: -300...300) }
            values += values.map { -$0 }
            if count % 2 == 1 { values.append(randomDouble(&rng, exponents: -1074...(-1000))) }
            values.shuffle(using: &rng)
            return values
        case 3:  // a narrow range (the split path: 2 levels)
            return (0..<count).map { _ in randomDouble(&rng, exponents: -20...10) }
        case 4:  // 3 and 4 levels
            return (0..<count).map { _ in randomDouble(&rng, exponents: -100...10) }
        case 5:  // near the top (the bins, and overflow)
            return (0..<count).map { _ in randomDouble(&rng, exponents: 950...1023) }
        case 6:  // bins below the split path's range, with zeros
            return (0..<count).map { i in i % 5 == 0 ? 0 : randomDouble(&rng, exponents: -1000 ... -950) }
        default:  // ties and exactly representable sums
            return (0..<count).map { _ in [1.0, 0x1p-53, -0x1p-53, 0x1p-106, 3.0, 0x1p53, -1.0, 0x1p-1074][Int.random(in: 0..<8, using: &rng)] }
        }
    }

    func testExactSumDecidesLikeTheSequenceOnRandomInputs() throws {
        var rng = Generator(state: 0x9E37_79B9_7F4A_7C15)
        var decided = 0, total = 0
        let counts = Array(0..<40) + [63, 64, 65, 1023, 1024, 1025, 3000, 10_000, 100_000]
        for count in counts {
            for family in 0..<8 {
                let values = randomVector(&rng, count: count, family: family)
                let expected = sequence(values)
                let sum = exact(values)
                total += 1
                if let outcome = sum.decidedOutcome {
                    decided += 1
                    XCTAssertEqual(outcome, expected, "count \(count) family \(family)")
                }
                XCTAssertEqual(try kernel(values), expected, "count \(count) family \(family)")
            }
        }
        XCTAssertGreaterThan(decided, total / 2)
    }

    func testLoopsAgreeAcrossPathsTiersAndMerges() {
        var rng = Generator(state: 42)
        for family in 0..<8 {
            for count in [1, 7, 8, 1023, 1024, 1025, 5000] {
                var values = randomVector(&rng, count: count, family: family)
                if family == 0 && count > 8 { values[3] = .infinity; values[5] = .nan }
                let reference = exact(values, path: .oneByOne)
                XCTAssertTrue(exact(values, path: .baseline).holdsSameSum(as: reference), "baseline \(family) \(count)")
                XCTAssertTrue(exact(values, path: .avx2).holdsSameSum(as: reference), "avx2 \(family) \(count)")
                XCTAssertTrue(exact(values, path: .avx512).holdsSameSum(as: reference), "avx512 \(family) \(count)")
                // Cut into random pieces, summed apart, merged.
                var merged = ExactFloatSum()
                var start = 0
                while start < values.count {
                    let end = min(values.count, start + Int.random(in: 1...700, using: &rng))
                    let piece = exact(Array(values[start..<end]))
                    merged.merge(piece)
                    start = end
                }
                XCTAssertTrue(merged.holdsSameSum(as: reference), "merged \(family) \(count)")
                let floats = values.map { Float($0) }
                var viaFloat = ExactFloatSum(), viaDouble = ExactFloatSum()
                floats.withUnsafeBufferPointer { viaFloat.add($0.baseAddress!, count: $0.count) }
                floats.map { Double($0) }.withUnsafeBufferPointer { viaDouble.add($0.baseAddress!, count: $0.count, path: .oneByOne) }
                XCTAssertTrue(viaFloat.holdsSameSum(as: viaDouble), "float \(family) \(count)")
            }
        }
    }

    /// Blocks at the edges of the split path's bounds (top, and the span from the
    /// largest to the smallest exponent that decides the levels): extreme
    /// magnitudes, full mantissas at the bottom, one sign or mixed.
    func testSplitPathAtItsLimits() {
        var rng = Generator(state: 99)
        let fullMantissa = 2 - 0x1p-52
        for top in [-940, -1, 0, 3, 1000, 1010, 1011] {
            for span in [0, 1, 30, 31, 32, 33, 34, 72, 73, 74, 75, 76, 114, 115, 116, 117, 118, 127, 128] {
                for pattern in 0..<7 {
                    let values: [Double] = (0..<1024).map { i in
                        if pattern >= 4 {
                            // The largest remainders of the last split level (ties, to even: below),
                            // all of one sign, one value with the smallest last bit, one at the top.
                            let depth = pattern - 4
                            switch i {
                            case 0: return Double(sign: .plus, exponent: top, significand: 1)
                            case 1: return Double(sign: .plus, exponent: top - span, significand: fullMantissa)
                            default: return Double(sign: .plus, exponent: top - 42 * depth, significand: 1 + 0x1p-41)
                            }
                        }
                        let sign: Double = pattern == 0 || (pattern == 1 && i % 2 == 0) ? 1 : (pattern == 3 ? (Bool.random(using: &rng) ? 1 : -1) : -1)
                        switch i % 4 {
                        case 0: return sign * Double(sign: .plus, exponent: top, significand: fullMantissa)
                        case 1: return sign * Double(sign: .plus, exponent: top - span, significand: fullMantissa)
                        case 2:
                            let e = Int.random(in: (top - span)...top, using: &rng)
                            let m = 1 + Double(UInt64.random(in: 0..<(1 << 52), using: &rng)) * 0x1p-52
                            return sign * Double(sign: .plus, exponent: e, significand: m)
                        default: return pattern == 2 ? 0 : sign * Double(sign: .plus, exponent: top - span, significand: 1 + 0x1p-52)
                        }
                    }
                    let reference = exact(values, path: .oneByOne)
                    for path in [ExactFloatSum.Path.baseline, .avx2, .avx512] {
                        XCTAssertTrue(exact(values, path: path).holdsSameSum(as: reference),
                                      "top \(top) span \(span) pattern \(pattern) \(path)")
                    }
                }
            }
        }
    }

    /// Blocks after the first are tried on the previous block's split parameters
    /// and checked as they go: blocks that break the guess, by one value, at
    /// every position of the block.
    func testBlocksThatBreakThePreviousBlocksGuess() {
        var rng = Generator(state: 5)
        let intruders: [Double] = [2, 3.9, 4, 8, 16, 1e300, 0x1p-26, 0x1p-27, 0x1p-28, 0x1p-29, 0x1p-30, 0x1p-35,
                                   0x1p-70, 0x1p-75, 1e-300, 5e-324, 0, -0.0, .infinity, -.infinity, .nan]
        for intruder in intruders {
            for position in [0, 1, 7, 8, 500, 1020, 1023] {
                var values = (0..<3000).map { _ in randomDouble(&rng, exponents: -3...1) }
                // A full mantissa (the last bit matters), either sign.
                values[1024 + position] = intruder * (1 + 0x1p-51 + 0x1p-52) * (Bool.random(using: &rng) ? 1 : -1)
                let reference = exact(values, path: .oneByOne)
                for path in [ExactFloatSum.Path.baseline, .avx2, .avx512] {
                    XCTAssertTrue(exact(values, path: path).holdsSameSum(as: reference), "\(intruder) at \(position) \(path)")
                }
            }
        }
        // Whole blocks that jump up or down, all of one sign, full mantissas.
        for jump in [-40, -30, -3, -1, 1, 2, 3, 4, 5, 8, 30] {
            var values = (0..<3072).map { _ in (1 + 0x1p-52) * Double(sign: .plus, exponent: Int.random(in: -2...1, using: &rng), significand: 1.99) }
            for i in 1024..<2048 { values[i] = values[i] * Double(sign: .plus, exponent: jump, significand: 1) }
            values[1030] = (1 + 0x1p-52) * 0x1p-32  // a small last bit in the jumping block
            let reference = exact(values, path: .oneByOne)
            for path in [ExactFloatSum.Path.baseline, .avx2, .avx512] {
                XCTAssertTrue(exact(values, path: path).holdsSameSum(as: reference), "jump \(jump) \(path)")
            }
        }
    }

    // MARK: the array kernel

    func testBuffersAndThreadCounts() throws {
        var rng = Generator(state: 7)
        let count = 300_001  // above the parallel threshold
        let doubles = (0..<count).map { _ in randomDouble(&rng, exponents: -40...40) }
        let expected = sequence(doubles)
        for threads in [1, 2, 3, 7] {
            XCTAssertEqual(try kernel(doubles, threads: threads), expected, "contiguous, threads \(threads)")
        }
        // Every other element, backwards, in the opposite byte order.
        var storage = [UInt64](repeating: 0, count: 2 * count)
        for i in 0..<count { storage[2 * (count - 1 - i)] = doubles[i].bitPattern.byteSwapped }
        try storage.withUnsafeMutableBytes { raw in
            let view = StridedBuffer<Double>(start: raw.baseAddress! + 16 * (count - 1), count: count,
                                             byteStride: -16, byteSwapped: true)
            for threads in [1, 2, 3, 7] {
                XCTAssertEqual(try fsum(view, threads: threads), expected, "strided, threads \(threads)")
            }
        }
        let floats = doubles.map { Float($0) }
        let floatExpected = sequence(floats.map { Double($0) })
        for threads in [1, 2, 3, 7] { XCTAssertEqual(try kernel(floats, threads: threads), floatExpected) }
        let ints = (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }
        let intExpected = sequence(ints.map { Double($0) })
        let uints = ints.map { UInt64(bitPattern: $0) }
        let uintExpected = sequence(uints.map { Double($0) })
        for threads in [1, 2, 3, 7] {
            XCTAssertEqual(try kernel(ints, threads: threads), intExpected)
            XCTAssertEqual(try kernel(uints, threads: threads), uintExpected)
        }
        var swapped = ints.map { $0.byteSwapped }
        try swapped.withUnsafeMutableBytes { raw in
            let view = StridedBuffer<Int64>(start: raw.baseAddress!, count: count, byteStride: 8, byteSwapped: true)
            XCTAssertEqual(try fsum(view, threads: 2), intExpected)
        }
        let shorts = (0..<count).map { _ in Int16.random(in: .min ... .max, using: &rng) }
        XCTAssertEqual(try kernel(shorts, threads: 3), sequence(shorts.map { Double($0) }))
    }

    func testLargeArraysTheExactSumCannotDecide() throws {
        let count = 300_000
        var values = [Double](repeating: 1.0, count: count)
        values[count - 3] = 1e308; values[count - 2] = 1e308; values[count - 1] = -1e308
        for threads in [1, 2] { XCTAssertEqual(try kernel(values, threads: threads), .intermediateOverflow) }
        values[count - 2] = -1e308; values[count - 1] = 1e308
        for threads in [1, 2] { XCTAssertEqual(try kernel(values, threads: threads), value(1e308)) }
        values[count - 3] = 0.5
        values[1000] = Double(bitPattern: 0x7FF8_0000_0000_00AA)
        values[2000] = -.infinity
        values[200_000] = Double(bitPattern: 0xFFF8_0000_0000_00BB)  // the newest nan wins
        for threads in [1, 2] {
            XCTAssertEqual(try kernel(values, threads: threads), value(Double(bitPattern: 0xFFF8_0000_0000_00BB)))
        }
        values[250_000] = .infinity
        for threads in [1, 2] { XCTAssertEqual(try kernel(values, threads: threads), .infMinusInf) }
    }

    /// The integer N (sum = N * 2^-1074) of `withIntegerBytes`, as bytes.
    func integerBytes(_ sum: ExactFloatSum) -> [UInt8] {
        var sum = sum
        return sum.withIntegerBytes { Array($0) }
    }

    func partial<T: FSumElement>(_ values: [T], threads: Int = 1) throws -> ExactFloatSum {
        var values = values
        return try values.withUnsafeMutableBufferPointer {
            try exactPartialSum(StridedBuffer(UnsafeBufferPointer($0)), threads: threads)
        }
    }

    func testExactPartialSumsAreIntegersThatMergeExactly() throws {
        // 1.0 is 2^1074 units: bit 2 of byte 134; -1.0 is its two's complement.
        var one = [UInt8](repeating: 0, count: ExactFloatSum.integerByteCount)
        one[134] = 4
        XCTAssertEqual(integerBytes(try partial([1.0])), one)
        XCTAssertEqual(integerBytes(try partial([0.5, 0.25, 0.25])), one)
        var minusOne = [UInt8](repeating: 0xFF, count: ExactFloatSum.integerByteCount)
        minusOne[134] = 0xFC
        for i in 0..<134 { minusOne[i] = 0 }
        XCTAssertEqual(integerBytes(try partial([-1.0])), minusOne)
        XCTAssertEqual(integerBytes(try partial([5e-324]))[0], 1)
        XCTAssertEqual(integerBytes(try partial([Int32(1), -2, 2]))[134], 4)  // the integer path
        // Any split, merged, holds the same integer as the whole, on every thread count.
        var generator = SystemRandomNumberGenerator()
        let values = (0..<300_000).map { _ in Double.random(in: -1...1) * Double(sign: .plus, exponent: Int.random(in: -1000...1000, using: &generator), significand: 1) }
        let whole = integerBytes(try partial(values, threads: 1))
        XCTAssertEqual(integerBytes(try partial(values, threads: 3)), whole)
        for cut in [0, 1, 77_777, values.count] {
            var merged = try partial(Array(values[..<cut]))
            merged.merge(try partial(Array(values[cut...])))
            XCTAssertEqual(integerBytes(merged), whole)
            XCTAssertEqual(merged.roundedValue, try partial(values).roundedValue)
        }
        // Special values are flagged, not summed.
        let specials = try partial([1.0, .nan, .infinity, 2.0])
        XCTAssertEqual(specials.specialValues, ExactFloatSum.specialNaN | ExactFloatSum.specialPositiveInfinity)
        XCTAssertEqual(integerBytes(specials), integerBytes(try partial([3.0])))
        XCTAssertEqual(try partial([-Double.infinity]).specialValues, ExactFloatSum.specialNegativeInfinity)
        XCTAssertEqual(try partial([Float.nan]).specialValues, ExactFloatSum.specialNaN)
    }

    func testCancellation() {
        let values = [Double](repeating: 1, count: 1 << 20)
        for threads in [1, 2] {
            let result = values.withUnsafeBufferPointer { buffer in
                Result { () throws(KernelError) in try fsum(StridedBuffer(buffer), threads: threads, isCancelled: { true }) }
            }
            XCTAssertEqual(result, .failure(.cancelled))
        }
    }
}

import XCTest
@testable import FastKernels

/// Karatsuba products and squares against the schoolbook product, over
/// sizes around the threshold and the recursion's odd splits, with random
/// and adversarial (all-ones, zero-heavy) limbs.
final class LimbsTests: XCTestCase {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func operands(_ n: Int, _ rng: inout SplitMix64) -> [[UInt64]] {
        [
            (0..<n).map { _ in rng.next() },
            [UInt64](repeating: .max, count: n),
            (0..<n).map { i in i % 7 == 0 ? rng.next() : 0 },
            (0..<n).map { i in i < n / 2 ? .max : 0 },
        ]
    }

    func testKaratsubaMatchesSchoolbook() {
        var rng = SplitMix64(state: 42)
        for n in [1, 2, 39, 40, 41, 79, 80, 81, 97, 160, 333, 700] {
            for a in operands(n, &rng) {
                for b in operands(n, &rng) {
                    var expected = [UInt64](repeating: 0, count: 2 * n)
                    multiplySchoolbook(&expected, a, n, b, n)
                    var r = [UInt64](repeating: 0, count: 2 * n)
                    var scratch = [UInt64](repeating: 0, count: max(karatsubaScratchCount(n), 1))
                    multiplyKaratsuba(&r, a, b, n, &scratch)
                    XCTAssertEqual(r, expected, "multiply n=\(n)")
                }
                var expected = [UInt64](repeating: 0, count: 2 * n)
                multiplySchoolbook(&expected, a, n, a, n)
                var square = [UInt64](repeating: 0, count: 2 * n)
                var scratch = [UInt64](repeating: 0, count: max(karatsubaScratchCount(n), 1))
                squareKaratsuba(&square, a, n, &scratch)
                XCTAssertEqual(square, expected, "square n=\(n)")
                var schoolSquare = [UInt64](repeating: 0, count: 2 * n)
                squareSchoolbook(&schoolSquare, a, n)
                XCTAssertEqual(schoolSquare, expected, "schoolbook square n=\(n)")
            }
        }
    }

    func testUnbalancedMultiply() {
        var rng = SplitMix64(state: 7)
        for (an, bn) in [(41, 40), (100, 41), (250, 60), (61, 500), (3, 90)] {
            let a = (0..<an).map { _ in rng.next() }, b = (0..<bn).map { _ in rng.next() }
            var expected = [UInt64](repeating: 0, count: an + bn)
            multiplySchoolbook(&expected, a, an, b, bn)
            var r = [UInt64](repeating: 0, count: an + bn)
            var scratch = [UInt64](repeating: 0, count: max(multiplyScratchCount(an, bn), 1))
            multiply(&r, a, an, b, bn, &scratch)
            XCTAssertEqual(r, expected, "\(an)x\(bn)")
        }
    }

    func testAddSubtractCarries() {
        var r = [UInt64](repeating: 0, count: 3)
        XCTAssertEqual(add(&r, [.max, .max, .max], 3, [1], 1), 1)
        XCTAssertEqual(r, [0, 0, 0])
        XCTAssertEqual(subtract(&r, [0, 0, 1], 3, [1], 1), 0)
        XCTAssertEqual(r, [.max, .max, 0])
        XCTAssertEqual(subtract(&r, [0], 1, [1], 1), 1)
    }
}

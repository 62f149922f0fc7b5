import XCTest
@testable import FastKernels

/// A minimal, independent big-natural reference: decimal digits in an array,
/// added schoolbook style. Slow but obviously right; used to check F(n) by
/// plain iteration for n up to a few thousand.
private struct DecimalNatural: Equatable {
    var digits: [UInt8] = [0]  // little-endian base 10

    static func + (a: Self, b: Self) -> Self {
        var result: [UInt8] = []
        var carry = 0
        for i in 0..<max(a.digits.count, b.digits.count) {
            let sum = Int(i < a.digits.count ? a.digits[i] : 0) + Int(i < b.digits.count ? b.digits[i] : 0) + carry
            result.append(UInt8(sum % 10))
            carry = sum / 10
        }
        if carry > 0 { result.append(UInt8(carry)) }
        return Self(digits: result)
    }
}

/// Converts limbs to decimal digits by repeated division by 10^19.
private func decimal(_ words: UnsafeBufferPointer<UInt64>) -> DecimalNatural {
    var limbs = Array(words)
    var digits: [UInt8] = []
    let base: UInt64 = 10_000_000_000_000_000_000
    while limbs.contains(where: { $0 != 0 }) {
        var remainder: UInt64 = 0
        for i in stride(from: limbs.count - 1, through: 0, by: -1) {
            let (q, r) = base.dividingFullWidth((remainder, limbs[i]))
            limbs[i] = q
            remainder = r
        }
        for _ in 0..<19 {
            digits.append(UInt8(remainder % 10))
            remainder /= 10
        }
    }
    while digits.count > 1 && digits.last == 0 { digits.removeLast() }
    return DecimalNatural(digits: digits.isEmpty ? [0] : digits)
}

private func limbs(_ value: borrowing Natural) -> [UInt64] { Array(value.words) }

final class FibonacciTests: XCTestCase {
    func testSmallValuesAndTable() throws {
        XCTAssertEqual(fibonacciUInt64(0), 0)
        XCTAssertEqual(fibonacciUInt64(1), 1)
        XCTAssertEqual(fibonacciUInt64(2), 1)
        XCTAssertEqual(fibonacciUInt64(10), 55)
        XCTAssertEqual(fibonacciUInt64(92), 7_540_113_804_746_346_429)
        XCTAssertEqual(fibonacciUInt64(93), 12_200_160_415_121_876_738)
        XCTAssertNil(fibonacciUInt64(94))
        for n in 2...93 {
            XCTAssertEqual(fibonacciUInt64(n), fibonacciUInt64(n - 1)! + fibonacciUInt64(n - 2)!, "table at \(n)")
        }
        XCTAssertNil(fibonacciUInt64(-1))
    }

    func testBoundaryAroundSixtyFourBits() throws {
        // F(94) = F(93) + F(92) overflows 64 bits: it must come out as two limbs.
        let f94 = try fibonacci(94)
        let (low, carry) = UInt64(12_200_160_415_121_876_738).addingReportingOverflow(7_540_113_804_746_346_429)
        XCTAssertTrue(carry)
        XCTAssertEqual(limbs(f94), [low, 1])
        XCTAssertEqual(try fibonacci(93).uint64Value, 12_200_160_415_121_876_738)
        XCTAssertEqual(try fibonacci(0).uint64Value, 0)
        XCTAssertEqual(try fibonacci(0).words.count, 0)
    }

    func testAgainstIterationUpToThreeThousand() throws {
        var a = DecimalNatural(digits: [0]), b = DecimalNatural(digits: [1])
        for n in 0...3000 {
            let value = try fibonacci(n)
            XCTAssertEqual(value.words.last.map { $0 != 0 } ?? true, true, "leading zero limb at n=\(n)")
            XCTAssertEqual(decimal(value.words), a, "F(\(n))")
            (a, b) = (b, a + b)
        }
    }

    /// fib(2k) = fib(k) (2 fib(k+1) - fib(k)) and fib(2k+1) = fib(k)^2 + fib(k+1)^2,
    /// checked with the schoolbook product (independent of Karatsuba and of fast doubling's formulas).
    func testDoublingIdentitiesForLargeIndices() throws {
        for k in [1_000, 4_099, 25_000, 100_003] {
            let fk = limbs(try fibonacci(k)), fk1 = limbs(try fibonacci(k + 1))
            // 2 fib(k+1) - fib(k)
            var twice = fk1.map { $0 } + [0]
            _ = shiftLeft(&twice, twice, twice.count, by: 1)
            _ = subtract(&twice, twice, twice.count, fk, fk.count)
            let even = schoolbookProduct(fk, twice)
            XCTAssertEqual(even, limbs(try fibonacci(2 * k)), "fib(2k), k=\(k)")
            var odd = schoolbookProduct(fk1, fk1) + [0]
            let square = schoolbookProduct(fk, fk)
            _ = add(&odd, odd, odd.count, square, square.count)
            XCTAssertEqual(trimmed(odd), limbs(try fibonacci(2 * k + 1)), "fib(2k+1), k=\(k)")
        }
    }

    func testCancellationStopsTheComputation() {
        XCTAssertEqual(fibonacciError(5_000_000, isCancelled: { true }), .cancelled)
    }

    func testRejectsNegativeAndAbsurdIndices() {
        XCTAssertEqual(fibonacciError(-1), .invalidArgument(argument: "n", requirement: "must be >= 0"))
        guard case .resultTooLarge = fibonacciError(Int.max) else { return XCTFail("Int.max") }
        // A result of ~2^59 bits needs far more memory than any machine has.
        XCTAssertEqual(fibonacciError(1 << 60), .outOfMemory)
    }

    func testRecursiveMatchesTableAndBounds() throws {
        for n in 0...30 {
            XCTAssertEqual(try fibonacciRecursive(n), fibonacciUInt64(n), "n=\(n)")
        }
        XCTAssertThrowsError(try fibonacciRecursive(-1))
        XCTAssertThrowsError(try fibonacciRecursive(93)) { error in
            XCTAssertEqual(error as? KernelError,
                           .invalidArgument(argument: "n", requirement: "must be between 0 and 92"))
        }
    }

    func testRecursivePollsCancellation() {
        var polls = 0
        XCTAssertThrowsError(try fibonacciRecursive(92, isCancelled: { polls += 1; return polls > 3 })) { error in
            XCTAssertEqual(error as? KernelError, .cancelled)
        }
        XCTAssertEqual(polls, 4)
    }
}

/// The error `fibonacci` throws, or nil when it returns.
func fibonacciError(_ n: Int, isCancelled: () -> Bool = { false }) -> KernelError? {
    do {
        _ = try fibonacci(n, isCancelled: isCancelled)
        return nil
    } catch {
        return error
    }
}

func schoolbookProduct(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
    guard !a.isEmpty, !b.isEmpty else { return [] }
    var r = [UInt64](repeating: 0, count: a.count + b.count)
    multiplySchoolbook(&r, a, a.count, b, b.count)
    return trimmed(r)
}

func trimmed(_ a: [UInt64]) -> [UInt64] {
    var a = a
    while a.last == 0 { a.removeLast() }
    return a
}

final class FibonacciCancellationTests: XCTestCase {
    /// Cancelling at any poll, including those inside the big products of the
    /// last steps, ends in `.cancelled`, never in a (garbage) result.
    func testCancellationAtEveryLatePoll() {
        let n = 1_000_000
        var total = 0
        XCTAssertNil(fibonacciError(n, isCancelled: { total += 1; return false }))
        // One poll per doubling step (bits of n below the top six) and one at the end, plus the big product's own.
        XCTAssertGreaterThan(total, (n.bitWidth - n.leadingZeroBitCount - 7) + 1)
        for limit in [0, total / 2] + Array((total - 6)..<total) {
            var polls = 0
            let error = fibonacciError(n, isCancelled: { polls += 1; return polls > limit })
            XCTAssertEqual(error, .cancelled, "cancelled after \(limit) of \(total) polls")
        }
    }
}

final class NaiveRecursionTests: XCTestCase {
    /// The loop-expanded recursion against the plain recursive definition, value for value.
    func testLoopExpandedRecursionEqualsTextbookRecursion() {
        func textbook(_ n: UInt64) -> UInt64 { n < 2 ? n : textbook(n - 1) + textbook(n - 2) }
        for n in UInt64(0)...30 {
            XCTAssertEqual(naiveFibonacci(n) as UInt64, textbook(n), "n=\(n)")
        }
    }

    /// The same algorithm as the textbook recursion, not a shortcut: summing values that
    /// also count what was added, every leaf of the naive call tree (F(n+1) of them) is
    /// reached exactly once and every internal node is one addition (F(n+1) - 1).
    func testLoopExpandedRecursionVisitsTheWholeCallTree() {
        struct CountedSum: NaiveFibonacciValue {
            var value: UInt64, leaves: UInt64, additions: UInt64
            init(value: UInt64, leaves: UInt64, additions: UInt64) {
                (self.value, self.leaves, self.additions) = (value, leaves, additions)
            }
            init(leaf n: UInt64) {
                precondition(n < 2, "a leaf is fib(0) or fib(1)")
                self.init(value: n, leaves: 1, additions: 0)
            }
            static var zero: CountedSum { CountedSum(value: 0, leaves: 0, additions: 0) }
            func adding(_ other: CountedSum) -> CountedSum {
                // Adding to the empty sum is not a node of the tree.
                let node: UInt64 = leaves > 0 && other.leaves > 0 ? 1 : 0
                return CountedSum(value: value + other.value, leaves: leaves + other.leaves,
                                  additions: additions + other.additions + node)
            }
        }
        func textbookLeaves(_ n: UInt64) -> UInt64 { n < 2 ? 1 : textbookLeaves(n - 1) + textbookLeaves(n - 2) }
        for n in UInt64(0)...25 {
            let sum: CountedSum = naiveFibonacci(n)
            XCTAssertEqual(sum.value, fibonacciUInt64(Int(n)), "n=\(n)")
            XCTAssertEqual(sum.leaves, textbookLeaves(n), "n=\(n)")
            XCTAssertEqual(sum.leaves, fibonacciUInt64(Int(n) + 1), "n=\(n)")
            XCTAssertEqual(sum.additions, sum.leaves - 1, "n=\(n)")
        }
    }
}

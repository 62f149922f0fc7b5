import XCTest
import KernelLoops
import KernelLoopsAVX512
@testable import FastKernels

/// The AVX-512 quicksort (KernelLoopsAVX512/SortAVX512.swift) against the standard
/// library's sort: every size through its register widths (8 and 16 lanes), its leaves
/// (up to 16 registers: 128 elements of 64 bits, 256 of 32; two of them merged for 29-32
/// registers: up to 256 and 512) and its unrolled partition
/// (16 registers and more), orders that defeat pivots, the heap-sort fallback, the splits
/// for parallel sorts, and cancellation. Runs on CPUs with AVX-512 only.
final class VectorSortAVX512Tests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(InstructionSet.supported >= .avx512, "this CPU has no AVX-512")
    }

    func testIntegersAtEverySizeUpTo600() {
        for count in 1...600 {
            checkEverySortOrder(Int64.self, count: count) { sortAVX512($0, count: $1, maximumDepth: $2, isCancelled: { false }) }
            checkEverySortOrder(Int32.self, count: count) { sortAVX512($0, count: $1, maximumDepth: $2, isCancelled: { false }) }
        }
    }

    /// The leaves are sorting networks (columns, then merges between and within registers):
    /// a network sorts every input when it sorts every input of 0s and 1s. Random 0/1 inputs of
    /// every density and the descending steps (ones, then zeros, split anywhere), at sizes up
    /// to two leaves merged, for all four lane types.
    func testLeavesSortZerosAndOnes() {
        var rng = LimbsTests.SplitMix64(state: 0x0_1_0_1)
        func check<T: Comparable & Numeric>(_: T.Type, width: Int, sort: (UnsafeMutablePointer<T>, Int) -> VectorSortOutcome) {
            for trial in 0..<600 {
                let count = trial < 64 ? 32 * width - trial : Int.random(in: 1...(32 * width), using: &rng)
                let ones = Int.random(in: 0...100, using: &rng)
                var values: [T] = (0..<count).map { _ in Int.random(in: 0..<100, using: &rng) < ones ? 1 : 0 }
                if trial % 3 == 0 {
                    let split = Int.random(in: 0...count, using: &rng)
                    values = (0..<count).map { $0 < split ? 1 : 0 }
                }
                var sorted = values
                XCTAssertEqual(sorted.withUnsafeMutableBufferPointer { sort($0.baseAddress!, count) }, .sorted)
                XCTAssertEqual(sorted, values.sorted(), "\(T.self), count \(count)")
            }
        }
        check(Int64.self, width: 8) { sortAVX512($0, count: $1, isCancelled: { false }) }
        check(Double.self, width: 8) { sortAVX512($0, count: $1, isCancelled: { false }) }
        check(Int32.self, width: 16) { sortAVX512($0, count: $1, isCancelled: { false }) }
        check(Float.self, width: 16) { sortAVX512($0, count: $1, isCancelled: { false }) }
    }

    /// The pre-sort read finds the first zero (either sign) or NaN (any payload, either sign)
    /// at every position, and nothing in arrays of infinities, subnormals and ordinary values.
    func testFirstZeroOrNaNAtEveryPosition() {
        var rng = LimbsTests.SplitMix64(state: 0x2E80)
        let doubleSpecials: [Double] = [0.0, -0.0, .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001),
                                        Double(bitPattern: 0xFFFF_FFFF_FFFF_FFFF)]
        let floatSpecials: [Float] = [0.0, -0.0, .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7F80_0001),
                                      Float(bitPattern: 0xFFFF_FFFF)]
        let doubleOrdinary: [Double] = [.infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                        .greatestFiniteMagnitude, 1, -2.5]
        let floatOrdinary: [Float] = [.infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                      .greatestFiniteMagnitude, 1, -2.5]
        for count in 0...150 {
            var doubles = (0..<count).map { _ in doubleOrdinary[Int.random(in: 0..<doubleOrdinary.count, using: &rng)] }
            var floats = (0..<count).map { _ in floatOrdinary[Int.random(in: 0..<floatOrdinary.count, using: &rng)] }
            XCTAssertEqual(firstZeroOrNaNAVX512(doubles, count: count), count)
            XCTAssertEqual(firstZeroOrNaNAVX512(floats, count: count), count)
            for position in 0..<count {
                let (savedDouble, savedFloat) = (doubles[position], floats[position])
                doubles[position] = doubleSpecials[(position + count) % doubleSpecials.count]
                floats[position] = floatSpecials[(position + count) % floatSpecials.count]
                XCTAssertEqual(firstZeroOrNaNAVX512(doubles, count: count), position, "doubles, count \(count)")
                XCTAssertEqual(firstZeroOrNaNAVX512(floats, count: count), position, "floats, count \(count)")
                // A second one later changes nothing.
                if position + 1 < count {
                    doubles[count - 1] = -0.0
                    floats[count - 1] = .nan
                    XCTAssertEqual(firstZeroOrNaNAVX512(doubles, count: count), position)
                    XCTAssertEqual(firstZeroOrNaNAVX512(floats, count: count), position)
                    doubles[count - 1] = 1
                    floats[count - 1] = 1
                }
                (doubles[position], floats[position]) = (savedDouble, savedFloat)
            }
        }
    }

    func testLargeArraysAndTheHeapSortFallback() {
        for count in [4_099, 70_001] {
            for depth in count < 10_000 ? [nil, 0, 1, 3] : [nil, 3] as [Int?] {
                checkEverySortOrder(Int64.self, count: count, maximumDepth: depth) {
                    sortAVX512($0, count: $1, maximumDepth: $2, isCancelled: { false })
                }
                checkEverySortOrder(Int32.self, count: count, maximumDepth: depth) {
                    sortAVX512($0, count: $1, maximumDepth: $2, isCancelled: { false })
                }
            }
        }
    }

    func testDoublesAndFloatsAtEverySizeUpTo600() {
        var rng = SystemRandomNumberGenerator()
        for count in 1...600 {
            let doubles = (0..<count).map { _ in Double.random(in: -1e6...1e6, using: &rng) }
            let specials = (0..<count).map { _ in [1.0, -1.0, .infinity, -.infinity, 2.5][Int.random(in: 0..<5, using: &rng)] }
            for values in [doubles, specials, doubles.sorted(), Array(doubles.sorted().reversed())] {
                var sorted = values
                XCTAssertEqual(sorted.withUnsafeMutableBufferPointer {
                    sortAVX512($0.baseAddress!, count: count, isCancelled: { false })
                }, .sorted)
                XCTAssertEqual(sorted, values.sorted(), "doubles, count \(count)")
                let floats = values.map { Float($0) }
                for depth in [nil, 1] as [Int?] {
                    var sortedFloats = floats
                    XCTAssertEqual(sortedFloats.withUnsafeMutableBufferPointer {
                        sortAVX512($0.baseAddress!, count: count, maximumDepth: depth, isCancelled: { false })
                    }, .sorted)
                    XCTAssertEqual(sortedFloats, floats.sorted(), "floats, count \(count)")
                }
            }
        }
    }

    func testSplitsOrderTheParts() {
        var rng = SystemRandomNumberGenerator()
        for count in [256, 1_000, 65_537] {
            for values in sortTestOrders(Int64.self, count: count) {
                var data = values
                let k = data.withUnsafeMutableBufferPointer { splitAVX512($0.baseAddress!, count: count) }
                XCTAssertTrue((0...count).contains(k))
                if k > 0 && k < count { XCTAssertLessThanOrEqual(data[..<k].max()!, data[k...].min()!) }
                XCTAssertEqual(data.sorted(), values.sorted())
            }
            let floats = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            var data = floats
            let k = data.withUnsafeMutableBufferPointer { splitAVX512($0.baseAddress!, count: count) }
            if k > 0 && k < count { XCTAssertLessThanOrEqual(data[..<k].max()!, data[k...].min()!) }
            XCTAssertEqual(data.sorted(), floats.sorted())
        }
    }

    func testCancellationLeavesAPermutation() {
        var values = (0..<200_000).map { Int32($0 &* 7919 % 200_000) }
        let outcome = values.withUnsafeMutableBufferPointer { sortAVX512($0.baseAddress!, count: $0.count, isCancelled: { true }) }
        XCTAssertEqual(outcome, .cancelled)
        XCTAssertEqual(Set(values).count, 200_000)
    }

    func testTheSortEntryPointTakesThisTier() {
        XCTAssertEqual(vectorSortTier, InstructionSet.selected)
    }
}

/// The split of one range by all workers at once (ParallelSplit.swift), on whichever
/// vector tier this CPU selects: the parts ordered, the whole a permutation, for worker
/// counts that leave pieces of every size and for values that defeat the pivot.
final class ParallelSplitTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(InstructionSet.selected >= .avx2, "the vector sorts need AVX2")
    }

    func checkSplit<T: VectorSortable>(_ values: [T], workers: Int, _ label: String) {
        var data = values
        let k = data.withUnsafeMutableBufferPointer {
            parallelSplit($0.baseAddress!, $0.count, workers: workers, isCancelled: { false })
        }
        XCTAssertTrue((1...values.count).contains(k), "\(label): k = \(k)")
        if k < values.count {
            XCTAssertLessThanOrEqual(data[..<k].max()!, data[k...].min()!, label)
        }
        XCTAssertEqual(data.sorted(), values.sorted(), "\(label): not a permutation")
    }

    /// `partitionAVX2` and `partitionAVX512` (the tier this CPU has) by pivots inside, below
    /// and above the values, at every piece size around their register widths.
    func testPartitionByAGivenPivotOnEachTier() {
        var rng = SystemRandomNumberGenerator()
        func check<T: VectorSortable>(_ values: [T], _ pivot: T, _ partition: (UnsafeMutablePointer<T>, Int, T) -> Int,
                                      _ label: String) {
            var data = values
            let lows = data.withUnsafeMutableBufferPointer { partition($0.baseAddress!, $0.count, pivot) }
            XCTAssertEqual(lows, values.filter { $0 < pivot }.count, label)
            XCTAssertTrue(data[..<lows].allSatisfy { $0 < pivot } && data[lows...].allSatisfy { !($0 < pivot) }, label)
            XCTAssertEqual(data.sorted(), values.sorted(), "\(label): not a permutation")
        }
        let tiers: [(String, Bool)] = [("avx2", true), ("avx512", InstructionSet.supported >= .avx512)]
        for count in Array(0...70) + [255, 256, 1_000, 4_097] {
            let ints = (0..<count).map { _ in Int64.random(in: -100...100, using: &rng) }
            let floats = (0..<count).map { _ in Float.random(in: -100...100, using: &rng) }
            for pivot in [-101, -3, 0, 50, 101] {
                for (tier, available) in tiers where available {
                    let label = "\(tier), count \(count), pivot \(pivot)"
                    if tier == "avx2" {
                        check(ints, Int64(pivot), { partitionAVX2($0, count: $1, pivot: $2) }, label)
                        check(ints.map { Int32($0) }, Int32(pivot), { partitionAVX2($0, count: $1, pivot: $2) }, label)
                        check(floats, Float(pivot), { partitionAVX2($0, count: $1, pivot: $2) }, label)
                        check(floats.map { Double($0) }, Double(pivot), { partitionAVX2($0, count: $1, pivot: $2) }, label)
                    } else {
                        check(ints, Int64(pivot), { partitionAVX512($0, count: $1, pivot: $2) }, label)
                        check(ints.map { Int32($0) }, Int32(pivot), { partitionAVX512($0, count: $1, pivot: $2) }, label)
                        check(floats, Float(pivot), { partitionAVX512($0, count: $1, pivot: $2) }, label)
                        check(floats.map { Double($0) }, Double(pivot), { partitionAVX512($0, count: $1, pivot: $2) }, label)
                    }
                }
            }
        }
    }

    func testSplitsAtEveryWorkerCount() {
        var rng = SystemRandomNumberGenerator()
        for count in [18, 100, 1_001, 70_001] {
            let random = (0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) }
            let few = (0..<count).map { _ in Int64.random(in: 0...2, using: &rng) }
            let leastFirst = [Int64](repeating: 5, count: count - 1) + [9]  // the pivot is the least value
            let equal = [Int32](repeating: -7, count: count)
            let floats = (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
            let doubles = (0..<count).map { _ in [0.0, -0.0, 1, .infinity][Int.random(in: 0..<4, using: &rng)] }
            for workers in [1, 2, 3, 7] {
                checkSplit(random, workers: workers, "random int64, \(count), \(workers) workers")
                checkSplit(few, workers: workers, "few int64, \(count), \(workers) workers")
                checkSplit(leastFirst, workers: workers, "pivot least, \(count), \(workers) workers")
                checkSplit(floats, workers: workers, "floats, \(count), \(workers) workers")
                checkSplit(doubles, workers: workers, "doubles, \(count), \(workers) workers")
                var data = equal
                let k = data.withUnsafeMutableBufferPointer {
                    parallelSplit($0.baseAddress!, $0.count, workers: workers, isCancelled: { false })
                }
                XCTAssertEqual(k, count, "all equal: not split")
            }
        }
    }
}

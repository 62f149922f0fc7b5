import XCTest
import KernelLoops
import Synchronization
@testable import FastKernels

/// Orders that defeat pivots, for the vector sorts' tests (AVX2 and AVX-512): random,
/// few distinct values, ascending, descending, organ pipe, the extremes, all equal.
func sortTestOrders<T: FixedWidthInteger>(_: T.Type, count: Int) -> [[T]] {
    var rng = SystemRandomNumberGenerator()
    let random = (0..<count).map { _ in T.random(in: .min ... .max, using: &rng) }
    let few = (0..<count).map { _ in T(truncatingIfNeeded: Int.random(in: -2...2, using: &rng)) }
    let ascending = (0..<count).map { T(truncatingIfNeeded: $0) }
    let organPipe = (0..<count).map { T(truncatingIfNeeded: min($0, count - $0)) }
    let extremes = (0..<count).map { _ in Bool.random(using: &rng) ? T.min : T.max }
    return [random, few, ascending, Array(ascending.reversed()), organPipe, extremes,
            [T](repeating: .max, count: count), [T](repeating: .min, count: count)]
}

/// Sorts each of `sortTestOrders` with `sort` and compares with the standard library's sort.
func checkEverySortOrder<T: FixedWidthInteger>(_: T.Type, count: Int, maximumDepth: Int? = nil,
                                               sort: (UnsafeMutablePointer<T>, Int, Int?) -> VectorSortOutcome,
                                               file: StaticString = #filePath, line: UInt = #line) {
    for values in sortTestOrders(T.self, count: count) {
        var sorted = values
        let outcome = sorted.withUnsafeMutableBufferPointer { sort($0.baseAddress!, count, maximumDepth) }
        XCTAssertEqual(outcome, .sorted, file: file, line: line)
        XCTAssertEqual(sorted, values.sorted(), "count \(count), depth \(String(describing: maximumDepth))",
                       file: file, line: line)
    }
}

/// The AVX2 quicksort (KernelLoops/SortAVX2.swift) against the standard library's sort,
/// at every size around its vector widths and leaves, on orders that defeat pivots, and
/// with its depth limit forced low so that the heap sort finishes ranges.
final class VectorSortTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(InstructionSet.supported >= .avx2, "this CPU has no AVX2")
    }

    func testInt64AtEverySizeUpTo300() {
        for count in 1...300 {
            checkEverySortOrder(Int64.self, count: count) { sortAVX2($0, count: $1, maximumDepth: $2, isCancelled: { false }) }
        }
    }

    /// The leaves are sorting networks (comparators across registers, transposes, merges): by
    /// the 0-1 principle, one that sorts every sequence of zeros and ones sorts everything.
    /// Every such sequence of 9-12 elements (three or four registers of 64-bit lanes), and 1,500
    /// random ones of each size up to 64 (4, 8 and 16 registers), for int64 and doubles; values
    /// that equal the filler of the lanes past the end (the largest) among them.
    func testLeavesSortEveryZeroOneInput() {
        var rng = SystemRandomNumberGenerator()
        for count in 9...64 {
            let exhaustive = count <= 12
            let trials = exhaustive ? 1 << count : 1_500
            var ints = [Int64](repeating: 0, count: count), doubles = [Double](repeating: 0, count: count)
            for trial in 0..<trials {
                let bits = exhaustive ? UInt64(trial) : rng.next()
                let high: Int64 = trial % 3 == 0 ? .max : 1
                for i in 0..<count {
                    let one = (bits >> UInt64(i)) & 1 == 1
                    ints[i] = one ? high : 0
                    doubles[i] = one ? (trial % 3 == 0 ? .infinity : 1) : -0.5
                }
                let ones = ints.lazy.filter { $0 != 0 }.count
                XCTAssertEqual(ints.withUnsafeMutableBufferPointer { sortAVX2($0.baseAddress!, count: count, isCancelled: { false }) }, .sorted)
                XCTAssertEqual(doubles.withUnsafeMutableBufferPointer { sortAVX2($0.baseAddress!, count: count, isCancelled: { false }) }, .sorted)
                let intsSorted = ints.indices.allSatisfy { ints[$0] == ($0 < count - ones ? 0 : high) }
                let doublesSorted = doubles.indices.allSatisfy { (doubles[$0] == -0.5) == ($0 < count - ones) }
                if !intsSorted || !doublesSorted {
                    return XCTFail("count \(count), bits \(String(bits, radix: 2)): \(ints) \(doubles)")
                }
            }
        }
    }

    func testInt32AtEverySizeUpTo300() {
        for count in 1...300 {
            checkEverySortOrder(Int32.self, count: count) { sortAVX2($0, count: $1, maximumDepth: $2, isCancelled: { false }) }
        }
    }

    /// The leaves load and store whole registers where they can, masked ones where a register
    /// straddles the end: at every size up to past two leaves, the sort must leave the
    /// elements on either side of its range as they were (guards of a value every sorted
    /// element is below, so a stray store of a sorted register would show).
    func testSortsTouchNothingOutsideTheirRange() {
        func check<T: Comparable>(_ orders: (Int) -> [[T]], guard sentinel: T,
                                  _ sort: (UnsafeMutablePointer<T>, Int) -> VectorSortOutcome) {
            let guardCount = 40
            for count in 1...140 {
                for values in orders(count) {
                    var buffer = [T](repeating: sentinel, count: guardCount) + values
                        + [T](repeating: sentinel, count: guardCount)
                    let outcome = buffer.withUnsafeMutableBufferPointer { sort($0.baseAddress! + guardCount, count) }
                    XCTAssertEqual(outcome, .sorted)
                    XCTAssertEqual(Array(buffer[guardCount..<(guardCount + count)]), values.sorted(), "\(T.self), count \(count)")
                    XCTAssertTrue(buffer[..<guardCount].allSatisfy { $0 == sentinel }, "\(T.self), count \(count): before")
                    XCTAssertTrue(buffer[(guardCount + count)...].allSatisfy { $0 == sentinel }, "\(T.self), count \(count): after")
                }
            }
        }
        // Values below the guards (a stray store of a sorted register would put one there).
        check({ sortTestOrders(Int64.self, count: $0).map { $0.map { $0 >> 1 } } }, guard: .max) {
            sortAVX2($0, count: $1, isCancelled: { false })
        }
        check({ sortTestOrders(Int32.self, count: $0).map { $0.map { $0 >> 1 } } }, guard: .max) {
            sortAVX2($0, count: $1, isCancelled: { false })
        }
        check({ sortTestOrders(Int64.self, count: $0).map { $0.map { Double($0 >> 11) } } }, guard: .infinity) {
            sortAVX2($0, count: $1, isCancelled: { false })
        }
        check({ sortTestOrders(Int32.self, count: $0).map { $0.map { Float($0 >> 8) } } }, guard: .infinity) {
            sortAVX2($0, count: $1, isCancelled: { false })
        }
    }

    /// `boundsAVX2` at every count around its vector width, extremes anywhere; and the choice it
    /// serves: the radix sort for int64 arrays whose range is below an eighth of their count
    /// (from 256 to 65,535 elements, AVX2 tier), sorted either way.
    func testInt64BoundsAndTheNarrowRangeChoice() throws {
        var rng = SystemRandomNumberGenerator()
        for count in 1...40 {
            for _ in 0..<20 {
                var values = (0..<count).map { _ in Int64.random(in: -1000...1000, using: &rng) }
                if Bool.random(using: &rng) { values[Int.random(in: 0..<count, using: &rng)] = .min }
                if Bool.random(using: &rng) { values[Int.random(in: 0..<count, using: &rng)] = .max }
                let bounds = values.withUnsafeBufferPointer { boundsAVX2($0.baseAddress!, count: count) }
                XCTAssertEqual(bounds.least, values.min()!, "count \(count)")
                XCTAssertEqual(bounds.greatest, values.max()!, "count \(count)")
            }
        }
        try XCTSkipIf(vectorSortTier == .avx512, "the narrow-range choice is the AVX2 tier's")
        for count in [255, 256, 1000, 4096, 65_535, 65_536] {
            for width in [count / 8 - 1, count / 8, count / 8 + 1] {
                let base = Int64.random(in: -(1 << 62)...(1 << 62), using: &rng)
                var values = (0..<count).map { _ in base + Int64.random(in: 0...Int64(width), using: &rng) }
                values[0] = base
                values[count - 1] = base + Int64(width)
                let narrow = values.withUnsafeBufferPointer { narrowInt64Range($0.baseAddress!, count) }
                XCTAssertEqual(narrow != nil, count >= 256 && count < 65_536 && width < count / 8,
                               "count \(count), width \(width)")
                if let narrow {  // the radix sort's keys of the least and the greatest value
                    XCTAssertEqual(narrow.least, UInt64(bitPattern: base) ^ (1 << 63), "count \(count)")
                    XCTAssertEqual(narrow.greatest, UInt64(bitPattern: base + Int64(width)) ^ (1 << 63), "count \(count)")
                }
                var sorted = values
                try sorted.withUnsafeMutableBufferPointer { buffer in
                    try sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: false, threads: 2)
                }
                XCTAssertEqual(sorted, values.sorted(), "count \(count), width \(width)")
            }
        }
    }

    func testLargeArraysAndTheHeapSortFallback() {
        for count in [4_099, 70_001] {
            for depth in count < 10_000 ? [nil, 0, 1, 3] : [nil, 3] as [Int?] {
                checkEverySortOrder(Int64.self, count: count, maximumDepth: depth) {
                    sortAVX2($0, count: $1, maximumDepth: $2, isCancelled: { false })
                }
                checkEverySortOrder(Int32.self, count: count, maximumDepth: depth) {
                    sortAVX2($0, count: $1, maximumDepth: $2, isCancelled: { false })
                }
            }
        }
    }

    func testCancellationLeavesAPermutation() {
        var values = (0..<200_000).map { Int64($0 &* 7919 % 200_000) }
        let outcome = values.withUnsafeMutableBufferPointer { sortAVX2($0.baseAddress!, count: $0.count, isCancelled: { true }) }
        XCTAssertEqual(outcome, .cancelled)
        XCTAssertEqual(Set(values).count, 200_000)
    }

    func testScanCountsZerosAndFindsNaNs() {
        let values: [Double] = [-0.0, 0.0, 1.5, -1.5, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, 3, 4, 5]
        var scan = values.withUnsafeBufferPointer { scanFloatsAVX2($0.baseAddress!, count: $0.count) }
        XCTAssertEqual(scan.negativeZeros, 2)
        XCTAssertEqual(scan.positiveZeros, 1)
        XCTAssertFalse(scan.unordered)
        for position in [0, 4, 10] {  // in a vector and in the scalar tail
            var withNaN = values
            withNaN[position] = -Double(nan: 7, signaling: false)
            scan = withNaN.withUnsafeBufferPointer { scanFloatsAVX2($0.baseAddress!, count: $0.count) }
            XCTAssertTrue(scan.unordered, "NaN at \(position)")
        }
        let floats = values.map { Float($0) } + [Float.nan]
        let floatScan = floats.withUnsafeBufferPointer { scanFloatsAVX2($0.baseAddress!, count: $0.count) }
        XCTAssertEqual(floatScan.negativeZeros, 2)
        XCTAssertEqual(floatScan.positiveZeros, 2)  // the least double is 0 as a float
        XCTAssertTrue(floatScan.unordered)
    }

    func testDoublesAndFloatsAtEverySizeUpTo300() {
        var rng = SystemRandomNumberGenerator()
        for count in 1...300 {
            let doubles = (0..<count).map { _ in Double.random(in: -1e6...1e6, using: &rng) }
            let specials = (0..<count).map { _ in [1.0, -1.0, .infinity, -.infinity, 2.5][Int.random(in: 0..<5, using: &rng)] }
            for values in [doubles, specials, doubles.sorted(), Array(doubles.sorted().reversed())] {
                var sorted = values
                XCTAssertEqual(sorted.withUnsafeMutableBufferPointer { sortAVX2($0.baseAddress!, count: count, isCancelled: { false }) }, .sorted)
                XCTAssertEqual(sorted, values.sorted(), "doubles, count \(count)")
                let floats = values.map { Float($0) }
                var sortedFloats = floats
                for depth in [nil, 1] as [Int?] {
                    sortedFloats = floats
                    XCTAssertEqual(sortedFloats.withUnsafeMutableBufferPointer {
                        sortAVX2($0.baseAddress!, count: count, maximumDepth: depth, isCancelled: { false })
                    }, .sorted)
                    XCTAssertEqual(sortedFloats, floats.sorted(), "floats, count \(count)")
                }
            }
        }
    }

    func testCancelledFloatSortKeepsEveryValueAndZeroSign() {
        // Cancelled after a few partitions: the array holds the same bit patterns (the signs
        // of its zeros too, which min/max may swap), for each worker count.
        var rng = SystemRandomNumberGenerator()
        // Zeros of both signs among many values: some leaves (sorted before the cancellation)
        // hold several zeros, which the networks' min/max compare with each other.
        var values = (0..<16_000).map { _ in Bool.random(using: &rng) ? 0.0 : -0.0 }
            + (0..<184_000).map { _ in Double.random(in: -1...1, using: &rng) }
        values.shuffle(using: &rng)
        let expected = values.map(\.bitPattern).sorted()
        for threads in [1, 2] {
            for polls in [2, 3, 4] {
                var sorted = values
                let calls = Atomic<Int>(0)  // polled by every worker
                let finished: Void? = sorted.withUnsafeMutableBufferPointer { buffer in
                    try? sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: false, threads: threads,
                                     isCancelled: { calls.wrappingAdd(1, ordering: .relaxed).newValue >= polls })
                }
                if polls == 2 { XCTAssertNil(finished, "threads \(threads): not cancelled") }  // later polls may not come
                XCTAssertEqual(sorted.map(\.bitPattern).sorted(), expected, "threads \(threads), polls \(polls)")
            }
        }
    }

    /// `sortInPlace` on one thread against an index-stable sort (Swift's `sorted` is not
    /// stable): the zeros of both signs in input order.
    func checkStable<F: RadixSortable & BinaryFloatingPoint>(_ values: [F], reverse: Bool, _ label: String) throws {
        var sorted = values
        try sorted.withUnsafeMutableBufferPointer { buffer in
            try sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: reverse, threads: 1)
        }
        let order = values.indices.sorted {
            (reverse ? values[$0] > values[$1] : values[$0] < values[$1]) || (values[$0] == values[$1] && $0 < $1)
        }
        // The same values with the same signs (no NaN here): the same bits.
        XCTAssertTrue(zip(sorted, order.map { values[$0] }).allSatisfy { $0 == $1 && $0.sign == $1.sign },
                      "\(label), reverse \(reverse)")
    }

    func testFloatArraysThroughSortInPlace() throws {
        // One thread: the vector sort from 33 elements on.
        var rng = SystemRandomNumberGenerator()
        for count in [33, 100, 1_000, 100_000] {
            var values = (0..<count).map { _ in [0.0, -0.0, 1, -1, .infinity][Int.random(in: 0..<5, using: &rng)] }
            values += (0..<count).map { _ in Double.random(in: -1e6...1e6, using: &rng) }
            values.shuffle(using: &rng)
            for reverse in [false, true] {
                try checkStable(values, reverse: reverse, "doubles, count \(count)")
                try checkStable(values.map { Float($0) }, reverse: reverse, "floats, count \(count)")
            }
        }
    }
}

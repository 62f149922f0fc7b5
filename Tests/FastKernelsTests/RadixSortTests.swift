import XCTest
@testable import FastKernels

final class RadixSortTests: XCTestCase {
    func check<T: RadixSortable & Comparable>(_ values: [T], reverse: Bool = false, threads: Int = 2,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        var sorted = values
        try sorted.withUnsafeMutableBufferPointer { buffer in
            try sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: reverse, threads: threads)
        }
        let ordered = values.filter { !T.isUnordered($0) }.sorted()
        let expected = (reverse ? Array(ordered.reversed()) : ordered) + values.filter { T.isUnordered($0) }
        XCTAssertEqual(sorted.count, expected.count, file: file, line: line)
        for (a, b) in zip(sorted, expected) where !(T.isUnordered(a) && T.isUnordered(b)) {
            XCTAssertEqual(a, b, file: file, line: line)
        }
    }

    func testIntegersOfEveryWidth() throws {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 100, 70_000, 300_000] {
            try check((0..<count).map { _ in Int64.random(in: .min ... .max, using: &rng) } + [.min, .max, 0, -1])
            try check((0..<count).map { _ in UInt64.random(in: .min ... .max, using: &rng) })
            try check((0..<count).map { _ in Int32.random(in: .min ... .max, using: &rng) }, reverse: true)
            try check((0..<count).map { _ in UInt16.random(in: .min ... .max, using: &rng) })
            try check((0..<count).map { _ in Int8.random(in: .min ... .max, using: &rng) }, threads: 1)
        }
    }

    func testKeysLessTheirMinimum() throws {
        // The single-level sort subtracts the least key: ranges either side of zero, far from
        // zero, of one value but one, and touching both ends of the key space.
        var rng = SystemRandomNumberGenerator()
        for count in [257, 1_000, 40_000] {
            try check((0..<count).map { _ in Int64.random(in: -(1 << 30)...(1 << 30), using: &rng) }, threads: 1)
            try check((0..<count).map { _ in Int64.random(in: (1 << 62)...(1 << 62) + 5_000, using: &rng) }, threads: 1)
            try check([Int64](repeating: -7, count: count - 1) + [-8], threads: 1)
            try check((0..<count).map { _ in Bool.random(using: &rng) ? Int64.min : Int64.max }, threads: 1)
            try check((0..<count).map { _ in UInt64.random(in: (UInt64.max - 300)...UInt64.max, using: &rng) }, threads: 1)
        }
    }

    func testAdversarialOrders() throws {
        let n = 200_000
        try check((0..<n).map { Int64($0) })                       // already sorted
        try check((0..<n).map { Int64(n - $0) })                   // reversed
        try check([Int64](repeating: 42, count: n))                // all equal: every pass skipped
        try check((0..<n).map { Int64($0 % 3) - 1 })               // few distinct, negative
        try check((0..<n).map { UInt64($0) << 40 })                // only high digits differ
    }

    func testFloatsWithSpecialValues() throws {
        var rng = SystemRandomNumberGenerator()
        var values = (0..<100_000).map { _ in Double.random(in: -1e10...1e10, using: &rng) }
        values += [.infinity, -.infinity, 0.0, -0.0, .nan, -.nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                   .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        values.shuffle()
        try check(values)
        try check(values, reverse: true)
        try check(values.map { Float($0) }, threads: 3)
    }

    func testNaNsKeepTheirBitsAndOrder() throws {
        let first = Double(nan: 1, signaling: false), second = -Double(nan: 2, signaling: false)
        var values: [Double] = [3, first, 1, second, 2]
        try values.withUnsafeMutableBufferPointer { buffer in
            try sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: false, threads: 1)
        }
        XCTAssertEqual(Array(values[0..<3]), [1, 2, 3])
        XCTAssertEqual(values[3].bitPattern, first.bitPattern)
        XCTAssertEqual(values[4].bitPattern, second.bitPattern)
    }

    func testKeyedItemsAreStable() throws {
        let count = 100_000
        guard let items = KeyedItems(count: count) else { return XCTFail("memory") }
        for i in 0..<count { items.items[i] = KeyedItem(key: UInt64(i % 10), object: UInt(i)) }
        try items.sort(count: count, threads: 2)
        for i in 1..<count {
            let a = items.sortedItem(i - 1), b = items.sortedItem(i)
            XCTAssertTrue(a.key < b.key || (a.key == b.key && a.object < b.object))
        }
    }

    /// Sorts `count` items with the static sort of short lists (up to 256) or the instance's.
    private func sortThroughEitherEntryPoint(_ items: KeyedItems, count: Int) throws {
        if count <= 256 {
            let scratch = UnsafeMutablePointer<KeyedItem>.allocate(capacity: count)
            defer { scratch.deallocate() }
            try KeyedItems.sort(items.items, scratch: scratch, count: count)
        } else {
            try items.sort(count: count, threads: 2)
        }
    }

    /// Packed keys are 62 bits (prefix and index) plus 2^52, sorted as doubles: keys that fill
    /// the 62 bits exactly (no bit shifted out, the largest packing the largest normal double
    /// used), one bit fewer, and one bit more (the lowest bit shifted out, neighbours colliding),
    /// through both entry points, in the stable order by key.
    func testPackedKeysAtTheWidthOfThePacking() throws {
        var generator = SystemRandomNumberGenerator()
        for count in [33, 100, 256, 1000, 4096, 70_000] {
            let indexBits = 64 - (count - 1).leadingZeroBitCount
            for extra in [-1, 0, 1] {
                let spread = 62 - indexBits + extra, top = UInt64(1) << spread - 1
                let least = UInt64.random(in: 0...(UInt64.max - top), using: &generator)
                guard let items = KeyedItems(count: count) else { return XCTFail("memory") }
                var keys = [UInt64](repeating: 0, count: count)
                for i in 0..<count {
                    // The extremes, pairs one apart at the top (they collide when a bit is shifted
                    // out), the rest random.
                    let offset = i == 0 ? 0 : i < 4 ? top - UInt64(i % 2) : UInt64.random(in: 0...top, using: &generator)
                    keys[i] = least + offset
                    items.items[i] = KeyedItem(key: keys[i], object: UInt(i))
                }
                try sortThroughEitherEntryPoint(items, count: count)
                let expected = keys.indices.sorted { (keys[$0], $0) < (keys[$1], $1) }
                for i in 0..<count {
                    let item = count <= 256 ? items.items[i] : items.sortedItem(i)
                    guard Int(item.object) == expected[i], item.key == keys[expected[i]] else {
                        return XCTFail("count \(count), spread \(spread): item \(i) is \(item.object), not \(expected[i])")
                    }
                }
            }
        }
    }

    /// Lists sorted by packed keys (prefix and index in one integer, through the vector quicksort):
    /// the stable order by key at every size around the limits, for keys whose prefixes collide
    /// (a key spread over 64 bits leaves the index's bits below the prefix: the runs of equal
    /// prefixes are then sorted by full key), through both entry points.
    func testPackedKeySortsAreStable() throws {
        var generator = SystemRandomNumberGenerator()
        let distributions: [(Int) -> UInt64] = [
            { _ in UInt64.random(in: 0...UInt64.max, using: &generator) },
            { _ in UInt64.random(in: 0..<1000, using: &generator) },
            { i in i == 0 ? UInt64.max : UInt64.random(in: 0..<(1 << 40), using: &generator) },
            { _ in [UInt64.min, UInt64.max, 1 << 63][Int.random(in: 0..<3, using: &generator)]
                &+ UInt64.random(in: 0..<4, using: &generator) },
            { i in UInt64(i % 7) },
            // Floats of both signs: keys crowded into a few values of their top bits.
            { _ in Double.key(Double.random(in: -1e6...1e6, using: &generator)) },
            // Runs of 32 and of 33 keys that differ only in their lowest bit (shifted out of
            // the packed keys): the longest run ordered in place, and the shortest that is not.
            { i in i == 0 ? UInt64.max : UInt64(i / 32) << 40 | UInt64.random(in: 0...1, using: &generator) },
            { i in i == 0 ? UInt64.max : UInt64(i / 33) << 40 | UInt64.random(in: 0...1, using: &generator) },
        ]
        for count in [2, 32, 33, 100, 256, 257, 1000, 4095, 4096, 5000, 65536, 65537, packedSortLimit, packedSortLimit + 1] {
            for (index, distribution) in distributions.enumerated() {
                guard let items = KeyedItems(count: count) else { return XCTFail("memory") }
                var keys = [UInt64](repeating: 0, count: count)
                for i in 0..<count {
                    keys[i] = distribution(i)
                    items.items[i] = KeyedItem(key: keys[i], object: UInt(i))
                }
                try sortThroughEitherEntryPoint(items, count: count)
                // The stable order by key, checked without sorting a copy (a million items in a
                // debug build): every item once, with its own key, each pair of neighbours in
                // order by key and then by index.
                var seen = [Bool](repeating: false, count: count)
                for i in 0..<count {
                    let item = count <= 256 ? items.items[i] : items.sortedItem(i), object = Int(item.object)
                    guard object < count, !seen[object], item.key == keys[object] else {
                        return XCTFail("count \(count), distribution \(index): item \(i) is not one of the items")
                    }
                    seen[object] = true
                    if i > 0 {
                        let previous = count <= 256 ? items.items[i - 1] : items.sortedItem(i - 1)
                        guard previous.key < item.key || (previous.key == item.key && previous.object < item.object) else {
                            return XCTFail("count \(count), distribution \(index): items \(i - 1) and \(i) out of order")
                        }
                    }
                }
            }
        }
    }

    /// From 257 to 4,095 items the sort is chosen from a sample of the keys: packed keys for keys
    /// crowded into a few values of their top bits, the radix sort for keys spread evenly.
    /// The draws are seeded: the rule reads 64 keys, and a draw of 257 floats in [0, 1) whose
    /// least is far below the rest looks even to it about once in 27 draws (either sort gives
    /// the same order; only the speed differs), which made this test fail now and then.
    func testTopDigitsCrowdTellsCrowdedKeysFromEvenOnes() {
        var generator = LimbsTests.SplitMix64(state: 0x5EED_0257)
        func crowded(_ count: Int, _ key: (Int) -> UInt64) -> Bool {
            let items = (0..<count).map { KeyedItem(key: key($0), object: UInt($0)) }
            var range = KeyRange()
            for item in items { range.add(item.key) }
            let spread = UInt64(64 - (range.greatest &- range.least).leadingZeroBitCount)
            return items.withUnsafeBufferPointer {
                topDigitsCrowd($0.baseAddress!, count: count, least: range.least, spread: spread)
            }
        }
        for count in [257, 1000, 4095] {
            XCTAssertTrue(crowded(count) { _ in Double.key(Double.random(in: -1e6...1e6, using: &generator)) })
            XCTAssertTrue(crowded(count) { _ in Double.key(Double.random(in: 0..<1, using: &generator)) })
            XCTAssertTrue(crowded(count) { i in i == 0 ? UInt64.max : UInt64(i) })
            XCTAssertFalse(crowded(count) { i in UInt64(i) &* 0x9E37_79B9_7F4A_7C15 })
            XCTAssertFalse(crowded(count) { i in (UInt64(i) &* 0x9E37_79B9) % (1 << 30) })
            XCTAssertFalse(crowded(count) { i in UInt64(i % 50) })  // spread of 6 bits: one radix pass
        }
    }

    /// Fewer items sorted than there is room for (a list's NaNs are not sorted by key): room
    /// beyond the packed keys' limit has no packed keys, so those counts take the radix sort.
    func testKeyedItemsSortFewerThanTheirCapacity() throws {
        for (capacity, count) in [(packedSortLimit + 1, packedSortLimit), (packedSortLimit + 1, 5000), (5000, 4096)] {
            guard let items = KeyedItems(count: capacity) else { return XCTFail("memory") }
            for i in 0..<capacity { items.items[i] = KeyedItem(key: UInt64(truncatingIfNeeded: i &* -7_046_029_254_386_353_131), object: UInt(i)) }
            let expected = (0..<count).map { items.items[$0] }.sorted { ($0.key, $0.object) < ($1.key, $1.object) }
            try items.sort(count: count, threads: 2)
            XCTAssertEqual((0..<count).map { items.sortedItem($0).object }, expected.map(\.object), "\(capacity) \(count)")
        }
    }

    /// `mergeFewRuns` merges items of at most `naturalMergeDescentLimit(count)` descents, stably,
    /// and leaves any other items untouched (false).
    func testMergeFewRunsMergesOnlyFewRuns() {
        var generator = SystemRandomNumberGenerator()
        for count in [16, 33, 257, 1000, 70_000] {
            let limit = naturalMergeDescentLimit(count)
            for descents in Set([0, 1, limit, limit + 1, count / 2]) {
                guard let items = KeyedItems(count: count) else { return XCTFail("memory") }
                // Keys from 0 to 99 with runs cut after `descents` random positions (equal keys: stability).
                let cuts = Set((0..<descents).map { _ in Int.random(in: 1..<count, using: &generator) })
                var key = UInt64(0)
                for i in 0..<count {
                    key = cuts.contains(i) ? 0 : min(key + UInt64.random(in: 0...1, using: &generator), 99)
                    items.items[i] = KeyedItem(key: key, object: UInt(i))
                }
                let original = (0..<count).map { items.items[$0] }
                let actual = zip(original, original.dropFirst()).filter { $1.key < $0.key }.count
                let merged = items.mergeFewRuns(count: count)
                XCTAssertEqual(merged, actual <= limit, "\(count) \(actual)")
                if merged {
                    let expected = original.sorted { ($0.key, $0.object) < ($1.key, $1.object) }
                    XCTAssertEqual((0..<count).map { items.sortedItem($0).object }, expected.map(\.object))
                } else {
                    XCTAssertEqual((0..<count).map { items.items[$0].object }, original.map(\.object))
                }
            }
        }
    }

    func testCancellationLeavesAPermutation() {
        var values = (0..<100_000).map { Int64($0 * 7919 % 100_000) }
        let finished: Void? = values.withUnsafeMutableBufferPointer { buffer in
            try? sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: false, threads: 2,
                             isCancelled: { true })
        }
        XCTAssertNil(finished)
        XCTAssertEqual(Set(values).count, 100_000)
    }

    func testSignedZerosKeepTheirInputOrder() throws {
        for reverse in [false, true] {
            var values: [Double] = [1, -0.0, 0.0, -1, -0.0, 0.0, 0.0, -0.0]
            try values.withUnsafeMutableBufferPointer { buffer in
                try sortInPlace(StridedBuffer(UnsafeBufferPointer(buffer)), reverse: reverse, threads: 1)
            }
            let zeros = values.filter { $0 == 0 }.map { $0.sign == .minus }
            XCTAssertEqual(zeros, [true, false, true, false, false, true], "reverse: \(reverse)")
        }
    }
}

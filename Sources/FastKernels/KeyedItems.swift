import KernelLoops

// (key, object) pairs: how `fastkernels.sort` orders the items of a list by the radix sort.
// See docs/sort.md.

/// A list item to sort: its key and the address of its object.
public struct KeyedItem: Sendable, RadixKeyed {
    @inlinable public var radixKey: UInt64 { key }
    public var key: UInt64
    public var object: UInt
    @inline(__always) public init(key: UInt64, object: UInt) {
        self.key = key
        self.object = object
    }
}

/// Room for `count` keyed items, the scratch to sort them and their packed keys, released
/// with the object (the thread's kept scratch up to `keptScratchLimit`: a list sorted in a
/// loop does not fault in fresh pages each time).
public final class KeyedItems {
    /// The items, as written before `sort` (which may swap this buffer with its scratch);
    /// after it, read them in order with `sortedItem(_:)`.
    public private(set) var items: UnsafeMutablePointer<KeyedItem>
    /// After a sort by packed keys that needed no gathering: the packed keys in order, whose
    /// low bits (`orderMask`) are the items' indices. Nil: `items` itself is in order.
    private var order: UnsafePointer<Int64>? = nil
    private var orderMask: UInt64 = 0
    private(set) var scratch: UnsafeMutablePointer<KeyedItem>
    /// Room for `capacity` packed keys (`sortByPackedKeys`); nil above `packedSortLimit`.
    let packed: UnsafeMutablePointer<Int64>?
    public let capacity: Int
    private let memory: KeptScratch

    /// Nil when the memory cannot be had (never a trap).
    public init?(count: Int) {
        let capacity = max(count, 1)
        // Packed keys only for the counts sorted by them: more memory is more pages to
        // zero (for a list of a million items, the kernel's zeroing of fresh pages alone
        // took 8% of the sort).
        let itemBytes = 2 * MemoryLayout<KeyedItem>.stride
        let packedBytes = capacity <= packedSortLimit ? MemoryLayout<Int64>.stride : 0
        guard capacity <= Int.max / (itemBytes + packedBytes + 1) - 64,
              let memory = KeptScratch(bytes: capacity * (itemBytes + packedBytes)) else { return nil }
        items = memory.base.bindMemory(to: KeyedItem.self, capacity: 2 * capacity)
        scratch = items + capacity
        packed = packedBytes == 0 ? nil : (memory.base + capacity * itemBytes).bindMemory(to: Int64.self, capacity: capacity)
        self.capacity = capacity
        self.memory = memory
    }

    /// Sorts `count` items in the caller's memory by key, stably, on this thread:
    /// `scratch` has room for `count` items. For small counts (it never polls
    /// for cancellation, and allocates only the histograms of sorts above 32 items).
    ///
    /// - Throws: `.outOfMemory` when the histograms cannot be had (`items` untouched).
    /// - Complexity: O(count) for keys that differ in few bits, O(count * 64 / 8) at most.
    public static func sort(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                            count: Int, keyRange: KeyRange? = nil) throws(KernelError) {
        // (Below 33 items the insertion sort takes sorted input in one pass anyway.)
        if count >= packedSortMinimum, let sorted = mergeNaturalRuns(items, scratch: scratch, count: count) {
            if sorted != items { items.update(from: sorted, count: count) }  // at most 256 items
            return
        }
        if count >= packedSortMinimum && count <= smallSortPacking {
            // The packed keys: at most 2 KiB, on the stack or in this thread's kept block
            // (withTemporaryMemory never traps; without memory, the radix sort below).
            let sorted = withTemporaryMemory(of: Int64.self, capacity: count) { packed in
                sortByPackedKeys(items, scratch: scratch, packed: packed, count: count, keyRange: keyRange)
            }
            if let sorted = sorted ?? nil {
                items.update(from: sorted, count: count)  // at most 256 items
                return
            }
        }
        try radixSort(items, scratch: scratch, count: count, threads: 1, isCancelled: { false })
    }

    /// The order of `count` items (`packedSortMinimum`...`smallSortPacking`: a short list, the
    /// GIL held) by key, stably, as their packed keys sorted in `packed` (room for `count`):
    /// the items are read through them, not gathered and copied back (for a list of 100 floats
    /// that was a fifth of the sort). Nil, the items untouched, when the packed keys do not
    /// apply (no vector sort) or keys collide in runs too long to order in place: sort the
    /// items with `sort(_:scratch:count:keyRange:)` then.
    public static func order(_ items: UnsafePointer<KeyedItem>, count: Int, keyRange: KeyRange,
                             packed: UnsafeMutablePointer<Int64>) -> SortedKeyedItems? {
        guard count >= packedSortMinimum && count <= smallSortPacking,
              !mergesNaturalRuns(items, count: count),  // (the static sort merges few runs)
              let packing = sortPackedKeys(items, packed: packed, count: count, keyRange: keyRange, threads: 1,
                                           isCancelled: { false }),
              orderShortRuns(items, packed: packed, count: count, packing) else { return nil }
        return SortedKeyedItems(items: items, order: UnsafePointer(packed), mask: packing.indexMask)
    }

    /// Sorts the first `count` items by key, stably (equal keys keep their order).
    /// - Complexity: O(count x key bytes) time at worst; no allocation beyond the
    ///   histograms (the scratch is the sorter's).
    public func sort(count: Int, keyRange: KeyRange? = nil, threads: Int,
                     isCancelled: () -> Bool = { false }) throws(KernelError) {
        let count = min(count, capacity)
        if mergeFewRuns(count: count) { return }
        if count >= packedSortMinimum, let packed,
           let packing = sortPackedKeys(items, packed: packed, count: count, keyRange: keyRange,
                                        threads: threads, isCancelled: isCancelled) {
            // The order is the packed keys' indices: the caller reads the items through them
            // (`sortedItem`) rather than this sort gathering them into the scratch and the
            // caller reading that (for a list of a million floats, the gather's writes and the
            // scratch's fresh pages were a tenth of the sort).
            if orderShortRuns(items, packed: packed, count: count, packing) {
                order = UnsafePointer(packed)
                orderMask = packing.indexMask
                return
            }
            // Sorted into the scratch: the buffers trade places rather than copy it back (at
            // 100,000 items the copy was 5% of a list's sort).
            let sorted = gatherByPackedKeys(items, scratch: scratch, packed: packed, count: count, packing)
            (items, scratch) = (sorted, items)
            return
        }
        if isCancelled() { throw .cancelled }
        try radixSort(items, scratch: scratch, count: count, keyBounds: keyRange?.bounds, threads: threads,
                      isCancelled: isCancelled)
    }

    /// Sorts the first `count` items by merging their ascending runs, stably, when they are few
    /// (`mergesNaturalRuns`): true then; false, the items untouched, otherwise. O(count) per
    /// level of merges, on this thread, no allocation.
    public func mergeFewRuns(count: Int) -> Bool {
        let count = min(count, capacity)
        order = nil
        guard let sorted = mergeNaturalRuns(items, scratch: scratch, count: count) else { return false }
        if sorted != items { (items, scratch) = (sorted, items) }
        return true
    }

    /// The item at `position` of the order `sort` found.
    public func sortedItem(_ position: Int) -> KeyedItem { sortedOrder[position] }

    /// The order `sort` found, to read item by item (valid while this object lives and is
    /// not sorted again; read once, outside a loop over the items).
    public var sortedOrder: SortedKeyedItems { SortedKeyedItems(items: items, order: order, mask: orderMask) }
}

/// The items of a `KeyedItems` in the order its sort found: by index through the sorted
/// packed keys, or the items themselves.
public struct SortedKeyedItems {
    let items: UnsafePointer<KeyedItem>
    let order: UnsafePointer<Int64>?
    let mask: UInt64

    /// Items that are themselves in order.
    public init(inOrder items: UnsafePointer<KeyedItem>) {
        self.init(items: items, order: nil, mask: 0)
    }

    init(items: UnsafePointer<KeyedItem>, order: UnsafePointer<Int64>?, mask: UInt64) {
        self.items = items
        self.order = order
        self.mask = mask
    }

    @inline(__always)
    public subscript(_ position: Int) -> KeyedItem { items[index(position)] }

    /// The index among `items` of the item at `position` of the order.
    @inline(__always)
    private func index(_ position: Int) -> Int {
        guard let order else { return position }
        return Int(truncatingIfNeeded: UInt64(bitPattern: order[position]) & mask)
    }

    /// A hint that the item at `position` (< `count`) will be read soon: read through the order,
    /// items are read at random, and a large list's are not in the caches.
    @inline(__always)
    public func prefetch(_ position: Int) {
        if order != nil { prefetchForRead(items + index(position)) }
    }
}

/// The least and the greatest of some keys, gathered as they are read.
@frozen
public struct KeyRange: Sendable {
    @usableFromInline var lowest = UInt64.max
    @usableFromInline var highest = UInt64.min
    /// The least key (UInt64.max when none was added).
    public var least: UInt64 { lowest }
    /// The greatest key (0 when none was added).
    public var greatest: UInt64 { highest }

    @inlinable @inline(__always) public init() {}

    /// The range of the keys of `count` items.
    init(_ items: UnsafePointer<KeyedItem>, _ count: Int) {
        for i in 0..<count { add(items[i].key) }
    }

    @inlinable @inline(__always) public mutating func add(_ key: UInt64) {
        lowest = min(lowest, key)
        highest = max(highest, key)
    }

    var bounds: (least: UInt64, greatest: UInt64) { (least, greatest) }
}

/// Items whose keys descend at most this many times, and at most once in 16 items (a sorted
/// list with a few items appended or moved, two sorted lists joined) are sorted by merging their
/// ascending runs (`mergeNaturalRuns`), as `sorted()`'s timsort does, in O(n) per level of
/// merges. (Short random lists descend few times too: their insertion or packed sort is faster.)
let naturalMergeMaximumDescents = 32

/// The most descents of `count` keys that are merged as natural runs: at most
/// `naturalMergeMaximumDescents`, and at most one in 16 items.
@inline(__always)
func naturalMergeDescentLimit(_ count: Int) -> Int { min(naturalMergeMaximumDescents, count / 16) }

/// Whether `count` items are sorted by `mergeNaturalRuns`: their keys descend at most
/// `naturalMergeMaximumDescents` times and at most once in 16 items. Random keys descend every
/// other item: the count stops there after about twice that limit.
@inline(__always)
public func mergesNaturalRuns(_ items: UnsafePointer<KeyedItem>, count: Int) -> Bool {
    let limit = naturalMergeDescentLimit(count)
    var descents = 0
    var i = 1
    while i < count {
        if items[i].key < items[i - 1].key {
            descents += 1
            if descents > limit { return false }
        }
        i += 1
    }
    return true
}

/// Sorts `count` items made of few ascending runs (as `mergesNaturalRuns` counts them: the scan
/// stops at the same limit) by merging neighbouring runs, stably, level by level
/// between `items` and `scratch` (room for `count`): the items of a run that precede all of
/// the other run, or follow it, are copied in one block (found by binary search), so a sorted
/// list with an item appended costs a copy. Returns the buffer that holds the result; nil,
/// the items untouched, for more runs.
func mergeNaturalRuns(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                      count: Int) -> UnsafeMutablePointer<KeyedItem>? {
    // The runs' starts, and `count` after the last (naturalMergeMaximumDescents + 2 of them).
    var bounds = InlineArray<34, Int>(repeating: 0)
    assert(naturalMergeMaximumDescents + 2 <= bounds.count)
    let limit = naturalMergeDescentLimit(count)
    var runs = 0
    for i in 1..<max(count, 1) where items[i].key < items[i - 1].key {
        runs += 1
        guard runs <= limit else { return nil }
        bounds[runs] = i
    }
    runs += 1
    bounds[runs] = count
    var source = items, target = scratch
    while runs > 1 {
        var merged = 0
        var k = 0
        while k < runs {
            let low = bounds[k], middle = bounds[k + 1]
            let high = k + 2 <= runs ? bounds[k + 2] : middle
            mergeRuns(source, low, middle, high, into: target)
            bounds[merged] = low
            merged += 1
            k += 2
        }
        bounds[merged] = count
        runs = merged
        swap(&source, &target)
    }
    return source
}

/// Merges the ascending runs `source[low..<middle]` and `source[middle..<high]` (either may be
/// empty) into `target[low..<high]`, stably: equal keys, the left run's first.
@inline(__always)
func mergeRuns(_ source: UnsafeMutablePointer<KeyedItem>, _ low: Int, _ middle: Int, _ high: Int,
               into target: UnsafeMutablePointer<KeyedItem>) {
    guard middle > low && high > middle && source[middle - 1].key > source[middle].key else {
        (target + low).update(from: source + low, count: high - low)  // in order already
        return
    }
    // The left run's items not above the right's first precede everything: one block.
    let firstRight = source[middle].key
    var lo = low, hi = middle  // the first left item above firstRight is in lo..<hi (it exists)
    while lo < hi {
        let mid = (lo + hi) / 2
        if source[mid].key <= firstRight { lo = mid + 1 } else { hi = mid }
    }
    (target + low).update(from: source + low, count: lo - low)
    // The right run's items not below the left's last follow everything: one block.
    let lastLeft = source[middle - 1].key
    var rlo = middle, rhi = high  // the first right item not below lastLeft is in rlo...rhi
    while rlo < rhi {
        let mid = (rlo + rhi) / 2
        if source[mid].key < lastLeft { rlo = mid + 1 } else { rhi = mid }
    }
    let rightEnd = rlo
    (target + rightEnd).update(from: source + rightEnd, count: high - rightEnd)
    // The rest, item by item (equal keys: the left run's first).
    mergeSortedRuns(source, lo, middle, rightEnd, into: target)
}


/// The fewest items `KeyedItems.sort` sorts by packed keys (below, the insertion sort costs less).
public let packedSortMinimum = 33

/// The most items the static `KeyedItems.sort` (small lists, the GIL held) sorts by packed
/// keys: their packed keys take at most 2 KiB of temporary memory.
let smallSortPacking = 256

/// The most items sorted by packed keys (measured against the radix sort: docs/sort.md):
/// 2^20 on the AVX-512 tier (its partition of 64-bit lanes permutes each register once:
/// lists of 300K-1M items 4-16% faster than by the radix sort, 2M within noise), 2^18 on the
/// AVX2 tier.
let packedSortLimit = vectorSortTier == .avx512 ? 1 << 20 : 1 << 18


/// The bits of a packed key's prefix and index: 62, so that the packing plus 2^52 is a
/// positive normal double (`packKeysAVX2`).
let packedBits: UInt64 = 62

/// How `sortPackedKeys` packed the keys: the least key, the right shift of a key less it (its
/// prefix) and the bits of the index below the prefix.
struct KeyPacking {
    let least: UInt64
    let shift: UInt64
    let indexBits: UInt64
    var indexMask: UInt64 { (1 << indexBits) - 1 }
}

/// Sorts `count` (2 to `packedSortLimit`) items by key, stably, with the vector quicksort of 64-bit
/// values (AVX2 or AVX-512; doubles, see `packKeysAVX2`), several times faster than a merge or radix sort moving the
/// 16-byte items (a merge sort's comparisons of random keys mispredict half the time; a radix
/// sort moves every item once a digit). Each item becomes one integer: its key less the least
/// key, shifted right so that it fits above its index (log2(count) bits) in 62 bits, then its index. All
/// of them differ, so the unstable quicksort gives their one order: the items' order by key,
/// equal keys by index. When the keys spread over more bits than are left, items whose keys
/// agree in the bits kept end up adjacent in index order, and each such run is then merge
/// sorted by full key (stable, O(k log k) for a run of k: no input makes this quadratic).
///
/// - Parameters:
///   - items: the items (read, then scratch for the merges of colliding keys).
///   - scratch: room for `count` items: the sorted items go there.
///   - packed: room for `count` 64-bit integers.
///   - keyRange: the least and greatest key, when the caller found them reading the keys.
///   - threads: workers for the quicksort (from `parallelVectorSortMinimum` elements).
/// - Returns: `scratch`, which then holds the sorted items (`items` is then free); nil, the
///   items untouched, when the CPU has no vector sort, `count` is outside 2...`packedSortLimit`,
///   the keys are sorted faster by the radix sort (`packingPays`) or the quicksort was cancelled.
func sortByPackedKeys(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                      packed: UnsafeMutablePointer<Int64>, count: Int, keyRange: KeyRange? = nil, threads: Int = 1,
                      isCancelled: () -> Bool = { false }) -> UnsafeMutablePointer<KeyedItem>? {
    guard let packing = sortPackedKeys(items, packed: packed, count: count, keyRange: keyRange, threads: threads,
                                       isCancelled: isCancelled) else { return nil }
    return gatherByPackedKeys(items, scratch: scratch, packed: packed, count: count, packing)
}

/// The first half of `sortByPackedKeys`: the items' packed keys, sorted, in `packed` (the
/// items untouched); nil, as there, when this sort does not apply or was cancelled.
func sortPackedKeys(_ items: UnsafePointer<KeyedItem>, packed: UnsafeMutablePointer<Int64>, count: Int,
                    keyRange: KeyRange?, threads: Int, isCancelled: () -> Bool) -> KeyPacking? {
    guard count >= 2, count <= packedSortLimit, cpuHasAVX2 && vectorSortAvailable else { return nil }
    let (least, greatest) = keyRange.map { ($0.least, $0.greatest) } ?? KeyRange(items, count).bounds
    let indexBits = UInt64(64 - (count - 1).leadingZeroBitCount)
    let spread = UInt64(64 - (greatest &- least).leadingZeroBitCount)
    guard packingPays(items, count: count, least: least, spread: spread, indexBits: indexBits) else { return nil }
    let shift = spread > packedBits - indexBits ? spread - (packedBits - indexBits) : 0
    // (key - least) >> shift << indexBits | index, plus 2^52: positive normal doubles (AVX2: checked above).
    UnsafeRawPointer(items).withMemoryRebound(to: UInt64.self, capacity: 2 * count) { keys in
        packKeysAVX2(keys, count, least: least, shift: shift, indexBits: indexBits, into: packed)
    }
    // Sorted as doubles, whose order is the packings' (the vector quicksort's min and max of
    // doubles are one instruction each on AVX2, of 64-bit integers a compare and a blend).
    let outcome = UnsafeMutableRawPointer(packed).withMemoryRebound(to: Double.self, capacity: count) {
        sortVectors($0, count, threads: threads, isCancelled: isCancelled)
    }
    guard outcome == .sorted else { return nil }
    return KeyPacking(least: least, shift: shift, indexBits: indexBits)
}

/// The second half of `sortByPackedKeys`: the items gathered into `scratch` in the order of
/// the sorted `packed` keys, runs of colliding prefixes merge sorted by full key.
func gatherByPackedKeys(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                        packed: UnsafePointer<Int64>, count: Int, _ packing: KeyPacking) -> UnsafeMutablePointer<KeyedItem> {
    let (least, shift, indexBits, indexMask) = (packing.least, packing.shift, packing.indexBits, packing.indexMask)
    // Gathered by index; prefixes that collide (only possible when bits were shifted out) are
    // seen here, between neighbours, so that random keys skip the pass over the runs below.
    var previous = UInt64(bitPattern: packed[0])
    scratch[0] = items[Int(previous & indexMask)]
    var collisions: UInt64 = 0
    for j in 1..<count {
        let value = UInt64(bitPattern: packed[j])
        scratch[j] = items[Int(value & indexMask)]
        collisions |= (value ^ previous) >> indexBits == 0 ? 1 : 0
        previous = value
    }
    guard shift > 0 && collisions != 0 else { return scratch }
    var start = 0
    while start < count {
        let prefix = (scratch[start].key &- least) >> shift
        var end = start + 1
        while end < count && (scratch[end].key &- least) >> shift == prefix { end += 1 }
        if end - start > 1 { mergeSort(scratch + start, scratch: items + start, count: end - start) }
        start = end
    }
    return scratch
}

/// The most packed keys of one colliding prefix that `orderShortRuns` sorts in place (by
/// insertion: at most 32 x 31 / 2 moves); a longer run leaves the order to the gather.
let shortCollisionRun = 32

/// Completes the order of the sorted `packed` keys in place, without gathering the items:
/// each run of neighbours whose prefixes collide (only possible when bits were shifted out;
/// in index order) is sorted by full key, stably, by insertion. False, `packed` still a
/// valid sort by prefix, when a run is longer than `shortCollisionRun` (then gather).
func orderShortRuns(_ items: UnsafePointer<KeyedItem>, packed: UnsafeMutablePointer<Int64>, count: Int,
                    _ packing: KeyPacking) -> Bool {
    guard packing.shift > 0 else { return true }
    let indexBits = packing.indexBits, indexMask = packing.indexMask
    @inline(__always) func key(_ value: Int64) -> UInt64 {
        items[Int(truncatingIfNeeded: UInt64(bitPattern: value) & indexMask)].key
    }
    var start = 0
    // Positions before this are looked at one by one; from it, blocks of 64 neighbouring pairs
    // without a collision are passed over at once (the packed sort runs only with AVX2).
    var oneByOneEnd = 0
    while start < count - 1 {
        if start >= oneByOneEnd {
            start = collidingPrefixBlockAVX2(packed, from: start, count: count, indexBits: indexBits)
            oneByOneEnd = start + 64
            if start >= count - 1 { break }
        }
        // The next pair of neighbours with the same prefix (most keys have none).
        let first = UInt64(bitPattern: packed[start])
        guard (first ^ UInt64(bitPattern: packed[start + 1])) >> indexBits == 0 else {
            start += 1
            continue
        }
        var end = start + 2
        while end < count && (first ^ UInt64(bitPattern: packed[end])) >> indexBits == 0 { end += 1 }
        guard end - start <= shortCollisionRun else { return false }
        // Insertion by full key: equal keys stay in index order (stable).
        for i in start + 1..<end {
            let value = packed[i], valueKey = key(value)
            var j = i
            while j > start && key(packed[j - 1]) > valueKey {
                packed[j] = packed[j - 1]
                j -= 1
            }
            packed[j] = value
        }
        start = end
    }
    return true
}

/// Whether the packed-key quicksort beats the radix sort on these keys (measured on lists of
/// random floats in [0, 1) and in [-1e6, 1e6), integers over the whole int64 range, in
/// 0..<2^30 and in 0..999, 100 to 65,536 items: docs/sort.md). Up to 256 items it always
/// does (the radix sort's merge sort of them mispredicts). From 257 to 4,095 the radix sort
/// wins by 10-20% when its first digit (log2(count) bits) leaves a few items a bucket, and
/// loses by up to 1.6x when the keys crowd into a few of its buckets (floats of both signs:
/// their top bits are a sign and an exponent): `topDigitsCrowd` tells which from a sample.
/// From 4,096 on the packed sort wins, but for keys that spread over hardly more bits than
/// that first digit (small integers: the radix sort is then one pass).
func packingPays(_ items: UnsafePointer<KeyedItem>, count: Int, least: UInt64, spread: UInt64,
                 indexBits: UInt64) -> Bool {
    if count <= smallSortPacking { return true }
    if count >= 1 << 12 { return spread > indexBits + 4 }
    return topDigitsCrowd(items, count: count, least: least, spread: spread)
}

/// Whether the keys less `least` crowd into a few values of their top 6 bits (of `spread`
/// bits): 64 keys read at even steps through the items, true when 6 or more of them share
/// a value (keys spread evenly put about 1 in each of the 64; 6 or more in one happens to
/// them about once in 26 lists, and then costs only the radix sort's 10-20%; random floats
/// in [0, 1) put half of theirs, the top exponent, into 4 values).
/// `count` >= 64.
@inline(__always)
func topDigitsCrowd(_ items: UnsafePointer<KeyedItem>, count: Int, least: UInt64, spread: UInt64) -> Bool {
    guard spread > 6 else { return false }  // one radix pass
    let shift = spread - 6
    var tally = InlineArray<64, UInt8>(repeating: 0)
    var crowded = false
    for k in 0..<64 {
        let digit = Int(truncatingIfNeeded: ((items[k &* count / 64].key &- least) >> shift) & 63)
        tally[digit] &+= 1
        crowded = crowded || tally[digit] >= 6
    }
    return crowded
}

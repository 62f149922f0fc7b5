import Synchronization

// Stable MSD radix sort on unsigned keys, parallel at the top level. Used
// for integer and float keys (transformed so that unsigned order is numeric
// order) and for the (key, object) pairs of a list. See docs/sort.md.
//
// Each level looks only at the bits where the keys of its range differ (so
// small ranges of integers, or floats sharing an exponent, waste no passes),
// distributes the elements stably by the top digit of those bits into the
// other buffer, and recurses into each bucket. After the first level the
// buckets fit in the caches, so main memory is read and written about twice,
// where an LSD sort of 64-bit keys would make six passes.

/// An element a radix sort can order by an unsigned 64-bit key.
public protocol RadixKeyed {
    var radixKey: UInt64 { get }
    /// Whether `a` sorts before `b`: their keys in order (the comparison sorts use it).
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

extension RadixKeyed {
    @inlinable @inline(__always) public static func precedes(_ a: Self, _ b: Self) -> Bool {
        a.radixKey < b.radixKey
    }
}

extension UInt8: RadixKeyed { @inlinable public var radixKey: UInt64 { UInt64(self) } }
extension UInt16: RadixKeyed { @inlinable public var radixKey: UInt64 { UInt64(self) } }
extension UInt32: RadixKeyed { @inlinable public var radixKey: UInt64 { UInt64(self) } }
extension UInt64: RadixKeyed { @inlinable public var radixKey: UInt64 { self } }

/// Buckets at or below this size are finished by insertion sort.
let insertionSortLimit = 32
/// The widest digit, used at the top level: 2,048 buckets.
let maximumDigitBits = 11
/// The widest digit inside a bucket: 256 buckets, few enough that the
/// scattered writes of a cache-sized bucket stay in the caches (measured:
/// 8 bits beat 7 and 11 on 1M-element float and int64 sorts).
let bucketDigitBits = 8

/// Sorts `count` elements of `data` by `radixKey` (ascending, stable), using
/// `scratch` (room for `count` elements).
///
/// - Throws: `.cancelled` (polled every 65,536 elements at the top level and
///   between buckets); `data` then holds a permutation of its elements.
///   `.outOfMemory` when the per-worker histograms cannot be had (`data` untouched).
func radixSort<Element: RadixKeyed>(
    _ data: UnsafeMutablePointer<Element>, scratch: UnsafeMutablePointer<Element>, count: Int,
    keyBounds: (least: UInt64, greatest: UInt64)? = nil, threads: Int, isCancelled: () -> Bool
) throws(KernelError) {
    guard count > 1 else { return }
    if count <= insertionSortLimit {
        insertionSort(data, count)
        return
    }
    if count <= mergeSortLimit {
        mergeSort(data, scratch: scratch, count: count)
        return
    }
    if count < singleLevelSortLimit {
        // Small enough to need neither workers nor Ctrl-C polls: no top level of 2,048 buckets
        // (its histograms, prefix sums and bucket order cost more than sorting a few thousand
        // items), just the bucket sort, whose digits are as wide as log2(count).
        // Histograms no wider than the count (digits are at most log2(count) bits at every level).
        // The first digit is up to 13 bits wide from 8,192 elements on: a few elements a bucket,
        // whatever the keys' top bits are like (floats' exponents take few values).
        let level = histogramLevel(for: count)
        let firstBits = count < 1 << 13 ? bucketDigitBits
            : min(firstDigitBits, Int.bitWidth - count.leadingZeroBitCount - 3)
        let firstLevel = max(level, 2 * (1 << firstBits) + 1)
        guard let histograms = CheckedBuffer(Int.self, count: firstLevel + (bucketLevels - 1) * level) else {
            throw .outOfMemory
        }
        // Keys less their minimum: values spread over a narrow range (or either side of zero,
        // whose keys differ in the top bit) then fill the first digit's buckets evenly.
        // One pass finds both (it replaces the pass that finds the bits in which keys differ).
        var least = UInt64.max, greatest = UInt64.min
        if let keyBounds {
            (least, greatest) = keyBounds  // found by the caller as it read the keys
        } else {
            for i in 0..<count {
                let key = data[i].radixKey
                least = min(least, key)
                greatest = max(greatest, key)
            }
        }
        if least == greatest { return }  // all keys equal: already sorted (stably)
        var changed = false
        if sortBucket(data, scratch, count, highBit: 63, counts: histograms.base, levelSize: level,
                      digitLimit: firstBits, ownLevelSize: firstLevel, bias: least,
                      knownTopBit: 63 - (greatest - least).leadingZeroBitCount, changed: &changed) {
            data.update(from: scratch, count: count)
        }
        if changed { throw .inputChanged }
        return
    }
    let workers = min(effectiveWorkers(threads), count / (1 << 14))
    let src = SharedPointer(data), dst = SharedPointer(scratch)
    let stopped = StopFlag()

    // 1. The bits in which keys differ: OR of key ^ first key.
    let first = data[0].radixKey
    guard let differences = CheckedBuffer(UInt64.self, count: workers, repeating: 0) else { throw .outOfMemory }
    let sharedDifferences = SharedPointer(differences.base)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        var mask: UInt64 = 0
        forEachSlice(of: partition(count, parts: workers, index: worker), stopped: stopped, isCancelled) { range in
            for i in range { mask |= src.pointer[i].radixKey ^ first }
        }
        sharedDifferences.pointer[worker] = mask
    }
    if stopped.isSet { throw .cancelled }
    var mask: UInt64 = 0
    for worker in 0..<workers { mask |= differences[worker] }
    if mask == 0 { return }  // all keys equal: already sorted (stably)
    let topBit = 63 - mask.leadingZeroBitCount
    let digitBits = min(maximumDigitBits, topBit + 1)
    let shift = UInt64(topBit + 1 - digitBits)
    let buckets = 1 << digitBits
    let digitMask = UInt64(buckets - 1)

    // 2. Per-worker digit counts, turned into per-worker start offsets.
    guard let offsets = CheckedBuffer(Int.self, count: workers * buckets, repeating: 0),
          let ends = CheckedBuffer(Int.self, count: workers * buckets),
          let bucketStarts = CheckedBuffer(Int.self, count: buckets + 1),
          let order = CheckedBuffer(Int.self, count: buckets),
          let histograms = CheckedBuffer(Int.self, count: workers * histogramSpace) else { throw .outOfMemory }
    let sharedOffsets = SharedPointer(offsets.base)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        let counts = sharedOffsets.pointer + worker * buckets
        forEachSlice(of: partition(count, parts: workers, index: worker), stopped: stopped, isCancelled) { range in
            for i in range { counts[Int((src.pointer[i].radixKey >> shift) & digitMask)] += 1 }
        }
    }
    if stopped.isSet { throw .cancelled }
    var total = 0
    for digit in 0..<buckets {
        bucketStarts[digit] = total
        for worker in 0..<workers {
            let slot = offsets.base + worker * buckets + digit
            let n = slot.pointee
            slot.pointee = total
            total += n
            ends[worker * buckets + digit] = total
        }
    }
    bucketStarts[buckets] = total

    // 3. Stable scatter data -> scratch, each worker its own range to its own offsets. A slot
    //    past the worker's share of a bucket means the keys changed since they were counted
    //    (another thread writing to an array sorted in place): stop, never writing out of bounds.
    let changed = StopFlag()
    let sharedEnds = SharedPointer(ends.base)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        let next = sharedOffsets.pointer + worker * buckets, limit = sharedEnds.pointer + worker * buckets
        forEachSlice(of: partition(count, parts: workers, index: worker), stopped: stopped, isCancelled) { range in
            for i in range {
                let element = src.pointer[i]
                let digit = Int((element.radixKey >> shift) & digitMask)
                let slot = next[digit]
                guard slot < limit[digit] else {
                    changed.set()
                    stopped.set()
                    return
                }
                (dst.pointer + slot).initialize(to: element)
                next[digit] = slot + 1
            }
        }
    }
    if changed.isSet { throw .inputChanged }  // data is untouched by a scatter
    if stopped.isSet { throw .cancelled }

    // 4. Each bucket sorted within scratch (data as its scratch), largest buckets first, shared
    //    among the workers; then everything copied back. A cancelled bucket stays a permutation.
    for digit in 0..<buckets { order[digit] = digit }
    var orderBuffer = UnsafeMutableBufferPointer(start: order.base, count: buckets)
    let starts = bucketStarts.base
    orderBuffer.sort { starts[$0 + 1] - starts[$0] > starts[$1 + 1] - starts[$1] }
    let sharedOrder = SharedPointer(order.base), sharedStarts = SharedPointer(bucketStarts.base)
    let sharedHistograms = SharedPointer(histograms.base)
    let lowBit = Int(shift) - 1
    let nextBucket = Atomic<Int>(0)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        let counts = sharedHistograms.pointer + worker * histogramSpace
        while true {
            let index = nextBucket.wrappingAdd(1, ordering: .relaxed).oldValue
            if index >= buckets || stopped.shouldStop(isCancelled) { return }
            let digit = sharedOrder.pointer[index]
            let start = sharedStarts.pointer[digit], size = sharedStarts.pointer[digit + 1] - start
            // Sorted in scratch unless the bucket's result came back to data: copy it home.
            var bucketChanged = false
            if !sortBucket(dst.pointer + start, src.pointer + start, size, highBit: lowBit, counts: counts,
                           changed: &bucketChanged) {
                (src.pointer + start).update(from: dst.pointer + start, count: size)
            }
            if bucketChanged {
                changed.set()
                stopped.set()
                return
            }
        }
    }
    if changed.isSet { throw .inputChanged }
    if stopped.isSet {
        // Buckets not yet sorted are still only in scratch: copy every bucket home (a permutation).
        (src.pointer).update(from: dst.pointer, count: count)
        throw .cancelled
    }
}

/// The widest first digit of a sort on one worker: about 4-8 elements a bucket (measured:
/// 13 bits beat 11 on 50,000 random int64 keys by 2x, the buckets of 24 elements left by 11
/// bits costing more to insertion sort than a digit more to count).
let firstDigitBits = 13

/// Below this many elements a sort runs on one worker, without the parallel top level.
public let singleLevelSortLimit = 1 << 16
/// One level of `sortBucket`: bucket starts (buckets + 1) and bucket ends.
let histogramLevel = 2 * (1 << bucketDigitBits) + 1

/// The room one level of `sortBucket` needs for buckets of at most `count` elements.
func histogramLevel(for count: Int) -> Int {
    2 * (1 << bucketDigitWidth(forCount: count, limit: bucketDigitBits)) + 1
}

/// The digit `sortBucket` uses for a bucket of `count` elements: about log2(count) bits
/// (a histogram no larger than the bucket), from 4 to `limit`.
@inline(__always)
func bucketDigitWidth(forCount count: Int, limit: Int) -> Int {
    max(4, min(limit, Int.bitWidth - count.leadingZeroBitCount - 1))
}
/// Levels of `sortBucket` that use a histogram: each consumes at least 4 key bits, or all
/// that are left (the next level then has none), so 64 / 4 + 1 levels; a deeper one (never
/// reached) would finish its bucket by insertion sort.
let bucketLevels = 17
/// Room for one histogram per level of `sortBucket`'s recursion.
let histogramSpace = bucketLevels * histogramLevel

/// Sorts `n` elements of `x` by key bits `0...highBit` (higher bits are equal),
/// stably, using `y` (the same size) as the other buffer. Returns where the
/// result is: false for `x`, true for `y` (buffers alternate by level, so
/// nothing is copied back level by level). `counts` holds room for one
/// histogram per remaining level.
func sortBucket<Element: RadixKeyed>(
    _ x: UnsafeMutablePointer<Element>, _ y: UnsafeMutablePointer<Element>, _ n: Int, highBit: Int,
    counts: UnsafeMutablePointer<Int>, levelSize: Int = histogramLevel, levels: Int = bucketLevels,
    digitLimit: Int = bucketDigitBits, ownLevelSize: Int? = nil, bias: UInt64 = 0, knownTopBit: Int? = nil,
    changed: inout Bool
) -> Bool {
    if n <= insertionSortLimit || highBit < 0 || levels == 0 {
        if highBit >= 0 { insertionSort(x, n) }
        return false
    }
    let keepMask: UInt64 = highBit >= 63 ? .max : (1 << UInt64(highBit + 1)) - 1
    let topBit: Int
    if let knownTopBit {
        topBit = knownTopBit
    } else {
        let first = (x[0].radixKey &- bias) & keepMask
        var mask: UInt64 = 0
        for i in 0..<n { mask |= ((x[i].radixKey &- bias) & keepMask) ^ first }
        if mask == 0 { return false }
        topBit = 63 - mask.leadingZeroBitCount
    }
    // Digits about log2(n) wide (a histogram no larger than the bucket), at most bucketDigitBits.
    let digitBits = min(bucketDigitWidth(forCount: n, limit: digitLimit), topBit + 1)
    let shift = UInt64(topBit + 1 - digitBits)
    let buckets = 1 << digitBits
    let digitMask = UInt64(buckets - 1)
    counts.initialize(repeating: 0, count: buckets + 1)
    // Wrapping additions: no count exceeds n (overflow checks here cost a quarter of the sort).
    for i in 0..<n { counts[Int(((x[i].radixKey &- bias) >> shift) & digitMask) &+ 1] &+= 1 }
    for digit in 0..<buckets { counts[digit &+ 1] &+= counts[digit] }  // counts[d] = start of bucket d
    let limits = counts + buckets + 1  // limits[d] = end of bucket d
    for digit in 0..<buckets { limits[digit] = counts[digit + 1] }
    // Scatter x -> y (stable), using counts[d] as the next slot of bucket d. A slot past the
    // bucket's end means the keys changed since they were counted (another thread writing to
    // an array sorted in place): stop, without writing out of bounds.
    for i in 0..<n {
        let element = x[i]
        let digit = Int(((element.radixKey &- bias) >> shift) & digitMask)
        let slot = counts[digit]
        guard slot < limits[digit] else {
            changed = true
            return false
        }
        (y + slot).initialize(to: element)
        counts[digit] = slot &+ 1
    }
    // counts[d] is now the end of bucket d. Sort each bucket in y (x as its other buffer);
    // the few whose result lands in x are copied back to y. Small buckets are insertion
    // sorted here (most buckets of the last level: a call each would cost more than the sort).
    guard shift > 0 else { return true }  // the bits left are all equal within each bucket
    var start = 0
    let nextCounts = counts + (ownLevelSize ?? levelSize)
    for digit in 0..<buckets {
        let end = counts[digit], size = end &- start
        if size > insertionSortLimit {
            if sortBucket(y + start, x + start, size, highBit: Int(shift) - 1, counts: nextCounts,
                          levelSize: levelSize, levels: levels - 1, bias: bias, changed: &changed) {
                (y + start).update(from: x + start, count: size)
            }
            if changed { return false }
        } else if size > 1 {
            insertionSort(y + start, size)
        }
        start = end
    }
    return true
}

/// Up to this many elements a merge sort beats the radix passes: it needs no
/// histograms and does not depend on how the keys' bits are spread (the top digits of
/// floats take few values, which costs a radix sort extra passes).
let mergeSortLimit = 256

/// Stable merge sort by key of `count` elements (runs of 8 insertion sorted, then
/// merged pairwise, alternating between `data` and `scratch`); the result ends in `data`.
/// - Complexity: O(count log count) key comparisons.
func mergeSort<Element: RadixKeyed>(_ data: UnsafeMutablePointer<Element>, scratch: UnsafeMutablePointer<Element>,
                                    count: Int) {
    let run = 8
    var start = 0
    while start < count {
        insertionSort(data + start, min(run, count - start))
        start += run
    }
    var source = data, target = scratch
    var width = run
    while width < count {
        var low = 0
        while low < count {
            let middle = min(low + width, count), high = min(low + 2 * width, count)
            mergeSortedRuns(source, low, middle, high, into: target)
            low = high
        }
        swap(&source, &target)
        width *= 2
    }
    if source != data { data.update(from: source, count: count) }
}

/// Merges the sorted runs `source[low..<middle]` and `source[middle..<high]` into
/// `target[low..<high]`, stably: of equal keys, the left (earlier) run's element first.
@inline(__always)
func mergeSortedRuns<Element: RadixKeyed>(_ source: UnsafeMutablePointer<Element>, _ low: Int, _ middle: Int,
                                          _ high: Int, into target: UnsafeMutablePointer<Element>) {
    var left = low, right = middle, out = low
    while left < middle && right < high {
        if Element.precedes(source[right], source[left]) {
            target[out] = source[right]
            right += 1
        } else {
            target[out] = source[left]
            left += 1
        }
        out += 1
    }
    (target + out).update(from: source + left, count: middle - left)
    out += middle - left
    (target + out).update(from: source + right, count: high - right)
}

/// Stable insertion sort by key, for small buckets.
@inline(__always)
func insertionSort<Element: RadixKeyed>(_ x: UnsafeMutablePointer<Element>, _ n: Int) {
    guard n > 1 else { return }
    for i in 1..<n {
        let element = x[i]
        var j = i
        while j > 0 && Element.precedes(element, x[j - 1]) {
            x[j] = x[j - 1]
            j -= 1
        }
        x[j] = element
    }
}

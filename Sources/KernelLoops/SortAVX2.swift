import _Builtin_intrinsics.intel

// An in-place, unstable sort of signed 64- and 32-bit integers with AVX2: a
// quicksort whose partition step handles a vector (4 or 8 lanes) at a time, and
// whose small ranges are finished by sorting networks of min/max pairs. See
// docs/sort.md. Equal integers are indistinguishable, so stability does not
// matter here; floats are sorted as integers whose order is theirs (FastKernels
// maps them, and puts their zeros back in input order afterwards).
//
// The partition (the scheme of x86-simd-sort and of Bramas' AVX-512 quicksort):
// a vector is compared with the pivot, and one permutation, looked up by the
// comparison's bit mask, moves the lanes below the pivot to its front, the others
// to its back. The permuted vector is stored twice, in full: at the left end of
// the output (its front lanes are the new low elements) and at the right end
// (its back lanes are the new high elements). The first and last vectors of the
// range are read before anything is written, and each next vector is read from
// the side with less free room, so a full-width store never overwrites an element
// not yet read.
//
// Guarantees: O(n log n) in the worst case (a range that recursed more than
// 2 log2(n) times is heap sorted), no allocation (the permutation tables are
// made once; without their memory the functions sort nothing and say so), every
// element is kept (the result is a permutation of the input, also when cancelled
// or when another thread writes to the array meanwhile: every index the sort
// writes to follows from what it read, never from counts made before).

/// The operations the sort needs on one 256-bit vector of signed integers.
protocol SortLanes {
    associatedtype Scalar: FixedWidthInteger & SignedInteger
    /// Lanes in a vector.
    static var width: Int { get }
    /// Bit i set when lane i of `v` is less than the lane of `pivot`.
    static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int
    static func splat(_ x: Scalar) -> __m256i
    /// The permutations (of 32-bit lanes, for vpermd) by mask: 8 indices each.
    static var table: UnsafePointer<Int32> { get }
}

enum Lanes64: SortLanes {
    typealias Scalar = Int64
    @inline(__always) static var width: Int { 4 }
    @inline(__always) static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int {
        Int(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(pivot, v))))
    }
    @inline(__always) static func splat(_ x: Int64) -> __m256i { _mm256_set1_epi64x(x) }
    @inline(__always) static var table: UnsafePointer<Int32> { UnsafePointer(compressTables.unsafelyUnwrapped) }
}

enum Lanes32: SortLanes {
    typealias Scalar = Int32
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int {
        Int(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(pivot, v))))
    }
    @inline(__always) static func splat(_ x: Int32) -> __m256i { _mm256_set1_epi32(x) }
    @inline(__always) static var table: UnsafePointer<Int32> { UnsafePointer(compressTables.unsafelyUnwrapped + 16 * 8) }
}

/// The partition permutations: 16 for 4 lanes of 64 bits, then 256 for 8 lanes of
/// 32 bits; entry `mask` lists the lanes whose mask bit is set, in order, then the
/// others, in order (as indices of 32-bit lanes). Nil without the memory (9 KB).
nonisolated(unsafe) let compressTables: UnsafeMutablePointer<Int32>? = {
    let entries = 16 + 256
    guard let raw = malloc(entries * 8 * MemoryLayout<Int32>.stride) else { return nil }
    let table = raw.bindMemory(to: Int32.self, capacity: entries * 8)
    for (first, lanes) in [(0, 4), (16, 8)] {
        let lanes32 = 8 / lanes  // 32-bit lanes per lane
        for mask in 0..<(1 << lanes) {
            var out = table + (first + mask) * 8
            for wanted in [true, false] {
                for lane in 0..<lanes where (mask >> lane) & 1 == 1 ? wanted : !wanted {
                    for part in 0..<lanes32 {
                        out.pointee = Int32(lane * lanes32 + part)
                        out += 1
                    }
                }
            }
        }
    }
    return table
}()

@inline(__always)
func loadVector<S>(_ p: UnsafePointer<S>) -> __m256i {
    _mm256_loadu_si256(UnsafeRawPointer(p).assumingMemoryBound(to: __m256i.self))
}

@inline(__always)
func storeVector<S>(_ v: __m256i, _ p: UnsafeMutablePointer<S>) {
    _mm256_storeu_si256(UnsafeMutableRawPointer(p).assumingMemoryBound(to: __m256i.self), v)
}

/// Moves the elements of `p[0..<n]` below `pivot` to the front and returns how many
/// there are; the others follow. `n` >= 2 vectors.
@inline(__always)
func partitionVectors<L: SortLanes>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, pivot: L.Scalar,
                                    _: L.Type) -> Int {
    let width = L.width, table = L.table
    let pivots = L.splat(pivot)
    // The last n % width elements wait aside (at most 7), so that the vectors cover the rest.
    let vectorEnd = n - n % width
    var tail: (Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0)
    let tailCount = n - vectorEnd
    withUnsafeMutableBytes(of: &tail) { raw in
        let saved = raw.baseAddress!.assumingMemoryBound(to: L.Scalar.self)
        for i in 0..<tailCount { saved[i] = p[vectorEnd + i] }
    }
    var low = 0, high = vectorEnd  // stores: lows at [0, low), highs at [high, vectorEnd)
    @inline(__always) func place(_ v: __m256i) {
        let mask = L.lessMask(v, pivots)
        let permuted = _mm256_permutevar8x32_epi32(v, loadVector(table + mask &* 8))
        let lows = mask.nonzeroBitCount
        storeVector(permuted, p + low)
        storeVector(permuted, p + (high &- width))
        low &+= lows
        high &-= width &- lows
    }
    if vectorEnd >= 2 * unrolledVectors * width {
        // Four vectors at a time from one side: one (unpredictable) choice of side per four.
        let block = unrolledVectors * width
        let f0 = loadVector(p), f1 = loadVector(p + width), f2 = loadVector(p + 2 * width),
            f3 = loadVector(p + 3 * width)
        let l0 = loadVector(p + vectorEnd - block), l1 = loadVector(p + vectorEnd - block + width),
            l2 = loadVector(p + vectorEnd - block + 2 * width), l3 = loadVector(p + vectorEnd - width)
        var left = block, right = vectorEnd - block  // not yet read: [left, right)
        while right &- left >= block {
            let q: UnsafeMutablePointer<L.Scalar>
            if left &- low <= high &- right {
                q = p + left
                left &+= block
            } else {
                right &-= block
                q = p + right
            }
            let v0 = loadVector(q), v1 = loadVector(q + width), v2 = loadVector(q + 2 &* width),
                v3 = loadVector(q + 3 &* width)
            place(v0)
            place(v1)
            place(v2)
            place(v3)
        }
        while left < right {
            let v: __m256i
            if left &- low <= high &- right {
                v = loadVector(p + left)
                left &+= width
            } else {
                right &-= width
                v = loadVector(p + right)
            }
            place(v)
        }
        place(f0)
        place(f1)
        place(f2)
        place(f3)
        place(l0)
        place(l1)
        place(l2)
        place(l3)
    } else {
        let first = loadVector(p), last = loadVector(p + vectorEnd - width)
        var left = width, right = vectorEnd - width  // not yet read: [left, right)
        while left < right {
            let v: __m256i
            if left &- low <= high &- right {
                v = loadVector(p + left)
                left &+= width
            } else {
                right &-= width
                v = loadVector(p + right)
            }
            place(v)
        }
        place(first)
        place(last)
    }
    // The elements set aside: a low one goes to the boundary, whose high element moves to the end.
    var end = vectorEnd
    withUnsafeMutableBytes(of: &tail) { raw in
        let saved = raw.baseAddress!.assumingMemoryBound(to: L.Scalar.self)
        for i in 0..<tailCount {
            let x = saved[i]
            if x < pivot {
                p[end] = p[low]
                p[low] = x
                low += 1
            } else {
                p[end] = x
            }
            end += 1
        }
    }
    return low
}

@inline(__always)
func median3<S: Comparable>(_ a: S, _ b: S, _ c: S) -> S {
    max(min(a, b), min(max(a, b), c))
}

/// A pivot for `p[0..<n]`: the median of 3 spread elements, or for larger ranges the
/// median of three such medians (Tukey's ninther).
@inline(__always)
func choosePivot<S: Comparable>(_ p: UnsafeMutablePointer<S>, _ n: Int) -> S {
    if n < 256 { return median3(p[n / 4], p[n / 2], p[n - 1 - n / 4]) }
    let step = n / 9
    return median3(median3(p[step / 2], p[step / 2 + step], p[step / 2 + 2 * step]),
                   median3(p[step / 2 + 3 * step], p[step / 2 + 4 * step], p[step / 2 + 5 * step]),
                   median3(p[step / 2 + 6 * step], p[step / 2 + 7 * step], p[step / 2 + 8 * step]))
}

/// Vectors read from one side of a partition at a time.
let unrolledVectors = 4

/// Ranges of at most this many elements are finished by `sortSmall`.
let quicksortLeaf = 16

/// Sorts up to 16 elements: a sorting network (min/max pairs, no branches) on 16
/// values, the missing ones filled in with the largest value.
@inline(__always)
func sortSmall<S: FixedWidthInteger>(_ p: UnsafeMutablePointer<S>, _ n: Int) {
    if n <= 1 { return }
    if n <= 4 {
        // Insertion sort: cheaper than filling and running a network for a few elements.
        for i in 1..<n {
            let x = p[i]
            var j = i
            while j > 0 && x < p[j - 1] {
                p[j] = p[j - 1]
                j -= 1
            }
            p[j] = x
        }
        return
    }
    if n <= 8 {
        // In 8 local values (registers), the missing ones the largest value.
        var r0 = p[0], r1 = p[1], r2 = p[2], r3 = p[3], r4 = p[4], r5 = S.max, r6 = S.max, r7 = S.max
        if n > 5 { r5 = p[5] }
        if n > 6 { r6 = p[6] }
        if n > 7 { r7 = p[7] }
        // Batcher's odd-even merge sort for 8 inputs: 19 comparators in 6 layers.
        exchange(&r0, &r1); exchange(&r2, &r3); exchange(&r4, &r5); exchange(&r6, &r7)
        exchange(&r0, &r2); exchange(&r1, &r3); exchange(&r4, &r6); exchange(&r5, &r7)
        exchange(&r1, &r2); exchange(&r5, &r6); exchange(&r0, &r4); exchange(&r3, &r7)
        exchange(&r2, &r6); exchange(&r1, &r5)
        exchange(&r2, &r4); exchange(&r3, &r5)
        exchange(&r1, &r2); exchange(&r3, &r4); exchange(&r5, &r6)
        p[0] = r0; p[1] = r1; p[2] = r2; p[3] = r3; p[4] = r4
        if n > 5 { p[5] = r5 }
        if n > 6 { p[6] = r6 }
        if n > 7 { p[7] = r7 }
        return
    }
    // In 16 local values (registers, mostly), the missing ones the largest value.
    var r0 = p[0], r1 = p[1], r2 = p[2], r3 = p[3], r4 = p[4], r5 = S.max, r6 = S.max, r7 = S.max, r8 = S.max, r9 = S.max, r10 = S.max, r11 = S.max, r12 = S.max, r13 = S.max, r14 = S.max, r15 = S.max
    if n > 5 { r5 = p[5] }
    if n > 6 { r6 = p[6] }
    if n > 7 { r7 = p[7] }
    if n > 8 { r8 = p[8] }
    if n > 9 { r9 = p[9] }
    if n > 10 { r10 = p[10] }
    if n > 11 { r11 = p[11] }
    if n > 12 { r12 = p[12] }
    if n > 13 { r13 = p[13] }
    if n > 14 { r14 = p[14] }
    if n > 15 { r15 = p[15] }
    // Batcher's odd-even merge sort for 16 inputs: 63 comparators in 10 layers.
    exchange(&r0, &r1); exchange(&r2, &r3); exchange(&r4, &r5); exchange(&r6, &r7); exchange(&r8, &r9); exchange(&r10, &r11); exchange(&r12, &r13); exchange(&r14, &r15)
    exchange(&r0, &r2); exchange(&r1, &r3); exchange(&r4, &r6); exchange(&r5, &r7); exchange(&r8, &r10); exchange(&r9, &r11); exchange(&r12, &r14); exchange(&r13, &r15)
    exchange(&r1, &r2); exchange(&r5, &r6); exchange(&r0, &r4); exchange(&r3, &r7); exchange(&r9, &r10); exchange(&r13, &r14); exchange(&r8, &r12); exchange(&r11, &r15)
    exchange(&r2, &r6); exchange(&r1, &r5); exchange(&r10, &r14); exchange(&r9, &r13); exchange(&r0, &r8); exchange(&r7, &r15)
    exchange(&r2, &r4); exchange(&r3, &r5); exchange(&r10, &r12); exchange(&r11, &r13)
    exchange(&r1, &r2); exchange(&r3, &r4); exchange(&r5, &r6); exchange(&r9, &r10); exchange(&r11, &r12); exchange(&r13, &r14)
    exchange(&r4, &r12); exchange(&r2, &r10); exchange(&r6, &r14); exchange(&r1, &r9); exchange(&r5, &r13); exchange(&r3, &r11)
    exchange(&r4, &r8); exchange(&r6, &r10); exchange(&r5, &r9); exchange(&r7, &r11)
    exchange(&r2, &r4); exchange(&r6, &r8); exchange(&r10, &r12); exchange(&r3, &r5); exchange(&r7, &r9); exchange(&r11, &r13)
    exchange(&r1, &r2); exchange(&r3, &r4); exchange(&r5, &r6); exchange(&r7, &r8); exchange(&r9, &r10); exchange(&r11, &r12); exchange(&r13, &r14)
    p[0] = r0; p[1] = r1; p[2] = r2; p[3] = r3; p[4] = r4
    if n > 5 { p[5] = r5 }
    if n > 6 { p[6] = r6 }
    if n > 7 { p[7] = r7 }
    if n > 8 { p[8] = r8 }
    if n > 9 { p[9] = r9 }
    if n > 10 { p[10] = r10 }
    if n > 11 { p[11] = r11 }
    if n > 12 { p[12] = r12 }
    if n > 13 { p[13] = r13 }
    if n > 14 { p[14] = r14 }
    if n > 15 { p[15] = r15 }
}

/// Puts the smaller of two values first (no branch: min and max).
@inline(__always)
func exchange<S: Comparable>(_ a: inout S, _ b: inout S) {
    let low = min(a, b)
    b = max(a, b)
    a = low
}

/// Heap sort: the worst-case bound of a range whose pivots kept failing.
func heapSort<S: Comparable>(_ p: UnsafeMutablePointer<S>, _ n: Int) {
    @inline(__always) func siftDown(_ start: Int, _ end: Int) {
        var root = start
        while true {
            var child = 2 * root + 1
            if child >= end { return }
            if child + 1 < end && p[child] < p[child + 1] { child += 1 }
            if !(p[root] < p[child]) { return }
            let t = p[root]
            p[root] = p[child]
            p[child] = t
            root = child
        }
    }
    if n < 2 { return }
    var start = n / 2
    while start > 0 {
        start -= 1
        siftDown(start, n)
    }
    var end = n - 1
    while end > 0 {
        let t = p[0]
        p[0] = p[end]
        p[end] = t
        siftDown(0, end)
        end -= 1
    }
}

/// Ranges from this size on poll for cancellation before they are partitioned.
let cancellationPollSize = 1 << 16

/// Sorts `p[0..<n]`; false when `isCancelled` said so (the range then holds a
/// permutation of its elements).
func quicksort<L: SortLanes>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, depth: Int, _ lanes: L.Type,
                             isCancelled: () -> Bool) -> Bool {
    var p = p, n = n, depth = depth
    while n > quicksortLeaf {
        if n >= cancellationPollSize && isCancelled() { return false }
        if depth == 0 {
            heapSort(p, n)
            return true
        }
        depth -= 1
        let pivot = choosePivot(p, n)
        var lows = partitionVectors(p, n, pivot: pivot, lanes)
        if lows == 0 {
            // The pivot is the least element: the elements equal to it go first, and are done.
            if pivot == L.Scalar.max { return true }  // all equal
            lows = partitionVectors(p, n, pivot: pivot + 1, lanes)
            p += lows
            n -= lows
            continue
        }
        // The smaller side by recursion (depth O(log n)), the larger in this loop.
        if lows < n - lows {
            guard quicksort(p, lows, depth: depth, lanes, isCancelled: isCancelled) else { return false }
            p += lows
            n -= lows
        } else {
            guard quicksort(p + lows, n - lows, depth: depth, lanes, isCancelled: isCancelled) else { return false }
            n = lows
        }
    }
    sortSmall(p, n)
    return true
}

@inline(__always)
func depthLimit(_ n: Int) -> Int { 2 * (Int.bitWidth - n.leadingZeroBitCount) }

// MARK: - Entry points (call only when fk_cpu_has_avx2_fma() says so)

/// How a vector sort ended.
public enum VectorSortOutcome: Sendable {
    case sorted
    /// `isCancelled` said so: the values hold a permutation of themselves.
    case cancelled
    /// The permutation tables could not be made (no memory): nothing was done.
    case unavailable
}

/// Sorts `count` signed 64-bit integers in place, ascending (not stable: equal
/// integers are indistinguishable). Ranges of 65,536 elements or more poll
/// `isCancelled` before each partition.
///
/// - Parameter maximumDepth: how often a range may be partitioned before it is heap
///   sorted instead (default 2 log2(count)); tests pass small values to reach the heap sort.
/// - Complexity: O(count log count) comparisons in the worst case.
@inline(never)
public func sortAVX2(_ values: UnsafeMutablePointer<Int64>, count: Int, maximumDepth: Int? = nil,
                     isCancelled: () -> Bool) -> VectorSortOutcome {
    guard compressTables != nil else { return .unavailable }
    return quicksort(values, count, depth: maximumDepth ?? depthLimit(count), Lanes64.self,
                     isCancelled: isCancelled) ? .sorted : .cancelled
}

/// Sorts `count` signed 32-bit integers in place, ascending; as the 64-bit version.
@inline(never)
public func sortAVX2(_ values: UnsafeMutablePointer<Int32>, count: Int, maximumDepth: Int? = nil,
                     isCancelled: () -> Bool) -> VectorSortOutcome {
    guard compressTables != nil else { return .unavailable }
    return quicksort(values, count, depth: maximumDepth ?? depthLimit(count), Lanes32.self,
                     isCancelled: isCancelled) ? .sorted : .cancelled
}

// Maps IEEE floats' bits to signed integers of the floats' order in place, a vector
// at a time: negative numbers get all bits but the sign flipped. Its own inverse.
// -0.0 maps to -1, just below +0.0's 0; NaNs must be gone first. Returns how many
// results are -1 and 0 (lane counts added up every 2^16 vectors: no lane overflows).

/// Flips doubles' bits (as Int64) to their order and back; see above.
@inline(never)
public func flipNegativeFloatsAVX2(_ values: UnsafeMutablePointer<Int64>, count: Int) -> (negative: Int, positive: Int) {
    typealias V = SIMD4<Int64>
    let raw = UnsafeMutableRawPointer(values)
    let zero = V(), one = V(repeating: 1), allOnes = V(repeating: -1), low = V(repeating: .max)
    var negative = 0, positive = 0
    var i = 0
    let vectorEnd = count - count % 4
    while i < vectorEnd {
        let end = min(i + (1 << 18), vectorEnd)
        var negatives = V(), positives = V()
        while i < end {
            let x = raw.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
            let y = x ^ ((x &>> 63) & low)
            raw.storeBytes(of: y, toByteOffset: i &* 8, as: V.self)
            negatives &+= zero.replacing(with: one, where: y .== allOnes)
            positives &+= zero.replacing(with: one, where: y .== zero)
            i &+= 4
        }
        negative += Int(negatives.wrappedSum())
        positive += Int(positives.wrappedSum())
    }
    while i < count {
        let x = values[i]
        let y = x ^ ((x >> 63) & .max)
        values[i] = y
        negative += y == -1 ? 1 : 0
        positive += y == 0 ? 1 : 0
        i += 1
    }
    return (negative, positive)
}

/// Flips floats' bits (as Int32) to their order and back; see above.
@inline(never)
public func flipNegativeFloatsAVX2(_ values: UnsafeMutablePointer<Int32>, count: Int) -> (negative: Int, positive: Int) {
    typealias V = SIMD8<Int32>
    let raw = UnsafeMutableRawPointer(values)
    let zero = V(), one = V(repeating: 1), allOnes = V(repeating: -1), low = V(repeating: .max)
    var negative = 0, positive = 0
    var i = 0
    let vectorEnd = count - count % 8
    while i < vectorEnd {
        let end = min(i + (1 << 19), vectorEnd)
        var negatives = V(), positives = V()
        while i < end {
            let x = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
            let y = x ^ ((x &>> 31) & low)
            raw.storeBytes(of: y, toByteOffset: i &* 4, as: V.self)
            negatives &+= zero.replacing(with: one, where: y .== allOnes)
            positives &+= zero.replacing(with: one, where: y .== zero)
            i &+= 8
        }
        negative += Int(negatives.wrappedSum())
        positive += Int(positives.wrappedSum())
    }
    while i < count {
        let x = values[i]
        let y = x ^ ((x >> 31) & .max)
        values[i] = y
        negative += y == -1 ? 1 : 0
        positive += y == 0 ? 1 : 0
        i += 1
    }
    return (negative, positive)
}

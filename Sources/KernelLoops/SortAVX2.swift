import _Builtin_intrinsics.intel

// An in-place, unstable sort of 64- and 32-bit signed integers and floats with
// AVX2: a quicksort whose partition step handles a vector (4 or 8 lanes) at a
// time, and whose ranges of up to 64 elements are finished by bitonic sorting
// networks on whole registers (min/max and lane permutations). See docs/sort.md.
// Equal integers are indistinguishable, so stability does not matter here; floats
// (never NaN) are compared as numbers, and FastKernels puts their zeros (-0.0 and
// 0.0 are equal) back in input order afterwards.
//
// The partition (the scheme of x86-simd-sort and of Bramas' AVX-512 quicksort):
// a vector is compared with the pivot, and one permutation, looked up by the
// comparison's bit mask, moves the lanes below the pivot to its front, the others
// to its back. The permuted vector is stored twice, in full: at the left end of
// the output (its front lanes are the new low elements) and at the right end
// (its back lanes are the new high elements). The first and last eight vectors of
// the range are read before anything is written, and each next eight are read from
// the side with less free room, so a full-width store never overwrites an element
// not yet read.
//
// Guarantees: O(n log n) in the worst case (a range that recursed more than
// 2 log2(n) times is heap sorted), no allocation (the permutation tables are
// made once; without their memory the functions sort nothing and say so), every
// element is kept (the result is a permutation of the input, also when cancelled
// or when another thread writes to the array meanwhile: every index the sort
// writes to follows from what it read, never from counts made before).

/// The operations the sort needs on one 256-bit vector of numbers (signed integers or floats).
protocol SortLanes {
    associatedtype Scalar: Comparable
    /// The largest value (it fills the lanes of a register past the elements).
    static var largest: Scalar { get }
    /// The least value greater than `x`, or nil when there is none.
    static func above(_ x: Scalar) -> Scalar?
    /// Lanes in a vector.
    static var width: Int { get }
    /// Bit i set when lane i of `v` is less than the lane of `pivot`.
    static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int
    static func splat(_ x: Scalar) -> __m256i
    /// The permutations (of 32-bit lanes, for vpermd) by mask: 8 indices each.
    static var table: UnsafePointer<Int32> { get }
    /// Lane-wise minimum and maximum.
    static func minimum(_ a: __m256i, _ b: __m256i) -> __m256i
    static func maximum(_ a: __m256i, _ b: __m256i) -> __m256i
    /// One layer of a sorting network: lane i takes the smaller of itself and the same lane
    /// of `partner` where `upper` is 0, the larger where it is all ones.
    static func layer(_ v: __m256i, _ partner: __m256i, upper: __m256i) -> __m256i
}

// The networks within a register, written once per lane count; the lane type brings its
// minimum and maximum (through `layer`).
extension SortLanes {
    @inline(__always) static func layer(_ v: __m256i, _ partner: __m256i, upper: __m256i) -> __m256i {
        _mm256_blendv_epi8(minimum(v, partner), maximum(v, partner), upper)
    }

    /// The lanes in reverse order.
    @inline(__always) static func reversed(_ v: __m256i) -> __m256i { width == 4 ? V4.reverse(v) : V8.reverse(v) }

    /// The lanes sorted ascending (a bitonic network within the register).
    @inline(__always) static func sortLanes(_ v: __m256i) -> __m256i {
        if width == 4 {
            var x = layer(v, V4.swapAdjacent(v), upper: V4.odd)
            x = layer(x, V4.reverse(x), upper: V4.top)
            return layer(x, V4.swapAdjacent(x), upper: V4.odd)
        }
        var x = layer(v, V8.swapAdjacent(v), upper: V8.odd)
        x = layer(x, V8.reverseQuads(x), upper: V8.pairs)
        x = layer(x, V8.swapAdjacent(x), upper: V8.odd)
        x = layer(x, V8.reverse(x), upper: V8.half)
        x = layer(x, V8.swapPairs(x), upper: V8.pairs)
        return layer(x, V8.swapAdjacent(x), upper: V8.odd)
    }

    /// A bitonic sequence of lanes sorted ascending (the half-cleaners within the register).
    @inline(__always) static func cleanLanes(_ v: __m256i) -> __m256i {
        if width == 4 {
            let x = layer(v, V4.swapHalves(v), upper: V4.top)
            return layer(x, V4.swapAdjacent(x), upper: V4.odd)
        }
        var x = layer(v, V8.swapHalves(v), upper: V8.half)
        x = layer(x, V8.swapPairs(x), upper: V8.pairs)
        return layer(x, V8.swapAdjacent(x), upper: V8.odd)
    }
}

enum Lanes64: SortLanes {
    typealias Scalar = Int64
    @inline(__always) static var width: Int { 4 }
    @inline(__always) static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int {
        Int(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(pivot, v))))
    }
    @inline(__always) static func splat(_ x: Int64) -> __m256i { _mm256_set1_epi64x(x) }
    @inline(__always) static var largest: Int64 { .max }
    @inline(__always) static func above(_ x: Int64) -> Int64? { x == .max ? nil : x + 1 }
    @inline(__always) static var table: UnsafePointer<Int32> { UnsafePointer(compressTables.unsafelyUnwrapped) }

    @inline(__always) static func minimum(_ a: __m256i, _ b: __m256i) -> __m256i {
        _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(a, b))
    }
    @inline(__always) static func maximum(_ a: __m256i, _ b: __m256i) -> __m256i {
        _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b))
    }
    /// One compare for both the minimum and the maximum (AVX2 has no 64-bit min/max).
    @inline(__always) static func layer(_ v: __m256i, _ partner: __m256i, upper: __m256i) -> __m256i {
        let greater = _mm256_cmpgt_epi64(v, partner)  // lanes where v > partner
        let low = _mm256_blendv_epi8(v, partner, greater), high = _mm256_blendv_epi8(partner, v, greater)
        return _mm256_blendv_epi8(low, high, upper)
    }
}

enum Lanes32: SortLanes {
    typealias Scalar = Int32
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int {
        Int(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(pivot, v))))
    }
    @inline(__always) static func splat(_ x: Int32) -> __m256i { _mm256_set1_epi32(x) }
    @inline(__always) static var largest: Int32 { .max }
    @inline(__always) static func above(_ x: Int32) -> Int32? { x == .max ? nil : x + 1 }
    @inline(__always) static var table: UnsafePointer<Int32> { UnsafePointer(compressTables.unsafelyUnwrapped + 16 * 8) }

    @inline(__always) static func minimum(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_min_epi32(a, b) }
    @inline(__always) static func maximum(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_max_epi32(a, b) }
}

/// Doubles (never NaN): compared as numbers, -0.0 equal to 0.0, so min and max may
/// hand back either zero for both; the caller rewrites the run of zeros afterwards.
enum LanesDouble: SortLanes {
    typealias Scalar = Double
    typealias V = SIMD4<Double>
    @inline(__always) static var width: Int { 4 }
    @inline(__always) static func lanes(_ v: __m256i) -> V { unsafeBitCast(v, to: V.self) }
    @inline(__always) static func vector(_ v: V) -> __m256i { unsafeBitCast(v, to: __m256i.self) }
    @inline(__always) static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int {
        let less = SIMD4<Int64>(repeating: 0).replacing(with: -1, where: lanes(v) .< lanes(pivot))
        return Int(_mm256_movemask_pd(unsafeBitCast(less, to: __m256d.self)))
    }
    @inline(__always) static func splat(_ x: Double) -> __m256i { vector(V(repeating: x)) }
    @inline(__always) static var largest: Double { .infinity }
    @inline(__always) static func above(_ x: Double) -> Double? { x == .infinity ? nil : x.nextUp }
    @inline(__always) static var table: UnsafePointer<Int32> { Lanes64.table }
    @inline(__always) static func minimum(_ a: __m256i, _ b: __m256i) -> __m256i {
        vector(unsafeBitCast(_mm256_min_pd(unsafeBitCast(a, to: __m256d.self), unsafeBitCast(b, to: __m256d.self)), to: V.self))
    }
    @inline(__always) static func maximum(_ a: __m256i, _ b: __m256i) -> __m256i {
        vector(unsafeBitCast(_mm256_max_pd(unsafeBitCast(a, to: __m256d.self), unsafeBitCast(b, to: __m256d.self)), to: V.self))
    }
}

/// Floats (never NaN), as `LanesDouble` treats doubles.
enum LanesFloat: SortLanes {
    typealias Scalar = Float
    typealias V = SIMD8<Float>
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static func lanes(_ v: __m256i) -> V { unsafeBitCast(v, to: V.self) }
    @inline(__always) static func vector(_ v: V) -> __m256i { unsafeBitCast(v, to: __m256i.self) }
    @inline(__always) static func lessMask(_ v: __m256i, _ pivot: __m256i) -> Int {
        let less = SIMD8<Int32>(repeating: 0).replacing(with: -1, where: lanes(v) .< lanes(pivot))
        return Int(_mm256_movemask_ps(unsafeBitCast(less, to: __m256.self)))
    }
    @inline(__always) static func splat(_ x: Float) -> __m256i { vector(V(repeating: x)) }
    @inline(__always) static var largest: Float { .infinity }
    @inline(__always) static func above(_ x: Float) -> Float? { x == .infinity ? nil : x.nextUp }
    @inline(__always) static var table: UnsafePointer<Int32> { Lanes32.table }
    @inline(__always) static func minimum(_ a: __m256i, _ b: __m256i) -> __m256i {
        vector(_mm256_min_ps(lanes(a), lanes(b)))
    }
    @inline(__always) static func maximum(_ a: __m256i, _ b: __m256i) -> __m256i {
        vector(_mm256_max_ps(lanes(a), lanes(b)))
    }
}

/// Lane permutations of four 64-bit lanes.
enum V4 {
    typealias V = SIMD4<Int64>
    @inline(__always) static func swapAdjacent(_ v: __m256i) -> __m256i { V(v[1], v[0], v[3], v[2]) }
    @inline(__always) static func swapHalves(_ v: __m256i) -> __m256i { V(v[2], v[3], v[0], v[1]) }
    @inline(__always) static func reverse(_ v: __m256i) -> __m256i { V(v[3], v[2], v[1], v[0]) }
    /// The 4 x 4 matrix of lanes transposed: register k gets lane k of a, b, c and d.
    @inline(__always) static func transpose(_ a: inout __m256i, _ b: inout __m256i, _ c: inout __m256i,
                                            _ d: inout __m256i) {
        let t0 = V(a[0], b[0], a[2], b[2]), t1 = V(a[1], b[1], a[3], b[3])
        let t2 = V(c[0], d[0], c[2], d[2]), t3 = V(c[1], d[1], c[3], d[3])
        a = V(t0[0], t0[1], t2[0], t2[1])
        b = V(t1[0], t1[1], t3[0], t3[1])
        c = V(t0[2], t0[3], t2[2], t2[3])
        d = V(t1[2], t1[3], t3[2], t3[3])
    }
    // Layer masks: the lanes that take the maximum (computed: constants, no lazy global).
    @inline(__always) static var odd: __m256i { V(0, -1, 0, -1) }
    @inline(__always) static var top: __m256i { V(0, 0, -1, -1) }
}

/// Lane permutations of eight 32-bit lanes.
enum V8 {
    typealias V = SIMD8<Int32>
    @inline(__always) static func lanes(_ v: __m256i) -> V { unsafeBitCast(v, to: V.self) }
    @inline(__always) static func vector(_ v: V) -> __m256i { unsafeBitCast(v, to: __m256i.self) }
    @inline(__always) static func swapAdjacent(_ v: __m256i) -> __m256i {
        let x = lanes(v)
        return vector(V(x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6]))
    }
    @inline(__always) static func swapPairs(_ v: __m256i) -> __m256i {
        let x = lanes(v)
        return vector(V(x[2], x[3], x[0], x[1], x[6], x[7], x[4], x[5]))
    }
    @inline(__always) static func swapHalves(_ v: __m256i) -> __m256i {
        let x = lanes(v)
        return vector(V(x[4], x[5], x[6], x[7], x[0], x[1], x[2], x[3]))
    }
    @inline(__always) static func reverseQuads(_ v: __m256i) -> __m256i {
        let x = lanes(v)
        return vector(V(x[3], x[2], x[1], x[0], x[7], x[6], x[5], x[4]))
    }
    @inline(__always) static func reverse(_ v: __m256i) -> __m256i {
        let x = lanes(v)
        return vector(V(x[7], x[6], x[5], x[4], x[3], x[2], x[1], x[0]))
    }
    // Layer masks: the lanes that take the maximum (computed: constants, no lazy global).
    @inline(__always) static var odd: __m256i { vector(V(0, -1, 0, -1, 0, -1, 0, -1)) }
    @inline(__always) static var pairs: __m256i { vector(V(0, 0, -1, -1, 0, 0, -1, -1)) }
    @inline(__always) static var half: __m256i { vector(V(0, 0, 0, 0, -1, -1, -1, -1)) }
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

/// Whether the vector sorts can run (their tables could be made).
public var vectorSortAvailable: Bool { compressTables != nil }

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
        // Eight vectors at a time from one side: one (unpredictable) choice of side per eight.
        // The first and last eight are set aside (on the stack) until everything else is placed.
        let block = unrolledVectors * width
        var saved = (first: BlockOfVectors(), last: BlockOfVectors())
        withUnsafeMutableBytes(of: &saved) { raw in
            raw.baseAddress!.copyMemory(from: p, byteCount: block * MemoryLayout<L.Scalar>.stride)
            (raw.baseAddress! + MemoryLayout<BlockOfVectors>.stride)
                .copyMemory(from: p + vectorEnd - block, byteCount: block * MemoryLayout<L.Scalar>.stride)
        }
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
                v3 = loadVector(q + 3 &* width), v4 = loadVector(q + 4 &* width), v5 = loadVector(q + 5 &* width),
                v6 = loadVector(q + 6 &* width), v7 = loadVector(q + 7 &* width)
            place(v0)
            place(v1)
            place(v2)
            place(v3)
            place(v4)
            place(v5)
            place(v6)
            place(v7)
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
        withUnsafeBytes(of: &saved) { raw in
            let vectors = raw.baseAddress!.assumingMemoryBound(to: __m256i.self)
            for k in 0..<(2 * unrolledVectors) { place(vectors[k]) }
        }
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

// MARK: - Sorting networks on whole registers (the leaves of the quicksort)

/// One comparator of a network on whole registers: `a` gets the lane-wise minimum of the
/// two, `b` the maximum.
@inline(__always)
func exchange<L: SortLanes>(_ a: inout __m256i, _ b: inout __m256i, _: L.Type) {
    (a, b) = (L.minimum(a, b), L.maximum(a, b))
}

/// Two sorted registers, merged: `a` gets the smaller half, both sorted.
@inline(__always)
func merge2<L: SortLanes>(_ a: inout __m256i, _ b: inout __m256i, _: L.Type) {
    let r = L.reversed(b)
    let low = L.minimum(a, r), high = L.maximum(a, r)  // each bitonic; every low <= every high
    a = L.cleanLanes(low)
    b = L.cleanLanes(high)
}

/// Two sorted runs of two registers each (a0 a1, b0 b1), merged into one of four.
@inline(__always)
func merge4<L: SortLanes>(_ a0: inout __m256i, _ a1: inout __m256i, _ b0: inout __m256i, _ b1: inout __m256i,
                          _: L.Type) {
    let r0 = L.reversed(b1), r1 = L.reversed(b0)
    let l0 = L.minimum(a0, r0), h0 = L.maximum(a0, r0), l1 = L.minimum(a1, r1), h1 = L.maximum(a1, r1)
    a0 = L.cleanLanes(L.minimum(l0, l1))
    a1 = L.cleanLanes(L.maximum(l0, l1))
    b0 = L.cleanLanes(L.minimum(h0, h1))
    b1 = L.cleanLanes(L.maximum(h0, h1))
}

/// Two sorted runs of four registers each, merged into one of eight.
@inline(__always)
func merge8<L: SortLanes>(_ r0: inout __m256i, _ r1: inout __m256i, _ r2: inout __m256i, _ r3: inout __m256i,
                          _ r4: inout __m256i, _ r5: inout __m256i, _ r6: inout __m256i, _ r7: inout __m256i,
                          _: L.Type) {
    let s7 = L.reversed(r7), s6 = L.reversed(r6), s5 = L.reversed(r5), s4 = L.reversed(r4)
    var l0 = L.minimum(r0, s7), h0 = L.maximum(r0, s7)
    var l1 = L.minimum(r1, s6), h1 = L.maximum(r1, s6)
    var l2 = L.minimum(r2, s5), h2 = L.maximum(r2, s5)
    var l3 = L.minimum(r3, s4), h3 = L.maximum(r3, s4)
    // Each half (bitonic, four registers) cleaned: registers 2 apart, then 1 apart, then lanes.
    exchange(&l0, &l2, L.self)
    exchange(&l1, &l3, L.self)
    exchange(&h0, &h2, L.self)
    exchange(&h1, &h3, L.self)
    r0 = L.cleanLanes(L.minimum(l0, l1))
    r1 = L.cleanLanes(L.maximum(l0, l1))
    r2 = L.cleanLanes(L.minimum(l2, l3))
    r3 = L.cleanLanes(L.maximum(l2, l3))
    r4 = L.cleanLanes(L.minimum(h0, h1))
    r5 = L.cleanLanes(L.maximum(h0, h1))
    r6 = L.cleanLanes(L.minimum(h2, h3))
    r7 = L.cleanLanes(L.maximum(h2, h3))
}

/// Eight registers holding a bitonic sequence, sorted: the half-cleaners between registers
/// 4, 2 and 1 apart, then those within each register.
@inline(__always)
func cleanRegisters8<L: SortLanes>(_ r0: inout __m256i, _ r1: inout __m256i, _ r2: inout __m256i, _ r3: inout __m256i,
                                   _ r4: inout __m256i, _ r5: inout __m256i, _ r6: inout __m256i, _ r7: inout __m256i,
                                   _: L.Type) {
    exchange(&r0, &r4, L.self)
    exchange(&r1, &r5, L.self)
    exchange(&r2, &r6, L.self)
    exchange(&r3, &r7, L.self)
    exchange(&r0, &r2, L.self)
    exchange(&r1, &r3, L.self)
    exchange(&r4, &r6, L.self)
    exchange(&r5, &r7, L.self)
    exchange(&r0, &r1, L.self)
    exchange(&r2, &r3, L.self)
    exchange(&r4, &r5, L.self)
    exchange(&r6, &r7, L.self)
    r0 = L.cleanLanes(r0)
    r1 = L.cleanLanes(r1)
    r2 = L.cleanLanes(r2)
    r3 = L.cleanLanes(r3)
    r4 = L.cleanLanes(r4)
    r5 = L.cleanLanes(r5)
    r6 = L.cleanLanes(r6)
    r7 = L.cleanLanes(r7)
}

/// Sorts each lane across 4 registers (Batcher's odd-even merge sort: 5 comparators
/// on whole registers, no lane permutations): lane j of r0...r3 ascending, for every j.
@inline(__always)
func sortColumns4<L: SortLanes>(
    _ r0: inout __m256i, _ r1: inout __m256i, _ r2: inout __m256i, _ r3: inout __m256i, _: L.Type) {
    exchange(&r0, &r1, L.self)
    exchange(&r2, &r3, L.self)
    exchange(&r0, &r2, L.self)
    exchange(&r1, &r3, L.self)
    exchange(&r1, &r2, L.self)
}

/// Sorts each lane across 8 registers (Batcher's odd-even merge sort: 19 comparators
/// on whole registers, no lane permutations): lane j of r0...r7 ascending, for every j.
@inline(__always)
func sortColumns8<L: SortLanes>(
    _ r0: inout __m256i, _ r1: inout __m256i, _ r2: inout __m256i, _ r3: inout __m256i, _ r4: inout __m256i,
    _ r5: inout __m256i, _ r6: inout __m256i, _ r7: inout __m256i, _: L.Type) {
    exchange(&r0, &r1, L.self)
    exchange(&r2, &r3, L.self)
    exchange(&r4, &r5, L.self)
    exchange(&r6, &r7, L.self)
    exchange(&r0, &r2, L.self)
    exchange(&r1, &r3, L.self)
    exchange(&r4, &r6, L.self)
    exchange(&r5, &r7, L.self)
    exchange(&r1, &r2, L.self)
    exchange(&r5, &r6, L.self)
    exchange(&r0, &r4, L.self)
    exchange(&r1, &r5, L.self)
    exchange(&r2, &r6, L.self)
    exchange(&r3, &r7, L.self)
    exchange(&r2, &r4, L.self)
    exchange(&r3, &r5, L.self)
    exchange(&r1, &r2, L.self)
    exchange(&r3, &r4, L.self)
    exchange(&r5, &r6, L.self)
}

/// Sorts each lane across 16 registers (Batcher's odd-even merge sort: 63 comparators
/// on whole registers, no lane permutations): lane j of r0...r15 ascending, for every j.
@inline(__always)
func sortColumns16<L: SortLanes>(
    _ r0: inout __m256i, _ r1: inout __m256i, _ r2: inout __m256i, _ r3: inout __m256i, _ r4: inout __m256i,
    _ r5: inout __m256i, _ r6: inout __m256i, _ r7: inout __m256i, _ r8: inout __m256i, _ r9: inout __m256i,
    _ r10: inout __m256i, _ r11: inout __m256i, _ r12: inout __m256i, _ r13: inout __m256i, _ r14: inout __m256i,
    _ r15: inout __m256i, _: L.Type) {
    exchange(&r0, &r1, L.self)
    exchange(&r2, &r3, L.self)
    exchange(&r4, &r5, L.self)
    exchange(&r6, &r7, L.self)
    exchange(&r8, &r9, L.self)
    exchange(&r10, &r11, L.self)
    exchange(&r12, &r13, L.self)
    exchange(&r14, &r15, L.self)
    exchange(&r0, &r2, L.self)
    exchange(&r1, &r3, L.self)
    exchange(&r4, &r6, L.self)
    exchange(&r5, &r7, L.self)
    exchange(&r8, &r10, L.self)
    exchange(&r9, &r11, L.self)
    exchange(&r12, &r14, L.self)
    exchange(&r13, &r15, L.self)
    exchange(&r1, &r2, L.self)
    exchange(&r5, &r6, L.self)
    exchange(&r9, &r10, L.self)
    exchange(&r13, &r14, L.self)
    exchange(&r0, &r4, L.self)
    exchange(&r1, &r5, L.self)
    exchange(&r2, &r6, L.self)
    exchange(&r3, &r7, L.self)
    exchange(&r8, &r12, L.self)
    exchange(&r9, &r13, L.self)
    exchange(&r10, &r14, L.self)
    exchange(&r11, &r15, L.self)
    exchange(&r2, &r4, L.self)
    exchange(&r3, &r5, L.self)
    exchange(&r10, &r12, L.self)
    exchange(&r11, &r13, L.self)
    exchange(&r1, &r2, L.self)
    exchange(&r3, &r4, L.self)
    exchange(&r5, &r6, L.self)
    exchange(&r9, &r10, L.self)
    exchange(&r11, &r12, L.self)
    exchange(&r13, &r14, L.self)
    exchange(&r0, &r8, L.self)
    exchange(&r1, &r9, L.self)
    exchange(&r2, &r10, L.self)
    exchange(&r3, &r11, L.self)
    exchange(&r4, &r12, L.self)
    exchange(&r5, &r13, L.self)
    exchange(&r6, &r14, L.self)
    exchange(&r7, &r15, L.self)
    exchange(&r4, &r8, L.self)
    exchange(&r5, &r9, L.self)
    exchange(&r6, &r10, L.self)
    exchange(&r7, &r11, L.self)
    exchange(&r2, &r4, L.self)
    exchange(&r3, &r5, L.self)
    exchange(&r6, &r8, L.self)
    exchange(&r7, &r9, L.self)
    exchange(&r10, &r12, L.self)
    exchange(&r11, &r13, L.self)
    exchange(&r1, &r2, L.self)
    exchange(&r3, &r4, L.self)
    exchange(&r5, &r6, L.self)
    exchange(&r7, &r8, L.self)
    exchange(&r9, &r10, L.self)
    exchange(&r11, &r12, L.self)
    exchange(&r13, &r14, L.self)
}

/// Registers the leaves of the quicksort hold: 16 of four 64-bit lanes, 8 of eight 32-bit
/// lanes (64 elements either way). Leaves of 64 doubles instead of 32 spare the quicksort a
/// level of partitions; A/B on the AMD AVX2 machine in docs/sort.md.
@inline(__always)
func leafRegisters<L: SortLanes>(_: L.Type) -> Int { L.width == 4 ? 16 : 8 }

/// Sorts up to `leafRegisters` registers' worth of elements (64 of 64 or 32 bits): read into
/// 1, 2, 4, 8 or (four-lane registers) 16 registers, the lanes past `n` the largest value, sorted by bitonic networks (within
/// registers, then merges of 2, 4, 8, 16), written back without touching memory past `n`.
@inline(__always)
func sortRegisters<L: SortLanes>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _ lanes: L.Type) {
    let width = L.width, unitsPerLane = 8 / width  // 32-bit units
    let filler = L.splat(L.largest)
    let index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
    let base = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int32.self)
    /// The 32-bit lanes of register k that hold elements.
    @inline(__always) func mask(_ k: Int) -> __m256i {
        _mm256_cmpgt_epi32(_mm256_set1_epi32(Int32(truncatingIfNeeded: (n - k * width) * unitsPerLane)), index)
    }
    // Registers wholly inside the range move by plain loads and stores; only the one that
    // straddles `n` takes the masked ones (a masked store costs several times a plain one on
    // AMD's cores), and a register wholly past `n` is the filler, never stored.
    let whole = n / width
    @inline(__always) func load(_ k: Int) -> __m256i {
        if k < whole { return loadVector(p + k &* width) }
        if k > whole { return filler }
        let m = mask(k)
        return _mm256_blendv_epi8(filler, _mm256_maskload_epi32(base + k * 8, m), m)
    }
    @inline(__always) func store(_ v: __m256i, _ k: Int) {
        if k < whole {
            storeVector(v, p + k &* width)
        } else if k == whole && n > k &* width {
            _mm256_maskstore_epi32(base + k * 8, mask(k), v)
        }
    }
    @inline(__always) func store8(_ v0: __m256i, _ v1: __m256i, _ v2: __m256i, _ v3: __m256i, _ v4: __m256i,
                                  _ v5: __m256i, _ v6: __m256i, _ v7: __m256i, from k: Int) {
        store(v0, k)
        store(v1, k + 1)
        store(v2, k + 2)
        store(v3, k + 3)
        store(v4, k + 4)
        store(v5, k + 5)
        store(v6, k + 6)
        store(v7, k + 7)
    }
    if n <= width {
        store(L.sortLanes(load(0)), 0)
        return
    }
    if n <= 2 * width {
        var r0 = L.sortLanes(load(0)), r1 = L.sortLanes(load(1))
        merge2(&r0, &r1, lanes)
        store(r0, 0)
        store(r1, 1)
        return
    }
    if width == 4 {
        // Four-lane registers: 4, 8 or 16 of them sorted lane by lane (comparators on whole
        // registers), then 4 x 4 blocks transposed: each lane's sorted column becomes a sorted
        // run of one, two or four registers, and the runs are merged. Sorting each register's
        // lanes and merging up to runs of that length took three to four times the
        // instructions (every layer within a register a permutation, a minimum, a maximum
        // and a blend).
        if n <= 4 * width {
            var r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3)
            sortColumns4(&r0, &r1, &r2, &r3, lanes)
            V4.transpose(&r0, &r1, &r2, &r3)  // four sorted registers
            merge2(&r0, &r1, lanes)
            merge2(&r2, &r3, lanes)
            merge4(&r0, &r1, &r2, &r3, lanes)
            store(r0, 0)
            store(r1, 1)
            store(r2, 2)
            store(r3, 3)
            return
        }
        if n <= 8 * width {
            var r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3), r4 = load(4), r5 = load(5), r6 = load(6),
                r7 = load(7)
            sortColumns8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7, lanes)
            V4.transpose(&r0, &r1, &r2, &r3)
            V4.transpose(&r4, &r5, &r6, &r7)  // column j: the sorted run r[j], r[4 + j]
            merge4(&r0, &r4, &r1, &r5, lanes)
            merge4(&r2, &r6, &r3, &r7, lanes)
            merge8(&r0, &r4, &r1, &r5, &r2, &r6, &r3, &r7, lanes)
            store8(r0, r4, r1, r5, r2, r6, r3, r7, from: 0)
            return
        }
        var r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3), r4 = load(4), r5 = load(5), r6 = load(6),
            r7 = load(7), r8 = load(8), r9 = load(9), r10 = load(10), r11 = load(11), r12 = load(12),
            r13 = load(13), r14 = load(14), r15 = load(15)
        sortColumns16(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7, &r8, &r9, &r10, &r11, &r12, &r13, &r14, &r15, lanes)
        V4.transpose(&r0, &r1, &r2, &r3)
        V4.transpose(&r4, &r5, &r6, &r7)
        V4.transpose(&r8, &r9, &r10, &r11)
        V4.transpose(&r12, &r13, &r14, &r15)  // column j: the sorted run r[j], r[4 + j], r[8 + j], r[12 + j]
        merge8(&r0, &r4, &r8, &r12, &r1, &r5, &r9, &r13, lanes)
        merge8(&r2, &r6, &r10, &r14, &r3, &r7, &r11, &r15, lanes)
        // The two runs of eight merged (the second reversed against the first, each half cleaned).
        let s0 = L.reversed(r15), s1 = L.reversed(r11), s2 = L.reversed(r7), s3 = L.reversed(r3),
            s4 = L.reversed(r14), s5 = L.reversed(r10), s6 = L.reversed(r6), s7 = L.reversed(r2)
        var l0 = L.minimum(r0, s0), h0 = L.maximum(r0, s0)
        var l1 = L.minimum(r4, s1), h1 = L.maximum(r4, s1)
        var l2 = L.minimum(r8, s2), h2 = L.maximum(r8, s2)
        var l3 = L.minimum(r12, s3), h3 = L.maximum(r12, s3)
        var l4 = L.minimum(r1, s4), h4 = L.maximum(r1, s4)
        var l5 = L.minimum(r5, s5), h5 = L.maximum(r5, s5)
        var l6 = L.minimum(r9, s6), h6 = L.maximum(r9, s6)
        var l7 = L.minimum(r13, s7), h7 = L.maximum(r13, s7)
        cleanRegisters8(&l0, &l1, &l2, &l3, &l4, &l5, &l6, &l7, lanes)
        store8(l0, l1, l2, l3, l4, l5, l6, l7, from: 0)
        cleanRegisters8(&h0, &h1, &h2, &h3, &h4, &h5, &h6, &h7, lanes)
        store8(h0, h1, h2, h3, h4, h5, h6, h7, from: 8)
        return
    }
    var r0 = L.sortLanes(load(0)), r1 = L.sortLanes(load(1)), r2 = L.sortLanes(load(2)), r3 = L.sortLanes(load(3))
    merge2(&r0, &r1, lanes)
    merge2(&r2, &r3, lanes)
    merge4(&r0, &r1, &r2, &r3, lanes)
    if n <= 4 * width {
        store(r0, 0)
        store(r1, 1)
        store(r2, 2)
        store(r3, 3)
        return
    }
    var r4 = L.sortLanes(load(4)), r5 = L.sortLanes(load(5)), r6 = L.sortLanes(load(6)), r7 = L.sortLanes(load(7))
    merge2(&r4, &r5, lanes)
    merge2(&r6, &r7, lanes)
    merge4(&r4, &r5, &r6, &r7, lanes)
    merge8(&r0, &r1, &r2, &r3, &r4, &r5, &r6, &r7, lanes)
    store8(r0, r1, r2, r3, r4, r5, r6, r7, from: 0)  // eight-lane registers: at most 8 (leafRegisters)
}

/// Vectors read from one side of a partition at a time.
let unrolledVectors = 8

/// Room for `unrolledVectors` vectors.
struct BlockOfVectors {
    var vectors: (__m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i, __m256i) =
        (__m256i(), __m256i(), __m256i(), __m256i(), __m256i(), __m256i(), __m256i(), __m256i())
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
    while n > leafRegisters(L.self) * L.width {
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
            guard let above = L.above(pivot) else { return true }  // all equal
            lows = partitionVectors(p, n, pivot: above, lanes)
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
    sortRegisters(p, n, lanes)
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

/// Sorts `count` doubles, none of them NaN, in place, ascending by value; -0.0 and 0.0
/// are equal, and the zeros may come out with their signs mixed up (min and max of two
/// equal values hand back one of them twice): a caller that cares rewrites the run of
/// zeros (`scanFloatsAVX2` counts them first). As the 64-bit integer version otherwise.
@inline(never)
public func sortAVX2(_ values: UnsafeMutablePointer<Double>, count: Int, maximumDepth: Int? = nil,
                     isCancelled: () -> Bool) -> VectorSortOutcome {
    guard compressTables != nil else { return .unavailable }
    return quicksort(values, count, depth: maximumDepth ?? depthLimit(count), LanesDouble.self,
                     isCancelled: isCancelled) ? .sorted : .cancelled
}

/// Sorts `count` floats, none of them NaN; as the version for doubles.
@inline(never)
public func sortAVX2(_ values: UnsafeMutablePointer<Float>, count: Int, maximumDepth: Int? = nil,
                     isCancelled: () -> Bool) -> VectorSortOutcome {
    guard compressTables != nil else { return .unavailable }
    return quicksort(values, count, depth: maximumDepth ?? depthLimit(count), LanesFloat.self,
                     isCancelled: isCancelled) ? .sorted : .cancelled
}

/// Splits `p[0..<n]` (n >= 16 vectors) in two for separate sorts: returns k such that
/// every element of `p[0..<k]` is at most every element of `p[k..<n]` (k may be n: all
/// equal). One partition by a median pivot, or, when the pivot is the least element,
/// by the next value above it (the run of elements equal to it then comes first).
@inline(__always)
func split<L: SortLanes>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _ lanes: L.Type) -> Int {
    let pivot = choosePivot(p, n)
    let lows = partitionVectors(p, n, pivot: pivot, lanes)
    if lows > 0 { return lows }
    guard let above = L.above(pivot) else { return n }
    return partitionVectors(p, n, pivot: above, lanes)
}

// The splits for running the sorts of the parts on several workers (FastKernels does):
// `count` at least 16 vectors (64 elements suffice for every width).

@inline(never)
public func splitAVX2(_ values: UnsafeMutablePointer<Int64>, count: Int) -> Int { split(values, count, Lanes64.self) }
@inline(never)
public func splitAVX2(_ values: UnsafeMutablePointer<Int32>, count: Int) -> Int { split(values, count, Lanes32.self) }
@inline(never)
public func splitAVX2(_ values: UnsafeMutablePointer<Double>, count: Int) -> Int { split(values, count, LanesDouble.self) }
@inline(never)
public func splitAVX2(_ values: UnsafeMutablePointer<Float>, count: Int) -> Int { split(values, count, LanesFloat.self) }

/// The least and greatest of `count` (at least 1) signed 64-bit integers, four lanes at a time
/// (FastKernels sends arrays whose values span a narrow range to the radix sort).
@inline(never)
public func boundsAVX2(_ values: UnsafePointer<Int64>, count: Int) -> (least: Int64, greatest: Int64) {
    typealias V = SIMD4<Int64>
    let raw = UnsafeRawPointer(values)
    var low = V(repeating: values[0]), high = low
    var i = 0
    while i &+ 4 <= count {
        let x = raw.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
        low.replace(with: x, where: x .< low)
        high.replace(with: x, where: x .> high)
        i &+= 4
    }
    // Lane by lane (no generic reductions in a tier module).
    var least = low[0], greatest = high[0]
    for lane in 1..<4 {
        least = low[lane] < least ? low[lane] : least
        greatest = high[lane] > greatest ? high[lane] : greatest
    }
    while i < count {
        least = values[i] < least ? values[i] : least
        greatest = values[i] > greatest ? values[i] : greatest
        i &+= 1
    }
    return (least, greatest)
}

/// How many of `values` are -0.0 and +0.0, and whether any is NaN: one read of the
/// doubles, four lanes at a time (lane counts added up every 2^18 values).
@inline(never)
public func scanFloatsAVX2(_ values: UnsafePointer<Double>, count: Int)
    -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool) {
    typealias V = SIMD4<Int64>
    let raw = UnsafeRawPointer(values)
    let zero = V(), one = V(repeating: 1), magnitude = V(repeating: .max), infinity = V(repeating: 0x7FF0_0000_0000_0000)
    let negativeZero = V(repeating: .min)
    var negatives = 0, positives = 0
    var nans = V()
    var i = 0
    let vectorEnd = count - count % 4
    while i < vectorEnd {
        let end = min(i + (1 << 18), vectorEnd)
        var n = V(), p = V()
        while i < end {
            let x = raw.loadUnaligned(fromByteOffset: i &* 8, as: V.self)
            n &+= zero.replacing(with: one, where: x .== negativeZero)
            p &+= zero.replacing(with: one, where: x .== zero)
            nans |= zero.replacing(with: one, where: (x & magnitude) .> infinity)
            i &+= 4
        }
        negatives += Int(n.wrappedSum())
        positives += Int(p.wrappedSum())
    }
    while i < count {
        let x = Int64(bitPattern: values[i].bitPattern)
        negatives += x == .min ? 1 : 0
        positives += x == 0 ? 1 : 0
        nans[0] |= (x & .max) > 0x7FF0_0000_0000_0000 ? 1 : 0
        i += 1
    }
    return (negatives, positives, nans != zero)
}

/// The same for floats, eight lanes at a time. (Written out for each width: generic `SIMD`
/// code runs the standard library's per-lane loops, measured 5x slower here.)
@inline(never)
public func scanFloatsAVX2(_ values: UnsafePointer<Float>, count: Int)
    -> (negativeZeros: Int, positiveZeros: Int, unordered: Bool) {
    typealias V = SIMD8<Int32>
    let raw = UnsafeRawPointer(values)
    let zero = V(), one = V(repeating: 1), magnitude = V(repeating: .max), infinity = V(repeating: 0x7F80_0000)
    let negativeZero = V(repeating: .min)
    var negatives = 0, positives = 0
    var nans = V()
    var i = 0
    let vectorEnd = count - count % 8
    while i < vectorEnd {
        let end = min(i + (1 << 19), vectorEnd)
        var n = V(), p = V()
        while i < end {
            let x = raw.loadUnaligned(fromByteOffset: i &* 4, as: V.self)
            n &+= zero.replacing(with: one, where: x .== negativeZero)
            p &+= zero.replacing(with: one, where: x .== zero)
            nans |= zero.replacing(with: one, where: (x & magnitude) .> infinity)
            i &+= 8
        }
        negatives += Int(n.wrappedSum())
        positives += Int(p.wrappedSum())
    }
    while i < count {
        let x = Int32(bitPattern: values[i].bitPattern)
        negatives += x == .min ? 1 : 0
        positives += x == 0 ? 1 : 0
        nans[0] |= (x & .max) > 0x7F80_0000 ? 1 : 0
        i += 1
    }
    return (negatives, positives, nans != zero)
}


// Partitions by a given pivot, for splitting one range among several workers (as the
// AVX-512 tier's `partitionAVX512`): returns how many elements are below `pivot` (they
// come first). Any count; the permutation tables must exist (`vectorSortAvailable`).

@inline(__always)
func partitionPiece<L: SortLanes>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, pivot: L.Scalar, _ lanes: L.Type) -> Int {
    if n >= 2 * L.width { return partitionVectors(p, n, pivot: pivot, lanes) }
    var low = 0
    for i in 0..<n where p[i] < pivot {
        let x = p[i]
        p[i] = p[low]
        p[low] = x
        low += 1
    }
    return low
}

@inline(never)
public func partitionAVX2(_ values: UnsafeMutablePointer<Int64>, count: Int, pivot: Int64) -> Int {
    partitionPiece(values, count, pivot: pivot, Lanes64.self)
}
@inline(never)
public func partitionAVX2(_ values: UnsafeMutablePointer<Int32>, count: Int, pivot: Int32) -> Int {
    partitionPiece(values, count, pivot: pivot, Lanes32.self)
}
@inline(never)
public func partitionAVX2(_ values: UnsafeMutablePointer<Double>, count: Int, pivot: Double) -> Int {
    partitionPiece(values, count, pivot: pivot, LanesDouble.self)
}
@inline(never)
public func partitionAVX2(_ values: UnsafeMutablePointer<Float>, count: Int, pivot: Float) -> Int {
    partitionPiece(values, count, pivot: pivot, LanesFloat.self)
}

import _Builtin_intrinsics.intel
import KernelLoops

// The AVX-512 tier of the vector quicksort (KernelLoops/SortAVX2.swift is the AVX2
// one; docs/sort.md): the same algorithm on 512-bit registers, 8 lanes of 64 bits
// or 16 of 32. What AVX-512 changes:
//
// - the partition permutes each register of 8 lanes once (vpermq, by a table of 256
//   permutations: the lanes below the pivot first, then the others) and stores it in
//   full at both ends of the output; registers of 16 lanes (a table would be 4 MiB) are
//   compressed twice in registers (vpcompressd: the lows packed to the front, then the
//   others), the lows stored in full at the left end, the highs by a masked store that
//   ends at the right end. (Compressing stores to memory measured the same on the Intel
//   machine, but they are microcoded on AMD's Zen 4, where x86-simd-sort had to avoid
//   them; compressing in registers is fast on both.)
// - 64-bit lanes have min and max instructions (vpminsq/vpmaxsq), and a layer of a
//   sorting network is a min and a max merged under a mask register.
// - comparisons give mask registers directly: one bit per lane.
//
// Call only when InstructionSet.selected is .avx512. Raw pointers and SIMD types
// only; the generic functions here are internal, specialized for this module's lane
// types (nothing a baseline caller could share: ARCHITECTURE.md). The guarantees are
// those of the AVX2 sort: O(n log n) worst case (heap sort past a depth of 2 log2 n),
// no allocation, the array a permutation of its values at every step (every index
// written follows from what was read, so another thread writing meanwhile cannot make
// it write out of bounds), equal floats (-0.0 and 0.0) in any order.

/// The operations the sort needs on one 512-bit register of numbers.
protocol Lanes512 {
    associatedtype Scalar: Comparable
    /// Lanes in a register: 8 (64-bit) or 16 (32-bit).
    static var width: Int { get }
    /// The largest value (it fills the lanes of a register past the elements).
    static var largest: Scalar { get }
    /// The least value greater than `x`, or nil when there is none.
    static func above(_ x: Scalar) -> Scalar?
    static func splat(_ x: Scalar) -> __m512i
    /// Bit i set when lane i of `v` is less than lane i of `pivot`.
    static func lessMask(_ v: __m512i, _ pivot: __m512i) -> Int
    static func minimum(_ a: __m512i, _ b: __m512i) -> __m512i
    static func maximum(_ a: __m512i, _ b: __m512i) -> __m512i
}

enum Int64Lanes: Lanes512 {
    typealias Scalar = Int64
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static var largest: Int64 { .max }
    @inline(__always) static func above(_ x: Int64) -> Int64? { x == .max ? nil : x + 1 }
    @inline(__always) static func splat(_ x: Int64) -> __m512i { _mm512_set1_epi64(x) }
    @inline(__always) static func lessMask(_ v: __m512i, _ pivot: __m512i) -> Int {
        mask64(v .< pivot)
    }
    @inline(__always) static func minimum(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_min_epi64(a, b) }
    @inline(__always) static func maximum(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_max_epi64(a, b) }
}

enum Int32Lanes: Lanes512 {
    typealias Scalar = Int32
    @inline(__always) static var width: Int { 16 }
    @inline(__always) static var largest: Int32 { .max }
    @inline(__always) static func above(_ x: Int32) -> Int32? { x == .max ? nil : x + 1 }
    @inline(__always) static func splat(_ x: Int32) -> __m512i { _mm512_set1_epi32(x) }
    @inline(__always) static func lessMask(_ v: __m512i, _ pivot: __m512i) -> Int {
        mask32(unsafeBitCast(v, to: SIMD16<Int32>.self) .< unsafeBitCast(pivot, to: SIMD16<Int32>.self))
    }
    @inline(__always) static func minimum(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_min_epi32(a, b) }
    @inline(__always) static func maximum(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_max_epi32(a, b) }
}

/// Doubles (never NaN), compared as numbers: -0.0 equals 0.0, and min and max of the
/// two may hand back either for both (the caller rewrites the run of zeros).
enum DoubleLanes: Lanes512 {
    typealias Scalar = Double
    @inline(__always) static var width: Int { 8 }
    @inline(__always) static var largest: Double { .infinity }
    @inline(__always) static func above(_ x: Double) -> Double? { x == .infinity ? nil : x.nextUp }
    @inline(__always) static func splat(_ x: Double) -> __m512i { unsafeBitCast(SIMD8<Double>(repeating: x), to: __m512i.self) }
    @inline(__always) static func lessMask(_ v: __m512i, _ pivot: __m512i) -> Int {
        mask64(unsafeBitCast(v, to: SIMD8<Double>.self) .< unsafeBitCast(pivot, to: SIMD8<Double>.self))
    }
    @inline(__always) static func minimum(_ a: __m512i, _ b: __m512i) -> __m512i {
        unsafeBitCast(_mm512_min_pd(unsafeBitCast(a, to: __m512d.self), unsafeBitCast(b, to: __m512d.self)), to: __m512i.self)
    }
    @inline(__always) static func maximum(_ a: __m512i, _ b: __m512i) -> __m512i {
        unsafeBitCast(_mm512_max_pd(unsafeBitCast(a, to: __m512d.self), unsafeBitCast(b, to: __m512d.self)), to: __m512i.self)
    }
}

/// Floats (never NaN), as `DoubleLanes` treats doubles.
enum FloatLanes: Lanes512 {
    typealias Scalar = Float
    @inline(__always) static var width: Int { 16 }
    @inline(__always) static var largest: Float { .infinity }
    @inline(__always) static func above(_ x: Float) -> Float? { x == .infinity ? nil : x.nextUp }
    @inline(__always) static func splat(_ x: Float) -> __m512i { unsafeBitCast(SIMD16<Float>(repeating: x), to: __m512i.self) }
    @inline(__always) static func lessMask(_ v: __m512i, _ pivot: __m512i) -> Int {
        mask32(unsafeBitCast(v, to: SIMD16<Float>.self) .< unsafeBitCast(pivot, to: SIMD16<Float>.self))
    }
    @inline(__always) static func minimum(_ a: __m512i, _ b: __m512i) -> __m512i {
        unsafeBitCast(_mm512_min_ps(unsafeBitCast(a, to: __m512.self), unsafeBitCast(b, to: __m512.self)), to: __m512i.self)
    }
    @inline(__always) static func maximum(_ a: __m512i, _ b: __m512i) -> __m512i {
        unsafeBitCast(_mm512_max_ps(unsafeBitCast(a, to: __m512.self), unsafeBitCast(b, to: __m512.self)), to: __m512i.self)
    }
}

/// The lanes of IEEE floats, and the test for the values a sort of them must find first.
protocol FloatLanes512: Lanes512 where Scalar: BinaryFloatingPoint {
    /// Bit i set when lane i of `v` is -0.0, +0.0 or NaN: its magnitude less one, unsigned,
    /// is at least the bits of infinity exactly then (for zeros it wraps around). One AND,
    /// one subtraction and one compare.
    static func zeroOrNaNMask(_ v: __m512i) -> Int
}

extension DoubleLanes: FloatLanes512 {
    @inline(__always) static func zeroOrNaNMask(_ v: __m512i) -> Int {
        let magnitude = unsafeBitCast(v, to: SIMD8<UInt64>.self) & SIMD8(repeating: UInt64(Int64.max))
        return mask64(magnitude &- SIMD8(repeating: 1) .>= SIMD8(repeating: 0x7FF0_0000_0000_0000))
    }
}

extension FloatLanes: FloatLanes512 {
    @inline(__always) static func zeroOrNaNMask(_ v: __m512i) -> Int {
        let magnitude = unsafeBitCast(v, to: SIMD16<UInt32>.self) & SIMD16(repeating: UInt32(Int32.max))
        return mask32(magnitude &- SIMD16(repeating: 1) .>= SIMD16(repeating: 0x7F80_0000))
    }
}

/// A comparison's lanes as bits (one compare into a mask register once compiled).
@inline(__always) func mask64(_ m: SIMDMask<SIMD8<Int64>>) -> Int {
    Int(_mm512_movepi64_mask(unsafeBitCast(SIMD8<Int64>().replacing(with: -1, where: m), to: __m512i.self)))
}
@inline(__always) func mask32(_ m: SIMDMask<SIMD16<Int32>>) -> Int {
    Int(_mm512_movepi32_mask(unsafeBitCast(SIMD16<Int32>().replacing(with: -1, where: m), to: __m512i.self)))
}

// MARK: - Width-dependent register operations (the width is a constant after specialization)

extension Lanes512 {
    /// All lanes' bits.
    @inline(__always) static var allLanes: Int { (1 << width) - 1 }

    /// The bits of the first `count` lanes (none for `count` <= 0, all from `width` on): the
    /// mask of a register at the end of a range, read or written without going past it.
    @inline(__always) static func firstLanes(_ count: Int) -> Int {
        // Without branches (conditional moves): a leaf's registers past its end take
        // whichever side, so branches here were mispredicted about once a leaf.
        (1 &<< Swift.min(Swift.max(count, 0), width)) &- 1
    }

    /// The lanes of `v` whose bit is set in `mask`, packed to the front (the rest 0).
    @inline(__always) static func compress(_ v: __m512i, _ mask: Int) -> __m512i {
        width == 8 ? _mm512_maskz_compress_epi64(UInt8(truncatingIfNeeded: mask), v)
                   : _mm512_maskz_compress_epi32(UInt16(truncatingIfNeeded: mask), v)
    }

    /// Stores the lanes of `v` whose bit is set in `mask` (the others' memory untouched).
    @inline(__always) static func store(_ v: __m512i, _ p: UnsafeMutablePointer<Scalar>, mask: Int) {
        if width == 8 {
            _mm512_mask_storeu_epi64(UnsafeMutableRawPointer(p), UInt8(truncatingIfNeeded: mask), v)
        } else {
            _mm512_mask_storeu_epi32(UnsafeMutableRawPointer(p), UInt16(truncatingIfNeeded: mask), v)
        }
    }

    /// Loads the lanes whose bit is set in `mask`, the others from `filler` (no read there).
    @inline(__always) static func load(_ p: UnsafePointer<Scalar>, mask: Int, filler: __m512i) -> __m512i {
        width == 8 ? _mm512_mask_loadu_epi64(filler, UInt8(truncatingIfNeeded: mask), UnsafeRawPointer(p))
                   : _mm512_mask_loadu_epi32(filler, UInt16(truncatingIfNeeded: mask), UnsafeRawPointer(p))
    }

    /// Where `upper` has a bit set, the lane of `b`, elsewhere that of `a`.
    @inline(__always) static func blend(_ a: __m512i, _ b: __m512i, upper: Int) -> __m512i {
        width == 8 ? _mm512_mask_blend_epi64(UInt8(truncatingIfNeeded: upper), a, b)
                   : _mm512_mask_blend_epi32(UInt16(truncatingIfNeeded: upper), a, b)
    }

    /// One layer of a sorting network: each lane takes the smaller of itself and the same
    /// lane of `partner`, or the larger where `upper` has its bit set.
    @inline(__always) static func layer(_ v: __m512i, _ partner: __m512i, upper: Int) -> __m512i {
        blend(minimum(v, partner), maximum(v, partner), upper: upper)
    }

    /// The lanes whose index has bit `distance` set (1, 2, 4 or 8).
    @inline(__always) static func lanesWithBit(_ distance: Int) -> Int {
        switch distance {
        case 1: allLanes & 0xAAAA
        case 2: allLanes & 0xCCCC
        case 4: allLanes & 0xF0F0
        default: allLanes & 0xFF00
        }
    }

    /// Lane i takes lane i ^ distance (distance 1, 2, 4 or 8).
    @inline(__always) static func swapped(_ v: __m512i, distance: Int) -> __m512i {
        if width == 8 {
            let x = v
            switch distance {
            case 1: return __m512i(x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6])
            case 2: return __m512i(x[2], x[3], x[0], x[1], x[6], x[7], x[4], x[5])
            default: return __m512i(x[4], x[5], x[6], x[7], x[0], x[1], x[2], x[3])
            }
        }
        let x = unsafeBitCast(v, to: SIMD16<Int32>.self)
        let y: SIMD16<Int32>
        switch distance {
        case 1: y = SIMD16(x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6], x[9], x[8], x[11], x[10], x[13], x[12], x[15], x[14])
        case 2: y = SIMD16(x[2], x[3], x[0], x[1], x[6], x[7], x[4], x[5], x[10], x[11], x[8], x[9], x[14], x[15], x[12], x[13])
        case 4: y = SIMD16(x[4], x[5], x[6], x[7], x[0], x[1], x[2], x[3], x[12], x[13], x[14], x[15], x[8], x[9], x[10], x[11])
        default: y = SIMD16(x[8], x[9], x[10], x[11], x[12], x[13], x[14], x[15], x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
        }
        return unsafeBitCast(y, to: __m512i.self)
    }

    /// The lanes of each block of `block` lanes (2, 4, 8 or 16) in reverse order.
    @inline(__always) static func reversed(_ v: __m512i, block: Int) -> __m512i {
        if block == 2 { return swapped(v, distance: 1) }
        if width == 8 {
            let x = v
            return block == 4 ? __m512i(x[3], x[2], x[1], x[0], x[7], x[6], x[5], x[4])
                              : __m512i(x[7], x[6], x[5], x[4], x[3], x[2], x[1], x[0])
        }
        let x = unsafeBitCast(v, to: SIMD16<Int32>.self)
        let y: SIMD16<Int32>
        switch block {
        case 4: y = SIMD16(x[3], x[2], x[1], x[0], x[7], x[6], x[5], x[4], x[11], x[10], x[9], x[8], x[15], x[14], x[13], x[12])
        case 8: y = SIMD16(x[7], x[6], x[5], x[4], x[3], x[2], x[1], x[0], x[15], x[14], x[13], x[12], x[11], x[10], x[9], x[8])
        default: y = SIMD16(x[15], x[14], x[13], x[12], x[11], x[10], x[9], x[8], x[7], x[6], x[5], x[4], x[3], x[2], x[1], x[0])
        }
        return unsafeBitCast(y, to: __m512i.self)
    }

    /// The lanes sorted ascending: a bitonic network within the register.
    /// (The steps here are written out, not loops: for 16 lanes the compiler kept the loops,
    /// choosing each permutation by branches.)
    @inline(__always) static func sortLanes(_ v: __m512i) -> __m512i {
        var x = mergeLanes(v, block: 2)
        x = mergeLanes(x, block: 4)
        x = mergeLanes(x, block: 8)
        if width == 16 { x = mergeLanes(x, block: 16) }
        return x
    }

    /// Each block of `block` lanes (2, 4, 8 or 16) whose two halves are sorted, merged: the
    /// first half against the second reversed, then half-cleaners within the block.
    @inline(__always) static func mergeLanes(_ v: __m512i, block: Int) -> __m512i {
        var x = layer(v, reversed(v, block: block), upper: lanesWithBit(block / 2))
        if block >= 16 { x = layer(x, swapped(x, distance: 4), upper: lanesWithBit(4)) }
        if block >= 8 { x = layer(x, swapped(x, distance: 2), upper: lanesWithBit(2)) }
        if block >= 4 { x = layer(x, swapped(x, distance: 1), upper: lanesWithBit(1)) }
        return x
    }

    /// A bitonic sequence of lanes sorted ascending (the half-cleaners within the register).
    @inline(__always) static func cleanLanes(_ v: __m512i) -> __m512i {
        var x = v
        if width == 16 { x = layer(x, swapped(x, distance: 8), upper: lanesWithBit(8)) }
        x = layer(x, swapped(x, distance: 4), upper: lanesWithBit(4))
        x = layer(x, swapped(x, distance: 2), upper: lanesWithBit(2))
        return layer(x, swapped(x, distance: 1), upper: lanesWithBit(1))
    }

    /// The whole register reversed.
    @inline(__always) static func reversed(_ v: __m512i) -> __m512i { reversed(v, block: width) }
}

// MARK: - Partition

@inline(__always)
func loadRegister<S>(_ p: UnsafePointer<S>) -> __m512i {
    UnsafeRawPointer(p).loadUnaligned(as: __m512i.self)
}

@inline(__always)
func storeRegister<S>(_ v: __m512i, _ p: UnsafeMutablePointer<S>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: __m512i.self)
}

/// Registers read from one side of a partition at a time.
let unrolledRegisters = 8

/// Room for `unrolledRegisters` registers.
struct BlockOfRegisters {
    var registers: (__m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i, __m512i) =
        (__m512i(), __m512i(), __m512i(), __m512i(), __m512i(), __m512i(), __m512i(), __m512i())
}

/// For each mask of 8 lanes (bit i set: lane i is below the pivot), the indices for
/// `vpermq` that put those lanes first, in order, and the others after them: 256 registers,
/// 16 KiB. A partition of 64-bit lanes permutes each register once and stores it in full at
/// both ends of its output (the lows land at the left end, the highs at the right; what else
/// each store writes lies in room already read, and for the last register the two stores
/// write the same values to the same places), where compressing the lows and the highs took
/// two `vpcompressq` (two micro-operations each, on the port that also permutes and
/// compares) and a masked store.
nonisolated(unsafe) let lowsFirstPermutations: UnsafeRawPointer = {
    let table = UnsafeMutableRawPointer.allocate(byteCount: 256 &* 64, alignment: 64)
    for mask in 0..<256 {
        var next = mask &* 64
        for lane in 0..<8 where mask >> lane & 1 == 1 {
            table.storeBytes(of: Int64(lane), toByteOffset: next, as: Int64.self)
            next &+= 8
        }
        for lane in 0..<8 where mask >> lane & 1 == 0 {
            table.storeBytes(of: Int64(lane), toByteOffset: next, as: Int64.self)
            next &+= 8
        }
    }
    return UnsafeRawPointer(table)
}()

/// Moves the elements of `p[0..<n]` below `pivot` to the front and returns how many
/// there are; the others follow. `n` >= 2 registers.
///
/// The output grows from both ends of the range: a register's lows are stored in full
/// at the left end (the lanes past them are overwritten later), its highs by a masked
/// store ending at the right end (for 8 lanes: the register permuted, lows first, and
/// stored in full at both ends). The first and last eight registers are read before
/// anything is written, and each next eight from the side with less free room, so a
/// store never reaches an element not yet read.
@inline(__always)
func partitionRegisters<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, pivot: L.Scalar,
                                     _: L.Type) -> Int {
    let width = L.width
    let pivots = L.splat(pivot)
    // The last n % width elements wait aside (at most 15 of 32 bits, 7 of 64), so that
    // whole registers cover the rest.
    let vectorEnd = n - n % width
    var tail: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0)
    let tailCount = n - vectorEnd
    withUnsafeMutableBytes(of: &tail) { raw in
        let saved = raw.baseAddress!.assumingMemoryBound(to: L.Scalar.self)
        for i in 0..<tailCount { saved[i] = p[vectorEnd + i] }
    }
    var low = 0, high = vectorEnd  // stored: lows at [0, low), highs at [high, vectorEnd)
    let permutations = lowsFirstPermutations
    @inline(__always) func place(_ v: __m512i) {
        let mask = L.lessMask(v, pivots)
        let lows = mask.nonzeroBitCount, highs = width &- lows
        if width == 8 {
            // One permutation puts the lows first and the highs after them; the register is
            // stored in full at both ends (see `lowsFirstPermutations`).
            let arranged = _mm512_permutexvar_epi64(permutations.load(fromByteOffset: mask &<< 6, as: __m512i.self), v)
            storeRegister(arranged, p + low)
            storeRegister(arranged, p + (high &- width))
        } else {
            storeRegister(L.compress(v, mask), p + low)
            L.store(L.compress(v, ~mask & L.allLanes), p + (high &- highs), mask: L.allLanes >> lows)
        }
        low &+= lows
        high &-= highs
    }
    if vectorEnd >= 2 * unrolledRegisters * width {
        let block = unrolledRegisters * width
        var saved = (first: BlockOfRegisters(), last: BlockOfRegisters())
        withUnsafeMutableBytes(of: &saved) { raw in
            raw.baseAddress!.copyMemory(from: p, byteCount: block * MemoryLayout<L.Scalar>.stride)
            (raw.baseAddress! + MemoryLayout<BlockOfRegisters>.stride)
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
            let v0 = loadRegister(q), v1 = loadRegister(q + width), v2 = loadRegister(q + 2 &* width),
                v3 = loadRegister(q + 3 &* width), v4 = loadRegister(q + 4 &* width), v5 = loadRegister(q + 5 &* width),
                v6 = loadRegister(q + 6 &* width), v7 = loadRegister(q + 7 &* width)
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
            let v: __m512i
            if left &- low <= high &- right {
                v = loadRegister(p + left)
                left &+= width
            } else {
                right &-= width
                v = loadRegister(p + right)
            }
            place(v)
        }
        withUnsafeBytes(of: &saved) { raw in
            let registers = raw.baseAddress!.assumingMemoryBound(to: __m512i.self)
            for k in 0..<(2 * unrolledRegisters) { place(registers[k]) }
        }
    } else {
        let first = loadRegister(p), last = loadRegister(p + vectorEnd - width)
        var left = width, right = vectorEnd - width  // not yet read: [left, right)
        while left < right {
            let v: __m512i
            if left &- low <= high &- right {
                v = loadRegister(p + left)
                left &+= width
            } else {
                right &-= width
                v = loadRegister(p + right)
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
func median3of<S: Comparable>(_ a: S, _ b: S, _ c: S) -> S {
    let low = a < b ? a : b, high = a < b ? b : a
    let upper = high < c ? high : c
    return low < upper ? upper : low
}

/// A pivot for `p[0..<n]`: the median of 3 spread elements, or for larger ranges the
/// median of three such medians (Tukey's ninther).
@inline(__always)
func pivotOf<S: Comparable>(_ p: UnsafeMutablePointer<S>, _ n: Int) -> S {
    if n < 256 { return median3of(p[n / 4], p[n / 2], p[n - 1 - n / 4]) }
    let step = n / 9
    return median3of(median3of(p[step / 2], p[step / 2 + step], p[step / 2 + 2 * step]),
                     median3of(p[step / 2 + 3 * step], p[step / 2 + 4 * step], p[step / 2 + 5 * step]),
                     median3of(p[step / 2 + 6 * step], p[step / 2 + 7 * step], p[step / 2 + 8 * step]))
}

// MARK: - Sorting networks on whole registers (the leaves of the quicksort)

/// Two sorted registers, merged: `a` gets the smaller half, both sorted.
@inline(__always)
func mergeRegisters2<L: Lanes512>(_ a: inout __m512i, _ b: inout __m512i, _: L.Type) {
    let r = L.reversed(b)
    let low = L.minimum(a, r), high = L.maximum(a, r)
    a = L.cleanLanes(low)
    b = L.cleanLanes(high)
}

/// Two sorted runs of two registers each, merged into one of four.
@inline(__always)
func mergeRegisters4<L: Lanes512>(_ a0: inout __m512i, _ a1: inout __m512i, _ b0: inout __m512i,
                                  _ b1: inout __m512i, _: L.Type) {
    let r0 = L.reversed(b1), r1 = L.reversed(b0)
    let l0 = L.minimum(a0, r0), h0 = L.maximum(a0, r0), l1 = L.minimum(a1, r1), h1 = L.maximum(a1, r1)
    a0 = L.cleanLanes(L.minimum(l0, l1))
    a1 = L.cleanLanes(L.maximum(l0, l1))
    b0 = L.cleanLanes(L.minimum(h0, h1))
    b1 = L.cleanLanes(L.maximum(h0, h1))
}

/// A number of lanes as a type (2, 4, 8 or 16): the merges below, specialized for it, have
/// their permutations as constants whether or not the compiler inlines them (with the
/// number an argument of a function not inlined, it chose permutations by branches).
protocol LaneBlock { static var lanes: Int { get } }
enum BlockOfTwo: LaneBlock { @inline(__always) static var lanes: Int { 2 } }
enum BlockOfFour: LaneBlock { @inline(__always) static var lanes: Int { 4 } }
enum BlockOfEight: LaneBlock { @inline(__always) static var lanes: Int { 8 } }
enum BlockOfSixteen: LaneBlock { @inline(__always) static var lanes: Int { 16 } }

/// Sorts each column (lane) of eight registers across the registers by an optimal
/// 19-comparator network (a comparator is a whole-register min and max).
@inline(__always)
func sortColumnsOfEight<L: Lanes512>(_ r: inout InlineArray<8, __m512i>, _ lanes: L.Type) {
    @inline(__always) func exchange(_ i: Int, _ j: Int) {
        let a = r[i], b = r[j]
        r[i] = L.minimum(a, b)
        r[j] = L.maximum(a, b)
    }
    exchange(0, 2); exchange(1, 3); exchange(4, 6); exchange(5, 7)
    exchange(0, 4); exchange(1, 5); exchange(2, 6); exchange(3, 7)
    exchange(0, 1); exchange(2, 3); exchange(4, 5); exchange(6, 7)
    exchange(2, 4); exchange(3, 5)
    exchange(1, 4); exchange(3, 6)
    exchange(1, 2); exchange(3, 4); exchange(5, 6)
}

/// `foldMergeOfSixteenRegisters` for eight registers (three levels between registers).
@inline(never)
func foldMergeOfEightRegisters<L: Lanes512, B: LaneBlock>(_ r: inout InlineArray<8, __m512i>, _: B.Type, _: L.Type) {
    let block = B.lanes
    @inline(__always) func reverse(_ i: Int) { r[i] = L.reversed(r[i], block: block) }
    @inline(__always) func exchange(_ i: Int, _ j: Int) {
        let a = r[i], b = r[j]
        r[i] = L.minimum(a, b)
        r[j] = L.maximum(a, b)
    }
    reverse(4); reverse(5); reverse(6); reverse(7)
    exchange(0, 7); exchange(1, 6); exchange(2, 5); exchange(3, 4)
    reverse(2); reverse(3); reverse(6); reverse(7)
    exchange(0, 3); exchange(1, 2); exchange(4, 7); exchange(5, 6)
    reverse(1); reverse(3); reverse(5); reverse(7)
    exchange(0, 1); exchange(2, 3); exchange(4, 5); exchange(6, 7)
    r[0] = L.mergeLanes(r[0], block: block); r[1] = L.mergeLanes(r[1], block: block)
    r[2] = L.mergeLanes(r[2], block: block); r[3] = L.mergeLanes(r[3], block: block)
    r[4] = L.mergeLanes(r[4], block: block); r[5] = L.mergeLanes(r[5], block: block)
    r[6] = L.mergeLanes(r[6], block: block); r[7] = L.mergeLanes(r[7], block: block)
}

/// Sorts up to 8 registers' worth of elements (64 of 64 bits, 128 of 32): read by
/// masked loads into 1, 2, 4 or 8 registers, the lanes past `n` the largest value,
/// sorted by bitonic networks, written back by masked stores (no memory touched past `n`).
/// Not inlined into the quicksort: the networks then keep all their registers.
@inline(never)
func sortInRegisters<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _ lanes: L.Type) {
    let width = L.width
    let filler = L.splat(L.largest)
    @inline(__always) func mask(_ k: Int) -> Int { L.firstLanes(n &- k &* width) }
    @inline(__always) func load(_ k: Int) -> __m512i { L.sortLanes(L.load(p + k &* width, mask: mask(k), filler: filler)) }
    @inline(__always) func store(_ v: __m512i, _ k: Int) { L.store(v, p + k &* width, mask: mask(k)) }
    if n <= width {
        store(load(0), 0)
        return
    }
    if n <= 2 * width {
        var r0 = load(0), r1 = load(1)
        mergeRegisters2(&r0, &r1, lanes)
        store(r0, 0)
        store(r1, 1)
        return
    }
    if n > 4 * width {
        // Eight registers: by columns and folded merges, as sixteen (`sortSixteenRegisters`).
        @inline(__always) func raw(_ k: Int) -> __m512i { L.load(p + k &* width, mask: mask(k), filler: filler) }
        var r: InlineArray<8, __m512i> = [loadRegister(p), loadRegister(p + width), loadRegister(p + 2 &* width),
                                          loadRegister(p + 3 &* width), raw(4), raw(5), raw(6), raw(7)]
        sortColumnsOfEight(&r, lanes)
        foldMergeOfEightRegisters(&r, BlockOfTwo.self, lanes)
        foldMergeOfEightRegisters(&r, BlockOfFour.self, lanes)
        foldMergeOfEightRegisters(&r, BlockOfEight.self, lanes)
        if width == 16 { foldMergeOfEightRegisters(&r, BlockOfSixteen.self, lanes) }
        for k in 0..<4 { storeRegister(r[k], p + k &* width) }
        for k in 4..<8 { store(r[k], k) }
        return
    }
    // Three or four registers (more took the branch above).
    var r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3)
    mergeRegisters2(&r0, &r1, lanes)
    mergeRegisters2(&r2, &r3, lanes)
    mergeRegisters4(&r0, &r1, &r2, &r3, lanes)
    store(r0, 0)
    store(r1, 1)
    store(r2, 2)
    store(r3, 3)
}

/// The most registers a leaf of the quicksort fills: ranges of up to 16 registers (128
/// elements of 64 bits, 256 of 32) are sorted by networks, not partitioned further.
/// (Measured on 100K and 1M random values against numpy.sort: with the registers sorted by
/// columns first, 16 registers take 0.85-0.95x the time of 8 for 64-bit lanes.) Ranges of
/// 29 to 32 registers are two such leaves merged (`sortThirtyTwoRegisters`).
let leafRegisters = 16

/// Sorts each column (lane) of sixteen registers across the registers by Batcher's odd-even
/// merge network of 16 inputs (63 comparators, each a whole-register min and max; checked on
/// all 2^16 inputs of 0s and 1s).
@inline(__always)
func sortColumnsOfSixteen<L: Lanes512>(_ r: inout InlineArray<16, __m512i>, _: L.Type) {
    @inline(__always) func exchange(_ i: Int, _ j: Int) {
        let a = r[i], b = r[j]
        r[i] = L.minimum(a, b)
        r[j] = L.maximum(a, b)
    }
    exchange(0, 1); exchange(2, 3); exchange(4, 5); exchange(6, 7); exchange(8, 9); exchange(10, 11); exchange(12, 13); exchange(14, 15)
    exchange(0, 2); exchange(1, 3); exchange(4, 6); exchange(5, 7); exchange(8, 10); exchange(9, 11); exchange(12, 14); exchange(13, 15)
    exchange(1, 2); exchange(5, 6); exchange(9, 10); exchange(13, 14); exchange(0, 4); exchange(1, 5); exchange(2, 6); exchange(3, 7)
    exchange(8, 12); exchange(9, 13); exchange(10, 14); exchange(11, 15); exchange(2, 4); exchange(3, 5); exchange(10, 12); exchange(11, 13)
    exchange(1, 2); exchange(3, 4); exchange(5, 6); exchange(9, 10); exchange(11, 12); exchange(13, 14); exchange(0, 8); exchange(1, 9)
    exchange(2, 10); exchange(3, 11); exchange(4, 12); exchange(5, 13); exchange(6, 14); exchange(7, 15); exchange(4, 8); exchange(5, 9)
    exchange(6, 10); exchange(7, 11); exchange(2, 4); exchange(3, 5); exchange(6, 8); exchange(7, 9); exchange(10, 12); exchange(11, 13)
    exchange(1, 2); exchange(3, 4); exchange(5, 6); exchange(7, 8); exchange(9, 10); exchange(11, 12); exchange(13, 14)
}

/// Sorts 24 to 32 registers' worth of elements (`n` > 24 registers): the first sixteen
/// registers and the rest (more than 8) sorted as leaves of 16 registers of their own, then
/// the two runs merged (`mergeSixteenRegisterRuns`).
@inline(never)
func sortThirtyTwoRegisters<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _: L.Type) {
    let half = 16 &* L.width
    sortSixteenRegisters(p, half, L.self)
    sortSixteenRegisters(p + half, n &- half, L.self)
    mergeSixteenRegisterRuns(p, n, L.self)
}

/// Merges the sorted runs `p[0..<16 registers]` and `p[16 registers..<n]` (`n` at most 32
/// registers): the second, its lanes past `n` the largest value, reversed against the first;
/// the minima are the lower sixteen registers and the maxima the upper, each a bitonic
/// sequence sorted by half-cleaners across its registers and then within each.
@inline(never)
func mergeSixteenRegisterRuns<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _: L.Type) {
    let width = L.width
    let filler = L.splat(L.largest)
    let q = p + 16 &* width
    @inline(__always) func mask(_ k: Int) -> Int { L.firstLanes(n &- (16 &+ k) &* width) }
    var low = InlineArray<16, __m512i>(repeating: filler), high = InlineArray<16, __m512i>(repeating: filler)
    for i in 0..<16 {
        let a = loadRegister(p + i &* width)
        let b = L.reversed(L.load(q + (15 &- i) &* width, mask: mask(15 &- i), filler: filler))
        low[i] = L.minimum(a, b)
        high[i] = L.maximum(a, b)
    }
    cleanSixteenRegisters(&low, L.self)
    for k in 0..<16 { storeRegister(low[k], p + k &* width) }
    cleanSixteenRegisters(&high, L.self)
    for k in 0..<16 { L.store(high[k], q + k &* width, mask: mask(k)) }
}

/// Sorts a bitonic sequence of sixteen registers: half-cleaners across the registers
/// (distances 8, 4, 2, 1), then within each register.
@inline(__always)
func cleanSixteenRegisters<L: Lanes512>(_ r: inout InlineArray<16, __m512i>, _: L.Type) {
    halfCleanSixteen(&r, distance: 8, L.self)
    cleanSixteenRegistersFromFour(&r, L.self)
}

/// The end of a bitonic merge of sixteen registers whose registers `j` and `j + 8` are
/// already in order: half-cleaners at distances 4, 2 and 1, then within each register.
@inline(__always)
func cleanSixteenRegistersFromFour<L: Lanes512>(_ r: inout InlineArray<16, __m512i>, _: L.Type) {
    halfCleanSixteen(&r, distance: 4, L.self)
    halfCleanSixteen(&r, distance: 2, L.self)
    halfCleanSixteen(&r, distance: 1, L.self)
    r[0] = L.cleanLanes(r[0]); r[1] = L.cleanLanes(r[1]); r[2] = L.cleanLanes(r[2]); r[3] = L.cleanLanes(r[3])
    r[4] = L.cleanLanes(r[4]); r[5] = L.cleanLanes(r[5]); r[6] = L.cleanLanes(r[6]); r[7] = L.cleanLanes(r[7])
    r[8] = L.cleanLanes(r[8]); r[9] = L.cleanLanes(r[9]); r[10] = L.cleanLanes(r[10]); r[11] = L.cleanLanes(r[11])
    r[12] = L.cleanLanes(r[12]); r[13] = L.cleanLanes(r[13]); r[14] = L.cleanLanes(r[14]); r[15] = L.cleanLanes(r[15])
}

/// One layer of half-cleaners across sixteen registers: registers `j` and `j + distance`
/// (8, 4, 2 or 1), for each `j` without that bit, exchanged into order. Written out: as
/// loops over the sixteen (`for j in 0..<16 where ...`) the compiler kept them as loops
/// over the registers' copies on the stack, which made the 64-bit leaf's last merge and
/// the 32-register merge the slowest parts of a sort (docs/sort.md).
@inline(__always)
func halfCleanSixteen<L: Lanes512>(_ r: inout InlineArray<16, __m512i>, distance: Int, _: L.Type) {
    @inline(__always) func exchange(_ i: Int, _ j: Int) {
        let a = r[i], b = r[j]
        r[i] = L.minimum(a, b)
        r[j] = L.maximum(a, b)
    }
    switch distance {
    case 8:
        exchange(0, 8); exchange(1, 9); exchange(2, 10); exchange(3, 11)
        exchange(4, 12); exchange(5, 13); exchange(6, 14); exchange(7, 15)
    case 4:
        exchange(0, 4); exchange(1, 5); exchange(2, 6); exchange(3, 7)
        exchange(8, 12); exchange(9, 13); exchange(10, 14); exchange(11, 15)
    case 2:
        exchange(0, 2); exchange(1, 3); exchange(4, 6); exchange(5, 7)
        exchange(8, 10); exchange(9, 11); exchange(12, 14); exchange(13, 15)
    default:
        exchange(0, 1); exchange(2, 3); exchange(4, 5); exchange(6, 7)
        exchange(8, 9); exchange(10, 11); exchange(12, 13); exchange(14, 15)
    }
}

/// Sorts 8 to 16 registers' worth of elements (`n` > 8 registers: the first eight are read
/// and written whole; the lanes past `n` the largest value) without transposing them: the columns (lanes) sorted across the sixteen
/// registers (`sortColumnsOfSixteen`), then, for blocks of 2, 4, 8 (and 16) lanes, the sorted
/// sequences that adjacent half-blocks hold across the registers merged by compare-exchanges
/// between registers (`mergeColumnsAcross`) and then within each register
/// (`Lanes512.mergeLanes`): after the last, the registers hold the elements in order.
/// (x86-simd-sort's scheme: most compare-exchanges pair whole registers, which needs no
/// permutation.)
@inline(never)
func sortSixteenRegisters<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _: L.Type) {
    let width = L.width
    assert(n > 8 &* width && n <= 16 &* width, "a leaf of sixteen registers holds more than eight")
    let filler = L.splat(L.largest)
    @inline(__always) func mask(_ k: Int) -> Int { L.firstLanes(n &- k &* width) }
    @inline(__always) func raw(_ k: Int) -> __m512i { L.load(p + k &* width, mask: mask(k), filler: filler) }
    var r: InlineArray<16, __m512i> = [loadRegister(p), loadRegister(p + width), loadRegister(p + 2 &* width),
                                       loadRegister(p + 3 &* width), loadRegister(p + 4 &* width),
                                       loadRegister(p + 5 &* width), loadRegister(p + 6 &* width),
                                       loadRegister(p + 7 &* width),
                                       raw(8), raw(9), raw(10), raw(11), raw(12), raw(13), raw(14), raw(15)]
    sortColumnsOfSixteen(&r, L.self)
    foldMergeOfSixteenRegisters(&r, BlockOfTwo.self, L.self)
    foldMergeOfSixteenRegisters(&r, BlockOfFour.self, L.self)
    foldMergeOfSixteenRegisters(&r, BlockOfEight.self, L.self)
    if width == 16 { foldMergeOfSixteenRegisters(&r, BlockOfSixteen.self, L.self) }
    for k in 0..<8 { storeRegister(r[k], p + k &* width) }
    for k in 8..<16 { L.store(r[k], p + k &* width, mask: mask(k)) }
}

/// For every pair of adjacent half-blocks of `B.lanes` lanes, the sorted sequences they hold
/// across the sixteen registers merged into one sorted sequence held by the block: the step
/// between registers (`mergeColumnsAcross`), then within each (`Lanes512.mergeLanes`).
@inline(never)
func foldMergeOfSixteenRegisters<L: Lanes512, B: LaneBlock>(_ r: inout InlineArray<16, __m512i>, _: B.Type, _: L.Type) {
    mergeColumnsAcross(&r, block: B.lanes, L.self)
    mergeLanesOfSixteen(&r, block: B.lanes, L.self)
}

/// The step between registers of merging, for every pair of adjacent half-blocks of
/// `block` lanes, the sorted sequences they hold across the sixteen registers (a half-block of
/// register i holds elements i * block / 2 ..< (i + 1) * block / 2 of its sequence, after the
/// previous step): at each of four levels, the upper half of the registers of each group has
/// its blocks' lanes reversed and is compare-exchanged with the lower half, outside in. Written
/// out (as loops the compiler kept the registers on the stack).
@inline(__always)
func mergeColumnsAcross<L: Lanes512>(_ r: inout InlineArray<16, __m512i>, block: Int, _: L.Type) {
    @inline(__always) func reverse(_ i: Int) { r[i] = L.reversed(r[i], block: block) }
    @inline(__always) func exchange(_ i: Int, _ j: Int) {
        let a = r[i], b = r[j]
        r[i] = L.minimum(a, b)
        r[j] = L.maximum(a, b)
    }
    // Groups of 16.
    reverse(8); reverse(9); reverse(10); reverse(11); reverse(12); reverse(13); reverse(14); reverse(15)
    exchange(0, 15); exchange(1, 14); exchange(2, 13); exchange(3, 12)
    exchange(4, 11); exchange(5, 10); exchange(6, 9); exchange(7, 8)
    // Groups of 8.
    reverse(4); reverse(5); reverse(6); reverse(7); reverse(12); reverse(13); reverse(14); reverse(15)
    exchange(0, 7); exchange(1, 6); exchange(2, 5); exchange(3, 4)
    exchange(8, 15); exchange(9, 14); exchange(10, 13); exchange(11, 12)
    // Groups of 4.
    reverse(2); reverse(3); reverse(6); reverse(7); reverse(10); reverse(11); reverse(14); reverse(15)
    exchange(0, 3); exchange(1, 2); exchange(4, 7); exchange(5, 6)
    exchange(8, 11); exchange(9, 10); exchange(12, 15); exchange(13, 14)
    // Groups of 2.
    reverse(1); reverse(3); reverse(5); reverse(7); reverse(9); reverse(11); reverse(13); reverse(15)
    exchange(0, 1); exchange(2, 3); exchange(4, 5); exchange(6, 7)
    exchange(8, 9); exchange(10, 11); exchange(12, 13); exchange(14, 15)
}

/// `Lanes512.mergeLanes` on each of sixteen registers, written out.
@inline(__always)
func mergeLanesOfSixteen<L: Lanes512>(_ r: inout InlineArray<16, __m512i>, block: Int, _: L.Type) {
    r[0] = L.mergeLanes(r[0], block: block); r[1] = L.mergeLanes(r[1], block: block)
    r[2] = L.mergeLanes(r[2], block: block); r[3] = L.mergeLanes(r[3], block: block)
    r[4] = L.mergeLanes(r[4], block: block); r[5] = L.mergeLanes(r[5], block: block)
    r[6] = L.mergeLanes(r[6], block: block); r[7] = L.mergeLanes(r[7], block: block)
    r[8] = L.mergeLanes(r[8], block: block); r[9] = L.mergeLanes(r[9], block: block)
    r[10] = L.mergeLanes(r[10], block: block); r[11] = L.mergeLanes(r[11], block: block)
    r[12] = L.mergeLanes(r[12], block: block); r[13] = L.mergeLanes(r[13], block: block)
    r[14] = L.mergeLanes(r[14], block: block); r[15] = L.mergeLanes(r[15], block: block)
}

/// Heap sort: the worst-case bound of a range whose pivots kept failing.
func heapSortRange<S: Comparable>(_ p: UnsafeMutablePointer<S>, _ n: Int) {
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
let pollSize = 1 << 16

/// Sorts `p[0..<n]`; false when `isCancelled` said so (the range then holds a
/// permutation of its elements).
func quicksortRegisters<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, depth: Int, _ lanes: L.Type,
                                     isCancelled: () -> Bool) -> Bool {
    var p = p, n = n, depth = depth
    while n > leafRegisters * L.width {
        if n > 28 &* L.width && n <= 32 &* L.width {
            // Two leaves merged cost less than a partition and the leaves it leaves, which
            // often include a part of more than 16 registers (from 17 or 25 registers, where
            // the second leaf is small, they measured slower: docs/sort.md).
            sortThirtyTwoRegisters(p, n, lanes)
            return true
        }
        if n >= pollSize && isCancelled() { return false }
        if depth == 0 {
            heapSortRange(p, n)
            return true
        }
        depth -= 1
        let pivot = pivotOf(p, n)
        var lows = partitionRegisters(p, n, pivot: pivot, lanes)
        if lows == 0 {
            // The pivot is the least element: the elements equal to it go first, and are done.
            guard let above = L.above(pivot) else { return true }  // all equal
            lows = partitionRegisters(p, n, pivot: above, lanes)
            p += lows
            n -= lows
            continue
        }
        // The smaller side by recursion (depth O(log n)), the larger in this loop.
        if lows < n - lows {
            guard quicksortRegisters(p, lows, depth: depth, lanes, isCancelled: isCancelled) else { return false }
            p += lows
            n -= lows
        } else {
            guard quicksortRegisters(p + lows, n - lows, depth: depth, lanes, isCancelled: isCancelled) else { return false }
            n = lows
        }
    }
    if n > 8 * L.width {
        sortSixteenRegisters(p, n, lanes)
    } else {
        sortInRegisters(p, n, lanes)
    }
    return true
}

@inline(__always)
func depthBound(_ n: Int) -> Int { 2 * (Int.bitWidth - n.leadingZeroBitCount) }

/// Splits `p[0..<n]` (n >= 16 registers) in two for separate sorts: returns k such that
/// every element of `p[0..<k]` is at most every element of `p[k..<n]` (k may be n: all equal).
@inline(__always)
func splitRegisters<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, _ lanes: L.Type) -> Int {
    let pivot = pivotOf(p, n)
    let lows = partitionRegisters(p, n, pivot: pivot, lanes)
    if lows > 0 { return lows }
    guard let above = L.above(pivot) else { return n }
    return partitionRegisters(p, n, pivot: above, lanes)
}

// MARK: - Entry points (call only when InstructionSet.selected is .avx512)

/// Sorts `count` signed 64-bit integers in place, ascending (not stable: equal integers
/// are indistinguishable). Ranges of 65,536 elements or more poll `isCancelled` before
/// each partition.
///
/// - Parameter maximumDepth: how often a range may be partitioned before it is heap
///   sorted instead (default 2 log2(count)); tests pass small values to reach the heap sort.
/// - Returns: `.sorted`, or `.cancelled` (the values a permutation of themselves).
/// - Complexity: O(count log count) comparisons in the worst case.
@inline(never)
public func sortAVX512(_ values: UnsafeMutablePointer<Int64>, count: Int, maximumDepth: Int? = nil,
                       isCancelled: () -> Bool) -> VectorSortOutcome {
    quicksortRegisters(values, count, depth: maximumDepth ?? depthBound(count), Int64Lanes.self,
                       isCancelled: isCancelled) ? .sorted : .cancelled
}

/// Sorts `count` signed 32-bit integers in place, ascending; as the 64-bit version.
@inline(never)
public func sortAVX512(_ values: UnsafeMutablePointer<Int32>, count: Int, maximumDepth: Int? = nil,
                       isCancelled: () -> Bool) -> VectorSortOutcome {
    quicksortRegisters(values, count, depth: maximumDepth ?? depthBound(count), Int32Lanes.self,
                       isCancelled: isCancelled) ? .sorted : .cancelled
}

/// Sorts `count` doubles, none of them NaN, in place, ascending by value; -0.0 and 0.0
/// are equal and may come out with their signs mixed up (as `sortAVX2`).
@inline(never)
public func sortAVX512(_ values: UnsafeMutablePointer<Double>, count: Int, maximumDepth: Int? = nil,
                       isCancelled: () -> Bool) -> VectorSortOutcome {
    quicksortRegisters(values, count, depth: maximumDepth ?? depthBound(count), DoubleLanes.self,
                       isCancelled: isCancelled) ? .sorted : .cancelled
}

/// Sorts `count` floats, none of them NaN; as the version for doubles.
@inline(never)
public func sortAVX512(_ values: UnsafeMutablePointer<Float>, count: Int, maximumDepth: Int? = nil,
                       isCancelled: () -> Bool) -> VectorSortOutcome {
    quicksortRegisters(values, count, depth: maximumDepth ?? depthBound(count), FloatLanes.self,
                       isCancelled: isCancelled) ? .sorted : .cancelled
}

// The splits for sorting the parts on several workers: `count` at least 16 registers
// (256 elements suffice for every width).

@inline(never)
public func splitAVX512(_ values: UnsafeMutablePointer<Int64>, count: Int) -> Int { splitRegisters(values, count, Int64Lanes.self) }
@inline(never)
public func splitAVX512(_ values: UnsafeMutablePointer<Int32>, count: Int) -> Int { splitRegisters(values, count, Int32Lanes.self) }
@inline(never)
public func splitAVX512(_ values: UnsafeMutablePointer<Double>, count: Int) -> Int { splitRegisters(values, count, DoubleLanes.self) }
@inline(never)
public func splitAVX512(_ values: UnsafeMutablePointer<Float>, count: Int) -> Int { splitRegisters(values, count, FloatLanes.self) }

// Partitions by a given pivot, for splitting one range among several workers (each
// partitions a piece with the same pivot; FastKernels then swaps the misplaced
// elements across the pieces). Returns how many elements are below `pivot` (they come
// first). Any count: pieces under two registers are partitioned element by element.

@inline(__always)
func partitionPiece<L: Lanes512>(_ p: UnsafeMutablePointer<L.Scalar>, _ n: Int, pivot: L.Scalar, _ lanes: L.Type) -> Int {
    if n >= 2 * L.width { return partitionRegisters(p, n, pivot: pivot, lanes) }
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
public func partitionAVX512(_ values: UnsafeMutablePointer<Int64>, count: Int, pivot: Int64) -> Int {
    partitionPiece(values, count, pivot: pivot, Int64Lanes.self)
}
@inline(never)
public func partitionAVX512(_ values: UnsafeMutablePointer<Int32>, count: Int, pivot: Int32) -> Int {
    partitionPiece(values, count, pivot: pivot, Int32Lanes.self)
}
@inline(never)
public func partitionAVX512(_ values: UnsafeMutablePointer<Double>, count: Int, pivot: Double) -> Int {
    partitionPiece(values, count, pivot: pivot, DoubleLanes.self)
}
@inline(never)
public func partitionAVX512(_ values: UnsafeMutablePointer<Float>, count: Int, pivot: Float) -> Int {
    partitionPiece(values, count, pivot: pivot, FloatLanes.self)
}

// MARK: - Zeros and NaNs before a sort of floats

/// The index of the first of `values` that is -0.0, +0.0 or NaN, or `count` when none is:
/// a sort of floats needs the exact counts (`scanFloatsAVX2`) only from there on, and random
/// floats have neither. Four registers a test (`FloatLanes512.zeroOrNaNMask`).
@inline(__always)
func firstZeroOrNaN<L: FloatLanes512>(_ p: UnsafePointer<L.Scalar>, _ count: Int, _: L.Type) -> Int {
    let width = L.width
    var i = 0
    while i &+ 4 &* width <= count {
        if L.zeroOrNaNMask(loadRegister(p + i)) | L.zeroOrNaNMask(loadRegister(p + (i &+ width)))
            | L.zeroOrNaNMask(loadRegister(p + (i &+ 2 &* width))) | L.zeroOrNaNMask(loadRegister(p + (i &+ 3 &* width))) != 0 {
            break
        }
        i &+= 4 &* width
    }
    while i < count {
        if p[i] == 0 || p[i].isNaN { return i }
        i &+= 1
    }
    return count
}

@inline(never)
public func firstZeroOrNaNAVX512(_ values: UnsafePointer<Double>, count: Int) -> Int {
    firstZeroOrNaN(values, count, DoubleLanes.self)
}

@inline(never)
public func firstZeroOrNaNAVX512(_ values: UnsafePointer<Float>, count: Int) -> Int {
    firstZeroOrNaN(values, count, FloatLanes.self)
}

// The two linear passes of the packed-key sort of list items (FastKernels/KeyedItems.swift), built
// for Haswell: FastKernels calls them only on a CPU with AVX2, where the packed sort runs at all.
// In the baseline module both were scalar or two lanes wide: on lists of 100 floats, the packing
// and the scan for colliding prefixes took 15% of a sort.

/// Writes the packed key of each of `count` items: the item's key less `least`, shifted right by
/// `shift` and left by `indexBits`, its index in the low bits (62 bits in all), plus 2^52. The
/// result is the bit pattern of a positive, normal, finite double, and the doubles' order is
/// the packings' (the quicksort of doubles then sorts them: AVX2 has min and max of doubles,
/// not of 64-bit integers; normal, so that a CPU told to treat subnormals as zero (DAZ) still
/// tells them apart).
/// - Parameters:
///   - keys: the first of `count` keys, each followed by a word this pass does not read (the
///     items are 16 bytes: a key, an object).
///   - indexBits: at least the bits of `count - 1`; `shift` makes the prefix fit above them in
///     62 bits.
@inline(never)
public func packKeysAVX2(_ keys: UnsafePointer<UInt64>, _ count: Int, least: UInt64, shift: UInt64,
                         indexBits: UInt64, into packed: UnsafeMutablePointer<Int64>) {
    for i in 0..<count {
        let prefix = (keys[2 &* i] &- least) &>> shift
        packed[i] = Int64(bitPattern: (prefix &<< indexBits | UInt64(truncatingIfNeeded: i)) &+ (1 &<< 52))
    }
}

/// The first position from `start` on, in steps of 64, from which some pair of the next 65
/// packed keys has equal bits above the low `indexBits` (equal prefixes: their order needs
/// their full keys); or the first position from which fewer than 65 keys are left (the
/// caller looks at those one by one). Each block of 64 pairs without a branch, so that it
/// becomes vector compares (random keys rarely collide: most blocks are passed at once).
@inline(never)
public func collidingPrefixBlockAVX2(_ packed: UnsafePointer<Int64>, from start: Int, count: Int,
                                     indexBits: UInt64) -> Int {
    var block = start
    while block &+ 64 < count {
        var collides: UInt8 = 0
        for i in block..<block &+ 64 {
            let differing = UInt64(bitPattern: packed[i] ^ packed[i &+ 1]) &>> indexBits
            collides |= unsafeBitCast(differing == 0, to: UInt8.self)
        }
        if collides != 0 { return block }
        block &+= 64
    }
    return block
}

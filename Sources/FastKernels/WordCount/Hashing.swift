// Hashing and comparing tokens' bytes, eight bytes at a time. See docs/word_count.md.

/// The hash of a token of at most 16 bytes, from its two zero-padded words.
@inline(__always)
func shortHash(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F)
    h ^= h >> 32
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ (h >> 29)
}

/// A fast 64-bit hash of a byte string (8 bytes at a time, multiply-xorshift mixing).
///
/// Strings of 17 to 32 bytes (the long tokens most texts have: identifiers, long words,
/// words in Cyrillic or Chinese) are read as four words, the first 16 bytes and the last 16
/// (overlapping), and mixed in two independent chains: no loop and no branch on the length,
/// which changes from token to token and would mispredict. Longer strings hash 8 bytes at a
/// time and end with the last 8 (overlapping); shorter ones are read byte by byte (never past
/// their end).
///
/// With `lowering`, the hash of the bytes with their ASCII capitals lowered (as read: a
/// long token is hashed straight from the text, not from a lowered copy).
@inline(__always)
func wordHash(_ p: UnsafePointer<UInt8>, _ n: Int, lowering: Bool = false) -> UInt64 {
    @inline(__always) func word(_ offset: Int) -> UInt64 { loadWord(p, offset, lowering: lowering) }
    if n > 16 && n <= 32 {
        let head = (word(0) &* 0x9E37_79B9_7F4A_7C15) ^ (word(8) &* 0xC2B2_AE3D_27D4_EB4F)
        let tail = (word(n &- 16) &* 0x1656_67B1_9E37_79F9) ^ (word(n &- 8) &* 0x27D4_EB2F_1656_67C5)
        var h = (head ^ (head >> 29)) &+ (tail ^ (tail >> 31)) &+ UInt64(n)
        h = h &* 0xBF58_476D_1CE4_E5B9
        return h ^ (h >> 31)
    }
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
    var i = 0
    while i &+ 8 <= n {
        h = (h ^ word(i)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        i &+= 8
    }
    var tail: UInt64 = 0
    if n >= 8 {
        if i < n { tail = word(n &- 8) }
    } else {
        var shift: UInt64 = 0
        while i < n {
            let byte = p[i]
            tail |= UInt64(lowering ? lowerASCII(byte) : byte) << shift
            shift &+= 8
            i &+= 1
        }
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 31)
}

/// Byte equality, 8 bytes at a time; from 8 bytes on, the last partial word compared as
/// the 8 bytes that end both strings (as `wordHash` reads it). With `lowering`, `b`'s
/// bytes are compared with their ASCII capitals lowered.
@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int, lowering: Bool = false) -> Bool {
    @inline(__always) func difference(_ offset: Int) -> UInt64 {
        loadWord(a, offset, lowering: false) ^ loadWord(b, offset, lowering: lowering)
    }
    if n > 16 && n <= 32 {  // the first 16 bytes and the last 16, without a branch between (see wordHash)
        return difference(0) | difference(8) | difference(n &- 16) | difference(n &- 8) == 0
    }
    var i = 0
    while i &+ 8 <= n {
        if difference(i) != 0 { return false }
        i &+= 8
    }
    if i == n { return true }
    if n >= 8 { return difference(n &- 8) == 0 }
    while i < n {
        if a[i] != (lowering ? lowerASCII(b[i]) : b[i]) { return false }
        i &+= 1
    }
    return true
}

/// `source[0..<n]` into `target`, ASCII capitals lowered, eight bytes at a time; from 8
/// bytes on, the last partial eight as the eight bytes that end the string (overlapping,
/// no loop over a tail whose length changes from token to token).
@inline(__always)
func copyLoweringASCII(_ source: UnsafePointer<UInt8>, _ n: Int, to target: UnsafeMutablePointer<UInt8>) {
    let to = UnsafeMutableRawPointer(target)
    var k = 0
    while k &+ 8 <= n {
        to.storeBytes(of: loadWord(source, k, lowering: true), toByteOffset: k, as: UInt64.self)
        k &+= 8
    }
    if k == n { return }
    if n >= 8 {
        to.storeBytes(of: loadWord(source, n &- 8, lowering: true), toByteOffset: n &- 8, as: UInt64.self)
        return
    }
    while k < n {
        target[k] = lowerASCII(source[k])
        k &+= 1
    }
}

/// The 8 bytes at `p + offset`, with their ASCII capitals lowered when `lowering`.
@inline(__always)
func loadWord(_ p: UnsafePointer<UInt8>, _ offset: Int, lowering: Bool) -> UInt64 {
    let x = UnsafeRawPointer(p).loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    return lowering ? lowerASCII(x) : x
}

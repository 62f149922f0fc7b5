// Counting the words of a short text (a sentence, a paragraph, a web page) with the
// least fixed cost: one scratch block (on the stack when it fits), a scalar
// tokenizer, a table laid out as CPython's dicts are (dense entries in order of
// first occurrence, a small index of 16-bit positions that grows with the
// vocabulary), no objects, no threads, no locks. See docs/word_count.md and
// docs/sizes.md.

/// Texts up to this many bytes (48 KiB) are counted by `withShortTextWords`: on real
/// English, Spanish and Python source it was 1.2-1.5x faster than the general kernel
/// up to 48 KB and even at 64 KB (docs/sizes.md). At most 2^17 - 4: the index holds
/// 16-bit positions of at most n / 2 + 1 distinct tokens.
public let shortTextLimit = 3 << 14

/// What a token's bytes are, as `str.lower()` sees them.
public enum TokenLowering: Sendable {
    /// ASCII only, letters lowered: the bytes are the key.
    case ascii
    /// Non-ASCII characters whose `str.lower()` is themselves (Latin-1 and general
    /// punctuation, letters lowered): the bytes are the key.
    case lowered
    /// Other non-ASCII characters: the key is `str.lower()` of the bytes.
    case needsLower
}

/// A distinct token of a short text: where its (lowered) bytes are in the scratch
/// copy of the text, its count, its hash.
struct ShortTextEntry {
    var hash: UInt32
    var start: UInt32
    /// The length (bits 0-29) and the TokenLowering (bits 30-31: 0, 1, 2).
    var lengthAndKind: UInt32
    var count: UInt32
}

/// Any sequence of distinct tokens with their counts, in the order of their first
/// occurrence, that the Python adapter hands over to a Counter.
public protocol OrderedWordSequence: ~Copyable {
    /// How many distinct tokens.
    var count: Int { get }
    /// Calls `body` with the bytes of token `index` (ASCII letters lowered), its
    /// count and what its bytes are to `str.lower()`.
    func withToken<R, E: Error>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>, Int, TokenLowering) throws(E) -> R)
        throws(E) -> R
    /// A hint that token `index` will be read soon.
    func prefetch(_ index: Int)
    /// The tokens before `index` will not be read again.
    mutating func release(before index: Int)
}

extension WordList: OrderedWordSequence {}

/// The distinct tokens of a short text, valid during `withShortTextWords`'s body.
public struct ShortTextWords: ~Copyable, OrderedWordSequence {
    let text: UnsafePointer<UInt8>
    let entries: UnsafePointer<ShortTextEntry>
    public let count: Int

    @inline(__always)
    public func withToken<R, E: Error>(_ index: Int,
                                       _ body: (UnsafeBufferPointer<UInt8>, Int, TokenLowering) throws(E) -> R)
        throws(E) -> R {
        let entry = entries[index]
        let length = Int(entry.lengthAndKind & 0x3FFF_FFFF)
        let kind: TokenLowering = switch entry.lengthAndKind >> 30 { case 0: .ascii; case 1: .lowered; default: .needsLower }
        return try body(UnsafeBufferPointer(start: text + Int(entry.start), count: length), Int(entry.count), kind)
    }

    @inline(__always)
    public func prefetch(_ index: Int) {}

    @inline(__always)
    public mutating func release(before index: Int) {}
}

/// The bytes of scratch `withShortTextWords` needs for a text of `n` bytes: the
/// entries, the largest index, the lowered copy and 16 bytes of spaces after it.
@inline(__always)
func shortTextScratch(_ n: Int) -> (entries: Int, indexCapacity: Int, bytes: Int) {
    let entries = n / 2 + 1
    var capacity = 8
    while capacity < 2 * entries { capacity *= 2 }
    return (entries, capacity, entries * MemoryLayout<ShortTextEntry>.stride + capacity * 2 + n + 16)
}

/// The first index size; it doubles whenever the table is half full.
let shortTextFirstIndexCapacity = 64

/// Counts `Counter(text.lower().split())` of a short UTF-8 text (at most
/// `shortTextLimit` bytes; ASCII and Latin-1 letters lowered, tokens with other
/// characters left to the caller's str.lower()) and calls `body` with its distinct tokens in the order of their
/// first occurrence.
///
/// - Returns: what `body` returns; nil, without calling it, when the text is longer
///   than `shortTextLimit`, is not valid UTF-8 (the general kernel then reports
///   where) or its scratch memory cannot be had.
/// - Complexity: O(n) time (expected: one index probe per token); O(n) scratch
///   memory (about 11n bytes), on the stack up to 4 KiB.
public func withShortTextWords<R, E: Error>(_ text: UnsafeRawBufferPointer,
                                            _ body: (inout ShortTextWords) throws(E) -> R) throws(E) -> R? {
    let n = text.count
    guard n <= shortTextLimit else { return nil }
    let layout = shortTextScratch(n)
    // On the stack only when small: a thread may have as little as 32 KiB of it.
    if layout.bytes <= shortTextStackBytes {
        return try withUnsafeTemporaryAllocation(byteCount: layout.bytes, alignment: 16) { (scratch) throws(E) -> R? in
            try countShortText(text, scratch.baseAddress!, layout, body)
        }
    }
    guard let scratch = allocateChecked(UInt8.self, layout.bytes) else { return nil }
    defer { deallocateChecked(scratch, count: layout.bytes) }
    return try countShortText(text, UnsafeMutableRawPointer(scratch), layout, body)
}

/// Scratch up to this size is taken from the stack.
let shortTextStackBytes = 4096

@inline(__always)
func countShortText<R, E: Error>(_ text: UnsafeRawBufferPointer, _ scratch: UnsafeMutableRawPointer,
                                 _ layout: (entries: Int, indexCapacity: Int, bytes: Int),
                                 _ body: (inout ShortTextWords) throws(E) -> R) throws(E) -> R? {
    let n = text.count
    let entries = scratch.bindMemory(to: ShortTextEntry.self, capacity: layout.entries)
    let index = (scratch + layout.entries * MemoryLayout<ShortTextEntry>.stride)
        .bindMemory(to: UInt16.self, capacity: layout.indexCapacity)
    let lowered = (UnsafeMutableRawPointer(index) + layout.indexCapacity * 2).bindMemory(to: UInt8.self, capacity: n + 16)
    if let source = text.baseAddress?.assumingMemoryBound(to: UInt8.self) { copyLowering(source, lowered, n) }
    (lowered + n).initialize(repeating: 0x20, count: 16)  // spaces: every scan stops there
    guard let count = countShortTokens(lowered, n, entries, index, maximumCapacity: layout.indexCapacity) else {
        return nil
    }
    var words = ShortTextWords(text: lowered, entries: entries, count: count)
    return try body(&words)
}

/// Copies `n` bytes, lowering the capitals of ASCII and of Latin-1 (U+00C0-U+00DE
/// but U+00D7, whose UTF-8 is C3 80-9E: the second byte gets 0x20), eight bytes
/// at a time where they are all ASCII.
@inline(__always)
func copyLowering(_ source: UnsafePointer<UInt8>, _ target: UnsafeMutablePointer<UInt8>, _ n: Int) {
    var i = 0
    var previous: UInt8 = 0
    let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
    while i + 8 <= n {
        let word = from.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if word & highBits == 0 {
            to.storeBytes(of: lowerASCII(word), toByteOffset: i, as: UInt64.self)
            previous = 0
            i += 8
            continue
        }
        for k in i..<i + 8 {
            target[k] = loweredByte(source[k], after: previous)
            previous = source[k]
        }
        i += 8
    }
    while i < n {
        target[i] = loweredByte(source[i], after: previous)
        previous = source[i]
        i += 1
    }
}

@inline(__always)
func loweredByte(_ b: UInt8, after previous: UInt8) -> UInt8 {
    if b < 0x80 { return b &- 65 < 26 ? b | 0x20 : b }
    return previous == 0xC3 && b <= 0x9E && b != 0x97 ? b | 0x20 : b
}

/// True for the ASCII whitespace of str.isspace(): \t \n \v \f \r, \x1c-\x1f, space.
@inline(__always)
func isASCIISpace(_ b: UInt8) -> Bool {
    b <= 0x20 && (UInt64(0x1_F000_3E00) >> UInt64(b)) & 1 != 0
}

/// 1 when `str.lower()` leaves the (valid, lowered by `copyLowering`) UTF-8 sequence
/// of `size` bytes at `p` unchanged: U+0080-U+00FF (Latin-1, capitals already
/// lowered; the rest is punctuation, signs and small letters) and U+2000-U+207F
/// (general punctuation, super- and subscripts: none cased); 2 otherwise.
@inline(__always)
func loweringKind(_ p: UnsafePointer<UInt8>, _ size: Int) -> UInt32 {
    switch size {
    case 2: return p[0] <= 0xC3 ? 1 : 2
    case 3: return p[0] == 0xE2 && p[1] <= 0x81 ? 1 : 2
    default: return 2
    }
}

/// Splits the lowered text `p[0..<n]` (readable to n + 16, the 16 bytes past the end
/// spaces) into tokens and counts them into `entries` (in order of first occurrence)
/// through `index`.
/// - Returns: the number of distinct tokens, or nil for invalid UTF-8.
@inline(__always)
func countShortTokens(_ p: UnsafePointer<UInt8>, _ n: Int, _ entries: UnsafeMutablePointer<ShortTextEntry>,
                      _ index: UnsafeMutablePointer<UInt16>, maximumCapacity: Int) -> Int? {
    var capacity = min(shortTextFirstIndexCapacity, maximumCapacity)
    index.initialize(repeating: 0, count: capacity)
    let raw = UnsafeRawPointer(p)
    var distinct = 0
    var i = 0
    while i < n {
        // The next byte that is not ASCII whitespace (the spaces past the end stop the search).
        var bits = ~whitespaceMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & highBits
        while bits == 0 {
            i += 8
            if i >= n { break }
            bits = ~whitespaceMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & highBits
        }
        if bits == 0 { break }
        i += bits.trailingZeroBitCount >> 3
        if i >= n { break }
        let start = i
        var kind: UInt32 = 0
        if p[i] >= 0x80 {
            let size = sequenceLength(p, i, n)
            if size < 0 { return nil }
            if isUnicodeWhitespace(p, i, size) { i += size; continue }
        }
        // The token: up to the next whitespace; ASCII runs eight bytes at a time.
        while true {
            bits = separatorMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            while bits == 0 {
                i += 8
                bits = separatorMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            }
            i += bits.trailingZeroBitCount >> 3
            if i >= n || p[i] < 0x80 { break }  // ASCII whitespace or the end
            let size = sequenceLength(p, i, n)
            if size < 0 { return nil }
            if isUnicodeWhitespace(p, i, size) { break }
            kind = max(kind, loweringKind(p + i, size))
            i += size
        }
        i = min(i, n)
        let length = i - start
        let hash = shortTextHash(p + start, length)
        let tagged = UInt32(truncatingIfNeeded: length) | kind << 30
        var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while true {
            let position = Int(index[slot])
            if position == 0 {
                entries[distinct] = ShortTextEntry(hash: hash, start: UInt32(truncatingIfNeeded: start),
                                                   lengthAndKind: tagged, count: 1)
                distinct += 1
                index[slot] = UInt16(truncatingIfNeeded: distinct)
                if distinct * 2 > capacity && capacity < maximumCapacity {
                    capacity *= 2
                    reindex(entries, distinct, index, capacity)
                }
                break
            }
            let entry = entries + (position - 1)
            if entry.pointee.hash == hash && entry.pointee.lengthAndKind == tagged
                && shortTextEqual(p + Int(entry.pointee.start), p + start, length) {
                entry.pointee.count &+= 1
                break
            }
            slot = (slot + 1) & (capacity - 1)
        }
    }
    return distinct
}

/// Equality of two tokens of a short text (readable up to 16 bytes past their ends).
@inline(__always)
func shortTextEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ length: Int) -> Bool {
    guard length <= 16 else { return bytesEqual(a, b, length) }
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    let first = ra.loadUnaligned(as: UInt64.self) ^ rb.loadUnaligned(as: UInt64.self)
    if length <= 8 { return first & lowBytesMask(length) == 0 }
    let second = ra.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ rb.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    return first == 0 && second & lowBytesMask(length - 8) == 0
}

/// The low `count` bytes (0-8) of a word set.
@inline(__always)
func lowBytesMask(_ count: Int) -> UInt64 {
    count >= 8 ? ~0 : (1 << UInt64(8 * count)) &- 1
}

/// Rebuilds the index at a new capacity from the entries.
func reindex(_ entries: UnsafePointer<ShortTextEntry>, _ count: Int, _ index: UnsafeMutablePointer<UInt16>,
             _ capacity: Int) {
    index.initialize(repeating: 0, count: capacity)
    for position in 0..<count {
        var slot = Int(truncatingIfNeeded: entries[position].hash) & (capacity - 1)
        while index[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
        index[slot] = UInt16(truncatingIfNeeded: position + 1)
    }
}

/// The hash of a token of a short text (its bytes readable and zero up to 16 past its end).
@inline(__always)
func shortTextHash(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
    let hash: UInt64
    if length <= 16 {
        let raw = UnsafeRawPointer(p)
        var key0 = raw.loadUnaligned(as: UInt64.self), key1 = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        if length <= 8 {
            key0 &= lowBytesMask(length)
            key1 = 0
        } else {
            key1 &= lowBytesMask(length - 8)
        }
        hash = shortHash(key0, key1 ^ UInt64(length))
    } else {
        hash = wordHash(p, length)
    }
    return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
}

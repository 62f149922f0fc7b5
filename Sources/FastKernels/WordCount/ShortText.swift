import CPUFeatures

// Counting the words of a text below 1 MiB (a sentence, a paragraph, a web page, a
// chapter) with the least fixed cost: one scratch block (on the stack when it fits),
// a tokenizer walking 64-byte masks, a table laid out as CPython's dicts are (dense entries in order of
// first occurrence, a small index of 32-bit positions that grows with the
// vocabulary), no objects, no locks; from 128 KiB, two halves on two threads, their tables
// merged. See docs/word_count.md and docs/sizes.md.

/// Texts up to this many bytes (all below the size from which several workers may
/// count, 1 MiB) are counted by `withShortTextWords`, in one pass over one scratch
/// block: on real English, Spanish and Python source it took 0.7-0.9x the time of
/// the general kernel (its windows of masks, pending-token ring, tables kept and
/// compacted, result list) at every size from a sentence to 1 MB (docs/sizes.md).
public let shortTextLimit = parallelWordCountThreshold - 1

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

/// A distinct token of a short text: its first 16 bytes (zero-padded), where its
/// (lowered) bytes are in the scratch copy of the text, its count, its hash.
struct ShortTextEntry {
    var key0: UInt64
    var key1: UInt64
    var hash: UInt32
    var start: UInt32
    /// The length (bits 0-29) and the TokenLowering (bits 30-31: 0, 1, 2).
    var lengthAndKind: UInt32
    var count: UInt32

    var length: Int { Int(lengthAndKind & 0x3FFF_FFFF) }
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
    /// The first 16 bytes of token `index` as two zero-padded words, and its length
    /// (the words are meaningful for tokens of up to 16 bytes only).
    func keys(_ index: Int) -> (key0: UInt64, key1: UInt64, length: Int)
    /// A hint that token `index` will be read soon.
    func prefetch(_ index: Int)
    /// The tokens before `index` will not be read again.
    mutating func release(before index: Int)
    /// False when no token is `.needsLower` (the caller may skip looking for them).
    var mayNeedLower: Bool { get }
}

extension OrderedWordSequence where Self: ~Copyable {
    public var mayNeedLower: Bool { true }
}

extension WordList: OrderedWordSequence {}

/// Starts loading the cache line at `address` (a hint; no effect on results).
@inline(__always)
public func prefetchForRead(_ address: UnsafeRawPointer) {
    fk_prefetch_for_read(address)
}

/// The distinct tokens of a short text, valid during `withShortTextWords`'s body.
public struct ShortTextWords: ~Copyable, OrderedWordSequence {
    let text: UnsafePointer<UInt8>
    let entries: UnsafePointer<ShortTextEntry>
    public let count: Int
    public let mayNeedLower: Bool

    init(text: UnsafePointer<UInt8>, entries: UnsafePointer<ShortTextEntry>, count: Int) {
        self.text = text
        self.entries = entries
        self.count = count
        // Any entry of kind .needsLower (2, in the top bits): one pass over the kinds, a few
        // instructions an entry, where the caller's search went token by token.
        var kinds: UInt32 = 0
        for index in 0..<count { kinds |= entries[index].lengthAndKind }
        mayNeedLower = kinds >> 31 != 0
    }

    @inline(__always)
    public func withToken<R, E: Error>(_ index: Int,
                                       _ body: (UnsafeBufferPointer<UInt8>, Int, TokenLowering) throws(E) -> R)
        throws(E) -> R {
        let entry = entries[index]
        let kind: TokenLowering = switch entry.lengthAndKind >> 30 { case 0: .ascii; case 1: .lowered; default: .needsLower }
        return try body(UnsafeBufferPointer(start: text + Int(entry.start), count: entry.length), Int(entry.count), kind)
    }

    @inline(__always)
    public func keys(_ index: Int) -> (key0: UInt64, key1: UInt64, length: Int) {
        let entry = entries[index]
        return (entry.key0, entry.key1, entry.length)
    }

    @inline(__always)
    public func prefetch(_ index: Int) {}

    @inline(__always)
    public mutating func release(before index: Int) {}
}

/// How `withShortTextWords` lays out its scratch for a text of `n` bytes: the entries
/// (room for every token of the text), the largest index, the lowered copy padded with spaces
/// to whole 64-byte blocks (at least 16 of them), the blocks' whitespace and non-ASCII masks,
/// and, counted in two halves, an index for the second half (`secondIndexCapacity` slots; 0:
/// counted in one pass).
struct ShortTextLayout {
    let entries: Int
    let indexCapacity: Int
    let secondIndexCapacity: Int
    let blocks: Int

    init(_ n: Int, halves: Bool) {
        entries = n / 2 + 2
        indexCapacity = indexCapacityFor(entries)
        // The second half has at most n - n/2 - 1 bytes (the cut follows whitespace from n/2 on).
        secondIndexCapacity = halves ? indexCapacityFor((n - n / 2) / 2 + 2) : 0
        blocks = (n + 16 + 63) >> 6
    }

    var bytes: Int {
        entries * MemoryLayout<ShortTextEntry>.stride + blocks * 16 + (indexCapacity + secondIndexCapacity) * 4 + blocks * 64
    }

    /// The layout for a count by `workers`: in two halves from `shortTextHalvesMinimum` bytes,
    /// but not where that would leave this thread's kept block for fresh memory (a page fault
    /// per 4 KiB touched: slower than one thread; every text below 1 MiB fits today).
    static func forCount(_ n: Int, workers: Int) -> ShortTextLayout {
        let single = ShortTextLayout(n, halves: false)
        guard workers > 1 && n >= shortTextHalvesMinimum else { return single }
        let halves = ShortTextLayout(n, halves: true)
        return halves.bytes <= sparseKeptScratchLimit || single.bytes > sparseKeptScratchLimit ? halves : single
    }
}

/// Index slots for up to `entries` entries: a power of two, at least twice as many.
@inline(__always)
func indexCapacityFor(_ entries: Int) -> Int {
    var capacity = 8
    while capacity < 2 * entries { capacity *= 2 }
    return capacity
}

/// Texts of at least this many bytes are counted in two halves at once when the call may
/// use two workers (`benchmarks/calibrate_threads.py`, `word_count_short_halves`: docs/threads.md).
public let shortTextHalvesMinimum = 1 << 17

/// The smallest first index size; it doubles whenever the table is half full.
let shortTextFirstIndexCapacity = 64

/// An index size that holds the distinct words of `bytes` bytes of English prose at most a
/// quarter full, so that its index need not double on the way and most lookups find their
/// entry at the first slot: about 2^(0.7 log2(bytes) + 2) slots (Heaps' law; fitted to the
/// prose of benchmarks/sizes.py: 108 distinct words in 1,000 characters, 3,090 in 100,000: 512
/// and 16,384 slots). Half full, as until 2026-12-06, many lookups at 100,000 characters
/// went on to a second slot (1.3 probes a lookup expected at the load prose reached), a
/// branch the CPU mispredicts: A/B at threads=1, the quarter-full index counted 100 KB and
/// 900 KB of prose 5% faster, 1 KB and 10 KB alike (an eighth full: another 1-2% at 100 KB,
/// nothing at 900 KB). Texts with more distinct words grow their index as before; one with
/// fewer clears a few unused slots (at 100 KB, 64 KiB).
@inline(__always)
func proseIndexCapacity(_ bytes: Int) -> Int {
    let bits = 64 - bytes.leadingZeroBitCount
    return 1 << min((7 * bits + 5) / 10 + 2, 30)
}

/// Counts `Counter(text.lower().split())` of a short UTF-8 text (at most
/// `shortTextLimit` bytes; ASCII and Latin-1 letters lowered, tokens with other
/// characters left to the caller's str.lower()) and calls `body` with its distinct tokens in the order of their
/// first occurrence.
///
/// - Returns: what `body` returns; nil, without calling it, when the text is longer
///   than `shortTextLimit`, is not valid UTF-8 (the general kernel then reports
///   where) or its scratch memory cannot be had.
/// - Parameter workers: with 2 or more, texts of `shortTextHalvesMinimum` bytes and more
///   are counted in two halves on two threads, the second half's counts then merged
///   into the first's (the same tokens, counts and order).
/// - Parameter counting: runs the count it is given (the Python adapter: with the GIL
///   released, for long texts); the body then runs on the caller's thread.
/// - Complexity: O(n) time (expected: one index probe per token); O(n) scratch
///   memory (up to about 25n bytes, of which about 1.3n bytes plus 50 per distinct token
///   are touched), on the stack up to 4 KiB.
public func withShortTextWords<R, E: Error>(_ text: UnsafeRawBufferPointer, workers: Int = 1,
                                            counting: (() -> Int?) throws(E) -> Int?,
                                            _ body: (inout ShortTextWords) throws(E) -> R) throws(E) -> R? {
    let n = text.count
    guard n <= shortTextLimit else { return nil }
    let layout = ShortTextLayout.forCount(n, workers: workers)
    // On the stack up to 1 KiB, then this thread's kept block (a thread may have as little
    // as 32 KiB of stack; withTemporaryMemory never traps): nil only when no memory at all.
    if layout.bytes <= shortTextStackBytes {
        let counted = try withTemporaryMemory(of: SIMD16<UInt8>.self, capacity: (layout.bytes + 15) / 16) {
            (scratch) throws(E) -> R? in
            try countShortText(text, UnsafeMutableRawPointer(scratch), layout, counting, body)
        }
        return counted ?? nil
    }
    // This thread's kept block, up to 32 MiB (every text below 1 MiB): fresh memory would
    // cost a page fault per 4 KiB touched on every call (malloc maps blocks from 2 MiB, and
    // gives back the top of its heap). Most of the entries and index are never touched, and
    // only the pages touched become resident. Without it (the block in use, or no memory for
    // it): mapped in small pages.
    guard let scratch = KeptScratch(bytes: layout.bytes, hugePages: false, limit: sparseKeptScratchLimit) else {
        return nil
    }
    return try countShortText(text, scratch.base, layout, counting, body)
}

/// Scratch up to this size is taken from the stack.
let shortTextStackBytes = 4096

@inline(__always)
func countShortText<R, E: Error>(_ text: UnsafeRawBufferPointer, _ scratch: UnsafeMutableRawPointer,
                                 _ layout: ShortTextLayout,
                                 _ counting: (() -> Int?) throws(E) -> Int?,
                                 _ body: (inout ShortTextWords) throws(E) -> R) throws(E) -> R? {
    let n = text.count
    let entries = scratch.bindMemory(to: ShortTextEntry.self, capacity: layout.entries)
    let masks = (scratch + layout.entries * MemoryLayout<ShortTextEntry>.stride)
        .bindMemory(to: UInt64.self, capacity: 2 * layout.blocks)
    let index = UnsafeMutableRawPointer(masks + 2 * layout.blocks).bindMemory(to: UInt32.self, capacity: layout.indexCapacity)
    let lowered = (UnsafeMutableRawPointer(index) + (layout.indexCapacity + layout.secondIndexCapacity) * 4)
        .bindMemory(to: UInt8.self, capacity: layout.blocks * 64)
    let counted = try counting {
        // The whole blocks copied with their ASCII capitals lowered as their masks are found (one
        // pass); the rest copied, padded with spaces (every scan stops there), then masked.
        let whole = n >> 6
        if let source = text.baseAddress?.assumingMemoryBound(to: UInt8.self) {
            if whole > 0 { computeBoundaryMasksLowering(source, whole, lowered, masks, masks + layout.blocks) }
            copyLowering(source + whole * 64, lowered + whole * 64, n - whole * 64)
        }
        (lowered + n).initialize(repeating: 0x20, count: layout.blocks * 64 - n)
        computeBoundaryMasks(lowered + whole * 64, layout.blocks - whole, masks + whole, masks + layout.blocks + whole)
        if layout.secondIndexCapacity > 0, let middle = halvesBoundary(n, masks) {
            return countShortTokensInHalves(lowered, n, middle: middle, masks, masks + layout.blocks, entries,
                                            (index, layout.indexCapacity),
                                            (index + layout.indexCapacity, layout.secondIndexCapacity))
        }
        var table = ShortTextTable(entries: entries, index: index, maximumCapacity: layout.indexCapacity, textBytes: n)
        return countShortTokens(lowered, n, from: 0, to: n, masks, masks + layout.blocks, &table)
    }
    guard let count = counted else { return nil }
    var words = ShortTextWords(text: lowered, entries: entries, count: count)
    return try body(&words)
}

/// Copies `n` bytes, ASCII capitals lowered, eight bytes at a time (bytes from 0x80 on
/// are copied as they are; the tokenizer lowers the Latin-1 capitals it meets).
@inline(__always)
func copyLowering(_ source: UnsafePointer<UInt8>, _ target: UnsafeMutablePointer<UInt8>, _ n: Int) {
    var i = 0
    let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
    while i + 8 <= n {
        to.storeBytes(of: lowerASCII(from.loadUnaligned(fromByteOffset: i, as: UInt64.self)), toByteOffset: i,
                      as: UInt64.self)
        i += 8
    }
    while i < n {
        let b = source[i]
        target[i] = b &- 65 < 26 ? b | 0x20 : b
        i += 1
    }
}

/// 1 when `str.lower()` leaves the valid UTF-8 sequence of `size` bytes at `p` unchanged
/// as far as `lowerKeepsCharacter` knows (U+00C0-U+00FF, whose capitals the tokenizer
/// lowers, do not come here); 2 otherwise. Until 2026-12-07 only U+0080-U+00BF and
/// U+2000-U+207F: each word of a short Russian text went through str.lower(), and
/// word_count of 1,000 characters of Russian prose took longer than the idiom (0.7x).
@inline(__always)
func loweringKind(_ p: UnsafePointer<UInt8>, _ size: Int) -> UInt32 {
    lowerKeepsCharacter(p, size) ? 1 : 2
}

/// Where a text of `n` bytes is cut in two halves: just after the first ASCII whitespace byte
/// from its middle on (no token spans it), or nil when there is none before the end.
@inline(__always)
func halvesBoundary(_ n: Int, _ whitespace: UnsafePointer<UInt64>) -> Int? {
    let middle = n / 2
    var block = middle >> 6
    var bits = whitespace[block] & (~0 << UInt64(middle & 63))
    while bits == 0 {
        block += 1
        if block << 6 >= n { return nil }
        bits = whitespace[block]
    }
    let position = block << 6 | bits.trailingZeroBitCount
    return position + 1 < n ? position + 1 : nil
}

/// Counts the tokens of `p[0..<n]` as `countShortTokens` does, those that start before
/// `middle` (where `p[middle - 1]` is ASCII whitespace) on this thread into `entries` and
/// `index` (slots for all the text's tokens), the others at once on another into the entries
/// that follow (room for `middle / 2 + 1` is left) and `secondIndex`; then adds the second half's counts to the
/// first's, its new tokens after the first's in their order: the order of first occurrence.
/// - Returns: the number of distinct tokens (in `entries`), or nil for invalid UTF-8.
func countShortTokensInHalves(_ p: UnsafePointer<UInt8>, _ n: Int, middle: Int, _ whitespace: UnsafePointer<UInt64>,
                              _ nonASCII: UnsafePointer<UInt64>, _ entries: UnsafeMutablePointer<ShortTextEntry>,
                              _ index: (UnsafeMutablePointer<UInt32>, capacity: Int),
                              _ secondIndex: (UnsafeMutablePointer<UInt32>, capacity: Int)) -> Int? {
    let secondEntries = entries + (middle / 2 + 1)
    var first = ShortTextTable(entries: entries, index: index.0, maximumCapacity: index.capacity, textBytes: middle)
    var second = ShortTextTable(entries: secondEntries, index: secondIndex.0, maximumCapacity: secondIndex.capacity,
                                textBytes: n - middle)
    // The first half's last keys are read 16 bytes at a time, up to 16 bytes into the second
    // half, whose Latin-1 capitals are lowered in place as they are met: lowered here first
    // (the tokenizer leaves lowered ones alone), nothing the first thread reads is written meanwhile.
    let text = UnsafeMutablePointer(mutating: p)
    for i in middle..<min(middle + 16, n - 1) where p[i] == 0xC3 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9E && p[i + 1] != 0x97 {
        text[i + 1] |= 0x20
    }
    var firstCount: Int? = nil, secondCount: Int? = nil
    runWorkers(2) { worker, _ in
        if worker == 0 {
            firstCount = countShortTokens(p, n, from: 0, to: middle, whitespace, nonASCII, &first)
        } else {
            secondCount = countShortTokens(p, n, from: middle, to: n, whitespace, nonASCII, &second)
        }
    }
    guard firstCount != nil, let secondDistinct = secondCount else { return nil }
    // The first table appends at most one entry per entry of the second read, and its
    // entries end where the second's begin: an append never overwrites one not yet read.
    for position in 0..<secondDistinct {
        first.merge(secondEntries[position], p)
    }
    return first.distinct
}

/// Splits the lowered text `p[0..<n]` (followed by spaces to the end of its last
/// 64-byte block, at least 16) into tokens and counts those that start in `from..<end`
/// (`from` is 0 or follows whitespace; a token that starts before `end` ends before it, or
/// at `n`) into `table`. Tokens are taken from a mask of their starts, a block at a time (a
/// byte that is not ASCII whitespace after one that is: `tokenStarts`), so that finding the
/// next token depends only on clearing the lowest bit of that mask, not on where the last one
/// ended: the lookups of several tokens overlap. Until 2026-12-06 the walk went from each
/// token's end to the next start through two loads and two trailing-zero counts of the masks,
/// about 25 cycles a token on its own.
/// - Returns: the number of distinct tokens, or nil for invalid UTF-8.
@inline(__always)
func countShortTokens(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int, to end: Int, _ whitespace: UnsafePointer<UInt64>,
                      _ nonASCII: UnsafePointer<UInt64>, _ table: inout ShortTextTable) -> Int? {
    table.index.initialize(repeating: 0, count: table.capacity)
    guard from < end else { return table.distinct }
    let raw = UnsafeRawPointer(p)
    // (Wrapping arithmetic: positions are far from overflowing, and the checks cost
    // instructions on every token.)
    var block = from &>> 6
    var starts = tokenStarts(block, whitespace) & (~0 &<< UInt64(from & 63))
    while true {
        while starts == 0 {
            block &+= 1
            if block &<< 6 >= end { return table.distinct }
            starts = tokenStarts(block, whitespace)
        }
        let start = block &<< 6 | starts.trailingZeroBitCount
        starts &= starts &- 1
        if start >= end { return table.distinct }
        // Its run of ASCII bytes: up to the next whitespace or non-ASCII byte.
        let i = nextSeparator(from: start, whitespace, nonASCII)
        let length = i &- start
        if p[i] < 0x80 && length <= 16 {
            // Most tokens: up to 16 ASCII bytes, then ASCII whitespace (or the end).
            let (mask0, mask1) = tokenMasks(length)
            let key0 = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self) & mask0
            let key1 = raw.loadUnaligned(fromByteOffset: start &+ 8, as: UInt64.self) & mask1
            table.add(key0: key0, key1: key1, tagged: UInt32(truncatingIfNeeded: length), start: start, p)
            continue
        }
        // The others (longer, or with non-ASCII characters), and the tokens after them up to
        // the next ASCII whitespace: no token starts before it, so the mask of starts goes on.
        guard countOtherTokens(p, n, from: start, whitespace, nonASCII, &table) else { return nil }
    }
}

/// The starts of tokens in a block of 64 bytes: bytes that are not ASCII whitespace after one that
/// is (the byte before the text counts as whitespace).
@inline(__always)
func tokenStarts(_ block: Int, _ whitespace: UnsafePointer<UInt64>) -> UInt64 {
    let before = block == 0 ? 1 : whitespace[block &- 1] &>> 63
    let spaces = whitespace[block]
    return ~spaces & (spaces &<< 1 | before)
}

/// Counts the tokens from `start` (a token that is longer than 16 bytes or has non-ASCII
/// bytes) up to the next ASCII whitespace: runs of non-ASCII characters validated and looked
/// up as `str.lower()` sees them, Unicode whitespace between tokens skipped.
/// - Returns: false for invalid UTF-8.
@inline(never)
func countOtherTokens(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int, _ whitespace: UnsafePointer<UInt64>,
                      _ nonASCII: UnsafePointer<UInt64>, _ table: inout ShortTextTable) -> Bool {
    let raw = UnsafeRawPointer(p)
    var start = start
    while true {
        // Here `p[start]` is not ASCII whitespace: a token, or Unicode whitespace, starts.
        var i = nextSeparator(from: start, whitespace, nonASCII)
        var kind: UInt32 = 0
        if i == start {
            let size = sequenceLength(p, i, n)
            if size < 0 { return false }
            if isUnicodeWhitespace(p, i, size) {
                start = i + size
                if isASCIIWhitespace(p[start]) { return true }  // (spaces follow the text)
                continue
            }
        }
        while p[i] >= 0x80 {
            let lead = p[i], second = p[i + 1]
            if lead >= 0xC3 && lead <= 0xDF && second & 0xC0 == 0x80 && i + 1 < n {
                // A two-byte letter (Latin-1, Greek, Cyrillic, Hebrew, Arabic...): never whitespace.
                let text = UnsafeMutablePointer(mutating: p)
                if lead == 0xC3 {
                    // U+00C0-U+00FF: the capitals (C3 80-9E but 97) lowered in place.
                    if second <= 0x9E && second != 0x97 { text[i + 1] = second | 0x20 }
                    kind = max(kind, 1)
                } else if lead == 0xD0 && second < 0xB0 {
                    // The Cyrillic capitals U+0400-U+042F lowered in place, as lower() does:
                    // U+0400-U+040F to U+0450-U+045F (D1 90-9F), U+0410-U+042F to U+0430-U+044F
                    // (D0 B0-BF, D1 80-8F).
                    if second < 0x90 {
                        (text[i], text[i + 1]) = (0xD1, second + 0x10)
                    } else if second < 0xA0 {
                        text[i + 1] = second + 0x20
                    } else {
                        (text[i], text[i + 1]) = (0xD1, second - 0x20)
                    }
                    kind = max(kind, 1)
                } else {
                    kind = max(kind, loweringKind(p + i, 2))
                }
                i += 2
            } else {
                let size = sequenceLength(p, i, n)
                if size < 0 { return false }
                if isUnicodeWhitespace(p, i, size) { break }
                kind = max(kind, loweringKind(p + i, size))
                i += size
            }
            i = nextSeparator(from: i, whitespace, nonASCII)
        }
        let total = i - start
        let key0 = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self) & lowBytesMask(total)
        let key1 = raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self) & lowBytesMask(total - 8)
        table.add(key0: key0, key1: key1, tagged: UInt32(truncatingIfNeeded: total) | kind << 30, start: start, p)
        // Ended by ASCII whitespace (or the end of the text: spaces follow), or by Unicode
        // whitespace, which the next round skips.
        if p[i] < 0x80 { return true }
        start = i
    }
}

/// The first position from `position` on that holds ASCII whitespace or a non-ASCII byte
/// (the spaces past the end of the text stop the search).
@inline(__always)
func nextSeparator(from position: Int, _ whitespace: UnsafePointer<UInt64>, _ nonASCII: UnsafePointer<UInt64>) -> Int {
    var block = position &>> 6
    var bits = (whitespace[block] | nonASCII[block]) & (~0 &<< UInt64(position & 63))
    while bits == 0 {
        block &+= 1
        bits = whitespace[block] | nonASCII[block]
    }
    return block &<< 6 | bits.trailingZeroBitCount
}

/// The entries and index of a short text's tokens.
struct ShortTextTable {
    let entries: UnsafeMutablePointer<ShortTextEntry>
    let index: UnsafeMutablePointer<UInt32>
    var capacity: Int
    let maximumCapacity: Int
    var distinct = 0

    /// An empty table for the tokens of `textBytes` bytes of text (its index is cleared by
    /// `countShortTokens`), its index sized for the distinct words of that much prose.
    init(entries: UnsafeMutablePointer<ShortTextEntry>, index: UnsafeMutablePointer<UInt32>, maximumCapacity: Int,
         textBytes: Int) {
        self.entries = entries
        self.index = index
        self.capacity = min(max(shortTextFirstIndexCapacity, proseIndexCapacity(textBytes)), maximumCapacity)
        self.maximumCapacity = maximumCapacity
    }

    /// Adds `other` (a token counted once, or an entry of another table of the same text) to
    /// its entry here, or appends it when it has none.
    @inline(__always)
    mutating func merge(_ other: ShortTextEntry, _ p: UnsafePointer<UInt8>) {
        let length = other.length
        var slot = Int(truncatingIfNeeded: other.hash) & (capacity &- 1)
        while true {
            let position = Int(index[slot])
            if position == 0 {
                append(other, slot: slot)
                return
            }
            let entry = entries + (position &- 1)
            if (entry.pointee.key0 ^ other.key0) | (entry.pointee.key1 ^ other.key1)
                | UInt64(entry.pointee.lengthAndKind ^ other.lengthAndKind) == 0
                && (length <= 16 || bytesEqual(p + Int(entry.pointee.start) + 16, p + Int(other.start) + 16, length - 16)) {
                entry.pointee.count &+= other.count
                return
            }
            slot = (slot &+ 1) & (capacity &- 1)
        }
    }

    /// Appends a new entry, its position stored at the empty `slot`; the index grows when half full.
    @inline(__always)
    mutating func append(_ entry: ShortTextEntry, slot: Int) {
        entries[distinct] = entry
        distinct &+= 1
        index[slot] = UInt32(truncatingIfNeeded: distinct)
        if distinct &* 2 > capacity && capacity < maximumCapacity {
            capacity *= 2
            reindex(entries, distinct, index, capacity)
        }
    }

    /// Counts the token at `p[start...]` whose first 16 bytes (zero-padded) are `key0`,
    /// `key1`, and whose length and kind are `tagged`.
    @inline(__always)
    mutating func add(key0: UInt64, key1: UInt64, tagged: UInt32, start: Int, _ p: UnsafePointer<UInt8>) {
        let length = Int(tagged & 0x3FFF_FFFF)  // ShortTextEntry.length of the entry it becomes
        let hash = length <= 16 ? shortTextHash(key0, key1, length) : shortTextHash(p + start, length)
        merge(ShortTextEntry(key0: key0, key1: key1, hash: hash, start: UInt32(truncatingIfNeeded: start),
                             lengthAndKind: tagged, count: 1), p)
    }
}

/// The masks of a token's first and second 8 bytes for a token of `length` (1...16)
/// bytes: its low `length` bytes set. Two masking shifts and a select, where
/// `lowBytesMask` of `length` and `length - 8` took twice the instructions.
@inline(__always)
func tokenMasks(_ length: Int) -> (UInt64, UInt64) {
    let first = UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- 8 &* min(length, 8))
    let second = length > 8 ? UInt64.max &>> UInt64(truncatingIfNeeded: 128 &- 8 &* length) : 0
    return (first, second)
}

/// The low `count` bytes of a word set (none for `count` <= 0, all for `count` >= 8),
/// without a branch.
@inline(__always)
func lowBytesMask(_ count: Int) -> UInt64 {
    ~(~0 << UInt64(8 * min(max(count, 0), 8)))
}

/// Rebuilds the index at a new capacity from the entries.
func reindex(_ entries: UnsafePointer<ShortTextEntry>, _ count: Int, _ index: UnsafeMutablePointer<UInt32>,
             _ capacity: Int) {
    index.initialize(repeating: 0, count: capacity)
    for position in 0..<count {
        var slot = Int(truncatingIfNeeded: entries[position].hash) & (capacity - 1)
        while index[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
        index[slot] = UInt32(truncatingIfNeeded: position + 1)
    }
}

/// The hash of a token of at most 16 bytes, from its zero-padded words and length.
@inline(__always)
func shortTextHash(_ key0: UInt64, _ key1: UInt64, _ length: Int) -> UInt32 {
    let hash = shortHash(key0, key1 ^ UInt64(length))
    return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
}

/// The hash of a longer token.
@inline(__always)
func shortTextHash(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
    let hash = wordHash(p, length)
    return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
}

import CPUFeatures

// Splitting UTF-8 text into Python's tokens (str.split()) and lowering ASCII,
// eight bytes at a time. See docs/word_count.md.
//
// - Tokens are split on Python's whitespace (str.isspace: the ASCII ones,
//   \x1c-\x1f, and U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
//   U+202F, U+205F, U+3000).
// - ASCII letters are lowered here. A token with any non-ASCII character is
//   counted as it is (ASCII letters lowered) and lowered later by the
//   interpreter's own str.lower(). Lowering tokens one by one equals lowering
//   the text, because no whitespace character is cased or case-ignorable (the
//   final-sigma rule cannot see across whitespace).
// - The bytes must be valid UTF-8 as CPython's strict decoder defines it; the
//   offset of the first invalid sequence is reported instead.

/// Where tokenizing stopped.
public enum TokenizeResult: Equatable, Sendable {
    /// All bytes were consumed; `pending` bytes at the end (a token, or an
    /// incomplete UTF-8 sequence, that the next chunk may continue) were not counted.
    case complete(pending: Int)
    /// The UTF-8 sequence starting at this offset is invalid.
    case invalidUTF8(at: Int)
}

/// Short tokens waiting to be counted: the slot of each is prefetched when it
/// arrives and counted `pendingDepth` tokens later, when its cache line is in.
let pendingDepth = 16

/// Splits UTF-8 text into tokens and counts them into a table.
public final class Tokenizer {
    /// 16 bytes: a short token too near the end of the text to load 16 bytes from there.
    var buffer: UnsafeMutablePointer<UInt8>
    /// A ring of short tokens whose slots are being prefetched.
    var pending: UnsafeMutablePointer<ShortToken>
    var pendingCount = 0
    var pendingNext = 0
    /// The boundary masks of a window of text (`BoundaryMasks`): whitespace, then
    /// non-ASCII, `boundaryWindowBlocks` each; then 64 bytes for a partial last block.
    var masks: UnsafeMutablePointer<UInt64>

    static let maskWords = 2 * boundaryWindowBlocks + 8

    /// Nil when the memory cannot be had.
    public init?() {
        guard let buffer = allocateChecked(UInt8.self, inlineTokenLength) else { return nil }
        guard let pending = allocateChecked(ShortToken.self, pendingDepth) else {
            deallocateChecked(buffer, count: inlineTokenLength)
            return nil
        }
        guard let masks = allocateChecked(UInt64.self, Tokenizer.maskWords) else {
            deallocateChecked(buffer, count: inlineTokenLength)
            deallocateChecked(pending, count: pendingDepth)
            return nil
        }
        self.buffer = buffer
        self.pending = pending
        self.masks = masks
    }

    deinit {
        deallocateChecked(buffer, count: inlineTokenLength)
        deallocateChecked(pending, count: pendingDepth)
        deallocateChecked(masks, count: Tokenizer.maskWords)
    }

    /// Ready to count another text from its start.
    func reset() {
        pendingCount = 0
        pendingNext = 0
    }

    /// Counts the tokens of `text` into `table`, in order (the table numbers
    /// new tokens as they arrive).
    ///
    /// - Parameter final: true when no more text follows; otherwise a token (or
    ///   UTF-8 sequence) running to the end is left uncounted and reported as
    ///   `pending`, for the caller to prepend to the next chunk.
    /// - Complexity: O(text.count) time (expected: one table probe per token); no
    ///   memory beyond the table (long tokens are read from the text).
    public func count(_ text: UnsafeRawBufferPointer, into table: WordTable, final: Bool) -> TokenizeResult {
        countTokens(text, into: table, final: final)
    }

    func countTokens(_ text: UnsafeRawBufferPointer, into table: WordTable, final: Bool) -> TokenizeResult {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .complete(pending: 0) }
        let n = text.count
        var masks = BoundaryMasks(base, n, whitespace: self.masks, nonASCII: self.masks + boundaryWindowBlocks,
                                  tail: UnsafeMutableRawPointer(self.masks + 2 * boundaryWindowBlocks)
                                      .assumingMemoryBound(to: UInt8.self))
        var i = 0
        while i < n {
            // The next token's first byte: the first byte from i on that is not ASCII whitespace.
            // (Wrapping arithmetic on positions, which are far from overflowing: the checks
            // cost instructions on every token.)
            var block = i &>> 6
            var bits = ~masks.whitespaceMask(block) & (~0 &<< UInt64(i & 63))
            while bits == 0 {
                block &+= 1
                if block >= masks.blocks { break }
                bits = ~masks.whitespaceMask(block)
            }
            if bits == 0 { break }  // whitespace to the end (bytes past it count as whitespace)
            let tokenStart = block &<< 6 | bits.trailingZeroBitCount
            // Its run of ASCII non-space bytes (the whole token, in most texts): up to the
            // first whitespace or non-ASCII byte.
            bits = masks.separatorMask(block) & (~0 &<< UInt64(tokenStart & 63))
            while bits == 0 {
                block &+= 1
                if block >= masks.blocks { break }
                bits = masks.separatorMask(block)
            }
            i = bits == 0 ? n : min(n, block &<< 6 | bits.trailingZeroBitCount)
            if i < n && base[i] >= 0x80 {
                // Non-ASCII: validate and look for Unicode whitespace byte by byte.
                switch slowToken(base, n, tokenStart, asciiEnd: i, final: final, into: table) {
                case .next(let next): i = next
                case .pending(let from):
                    flush(into: table)
                    return .complete(pending: n - from)
                case .invalid(let at):
                    flush(into: table)
                    return .invalidUTF8(at: at)
                }
                continue
            }
            if i == n && !final {
                flush(into: table)
                return .complete(pending: n - tokenStart)
            }
            countToken(base, n, tokenStart, i &- tokenStart, into: table)
        }
        flush(into: table)
        return .complete(pending: 0)
    }

    /// Counts a token, `base[start..<start + length]` (`base[0..<n]` is the text): ASCII
    /// capitals are lowered as its bytes are read. One of up to 16 bytes is loaded 8 bytes at
    /// a time straight from the text, masked to its length without a branch (the lengths of
    /// prose's words change from word to word: branches on them mispredict), and waits in
    /// the ring while its slot is prefetched. A longer one is hashed, compared and copied by
    /// the table straight from the text, after the tokens waiting in the ring (the table
    /// sees the tokens in text order).
    @inline(__always)
    func countToken(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ length: Int, into table: WordTable) {
        if length <= inlineTokenLength && start &+ 16 <= n {
            let raw = UnsafeRawPointer(base + start)
            let (mask0, mask1) = tokenMasks(length)
            let key0 = lowerASCII(raw.loadUnaligned(as: UInt64.self)) & mask0
            let key1 = lowerASCII(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & mask1
            enqueue(ShortToken(key0: key0, key1: key1, length: length), into: table)
            return
        }
        countUncommonToken(base, start, length, into: table)
    }

    /// `countToken` of a token longer than 16 bytes, or of one too near the end of the text
    /// to load 16 bytes from its start (copied into the zeroed buffer first).
    @inline(never)
    func countUncommonToken(_ base: UnsafePointer<UInt8>, _ start: Int, _ length: Int, into table: WordTable) {
        guard length <= inlineTokenLength else {
            let bytes = base + start, hash = wordHash(bytes, length, lowering: true)
            fk_prefetch_for_write(table.firstSlot(hash: hash))
            return push(ShortToken(longTokenAt: bytes, length: length, hash: hash), into: table)
        }
        UnsafeMutableRawPointer(buffer).storeBytes(of: 0, as: UInt64.self)
        UnsafeMutableRawPointer(buffer).storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
        copyLoweringASCII(base + start, length, to: buffer)
        let raw = UnsafeRawPointer(buffer)
        enqueue(ShortToken(key0: raw.loadUnaligned(as: UInt64.self),
                           key1: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), length: length), into: table)
    }

    enum SlowTokenEnd {
        /// The token ended (or there was none): go on from this offset.
        case next(Int)
        /// The token (or a UTF-8 sequence) runs past the end: keep from this offset for the next chunk.
        case pending(Int)
        /// The UTF-8 sequence at this offset is invalid.
        case invalid(Int)
    }

    /// Counts a token that has non-ASCII bytes: `base[start..<asciiEnd]` is ASCII,
    /// `base[asciiEnd]` is not. Validates UTF-8 and ends at any Python whitespace.
    ///
    /// The token's end is found first, a character at a time: the two-byte sequences led
    /// by 0xC3-0xDF (Latin, Greek, Cyrillic, Hebrew, Arabic letters) and the three-byte
    /// ones led by 0xE4-0xEC, 0xEE, 0xEF (CJK, Hangul) are never whitespace and need only
    /// their continuation bytes checked; other leads take `sequenceLength` and
    /// `isUnicodeWhitespace`. Then the token is counted as an ASCII one is (`countToken`).
    func slowToken(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, asciiEnd: Int, final: Bool,
                   into table: WordTable) -> SlowTokenEnd {
        @inline(__always) func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
        var j = asciiEnd
        var next = n  // where counting goes on after the token: past its whitespace
        scan: while j < n {
            let byte = base[j]
            if byte < 0x80 {
                if isASCIIWhitespace(byte) {
                    next = j
                    break scan
                }
                j &+= 1
                continue
            }
            if byte >= 0xC3 && byte <= 0xDF {
                if j &+ 1 < n && isContinuation(base[j &+ 1]) {
                    j &+= 2
                    continue
                }
            } else if (byte >= 0xE4 && byte <= 0xEC) || byte >= 0xEE && byte <= 0xEF {
                if j &+ 2 < n && isContinuation(base[j &+ 1]) && isContinuation(base[j &+ 2]) {
                    j &+= 3
                    continue
                }
            }
            let size = sequenceLength(base, j, n)
            if size < 0 {
                if size == -2 && !final { return .pending(start) }
                return .invalid(j)
            }
            if isUnicodeWhitespace(base, j, size) {
                next = j &+ size
                break scan
            }
            j &+= size
        }
        if j == n && !final { return .pending(start) }
        let length = j &- start
        if length == 0 { return .next(next) }  // whitespace where the token would have begun
        countToken(base, n, start, length, into: table)
        return .next(next)
    }

    /// Prefetches a short token's slot and counts the token `pendingDepth` tokens later.
    @inline(__always)
    func enqueue(_ token: ShortToken, into table: WordTable) {
        fk_prefetch_for_write(table.firstSlot(token))
        push(token, into: table)
    }

    /// Puts a token whose slot is being prefetched in the ring, and counts the one it
    /// takes the place of. Long tokens wait there too (their bytes in the text, which
    /// outlives the ring: every count flushes it before it returns): counted at once,
    /// each waited for its slot, and made the short ones around it wait for theirs, a
    /// third of the time of texts of long tokens (source code's identifiers, words in
    /// Cyrillic or Chinese).
    @inline(__always)
    func push(_ token: ShortToken, into table: WordTable) {
        if pendingCount == pendingDepth {
            add(pending[pendingNext], into: table)
        } else {
            pendingCount &+= 1
        }
        pending[pendingNext] = token
        pendingNext = (pendingNext &+ 1) & (pendingDepth &- 1)
    }

    @inline(__always)
    func add(_ token: ShortToken, into table: WordTable) {
        if token.length <= inlineTokenLength {
            table.addShort(token)
        } else {
            table.addLongLowering(token.longTokenBytes, token.length, hash: token.hash)
        }
    }

    /// Counts every pending token.
    func flush(into table: WordTable) {
        var index = (pendingNext - pendingCount) & (pendingDepth - 1)
        for _ in 0..<pendingCount {
            add(pending[index], into: table)
            index = (index + 1) & (pendingDepth - 1)
        }
        pendingCount = 0
    }
}

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
    /// The memory for a long token could not be had.
    case outOfMemory
}

/// Short tokens waiting to be counted: the slot of each is prefetched when it
/// arrives and counted `pendingDepth` tokens later, when its cache line is in.
let pendingDepth = 16

/// Splits UTF-8 text into tokens and counts them into a table.
public final class Tokenizer {
    /// The current token's bytes (grows for long tokens).
    var buffer: UnsafeMutablePointer<UInt8>
    var bufferCapacity: Int
    /// A ring of short tokens whose slots are being prefetched.
    var pending: UnsafeMutablePointer<ShortToken>
    var pendingCount = 0
    var pendingNext = 0
    /// Set when the token buffer could not grow.
    var failed = false
    /// The boundary masks of a window of text (`BoundaryMasks`): whitespace, then
    /// non-ASCII, `boundaryWindowBlocks` each; then 64 bytes for a partial last block.
    var masks: UnsafeMutablePointer<UInt64>

    static let maskWords = 2 * boundaryWindowBlocks + 8

    /// Nil when the memory cannot be had.
    public init?() {
        guard let buffer = allocateChecked(UInt8.self, 4096) else { return nil }
        guard let pending = allocateChecked(ShortToken.self, pendingDepth) else {
            deallocateChecked(buffer, count: 4096)
            return nil
        }
        guard let masks = allocateChecked(UInt64.self, Tokenizer.maskWords) else {
            deallocateChecked(buffer, count: 4096)
            deallocateChecked(pending, count: pendingDepth)
            return nil
        }
        bufferCapacity = 4096
        self.buffer = buffer
        self.pending = pending
        self.masks = masks
    }

    deinit {
        deallocateChecked(buffer, count: bufferCapacity)
        deallocateChecked(pending, count: pendingDepth)
        deallocateChecked(masks, count: Tokenizer.maskWords)
    }

    /// Ready to count another text from its start.
    func reset() {
        pendingCount = 0
        pendingNext = 0
        failed = false
    }

    /// Counts the tokens of `text` into `table`, in order (the table numbers
    /// new tokens as they arrive).
    ///
    /// - Parameter final: true when no more text follows; otherwise a token (or
    ///   UTF-8 sequence) running to the end is left uncounted and reported as
    ///   `pending`, for the caller to prepend to the next chunk.
    /// - Complexity: O(text.count) time (expected: one table probe per token);
    ///   memory O(longest token) beyond the table.
    public func count(_ text: UnsafeRawBufferPointer, into table: WordTable, final: Bool) -> TokenizeResult {
        let result = countTokens(text, into: table, final: final)
        return failed ? .outOfMemory : result
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
            asciiToken(base, n, tokenStart, i &- tokenStart, into: table)
        }
        flush(into: table)
        return .complete(pending: 0)
    }

    /// Counts an all-ASCII token: for up to 16 bytes, lowered 8 bytes at a time
    /// straight from the text and masked to its length without a branch (the
    /// lengths of prose's words change from word to word: branches on them mispredict).
    @inline(__always)
    func asciiToken(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ length: Int,
                             into table: WordTable) {
        if length <= inlineTokenLength && start &+ 16 <= n {
            let raw = UnsafeRawPointer(base + start)
            let (mask0, mask1) = tokenMasks(length)
            let key0 = lowerASCII(raw.loadUnaligned(as: UInt64.self)) & mask0
            let key1 = lowerASCII(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & mask1
            enqueue(ShortToken(key0: key0, key1: key1, length: length), into: table)
            return
        }
        copiedASCIIToken(base, start, length, into: table)
    }

    /// An ASCII token longer than 16 bytes, or too near the end of the text to
    /// read 16 bytes: lowered into the token buffer, eight bytes at a time (long
    /// identifiers are common in source code).
    @inline(never)
    func copiedASCIIToken(_ base: UnsafePointer<UInt8>, _ start: Int, _ length: Int, into table: WordTable) {
        var tokenLength = 0
        beginToken(&tokenLength)
        while bufferCapacity < length {
            if !growBuffer() { return }  // `failed` is set: the count reports outOfMemory
        }
        let source = UnsafeRawPointer(base + start), target = UnsafeMutableRawPointer(buffer)
        var k = 0
        while k + 8 <= length {
            target.storeBytes(of: lowerASCII(source.loadUnaligned(fromByteOffset: k, as: UInt64.self)),
                              toByteOffset: k, as: UInt64.self)
            k += 8
        }
        while k < length {
            let byte = base[start + k]
            buffer[k] = byte &+ ((byte &- 0x41) < 26 ? 0x20 : 0)
            k += 1
        }
        finish(length, into: table)
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
    func slowToken(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, asciiEnd: Int, final: Bool,
                            into table: WordTable) -> SlowTokenEnd {
        var length = 0
        beginToken(&length)
        for k in start..<asciiEnd {
            let byte = base[k]
            append(byte &+ ((byte &- 0x41) < 26 ? 0x20 : 0), &length)
        }
        var j = asciiEnd
        while j < n {
            let byte = base[j]
            if byte < 0x80 {
                if isASCIIWhitespace(byte) {
                    if length > 0 { finish(length, into: table) }
                    return .next(j)
                }
                append(byte &+ ((byte &- 0x41) < 26 ? 0x20 : 0), &length)
                j += 1
                continue
            }
            let size = sequenceLength(base, j, n)
            if size < 0 {
                if size == -2 && !final { return .pending(length > 0 ? start : j) }
                return .invalid(j)
            }
            if isUnicodeWhitespace(base, j, size) {
                if length > 0 { finish(length, into: table) }
                return .next(j + size)
            }
            for k in 0..<size { append(base[j + k], &length) }
            j += size
        }
        if !final { return .pending(start) }
        if length > 0 { finish(length, into: table) }
        return .next(n)
    }

    /// Begins a token: the buffer's first 16 bytes are zeroed, the padding of short tokens.
    @inline(__always)
    func beginToken(_ length: inout Int) {
        UnsafeMutableRawPointer(buffer).storeBytes(of: 0, as: UInt64.self)
        UnsafeMutableRawPointer(buffer).storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
        length = 0
    }

    /// Counts the token in `buffer`. A long token is counted at once, after the
    /// short ones waiting in the ring: the table sees the tokens in text order.
    @inline(__always)
    func finish(_ length: Int, into table: WordTable) {
        if failed { return }
        guard length <= inlineTokenLength else {
            flush(into: table)
            return table.addLong(buffer, length)
        }
        let raw = UnsafeRawPointer(buffer)
        enqueue(ShortToken(key0: raw.loadUnaligned(as: UInt64.self),
                           key1: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), length: length), into: table)
    }

    /// Prefetches a short token's slot and counts the token `pendingDepth` tokens later.
    @inline(__always)
    func enqueue(_ token: ShortToken, into table: WordTable) {
        fk_prefetch_for_write(table.firstSlot(token))
        if pendingCount == pendingDepth {
            table.addShort(pending[pendingNext])
        } else {
            pendingCount &+= 1
        }
        pending[pendingNext] = token
        pendingNext = (pendingNext &+ 1) & (pendingDepth &- 1)
    }

    /// Counts every pending token.
    func flush(into table: WordTable) {
        var index = (pendingNext - pendingCount) & (pendingDepth - 1)
        for _ in 0..<pendingCount {
            table.addShort(pending[index])
            index = (index + 1) & (pendingDepth - 1)
        }
        pendingCount = 0
    }

    @inline(__always)
    func append(_ byte: UInt8, _ length: inout Int) {
        if length == bufferCapacity && !growBuffer() { return }
        buffer[length] = byte
        length += 1
    }

    /// Doubles the token buffer; false (and `failed` set) without the memory.
    func growBuffer() -> Bool {
        guard !failed, bufferCapacity <= Int.max / 2,
              let bigger = allocateChecked(UInt8.self, bufferCapacity * 2) else {
            failed = true
            return false
        }
        bigger.update(from: buffer, count: bufferCapacity)
        deallocateChecked(buffer, count: bufferCapacity)
        buffer = bigger
        bufferCapacity *= 2
        return true
    }
}

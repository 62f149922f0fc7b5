import CPUFeatures

// The result of a word count: the distinct tokens and their counts in the order of
// their first occurrence (WordList), handed over one by one, or where the text
// stopped being valid. See docs/word_count.md.

/// A distinct token of the result, ready to hand over: its bytes, its count.
struct CountedWord {
    /// Inline tokens (up to 16 bytes): the bytes, zero-padded. Longer ones:
    /// the address of their bytes (in a table's arena) and their length.
    var key0: UInt64
    var key1: UInt64
    var count: Int
    /// Bits 58-63: the length (1-16), or 63 for a token stored elsewhere.
    var code: UInt64
}

/// The distinct tokens of a text and their counts, in the order of their first
/// occurrence (as `Counter(text.lower().split())` holds them), to be handed
/// over one by one. Either one table's slots in the order of their ordinals, or
/// the merged tokens of several tables; it owns the tables, whose arenas hold
/// the long tokens' bytes.
public struct WordList: ~Copyable {
    /// One table: `order[i]` is the slot of the i-th token (the table is compacted).
    let order: UnsafeMutablePointer<UInt32>?
    /// Several tables: the merged tokens, in order.
    let words: UnsafeMutablePointer<CountedWord>?
    public let count: Int
    /// Places allocated at `words` (at least `count`).
    let wordsCapacity: Int
    let tables: [WordTable]
    /// Bytes at the start of `words` already given back to the system.
    var released = 0

    init(table: WordTable, order: UnsafeMutablePointer<UInt32>, count: Int) {
        self.order = order
        words = nil
        self.count = count
        wordsCapacity = 0
        tables = [table]
    }

    init(words: UnsafeMutablePointer<CountedWord>, count: Int, capacity: Int, tables: [WordTable]) {
        order = nil
        self.words = words
        self.count = count
        wordsCapacity = capacity
        self.tables = tables
    }

    deinit {
        deallocateMapped(order, count: max(count, 1))
        deallocateMapped(words, count: wordsCapacity)
        if order != nil, tables.count == 1 { ShortTextCounts.giveBack(tables[0]) }
    }

    /// Calls `body` with the bytes of token `index` (valid during the call), its
    /// count and `.ascii` when it is all ASCII (then already lowered), else
    /// `.needsLower`. Tokens before the last `release(before:)` must not be read.
    @inline(__always)
    public func withToken<R, E: Error>(_ index: Int,
                                       _ body: (UnsafeBufferPointer<UInt8>, Int, TokenLowering) throws(E) -> R)
        throws(E) -> R {
        if let order {
            let table = tables[0]
            let slot = table.slots + Int(order[index])
            let bytes = table.tokenBytes(slot)
            let ascii = slot.pointee.tag >> 58 == longTokenCode
                ? !bytes.contains { $0 >= 0x80 } : (slot.pointee.key0 | slot.pointee.key1) & highBits == 0
            return try body(bytes, slot.pointee.count, ascii ? .ascii : .needsLower)
        }
        let word = words! + index
        let code = word.pointee.code >> 58
        if code == longTokenCode {
            let bytes = UnsafeBufferPointer(start: UnsafePointer<UInt8>(bitPattern: UInt(word.pointee.key0)),
                                            count: Int(word.pointee.key1))
            return try body(bytes, word.pointee.count, bytes.contains { $0 >= 0x80 } ? .needsLower : .ascii)
        }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(word).assumingMemoryBound(to: UInt8.self),
                                        count: Int(code))
        return try body(bytes, word.pointee.count,
                        (word.pointee.key0 | word.pointee.key1) & highBits == 0 ? .ascii : .needsLower)
    }

    /// The first 16 bytes of token `index` (zero-padded) and its length; the words
    /// are meaningful for tokens of up to 16 bytes only.
    @inline(__always)
    public func keys(_ index: Int) -> (key0: UInt64, key1: UInt64, length: Int) {
        if let order {
            let slot = tables[0].slots + Int(order[index])
            let code = slot.pointee.tag >> 58
            return (slot.pointee.key0, slot.pointee.key1, code == longTokenCode ? Int.max : Int(code))
        }
        let word = words! + index
        let code = word.pointee.code >> 58
        return (word.pointee.key0, word.pointee.key1, code == longTokenCode ? Int.max : Int(code))
    }

    /// Starts loading token `index`'s memory (a slot somewhere in a large table)
    /// a few tokens before it is read.
    @inline(__always)
    public func prefetch(_ index: Int) {
        guard index < count, let order else { return }
        fk_prefetch_for_write(tables[0].slots + Int(order[index]))
    }

    /// Gives the memory of the tokens before `index` back to the system (they
    /// must not be read again): memory falls as the caller's dict grows.
    public mutating func release(before index: Int) {
        guard let words else { return }
        let end = min(index, count) * MemoryLayout<CountedWord>.stride
        guard end > released + hugePage else { return }
        releasePages(UnsafeMutableRawPointer(words) + released, end - released)
        released = end & ~4095
    }
}

/// The result of counting: the words, or where the text stopped being valid.
public enum WordCountResult: ~Copyable {
    case words(WordList)
    /// Offset of the first invalid byte sequence (UTF-8 or ASCII), and the bytes
    /// from there (at most 4: all a decoder needs to say what is wrong; fewer
    /// when the text ends sooner).
    case invalid(at: Int, bytes: InvalidBytes)
}

/// Up to four bytes of text from an invalid sequence on.
public struct InvalidBytes: Sendable, Equatable {
    public let bytes: (UInt8, UInt8, UInt8, UInt8)
    public let count: Int

    init(_ source: UnsafePointer<UInt8>?, available: Int) {
        guard let source else {
            bytes = (0, 0, 0, 0)
            count = 0
            return
        }
        let count = max(0, min(4, available))
        var b: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        if count > 0 { b.0 = source[0] }
        if count > 1 { b.1 = source[1] }
        if count > 2 { b.2 = source[2] }
        if count > 3 { b.3 = source[3] }
        bytes = b
        self.count = count
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.count == b.count && a.bytes == b.bytes
    }

    /// The bytes, in order.
    public var array: [UInt8] { Array([bytes.0, bytes.1, bytes.2, bytes.3].prefix(count)) }
}

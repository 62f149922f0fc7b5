// The hash table of word counts: one per worker. See docs/word_count.md.

/// One slot of the table: 32 bytes, so that a lookup of a short token touches
/// one cache line and nothing else.
struct WordSlot {
    /// 0 = empty. Bits 58-63: the token's length (1-16) for a token stored
    /// inline, or 63 for a longer one kept in the arena; bits 32-57: 26 bits of
    /// its hash (to skip most wrong candidates without comparing bytes); bits
    /// 0-31: its ordinal, the order in which the table first saw it (tokens
    /// arrive in text order, so this is the order of first occurrence).
    var tag: UInt64
    var count: Int
    /// Inline: the token's bytes, zero-padded to 16. Long: arena offset and length.
    var key0: UInt64
    var key1: UInt64
}

/// Tokens up to this length are stored in their slot.
let inlineTokenLength = 16
let longTokenCode: UInt64 = 63
/// Bits of the tag that identify the token (length code and hash), not its ordinal.
let tagIdentityMask: UInt64 = ~UInt64(0xFFFF_FFFF)
/// Most distinct tokens a table holds: ordinals are 32 bits (a table this full would
/// need 128 GiB of slots).
let maximumDistinctTokens = Int(UInt32.max)

/// The tag of a token with hash `hash` and length code `code`, before its ordinal is set.
@inline(__always)
func identityTag(_ hash: UInt64, code: UInt64) -> UInt64 {
    (code << 58) | ((hash >> 38) << 32)
}

/// A token waiting to be counted: of at most 16 bytes, its zero-padded bytes, its hash
/// and its length; a longer one (in the tokenizer's ring only), the address of its bytes
/// in the text (`key0`; capitals not yet lowered), the hash of the lowered bytes and its length.
struct ShortToken {
    let key0: UInt64
    let key1: UInt64
    let hash: UInt64
    let length: Int

    @inline(__always)
    init(key0: UInt64, key1: UInt64, length: Int) {
        self.key0 = key0
        self.key1 = key1
        self.length = length
        hash = shortHash(key0, key1)
    }

    @inline(__always)
    init(longTokenAt bytes: UnsafePointer<UInt8>, length: Int, hash: UInt64) {
        key0 = UInt64(UInt(bitPattern: bytes))
        key1 = 0
        self.length = length
        self.hash = hash
    }

    /// The bytes of a long token (`length` > 16) in the text.
    var longTokenBytes: UnsafePointer<UInt8> { UnsafePointer(bitPattern: UInt(key0))! }
}

/// Counts of distinct tokens: an open-addressing table (at most 70% full) of
/// 32-byte slots, short tokens inline and longer ones in a byte arena; each
/// distinct token's ordinal (0, 1, 2... as they first arrive) gives the result
/// its order. Memory grows with the vocabulary, not with the text; every
/// allocation is checked: a table that cannot grow stops counting and reports
/// `outOfMemory`.
public final class WordTable {
    var slots: UnsafeMutablePointer<WordSlot>
    var capacity: Int
    public private(set) var distinctCount = 0
    /// Sum of all counts: the number of tokens seen.
    public private(set) var totalCount = 0
    var arena: UnsafeMutablePointer<UInt8>
    var arenaCapacity: Int
    var arenaUsed = 0
    /// Set when the table could not grow: it then ignores further tokens, and the
    /// kernel reports `.outOfMemory` instead of a wrong count.
    public private(set) var outOfMemory = false
    /// Set when `isCancelled` asked a growth to stop: the table then ignores further
    /// tokens, and the kernel reports `.cancelled`.
    public private(set) var cancelled = false
    /// The counting call's cancellation check, while one runs (growing a table of
    /// millions of slots takes long enough to poll it); nil otherwise.
    var isCancelled: (() -> Bool)? = nil

    /// The smallest table (a text of a few words).
    static let minimumCapacity = 16
    /// Tables up to this size are sized for the most words a text could have
    /// (one per two bytes); larger ones for the vocabulary of typical prose.
    static let smallCapacity = 1 << 10
    static let initialArenaCapacity = 1 << 12

    /// The most slots a table starts with (2 MiB: one huge page). A vocabulary
    /// needs far fewer slots than its text has bytes, and how many depends on the
    /// text (about 28,000 distinct words in 40 MB of English prose, 93,000 in
    /// Russian, 440,000 in 30 MB of Python source): a table sized for the text's
    /// bytes held memory the vocabulary never used (16 MiB for 40 MB of prose),
    /// where growing it as words come costs a rehash of each word about once.
    static let largestInitialCapacity = 1 << 16

    /// - Parameter expectedBytes: about how much text this table will count; the
    ///   table starts with a slot per 96 bytes of it, at most
    ///   `largestInitialCapacity`, and grows with the vocabulary; a short text gets a
    ///   small table (clearing one sized for megabytes would cost more than
    ///   counting a sentence).
    /// - Returns: nil when the memory cannot be had.
    public init?(expectedBytes: Int = 0) {
        var capacity = WordTable.minimumCapacity
        while capacity < WordTable.smallCapacity && capacity * 2 < expectedBytes { capacity *= 2 }
        while capacity >= WordTable.smallCapacity && capacity < WordTable.largestInitialCapacity
                && capacity * 96 < expectedBytes {
            capacity *= 2
        }
        guard let slots = WordTable.emptySlots(capacity) else { return nil }
        guard let arena = allocateMapped(UInt8.self, WordTable.initialArenaCapacity) else {
            deallocateMapped(slots, count: capacity)
            return nil
        }
        self.slots = slots
        self.capacity = capacity
        self.arena = arena
        arenaCapacity = WordTable.initialArenaCapacity
    }

    /// `capacity` empty slots, or nil without the memory.
    static func emptySlots(_ capacity: Int) -> UnsafeMutablePointer<WordSlot>? {
        allocateMapped(WordSlot.self, capacity, zeroed: true)  // a zero tag is an empty slot
    }

    deinit {
        deallocateMapped(slots, count: capacity)
        deallocateMapped(arena, count: arenaCapacity)
    }

    /// Adds `count` occurrences of the token `bytes[0..<length]` (length >= 1).
    /// For tokens of up to 16 bytes, `bytes` must be readable and zero up to 16.
    @inline(__always)
    func add(_ bytes: UnsafePointer<UInt8>, _ length: Int, count: Int = 1) {
        if length <= inlineTokenLength {
            let raw = UnsafeRawPointer(bytes)
            let key0 = raw.loadUnaligned(as: UInt64.self), key1 = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            addShort(ShortToken(key0: key0, key1: key1, length: length), count: count)
        } else {
            addLong(bytes, length, count: count)
        }
    }

    /// The slot a short token's probe starts at, to prefetch a few tokens ahead.
    @inline(__always)
    func firstSlot(_ token: ShortToken) -> UnsafeMutablePointer<WordSlot> {
        slots + (Int(truncatingIfNeeded: token.hash) & (capacity &- 1))
    }

    @inline(__always)
    func addShort(_ token: ShortToken, count: Int = 1) {
        if outOfMemory || cancelled { return }
        totalCount &+= count
        let identity = identityTag(token.hash, code: UInt64(token.length))
        let slotMask = capacity &- 1
        var slot = Int(truncatingIfNeeded: token.hash) & slotMask
        while true {
            let candidate = slots[slot]
            if candidate.tag == 0 { break }
            if candidate.tag & tagIdentityMask == identity && candidate.key0 == token.key0 && candidate.key1 == token.key1 {
                slots[slot].count &+= count
                return
            }
            slot = (slot &+ 1) & slotMask
        }
        guard let ordinal = newOrdinal() else { return }
        slots[slot] = WordSlot(tag: identity | ordinal, count: count, key0: token.key0, key1: token.key1)
        if distinctCount * 10 > capacity * 7 { growSlots() }
    }

    /// Counts a token longer than 16 bytes, `bytes[0..<length]`.
    func addLong(_ bytes: UnsafePointer<UInt8>, _ length: Int, count: Int = 1) {
        addLong(bytes, length, count: count, hash: wordHash(bytes, length), lowering: false)
    }

    /// Counts once a token longer than 16 bytes straight from the text: `bytes` are the
    /// token with its ASCII capitals not yet lowered, `hash` the hash of the lowered token
    /// (`wordHash(bytes, length, lowering: true)`); compared and copied lowered.
    func addLongLowering(_ bytes: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) {
        addLong(bytes, length, count: 1, hash: hash, lowering: true)
    }

    /// The slot a long token's probe starts at, to prefetch a few tokens ahead.
    @inline(__always)
    func firstSlot(hash: UInt64) -> UnsafeMutablePointer<WordSlot> {
        slots + (Int(truncatingIfNeeded: hash) & (capacity &- 1))
    }

    @inline(__always)
    private func addLong(_ bytes: UnsafePointer<UInt8>, _ length: Int, count: Int, hash: UInt64, lowering: Bool) {
        if outOfMemory || cancelled { return }
        totalCount &+= count
        let key1 = UInt64(length)
        let identity = identityTag(hash, code: longTokenCode)
        var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
        while true {
            let candidate = slots[slot]
            if candidate.tag == 0 { break }
            if candidate.tag & tagIdentityMask == identity && candidate.key1 == key1
                && bytesEqual(arena + Int(candidate.key0), bytes, length, lowering: lowering) {
                slots[slot].count &+= count
                return
            }
            slot = (slot + 1) & (capacity - 1)
        }
        if arenaUsed > arenaCapacity - length && !growArena(minimum: arenaUsed + length) { return }
        guard let ordinal = newOrdinal() else { return }
        if lowering {
            copyLoweringASCII(bytes, length, to: arena + arenaUsed)
        } else {
            (arena + arenaUsed).update(from: bytes, count: length)
        }
        slots[slot] = WordSlot(tag: identity | ordinal, count: count, key0: UInt64(arenaUsed), key1: key1)
        arenaUsed += length
        if distinctCount * 10 > capacity * 7 { growSlots() }
    }

    /// The ordinal of a new distinct token (nil, with `outOfMemory` set, past
    /// 2^32 - 1 tokens: more than 128 GiB of slots).
    @inline(__always)
    func newOrdinal() -> UInt64? {
        guard distinctCount < maximumDistinctTokens else {
            outOfMemory = true
            return nil
        }
        distinctCount += 1
        return UInt64(distinctCount - 1)
    }

    func growArena(minimum: Int) -> Bool {
        var newCapacity = arenaCapacity
        while newCapacity < minimum {
            guard newCapacity <= Int.max / 2 else {
                outOfMemory = true
                return false
            }
            newCapacity *= 2
        }
        guard let newArena = allocateMapped(UInt8.self, newCapacity) else {
            outOfMemory = true
            return false
        }
        newArena.update(from: arena, count: arenaUsed)
        deallocateMapped(arena, count: arenaCapacity)
        arena = newArena
        arenaCapacity = newCapacity
        return true
    }

    func growSlots() {
        guard capacity <= Int.max / (2 * MemoryLayout<WordSlot>.stride),
              let newSlots = WordTable.emptySlots(capacity * 2) else {
            outOfMemory = true
            return
        }
        let newCapacity = capacity * 2
        for index in 0..<capacity where slots[index].tag != 0 {
            if index & 0xFFFF == 0xFFFF, let isCancelled, isCancelled() {
                // Stop: the old slots are intact; the table takes no more tokens.
                deallocateMapped(newSlots, count: newCapacity)
                cancelled = true
                return
            }
            var slot = Int(truncatingIfNeeded: hash(of: slots + index)) & (newCapacity - 1)
            while newSlots[slot].tag != 0 { slot = (slot + 1) & (newCapacity - 1) }
            newSlots[slot] = slots[index]
        }
        deallocateMapped(slots, count: capacity)
        slots = newSlots
        capacity = newCapacity
    }

    /// The full hash of the token in `slot` (the tag keeps only part of it).
    @inline(__always)
    func hash(of slot: UnsafePointer<WordSlot>) -> UInt64 {
        if slot.pointee.tag >> 58 == longTokenCode {
            return wordHash(arena + Int(slot.pointee.key0), Int(slot.pointee.key1))
        }
        return shortHash(slot.pointee.key0, slot.pointee.key1)
    }

    /// The bytes of the token in `slot`.
    @inline(__always)
    func tokenBytes(_ slot: UnsafePointer<WordSlot>) -> UnsafeBufferPointer<UInt8> {
        let code = slot.pointee.tag >> 58
        if code == longTokenCode {
            return UnsafeBufferPointer(start: arena + Int(slot.pointee.key0), count: Int(slot.pointee.key1))
        }
        let inline = UnsafeRawPointer(slot) + 16  // key0, key1
        return UnsafeBufferPointer(start: inline.assumingMemoryBound(to: UInt8.self), count: Int(code))
    }

    /// Moves every token to the front of `slots` (`0..<distinctCount`), ending its
    /// life as a hash table: only reading works afterwards.
    func compact(isCancelled: () -> Bool) throws(KernelError) {
        var count = 0
        for index in 0..<capacity where slots[index].tag != 0 {
            if index & 0xFFFF == 0 && isCancelled() { throw .cancelled }
            if index != count {
                slots[count] = slots[index]
                slots[index].tag = 0  // only 0..<distinctCount hold tokens: `reset()` clears just those
            }
            count += 1
        }
        // The slots after the last token hold nothing any more: give their pages back now
        // (a table of mapped memory; a small one in the heap is freed soon anyway).
        let used = count * MemoryLayout<WordSlot>.stride, size = capacity * MemoryLayout<WordSlot>.stride
        if size >= hugePage { releasePages(UnsafeMutableRawPointer(slots) + used, size - used) }
    }

    /// Empties a compacted table, to count another text (tables of short texts are
    /// reused: clearing the slots used costs less than a new table).
    /// - Complexity: O(distinctCount).
    func reset() {
        UnsafeMutableRawPointer(slots).initializeMemory(as: UInt8.self, repeating: 0,
                                                        count: distinctCount * MemoryLayout<WordSlot>.stride)
        distinctCount = 0
        totalCount = 0
        arenaUsed = 0
        isCancelled = nil
    }

    /// Gives the slots' memory back to the system once the tokens have been copied
    /// out (a merge): only the arena, which the copies of long tokens point into, stays.
    func releaseSlots() {
        releasePages(UnsafeMutableRawPointer(slots), capacity * MemoryLayout<WordSlot>.stride)
        distinctCount = 0
    }

    /// The ordinal of the token in `slot`: the order in which the table first saw it.
    @inline(__always)
    func ordinal(_ slot: UnsafePointer<WordSlot>) -> Int {
        Int(truncatingIfNeeded: slot.pointee.tag & 0xFFFF_FFFF)
    }

    /// Calls `body` with each distinct token (its bytes, valid until the table
    /// changes), its count, and its ordinal (for tests and tools).
    /// - Complexity: O(capacity) time.
    public func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Void) {
        for index in 0..<capacity where slots[index].tag != 0 {
            body(tokenBytes(slots + index), slots[index].count, ordinal(slots + index))
        }
    }
}

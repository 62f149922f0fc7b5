import CPUFeatures
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Word frequencies as Python's Counter(text.lower().split()) counts them, on
// UTF-8 bytes. See docs/word_count.md.
//
// - Tokens are split on Python's whitespace (str.isspace: the ASCII ones,
//   \x1c-\x1f, and U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
//   U+202F, U+205F, U+3000).
// - ASCII letters are lowered here. A token with any non-ASCII character is
//   counted as it is (ASCII letters lowered) and flagged: the caller lowers those
//   few distinct tokens with the interpreter's own str.lower() and merges counts.
//   Lowering tokens one by one equals lowering the text, because no whitespace
//   character is cased or case-ignorable (the final-sigma rule cannot see across
//   whitespace).
// - The bytes must be valid UTF-8 as CPython's strict decoder defines it; the
//   offset of the first invalid sequence is reported instead.

/// One slot of the table: 32 bytes, so that a lookup of a short token touches
/// one cache line and nothing else.
struct WordSlot {
    /// 0 = empty. The top 6 bits hold the token's length (1-16) for a token
    /// stored inline, or 63 for a longer one kept in the arena.
    var tag: UInt64
    var count: Int
    /// Inline: the token's bytes, zero-padded to 16. Long: arena offset and length.
    var key0: UInt64
    var key1: UInt64
}

/// A token of at most 16 bytes: its zero-padded bytes, and its tag.
struct ShortToken {
    let key0: UInt64
    let key1: UInt64
    let tag: UInt64

    @inline(__always)
    init(key0: UInt64, key1: UInt64, length: Int) {
        self.key0 = key0
        self.key1 = key1
        tag = tagFor(shortHash(key0, key1), code: UInt64(length))
    }
}

/// Tokens up to this length are stored in their slot.
let inlineTokenLength = 16
let longTokenCode: UInt64 = 63

/// Counts of distinct tokens: an open-addressing table (at most 70% full) of 32-byte slots with
/// short tokens inline, longer ones in a byte arena. Memory grows with the
/// vocabulary, not with the text.
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

    /// - Parameter expectedBytes: about how much text the table will count; the
    ///   table starts large enough for the vocabulary such a text usually has
    ///   (growing a table of millions of slots costs more than counting).
    public init(expectedBytes: Int = 0) {
        // First allocations of at most 32 MiB: like any Swift array's, not worth a failure path.
        capacity = WordTable.initialCapacity
        while capacity < 1 << 20 && capacity * 96 < expectedBytes { capacity *= 2 }
        slots = WordTable.emptySlots(capacity)!
        arenaCapacity = WordTable.initialArenaCapacity
        arena = allocateTableMemory(UInt8.self, arenaCapacity)!
    }

    static let initialCapacity = 1 << 12
    static let initialArenaCapacity = 1 << 16

    /// `capacity` empty slots, or nil without the memory.
    static func emptySlots(_ capacity: Int) -> UnsafeMutablePointer<WordSlot>? {
        let slots = allocateTableMemory(WordSlot.self, capacity)
        slots?.initialize(repeating: WordSlot(tag: 0, count: 0, key0: 0, key1: 0), count: capacity)
        return slots
    }

    deinit {
        freeTableMemory(slots, capacity)
        freeTableMemory(arena, arenaCapacity)
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
        slots + (Int(truncatingIfNeeded: token.tag) & (capacity - 1))
    }

    @inline(__always)
    func addShort(_ token: ShortToken, count: Int = 1) {
        if outOfMemory { return }
        totalCount += count
        let tag = token.tag
        var slot = Int(truncatingIfNeeded: tag) & (capacity - 1)
        while true {
            let candidate = slots[slot]
            if candidate.tag == 0 { break }
            if candidate.tag == tag && candidate.key0 == token.key0 && candidate.key1 == token.key1 {
                slots[slot].count += count
                return
            }
            slot = (slot + 1) & (capacity - 1)
        }
        slots[slot] = WordSlot(tag: tag, count: count, key0: token.key0, key1: token.key1)
        distinctCount += 1
        if distinctCount * 10 > capacity * 7 { growSlots() }
    }

    func addLong(_ bytes: UnsafePointer<UInt8>, _ length: Int, count: Int = 1) {
        if outOfMemory { return }
        totalCount += count
        let key1 = UInt64(length)
        let tag = tagFor(wordHash(bytes, length), code: longTokenCode)
        var slot = Int(truncatingIfNeeded: tag) & (capacity - 1)
        while true {
            let candidate = slots[slot]
            if candidate.tag == 0 { break }
            if candidate.tag == tag && candidate.key1 == key1 && bytesEqual(arena + Int(candidate.key0), bytes, length) {
                slots[slot].count += count
                return
            }
            slot = (slot + 1) & (capacity - 1)
        }
        if arenaUsed + length > arenaCapacity && !growArena(minimum: arenaUsed + length) { return }
        (arena + arenaUsed).update(from: bytes, count: length)
        let stored0 = UInt64(arenaUsed)
        arenaUsed += length
        slots[slot] = WordSlot(tag: tag, count: count, key0: stored0, key1: key1)
        distinctCount += 1
        if distinctCount * 10 > capacity * 7 { growSlots() }
    }

    func growArena(minimum: Int) -> Bool {
        var newCapacity = arenaCapacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        guard let newArena = allocateTableMemory(UInt8.self, newCapacity) else { return failed() }
        newArena.update(from: arena, count: arenaUsed)
        freeTableMemory(arena, arenaCapacity)
        arena = newArena
        arenaCapacity = newCapacity
        return true
    }

    func failed() -> Bool {
        outOfMemory = true
        return false
    }

    func growSlots() {
        guard let newSlots = WordTable.emptySlots(capacity * 2) else {
            _ = failed()
            return
        }
        let oldSlots = slots, oldCapacity = capacity
        capacity *= 2
        slots = newSlots
        for index in 0..<oldCapacity where oldSlots[index].tag != 0 {
            var slot = Int(truncatingIfNeeded: oldSlots[index].tag) & (capacity - 1)
            while slots[slot].tag != 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = oldSlots[index]
        }
        freeTableMemory(oldSlots, oldCapacity)
    }

    /// Empties the table, handing its tokens over as a `WordList`: the ASCII
    /// tokens first, then the others. When `hash` is given, the ASCII tokens are
    /// ordered by the low `bits` bits of `hash(token)` (see `WordList`).
    public func takeWords(orderingASCIIBy hash: ((UnsafeRawBufferPointer) -> Int)? = nil, bits: Int = 0) -> WordList {
        // Every token to the front, then the ASCII ones before the others.
        var count = 0
        for index in 0..<capacity where slots[index].tag != 0 {
            slots[count] = slots[index]
            count += 1
        }
        var asciiCount = 0, last = count - 1
        while asciiCount <= last {
            if isASCII(slots + asciiCount) {
                asciiCount += 1
            } else {
                (slots[asciiCount], slots[last]) = (slots[last], slots[asciiCount])
                last -= 1
            }
        }
        if let hash, bits > 0 {
            let keep: UInt64 = 63 << 58
            for index in 0..<asciiCount {
                let hashed = hash(UnsafeRawBufferPointer(tokenBytes(slots + index, arena: arena)))
                slots[index].tag = (slots[index].tag & keep) | (UInt64(bitPattern: Int64(hashed)) & ~keep)
            }
            sortBySlotHash(asciiCount, bits: min(bits, 58))
        }
        let words = WordList(slots: slots, slotCapacity: capacity, arena: arena, arenaCapacity: arenaCapacity,
                             count: count, asciiCount: asciiCount)
        // A fresh, small table (first allocations: not worth a failure path, as in init).
        capacity = WordTable.initialCapacity
        slots = WordTable.emptySlots(capacity)!
        arenaCapacity = WordTable.initialArenaCapacity
        arena = allocateTableMemory(UInt8.self, arenaCapacity)!
        arenaUsed = 0
        distinctCount = 0
        totalCount = 0
        return words
    }

    /// Whether the token in `slot` is all ASCII (inline tokens: eight bytes at a time).
    func isASCII(_ slot: UnsafeMutablePointer<WordSlot>) -> Bool {
        if slot.pointee.tag >> 58 != longTokenCode { return (slot.pointee.key0 | slot.pointee.key1) & highBits == 0 }
        return !tokenBytes(slot, arena: arena).contains { $0 >= 0x80 }
    }

    /// Sorts `slots[0..<count]` by the low `bits` bits of their tags (stable LSD
    /// radix sort). The order is only an optimisation: without memory for the
    /// scratch copy, the slots stay as they are.
    func sortBySlotHash(_ count: Int, bits: Int) {
        guard count > 1, let scratch = allocateTableMemory(WordSlot.self, count) else { return }
        defer { freeTableMemory(scratch, count) }
        let passes = (bits + 10) / 11
        let perPass = (bits + passes - 1) / passes
        var source = slots, destination = scratch
        var starts = [Int](repeating: 0, count: 1 << perPass)
        for pass in 0..<passes {
            let shift = UInt64(pass * perPass)
            let mask = UInt64((1 << min(perPass, bits - pass * perPass)) - 1)
            for index in starts.indices { starts[index] = 0 }
            for index in 0..<count { starts[Int((source[index].tag >> shift) & mask)] += 1 }
            var offset = 0
            for index in starts.indices {
                let size = starts[index]
                starts[index] = offset
                offset += size
            }
            for index in 0..<count {
                let bucket = Int((source[index].tag >> shift) & mask)
                destination[starts[bucket]] = source[index]
                starts[bucket] += 1
            }
            swap(&source, &destination)
        }
        if source != slots { slots.update(from: source, count: count) }
    }

    /// Adds every count of `other` to this table.
    public func merge(_ other: WordTable) {
        other.forEach { bytes, count, _ in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, inlineTokenLength)) { padded in
                padded.initialize(repeating: 0)
                _ = padded.update(fromContentsOf: bytes)
                add(padded.baseAddress!, bytes.count, count: count)
            }
        }
    }

    /// Calls `body` with each distinct token (its bytes, valid until the table
    /// changes), its count, and whether it is all ASCII (already lowered).
    public func forEach(_ body: (UnsafeBufferPointer<UInt8>, Int, Bool) -> Void) {
        for index in 0..<capacity where slots[index].tag != 0 {
            body(tokenBytes(slots + index, arena: arena), slots[index].count, isASCII(slots + index))
        }
    }
}

/// The bytes of the token in `slot`: in the slot itself (up to 16 bytes), or in `arena`.
@inline(__always)
func tokenBytes(_ slot: UnsafeMutablePointer<WordSlot>, arena: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
    let code = slot.pointee.tag >> 58
    if code == longTokenCode {
        return UnsafeBufferPointer(start: arena + Int(slot.pointee.key0), count: Int(slot.pointee.key1))
    }
    let inline = UnsafeRawPointer(slot) + MemoryLayout<WordSlot>.offset(of: \.key0)!
    return UnsafeBufferPointer(start: inline.assumingMemoryBound(to: UInt8.self), count: Int(code))
}

/// Distinct tokens and their counts, taken out of a `WordTable` to be handed
/// over one by one: the ASCII tokens first (`0..<asciiCount`), then the others.
///
/// Ordered by the low bits of CPython's str hash (`WordTable.takeWords`), the
/// ASCII tokens go into a dict in the order that suits it: the dict's index then
/// fills in one sweep, probes collide with keys added just before, and the str
/// objects are allocated in the order the dict holds them.
public struct WordList: ~Copyable {
    let slots: UnsafeMutablePointer<WordSlot>
    let slotCapacity: Int
    let arena: UnsafeMutablePointer<UInt8>
    let arenaCapacity: Int
    public let count: Int
    public let asciiCount: Int
    /// Bytes at the start of `slots` already given back to the system.
    var released = 0

    init(slots: UnsafeMutablePointer<WordSlot>, slotCapacity: Int, arena: UnsafeMutablePointer<UInt8>,
         arenaCapacity: Int, count: Int, asciiCount: Int) {
        self.slots = slots
        self.slotCapacity = slotCapacity
        self.arena = arena
        self.arenaCapacity = arenaCapacity
        self.count = count
        self.asciiCount = asciiCount
        // The slots after the last token hold nothing any more: give them back now.
        #if os(Linux)
        let bytes = slotCapacity * MemoryLayout<WordSlot>.stride
        let used = (count * MemoryLayout<WordSlot>.stride + 4095) & ~4095
        if bytes >= hugePage && used < bytes {
            _ = madvise(UnsafeMutableRawPointer(slots) + used, mappedLength(bytes) - used, Int32(MADV_DONTNEED))
        }
        #endif
    }

    deinit {
        freeTableMemory(slots, slotCapacity)
        freeTableMemory(arena, arenaCapacity)
    }

    /// Calls `body` with the bytes of token `index` (valid during the call) and its count.
    @inline(__always)
    public func withToken<R, E: Error>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>, Int) throws(E) -> R)
        throws(E) -> R {
        precondition(index >= 0 && index < count && index * MemoryLayout<WordSlot>.stride >= released)
        return try body(tokenBytes(slots + index, arena: arena), slots[index].count)
    }

    /// Gives the memory of the tokens before `index` back to the system (they
    /// must not be read again): memory falls as fast as the dict grows.
    public mutating func release(before index: Int) {
        #if os(Linux)
        let page = 1 << 21
        let end = min(index, slotCapacity) * MemoryLayout<WordSlot>.stride / page * page
        guard end > released, Int(bitPattern: UnsafeRawPointer(slots)) % page == 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(slots) + released, end - released, Int32(MADV_DONTNEED))
        released = end
        #endif
    }
}

/// A tag: the hash with its top 6 bits replaced by the length code (never 0).
@inline(__always)
func tagFor(_ hash: UInt64, code: UInt64) -> UInt64 {
    (hash & ((1 << 58) - 1)) | (code << 58)
}

/// The hash of a token of at most 16 bytes, from its two zero-padded words.
@inline(__always)
func shortHash(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var h = (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &* 0xC2B2_AE3D_27D4_EB4F)
    h ^= h >> 32
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ (h >> 29)
}

let hugePage = 1 << 21

/// Memory for the table's growing arrays, or nil when there is none (the
/// table then reports `outOfMemory`; never a trap); give it back with
/// `freeTableMemory` and the same count. Arrays of 2 MiB and more are mapped
/// directly, on huge pages (which saves most TLB misses of random probes into
/// millions of slots): unmapping returns them to the system at once, and it
/// leaves glibc's malloc alone, which after freeing a large malloc block raises
/// its mmap threshold, so that the interpreter's own large blocks (the tables
/// of a growing dict) would then stay in the heap after they are freed.
func allocateTableMemory<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T>? {
    let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    guard !overflow, size <= Int.max - 2 * hugePage else { return nil }
    if size < hugePage {
        var memory: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&memory, 64, max(size, 64)) == 0, let memory else { return nil }
        return memory.bindMemory(to: T.self, capacity: count)
    }
    // Map one huge page more than needed, then unmap the ends so that the start is aligned.
    let length = mappedLength(size)
    #if os(Linux)
    let flags = MAP_PRIVATE | MAP_ANONYMOUS
    #else
    let flags = MAP_PRIVATE | MAP_ANON
    #endif
    guard let raw = mmap(nil, length + hugePage, PROT_READ | PROT_WRITE, flags, -1, 0),
          raw != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
    let start = Int(bitPattern: raw), aligned = (start + hugePage - 1) & ~(hugePage - 1)
    if aligned > start { munmap(raw, aligned - start) }
    let tail = start + length + hugePage - (aligned + length)
    if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + length), tail) }
    let memory = UnsafeMutableRawPointer(bitPattern: aligned)!
    #if os(Linux)
    _ = madvise(memory, length, Int32(MADV_HUGEPAGE))
    #endif
    return memory.bindMemory(to: T.self, capacity: count)
}

/// Gives back memory from `allocateTableMemory(_:count)`, with the same count.
func freeTableMemory<T>(_ memory: UnsafeMutablePointer<T>?, _ count: Int) {
    guard let memory else { return }
    let size = count * MemoryLayout<T>.stride
    if size < hugePage {
        free(memory)
    } else {
        munmap(memory, mappedLength(size))
    }
}

/// A mapped array's length: whole huge pages.
func mappedLength(_ size: Int) -> Int { (size + hugePage - 1) & ~(hugePage - 1) }

/// Byte equality for short tokens, 8 bytes at a time.
@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// A fast 64-bit hash of a short byte string (8 bytes at a time, multiply-xorshift mixing).
@inline(__always)
func wordHash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(p[i]) << shift
        shift += 8
        i += 1
    }
    h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
    return h ^ (h >> 31)
}

let highBits: UInt64 = 0x8080_8080_8080_8080

/// Bit 7 of each byte set where the byte is ASCII whitespace (\t-\r, \x1c-space).
@inline(__always)
func whitespaceMask(_ x: UInt64) -> UInt64 {
    let y = x & 0x7F7F_7F7F_7F7F_7F7F  // no byte can carry into the next below
    let atLeast09 = y &+ 0x7777_7777_7777_7777, atLeast0E = y &+ 0x7272_7272_7272_7272
    let atLeast1C = y &+ 0x6464_6464_6464_6464, atLeast21 = y &+ 0x5F5F_5F5F_5F5F_5F5F
    return ((atLeast09 & ~atLeast0E) | (atLeast1C & ~atLeast21)) & ~x & highBits
}

/// Bit 7 of each byte set where the byte ends an ASCII run: whitespace or a non-ASCII byte.
@inline(__always)
func separatorMask(_ x: UInt64) -> UInt64 {
    whitespaceMask(x) | (x & highBits)
}

/// ASCII letters of eight bytes lowered at once (every byte below 0x80): a byte
/// gets 0x20 added where it lies in 'A'...'Z'.
@inline(__always)
func lowerASCII(_ x: UInt64) -> UInt64 {
    let high: UInt64 = 0x8080_8080_8080_8080
    let atLeastA = x &+ 0x3F3F_3F3F_3F3F_3F3F      // high bit set where byte >= 'A'
    let aboveZ = x &+ 0x2525_2525_2525_2525        // high bit set where byte > 'Z'
    return x | (((atLeastA ^ aboveZ) & high) >> 2)
}

/// Bytes that are whitespace on their own: \t \n \v \f \r, \x1c-\x1f, space.
@inline(__always)
func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    (byte >= 0x09 && byte <= 0x0D) || (byte >= 0x1C && byte <= 0x20)
}

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
public struct Tokenizer: ~Copyable {
    /// The current token's bytes (grows for long tokens).
    var buffer: UnsafeMutablePointer<UInt8>
    var bufferCapacity: Int
    /// A ring of short tokens whose slots are being prefetched.
    var pending: UnsafeMutablePointer<ShortToken>
    var pendingCount = 0
    var pendingNext = 0

    public init() {
        bufferCapacity = 4096
        buffer = .allocate(capacity: bufferCapacity)
        pending = .allocate(capacity: pendingDepth)
    }

    deinit {
        buffer.deallocate()
        pending.deallocate()
    }

    /// Counts the tokens of `text` into `table`.
    ///
    /// - Parameter final: true when no more text follows; otherwise a token
    ///   (or UTF-8 sequence) running to the end is left uncounted and reported
    ///   as `pending`, for the caller to prepend to the next chunk.
    public mutating func count(_ text: UnsafeRawBufferPointer, into table: WordTable, final: Bool) -> TokenizeResult {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return .complete(pending: 0) }
        let n = text.count
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i < n {
            // Whitespace (ASCII) between tokens, eight bytes at a time while they last.
            while i + 8 <= n {
                let notSpace = ~whitespaceMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & highBits
                if notSpace == 0 {
                    i += 8
                    continue
                }
                i += notSpace.trailingZeroBitCount >> 3
                break
            }
            while i < n && isASCIIWhitespace(base[i]) { i += 1 }
            if i == n { break }
            // The token's run of ASCII non-space bytes (the whole token, in most texts),
            // found eight bytes at a time: no branch per byte to mispredict.
            let tokenStart = i
            var ended = false
            while i + 8 <= n {
                let separators = separatorMask(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if separators == 0 {
                    i += 8
                    continue
                }
                i += separators.trailingZeroBitCount >> 3
                ended = true
                break
            }
            if !ended {
                while i < n && base[i] < 0x80 && !isASCIIWhitespace(base[i]) { i += 1 }
            }
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
            asciiToken(base, n, tokenStart, i - tokenStart, into: table)
        }
        flush(into: table)
        return .complete(pending: 0)
    }

    /// Counts an all-ASCII token: for up to 16 bytes, lowered 8 bytes at a time
    /// straight from the text, without copying it byte by byte.
    @inline(__always)
    mutating func asciiToken(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, _ length: Int,
                             into table: WordTable) {
        if length <= inlineTokenLength && start + 16 <= n {
            let raw = UnsafeRawPointer(base + start)
            var key0 = lowerASCII(raw.loadUnaligned(as: UInt64.self))
            var key1 = lowerASCII(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            if length < 8 {
                key0 &= (1 << UInt64(8 * length)) - 1
                key1 = 0
            } else if length < 16 {
                key1 &= (1 << UInt64(8 * (length - 8))) - 1
            }
            enqueue(ShortToken(key0: key0, key1: key1, length: length), into: table)
            return
        }
        var tokenLength = 0
        self.start(&tokenLength)
        for k in start..<(start + length) {
            let byte = base[k]
            append(byte &+ ((byte &- 0x41) < 26 ? 0x20 : 0), &tokenLength)
        }
        finish(tokenLength, into: table)
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
    mutating func slowToken(_ base: UnsafePointer<UInt8>, _ n: Int, _ start: Int, asciiEnd: Int, final: Bool,
                            into table: WordTable) -> SlowTokenEnd {
        var length = 0
        self.start(&length)
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
    func start(_ length: inout Int) {
        UnsafeMutableRawPointer(buffer).storeBytes(of: 0, as: UInt64.self)
        UnsafeMutableRawPointer(buffer).storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
        length = 0
    }

    @inline(__always)
    mutating func finish(_ length: Int, into table: WordTable) {
        guard length <= inlineTokenLength else { return table.addLong(buffer, length) }
        let raw = UnsafeRawPointer(buffer)
        enqueue(ShortToken(key0: raw.loadUnaligned(as: UInt64.self),
                           key1: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self), length: length), into: table)
    }

    /// Prefetches a short token's slot and counts the token `pendingDepth` tokens later.
    @inline(__always)
    mutating func enqueue(_ token: ShortToken, into table: WordTable) {
        fk_prefetch_for_write(table.firstSlot(token))
        if pendingCount == pendingDepth {
            table.addShort(pending[pendingNext])
        } else {
            pendingCount += 1
        }
        pending[pendingNext] = token
        pendingNext = (pendingNext + 1) & (pendingDepth - 1)
    }

    /// Counts every pending token.
    mutating func flush(into table: WordTable) {
        var index = (pendingNext - pendingCount) & (pendingDepth - 1)
        for _ in 0..<pendingCount {
            table.addShort(pending[index])
            index = (index + 1) & (pendingDepth - 1)
        }
        pendingCount = 0
    }

    @inline(__always)
    mutating func append(_ byte: UInt8, _ length: inout Int) {
        if length == bufferCapacity {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: bufferCapacity * 2)
            bigger.update(from: buffer, count: length)
            buffer.deallocate()
            buffer = bigger
            bufferCapacity *= 2
        }
        buffer[length] = byte
        length += 1
    }
}

/// The length of the valid UTF-8 sequence at `i` (2-4), -1 when it is invalid,
/// -2 when it is a valid beginning cut off by the end of the text.
@inline(__always)
func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
    let lead = p[i]
    let size: Int
    var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
    switch lead {
    case 0xC2...0xDF: size = 2
    case 0xE0: size = 3; low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: size = 3
    case 0xED: size = 3; high = 0x9F           // no surrogates
    case 0xF0: size = 4; low = 0x90            // no overlong 4-byte forms
    case 0xF1...0xF3: size = 4
    case 0xF4: size = 4; high = 0x8F           // nothing above U+10FFFF
    default: return -1                         // 0x80-0xC1, 0xF5-0xFF
    }
    for k in 1..<size {
        if i + k >= n { return -2 }
        let byte = p[i + k]
        if k == 1 ? (byte < low || byte > high) : (byte & 0xC0 != 0x80) { return -1 }
    }
    return size
}

/// True for the non-ASCII whitespace characters of str.isspace().
@inline(__always)
func isUnicodeWhitespace(_ p: UnsafePointer<UInt8>, _ i: Int, _ size: Int) -> Bool {
    let b0 = p[i], b1 = p[i + 1]
    switch size {
    case 2:
        return b0 == 0xC2 && (b1 == 0x85 || b1 == 0xA0)                    // U+0085, U+00A0
    case 3:
        let b2 = p[i + 2]
        switch (b0, b1) {
        case (0xE1, 0x9A): return b2 == 0x80                               // U+1680
        case (0xE2, 0x80): return b2 <= 0x8A || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF  // U+2000-200A, 2028, 2029, 202F
        case (0xE2, 0x81): return b2 == 0x9F                               // U+205F
        case (0xE3, 0x80): return b2 == 0x80                               // U+3000
        default: return false
        }
    default:
        return false
    }
}

// MARK: - Whole texts, in parallel

/// Text each task tokenizes between two polls for cancellation.
let wordCountSlice = 1 << 20

/// The result of counting: the table, or where the text stopped being valid.
public struct WordCountResult {
    public let table: WordTable
    /// Offset of the first invalid byte sequence (UTF-8 or ASCII), if any.
    public let invalidAt: Int?
}

/// Counts the tokens of a whole UTF-8 text on up to `threads` threads: the
/// text is cut at ASCII whitespace near equal shares (a token never spans two
/// shares), each worker counts its share into its own table, and the tables are
/// merged.
///
/// - Throws: `.cancelled` (polled every megabyte).
public func countWords(_ text: UnsafeRawBufferPointer, threads: Int,
                       isCancelled: () -> Bool = { false }) throws(KernelError) -> WordCountResult {
    let workers = min(max(threads, 1), maximumWorkers)
    let tables = (0..<workers).map { _ in WordTable(expectedBytes: text.count) }
    let invalidAt = try countWords(text, into: tables, isCancelled: isCancelled)
    return WordCountResult(table: try mergedTables(tables), invalidAt: invalidAt)
}

/// Merges every table into the first and returns it.
func mergedTables(_ tables: [WordTable]) throws(KernelError) -> WordTable {
    for other in tables.dropFirst() where other.distinctCount > 0 { tables[0].merge(other) }
    if tables[0].outOfMemory { throw .outOfMemory }
    return tables[0]
}

/// Counts `text` into `tables` (one per worker; at most `tables.count` workers).
/// Returns the offset of the first invalid UTF-8 sequence, if any.
func countWords(_ text: UnsafeRawBufferPointer, into tables: [WordTable],
                isCancelled: () -> Bool) throws(KernelError) -> Int? {
    let bytes = text.baseAddress?.assumingMemoryBound(to: UInt8.self)
    let n = text.count
    guard let bytes, n > 0 else { return nil }
    let cuts = shareBoundaries(bytes, n, parts: n < 1 << 20 ? 1 : tables.count)
    let parts = cuts.count - 1
    var invalid = [Int?](repeating: nil, count: parts)
    var stopped = false
    tables.withUnsafeBufferPointer { tablesPointer in
        invalid.withUnsafeMutableBufferPointer { invalidPointer in
            let sharedTables = UncheckedSendable(tablesPointer), sharedInvalid = UncheckedSendable(invalidPointer)
            withoutActuallyEscaping(isCancelled) { isCancelled in
                runWorkers(parts) { worker, _ in
                    let table = sharedTables.value[worker]
                    var tokenizer = Tokenizer()
                    var start = cuts[worker]
                    let end = cuts[worker + 1]
                    var sliceLength = wordCountSlice
                    while start < end {
                        if isCancelled() {
                            stopped = true
                            return
                        }
                        let sliceEnd = min(start + sliceLength, end)
                        let final = sliceEnd == end
                        let slice = UnsafeRawBufferPointer(start: bytes + start, count: sliceEnd - start)
                        switch tokenizer.count(slice, into: table, final: final) {
                        case .invalidUTF8(let offset):
                            sharedInvalid.value[worker] = start + offset
                            return
                        case .complete(let pending):
                            if final { return }
                            if pending == slice.count {
                                sliceLength *= 2  // one token longer than the slice: retry with a longer one
                            } else {
                                start = sliceEnd - pending  // the unfinished token starts the next slice
                                sliceLength = wordCountSlice
                            }
                        }
                    }
                }
            }
        }
    }
    if stopped { throw .cancelled }
    if tables.contains(where: { $0.outOfMemory }) { throw .outOfMemory }
    return invalid.compactMap { $0 }.min()
}

/// Offsets that cut `bytes[0..<n]` into about `parts` shares, each cut on an
/// ASCII whitespace byte (so no token and no UTF-8 sequence is cut).
func shareBoundaries(_ bytes: UnsafePointer<UInt8>, _ n: Int, parts: Int) -> [Int] {
    var cuts = [0]
    for k in 1..<max(parts, 1) {
        var p = max(n * k / parts, cuts.last! + 1)
        let limit = min(n, n * (k + 1) / parts)
        while p < limit && !isASCIIWhitespace(bytes[p]) { p += 1 }
        if p < limit { cuts.append(p) }
    }
    cuts.append(n)
    return cuts
}

// MARK: - Files

/// How a file's bytes become text.
public enum TextEncoding: Sendable {
    case utf8, ascii, latin1
}

/// Bytes read from a file at a time (a token longer than this grows the buffer).
let fileChunk = 1 << 23

/// Counts the tokens of the file open at `descriptor`, read a chunk at a time:
/// memory holds one chunk and the table, whatever the file's size.
///
/// - Returns: the table, or the file offset of the first byte that does not
///   decode (UTF-8 or ASCII; Latin-1 decodes everything).
/// - Throws: `.io(errno)` when reading fails; `.cancelled`; `.outOfMemory`.
public func countWords(fileDescriptor descriptor: Int32, encoding: TextEncoding, threads: Int,
                       isCancelled: () -> Bool = { false }) throws(KernelError) -> WordCountResult {
    let workers = min(max(threads, 1), maximumWorkers)
    var status = stat()
    let fileSize = fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    let tables = (0..<workers).map { _ in WordTable(expectedBytes: fileSize) }
    var capacity = fileChunk
    guard var buffer = allocateTableMemory(UInt8.self, capacity) else { throw .outOfMemory }
    defer { freeTableMemory(buffer, capacity) }
    var utf8: UnsafeMutablePointer<UInt8>? = nil  // Latin-1 transcoded (at most 2 bytes a character)
    var utf8Capacity = 0
    defer { freeTableMemory(utf8, utf8Capacity) }
    var carried = 0        // bytes at the start of `buffer` left from the previous chunk
    var fileOffset = 0     // file offset of buffer[0]
    var atEnd = false
    while !atEnd {
        // Fill the buffer.
        var filled = carried
        while filled < capacity {
            let got = read(descriptor, buffer + filled, capacity - filled)
            if got < 0 {
                if errno == EINTR {
                    if isCancelled() { throw .cancelled }
                    continue
                }
                throw .io(errno: errno)
            }
            if got == 0 {
                atEnd = true
                break
            }
            filled += got
        }
        let bytes = buffer
        if encoding == .ascii, let bad = (carried..<filled).first(where: { bytes[$0] >= 0x80 }) {
            return WordCountResult(table: try mergedTables(tables), invalidAt: fileOffset + bad)
        }
        // Count up to the last ASCII whitespace (all of it at the end of the file).
        var cut = filled
        if !atEnd {
            while cut > 0 && !isASCIIWhitespace(bytes[cut - 1]) { cut -= 1 }
            if cut == 0 {
                // One token fills the buffer: read on with a larger one.
                guard let larger = allocateTableMemory(UInt8.self, capacity * 2) else { throw .outOfMemory }
                larger.update(from: buffer, count: filled)
                freeTableMemory(buffer, capacity)
                buffer = larger
                capacity *= 2
                carried = filled
                continue
            }
        }
        var text = UnsafeRawBufferPointer(start: buffer, count: cut)
        if encoding == .latin1 {
            if utf8Capacity < capacity * 2 {
                freeTableMemory(utf8, utf8Capacity)
                utf8 = allocateTableMemory(UInt8.self, capacity * 2)
                utf8Capacity = utf8 == nil ? 0 : capacity * 2
                guard utf8 != nil else { throw .outOfMemory }
            }
            text = UnsafeRawBufferPointer(start: utf8, count: latin1ToUTF8(bytes, cut, utf8!))
        }
        if let invalid = try countWords(text, into: tables, isCancelled: isCancelled) {
            return WordCountResult(table: try mergedTables(tables), invalidAt: fileOffset + invalid)
        }
        // Keep the tail (an unfinished token) for the next chunk.
        UnsafeMutableRawPointer(buffer).copyMemory(from: buffer + cut, byteCount: filled - cut)  // memmove
        carried = filled - cut
        fileOffset += cut
    }
    return WordCountResult(table: try mergedTables(tables), invalidAt: nil)
}

/// Latin-1 to UTF-8: bytes below 0x80 stay, the others become two bytes.
func latin1ToUTF8(_ source: UnsafePointer<UInt8>, _ n: Int, _ destination: UnsafeMutablePointer<UInt8>) -> Int {
    var j = 0
    for i in 0..<n {
        let byte = source[i]
        if byte < 0x80 {
            destination[j] = byte
            j += 1
        } else {
            destination[j] = 0xC0 | (byte >> 6)
            destination[j + 1] = 0x80 | (byte & 0x3F)
            j += 2
        }
    }
    return j
}

import CPUFeatures
import Synchronization

// Word counts of whole texts on several workers, merged into one list in the
// order of first occurrence. See docs/word_count.md.

/// Text each worker tokenizes between two polls for cancellation.
let wordCountSlice = 1 << 20
/// Below this many bytes a text is counted by one worker whatever `threads` says.
public let parallelWordCountThreshold = 1 << 20

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
    let tables: [WordTable]
    /// Bytes at the start of `words` already given back to the system.
    var released = 0

    init(table: WordTable, order: UnsafeMutablePointer<UInt32>, count: Int) {
        self.order = order
        words = nil
        self.count = count
        tables = [table]
    }

    init(words: UnsafeMutablePointer<CountedWord>, count: Int, tables: [WordTable]) {
        order = nil
        self.words = words
        self.count = count
        self.tables = tables
    }

    deinit {
        deallocateMapped(order, count: max(count, 1))
        deallocateMapped(words, count: max(count, 1))
        if order != nil, tables.count == 1 { ShortTextCounts.giveBack(tables[0]) }
    }

    /// Calls `body` with the bytes of token `index` (valid during the call), its
    /// count and whether it is all ASCII (then already lowered). Tokens before
    /// the last `release(before:)` must not be read.
    @inline(__always)
    public func withToken<R, E: Error>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>, Int, Bool) throws(E) -> R)
        throws(E) -> R {
        if let order {
            let table = tables[0]
            let slot = table.slots + Int(order[index])
            let bytes = table.tokenBytes(slot)
            let ascii = slot.pointee.tag >> 58 == longTokenCode
                ? !bytes.contains { $0 >= 0x80 } : (slot.pointee.key0 | slot.pointee.key1) & highBits == 0
            return try body(bytes, slot.pointee.count, ascii)
        }
        let word = words! + index
        let code = word.pointee.code >> 58
        if code == longTokenCode {
            let bytes = UnsafeBufferPointer(start: UnsafePointer<UInt8>(bitPattern: UInt(word.pointee.key0)),
                                            count: Int(word.pointee.key1))
            return try body(bytes, word.pointee.count, !bytes.contains { $0 >= 0x80 })
        }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(word).assumingMemoryBound(to: UInt8.self),
                                        count: Int(code))
        return try body(bytes, word.pointee.count, (word.pointee.key0 | word.pointee.key1) & highBits == 0)
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

/// Counts the tokens of a whole UTF-8 text as `Counter(text.lower().split())`
/// counts them, on up to `threads` workers: the text is cut at ASCII whitespace
/// into equal shares (a token never spans two), each worker counts its share
/// into its own table, and the tables are merged.
///
/// - Returns: the distinct tokens (ASCII lowered; the others as they are, for
///   the caller to lower) in the order of their first occurrence, with their
///   counts; or the offset of the first invalid UTF-8 sequence.
/// - Complexity: O(n) time; memory O(distinct tokens) per worker.
/// - Throws: `.cancelled` (polled every megabyte and in the merge); `.outOfMemory`.
public func countWords(_ text: UnsafeRawBufferPointer, threads: Int,
                       isCancelled: () -> Bool = { false }) throws(KernelError) -> WordCountResult {
    guard let bytes = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else {
        return .words(try WordCounter(workers: 1, expectedBytes: 0).orderedWords(threads: 1, isCancelled: isCancelled))
    }
    let n = text.count
    let workers = n < parallelWordCountThreshold ? 1 : effectiveWorkers(threads)
    var counter = try WordCounter(workers: 1, expectedBytes: n)
    var cuts = [0, n]
    if workers > 1 {
        // The first part, by this thread into the first table; then more workers only if they pay.
        let sampleEnd = shareBoundaries(bytes, n, parts: vocabularySampleParts)[1]
        let half = shareBoundaries(bytes, sampleEnd, parts: 2)[1]
        let table = counter.tables[0], tokenizer = counter.tokenizers[0]
        let sample = try countVocabularySample(into: table, start: 0, half: half, end: sampleEnd,
                                               remaining: n - sampleEnd, workers: workers) { from, to throws(KernelError) in
            let part = UnsafeRawBufferPointer(start: bytes + from, count: to - from)
            return try countSlices(of: part, into: table, tokenizer, isCancelled: isCancelled).map { from + $0 }
        }
        if let at = sample.invalid { return .invalid(at: at, bytes: InvalidBytes(bytes + at, available: n - at)) }
        if sample.parallel {
            cuts = shareBoundaries(bytes + sampleEnd, n - sampleEnd, parts: workers).map { $0 + sampleEnd }
            counter = try counter.adding(workers: cuts.count - 2, expectedBytes: n - sampleEnd)
        } else {
            cuts = [sampleEnd, n]
        }
    }
    let invalid = Atomic<Int>(Int.max)
    let shares = cuts
    try counter.forEachWorker(isCancelled: isCancelled) { worker, table, tokenizer, isCancelled throws(KernelError) in
        let share = UnsafeRawBufferPointer(start: bytes + shares[worker], count: shares[worker + 1] - shares[worker])
        if let at = try countSlices(of: share, into: table, tokenizer, isCancelled: isCancelled) {
            _ = invalid.min(shares[worker] + at, ordering: .relaxed)
        }
    }
    let first = invalid.load(ordering: .relaxed)
    if first != Int.max { return .invalid(at: first, bytes: InvalidBytes(bytes + first, available: n - first)) }
    return .words(try counter.orderedWords(threads: threads, isCancelled: isCancelled))
}

/// Counts `text` (a whole share: its end ends a token) into `table`, a slice of
/// about a megabyte at a time with a poll of `isCancelled` between slices.
/// Returns the offset of the first invalid UTF-8 sequence, if any.
func countSlices(of text: UnsafeRawBufferPointer, into table: WordTable, _ tokenizer: Tokenizer,
                 isCancelled: () -> Bool) throws(KernelError) -> Int? {
    try withoutActuallyEscaping(isCancelled) { isCancelled throws(KernelError) -> Int? in
        table.isCancelled = isCancelled  // for the growths of the table, which take long
        defer { table.isCancelled = nil }
        return try countSlicesPolling(of: text, into: table, tokenizer, isCancelled: isCancelled)
    }
}

func countSlicesPolling(of text: UnsafeRawBufferPointer, into table: WordTable, _ tokenizer: Tokenizer,
                        isCancelled: () -> Bool) throws(KernelError) -> Int? {
    guard let bytes = text.baseAddress else { return nil }
    var start = 0
    var sliceLength = wordCountSlice
    while start < text.count {
        if isCancelled() { throw .cancelled }
        let sliceEnd = min(start + sliceLength, text.count)
        let final = sliceEnd == text.count
        let slice = UnsafeRawBufferPointer(start: bytes + start, count: sliceEnd - start)
        switch tokenizer.count(slice, into: table, final: final) {
        case .invalidUTF8(let at):
            return start + at
        case .outOfMemory:
            throw .outOfMemory
        case .complete(let pending):
            if table.outOfMemory { throw .outOfMemory }
            if table.cancelled { throw .cancelled }
            if final { return nil }
            if pending == slice.count {
                sliceLength *= 2  // one token longer than the slice: retry with a longer one
            } else {
                start = sliceEnd - pending  // the unfinished token starts the next slice
                sliceLength = wordCountSlice
            }
        }
    }
    return nil
}

/// Per-worker tables and tokenizers. Worker `w` counts the `w`-th part of the
/// text, in order, into table `w`: the order of first occurrence is then the
/// order of (worker, ordinal).
final class WordCounter {
    let tables: [WordTable]
    let tokenizers: [Tokenizer]
    /// False once another counter took over the tokenizers (`adding`): they are not this one's to keep.
    var ownsTokenizers = true

    /// - Parameter expectedBytes: the size of the whole text (each table is sized for its part).
    init(workers: Int, expectedBytes: Int) throws(KernelError) {
        if workers <= 1 && expectedBytes <= ShortTextCounts.textLimit,
           let table = ShortTextCounts.takeTable(expectedBytes: expectedBytes),
           let tokenizer = ShortTextCounts.takeTokenizer() {
            tables = [table]
            tokenizers = [tokenizer]
            return
        }
        var tables: [WordTable] = [], tokenizers: [Tokenizer] = []
        for _ in 0..<max(workers, 1) {
            guard let table = WordTable(expectedBytes: expectedBytes / max(workers, 1)), let tokenizer = Tokenizer() else {
                throw .outOfMemory
            }
            tables.append(table)
            tokenizers.append(tokenizer)
        }
        self.tables = tables
        self.tokenizers = tokenizers
    }

    init(tables: [WordTable], tokenizers: [Tokenizer]) {
        self.tables = tables
        self.tokenizers = tokenizers
    }

    /// This counter's tables and tokenizers (whose counts come first) followed by
    /// `workers` new ones, each sized for its share of `expectedBytes`.
    func adding(workers: Int, expectedBytes: Int) throws(KernelError) -> WordCounter {
        var tables = self.tables, tokenizers = self.tokenizers
        ownsTokenizers = false
        for _ in 0..<max(workers, 0) {
            guard let table = WordTable(expectedBytes: expectedBytes / max(workers + 1, 1)),
                  let tokenizer = Tokenizer() else { throw .outOfMemory }
            tables.append(table)
            tokenizers.append(tokenizer)
        }
        return WordCounter(tables: tables, tokenizers: tokenizers)
    }

    deinit {
        if ownsTokenizers && tokenizers.count == 1 { ShortTextCounts.giveBack(tokenizers[0]) }
    }

    /// Runs `body` for every worker at once; the first error any of them throws
    /// is thrown (the others are asked to stop through `isCancelled`).
    func forEachWorker(isCancelled: () -> Bool,
                       _ body: (Int, WordTable, Tokenizer, () -> Bool) throws(KernelError) -> Void) throws(KernelError) {
        let failure = Atomic<Int>(0)  // 1 cancelled, 2 out of memory, 3 I/O (errno in `code`)
        let code = Atomic<Int>(0)
        let tables = UncheckedSendable(self.tables), tokenizers = UncheckedSendable(self.tokenizers)
        withoutActuallyEscaping(isCancelled) { isCancelled in
            withoutActuallyEscaping(body) { body in
                runWorkers(self.tables.count, isCancelled: isCancelled) { worker, _ in
                    let stop = { failure.load(ordering: .relaxed) != 0 || isCancelled() }
                    do throws(KernelError) {
                        try body(worker, tables.value[worker], tokenizers.value[worker], stop)
                    } catch {
                        switch error {
                        case .outOfMemory: _ = failure.compareExchange(expected: 0, desired: 2, ordering: .relaxed)
                        case .io(let errno):
                            if failure.compareExchange(expected: 0, desired: 3, ordering: .relaxed).exchanged {
                                code.store(Int(errno), ordering: .relaxed)
                            }
                        default: _ = failure.compareExchange(expected: 0, desired: 1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        switch failure.load(ordering: .relaxed) {
        case 1: throw .cancelled
        case 2: throw .outOfMemory
        case 3: throw .io(errno: Int32(code.load(ordering: .relaxed)))
        default: break
        }
    }

    /// The merged counts in the order of first occurrence. Ends the counter's use.
    func orderedWords(threads: Int, isCancelled: () -> Bool) throws(KernelError) -> WordList {
        if tables.contains(where: { $0.outOfMemory }) { throw .outOfMemory }
        try forEachWorker(isCancelled: isCancelled) { _, table, _, isCancelled throws(KernelError) in
            try table.compact(isCancelled: isCancelled)
        }
        if tables.count == 1 { return try wordsInOrder(of: tables[0], isCancelled: isCancelled) }
        return try mergedWords(tables, threads: threads, isCancelled: isCancelled)
    }
}

/// One table and one tokenizer kept from the count of a short text for the next:
/// counting a sentence costs less than allocating, clearing and freeing them.
/// A count that finds none here (the first, or one running beside another) makes its own.
enum ShortTextCounts {
    /// Texts up to this many bytes may use the kept table and tokenizer.
    static let textLimit = 1 << 16
    /// Tables up to this many slots (8 KiB) are kept: every count walks all the slots of
    /// its table once (to compact it), so a larger kept table would slow down every short
    /// text after one long one.
    static let tableLimit = 1 << 8

    static let table = Mutex<UncheckedSendable<WordTable>?>(nil)
    static let tokenizer = Mutex<UncheckedSendable<Tokenizer>?>(nil)

    static func takeTable(expectedBytes: Int) -> WordTable? {
        if let table = table.withLock({ $0.take() })?.value { return table }
        return WordTable(expectedBytes: expectedBytes)
    }

    static func takeTokenizer() -> Tokenizer? {
        if let tokenizer = tokenizer.withLock({ $0.take() })?.value { return tokenizer }
        return Tokenizer()
    }

    /// Keeps a table whose words were handed over (compacted, no error), when small.
    static func giveBack(_ used: WordTable) {
        guard used.capacity <= tableLimit, !used.outOfMemory, !used.cancelled else { return }
        used.reset()
        table.withLock { $0 = UncheckedSendable(used) }
    }

    /// Keeps a tokenizer that finished a text, when its buffer is small.
    static func giveBack(_ used: Tokenizer) {
        guard used.bufferCapacity <= 1 << 12, !used.failed else { return }
        used.reset()
        tokenizer.withLock { $0 = UncheckedSendable(used) }
    }
}

/// Offsets that cut `bytes[0..<n]` into about `parts` shares, each cut on an
/// ASCII whitespace byte (so no token and no UTF-8 sequence is cut).
func shareBoundaries(_ bytes: UnsafePointer<UInt8>, _ n: Int, parts: Int) -> [Int] {
    var cuts = [0]
    for k in 1..<max(parts, 1) {
        var p = max(n / parts * k, cuts[cuts.count - 1] + 1)
        let limit = min(n, n / parts * (k + 1))
        while p < limit && !isASCIIWhitespace(bytes[p]) { p += 1 }
        if p < limit { cuts.append(p) }
    }
    cuts.append(n)
    return cuts
}

// MARK: - Ordering and merging

/// The tokens of one compacted table in the order of their ordinals: `order[i]`
/// is the slot of the token the table saw i-th.
func wordsInOrder(of table: WordTable, isCancelled: () -> Bool) throws(KernelError) -> WordList {
    let count = table.distinctCount
    guard count <= Int(UInt32.max), let order = allocateMapped(UInt32.self, max(count, 1)) else { throw .outOfMemory }
    for index in 0..<count {
        if index & 0xFFFFF == 0xFFFFF && isCancelled() {
            deallocateMapped(order, count: max(count, 1))
            throw .cancelled
        }
        order[table.ordinal(table.slots + index)] = UInt32(truncatingIfNeeded: index)
    }
    return WordList(table: table, order: order, count: count)
}

/// The hand-over form of the token in `slot`.
@inline(__always)
func countedWord(_ slot: UnsafePointer<WordSlot>, arena: UnsafeMutablePointer<UInt8>) -> CountedWord {
    let code = slot.pointee.tag >> 58
    if code == longTokenCode {
        let address = UInt64(UInt(bitPattern: arena + Int(slot.pointee.key0)))
        return CountedWord(key0: address, key1: slot.pointee.key1, count: slot.pointee.count, code: code << 58)
    }
    return CountedWord(key0: slot.pointee.key0, key1: slot.pointee.key1, count: slot.pointee.count, code: code << 58)
}

/// A token being merged: its hand-over form, its full hash and its first
/// occurrence as (table << 32) | ordinal.
struct MergedWord {
    var word: CountedWord
    var hash: UInt64
    var first: UInt64
}
/// Merges compacted tables (one per share of the text, in text order) into one
/// list ordered by first occurrence. Worker `p` owns the tokens whose hash falls
/// in partition `p`: it gathers them from every table into a table of its own,
/// indexed by other bits of the hash than the source tables (so tokens arriving
/// in their source tables' slot order do not cluster), summing counts and
/// keeping the earliest occurrence. The partitions are disjoint; their tokens
/// are then sorted by first occurrence. Linear in the number of distinct tokens.
func mergedWords(_ tables: [WordTable], threads: Int, isCancelled: () -> Bool) throws(KernelError) -> WordList {
    let partitions = tables.count
    var total = 0
    for table in tables { total += table.distinctCount }
    // Every partition's entries and index, sized for the worst case share of the tokens.
    guard let entries = CheckedBuffer(UnsafeMutablePointer<MergedWord>?.self, count: partitions, repeating: nil),
          let counts = CheckedBuffer(Int.self, count: partitions, repeating: 0),
          let capacities = CheckedBuffer(Int.self, count: partitions, repeating: 0) else { throw .outOfMemory }
    defer { for p in 0..<partitions { deallocateChecked(entries[p], count: capacities[p]) } }
    let sharedEntries = SharedPointer(entries.base), sharedCounts = SharedPointer(counts.base)
    let sharedCapacities = SharedPointer(capacities.base)
    let sources = UncheckedSendable(tables)
    let failure = Atomic<Int>(0)  // 1 cancelled, 2 out of memory
    withoutActuallyEscaping(isCancelled) { isCancelled in
        runWorkers(partitions, isCancelled: isCancelled) { partition, partitions in
            // Tokens of this partition in each table, counted first: the exact size needed.
            var mine = 0
            for table in sources.value {
                for index in 0..<table.distinctCount {
                    if index & 0xFFFF == 0xFFFF && (failure.load(ordering: .relaxed) != 0 || isCancelled()) {
                        failure.store(1, ordering: .relaxed)
                        return
                    }
                    if partitionOf(table.hash(of: table.slots + index), partitions) == partition { mine += 1 }
                }
            }
            var bits = 4
            while (1 << bits) < mine * 2 { bits += 1 }
            guard let list = allocateChecked(MergedWord.self, max(mine, 1)),
                  let index = allocateChecked(Int32.self, 1 << bits, repeating: -1) else {
                failure.store(2, ordering: .relaxed)
                return
            }
            sharedEntries.pointer[partition] = list
            sharedCapacities.pointer[partition] = max(mine, 1)
            defer { deallocateChecked(index, count: 1 << bits) }
            var used = 0
            for (tableIndex, table) in sources.value.enumerated() {
                for slotIndex in 0..<table.distinctCount {
                    if slotIndex & 0xFFFF == 0 && (failure.load(ordering: .relaxed) != 0 || isCancelled()) {
                        failure.store(1, ordering: .relaxed)
                        return
                    }
                    let slot = table.slots + slotIndex
                    let hash = table.hash(of: slot)
                    guard partitionOf(hash, partitions) == partition else { continue }
                    let word = countedWord(slot, arena: table.arena)
                    let first = UInt64(tableIndex) << 32 | UInt64(table.ordinal(slot))
                    var position = Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
                    while true {
                        let existing = Int(index[position])
                        if existing < 0 {
                            index[position] = Int32(used)
                            (list + used).initialize(to: MergedWord(word: word, hash: hash, first: first))
                            used += 1
                            break
                        }
                        if list[existing].hash == hash && sameToken(list[existing].word, word) {
                            list[existing].word.count &+= word.count
                            list[existing].first = min(list[existing].first, first)
                            break
                        }
                        position = (position + 1) & ((1 << bits) - 1)
                    }
                }
            }
            sharedCounts.pointer[partition] = used
        }
    }
    switch failure.load(ordering: .relaxed) {
    case 1: throw .cancelled
    case 2: throw .outOfMemory
    default: break
    }
    // All partitions' tokens, sorted by first occurrence.
    var distinct = 0
    for p in 0..<partitions { distinct += counts[p] }
    guard let keyed = KeyedItems(count: distinct) else { throw .outOfMemory }
    var next = 0
    for p in 0..<partitions {
        guard let list = entries[p] else { continue }
        for i in 0..<counts[p] {
            keyed.items[next] = KeyedItem(key: list[i].first, object: UInt(p) << 40 | UInt(i))
            next += 1
        }
    }
    try keyed.sort(count: distinct, threads: threads, isCancelled: isCancelled)
    guard let words = allocateMapped(CountedWord.self, max(distinct, 1)) else { throw .outOfMemory }
    for position in 0..<distinct {
        if position & 0xFFFF == 0xFFFF && isCancelled() {
            deallocateMapped(words, count: max(distinct, 1))
            throw .cancelled
        }
        let object = keyed.items[position].object
        guard let list = entries[Int(object >> 40)] else { throw .outOfMemory }
        words[position] = list[Int(object & 0xFF_FFFF_FFFF)].word
    }
    for table in tables { table.releaseSlots() }  // the words are copied: only the arenas are still needed
    return WordList(words: words, count: distinct, tables: tables)
}

/// The partition (0..<partitions) of a token with this hash: from its top bits.
@inline(__always)
func partitionOf(_ hash: UInt64, _ partitions: Int) -> Int {
    Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(partitions)) >> 32)
}

/// Whether two hand-over forms hold the same token.
@inline(__always)
func sameToken(_ a: CountedWord, _ b: CountedWord) -> Bool {
    guard a.code == b.code, a.key1 == b.key1 else { return false }
    if a.code >> 58 != longTokenCode { return a.key0 == b.key0 }
    guard let pa = UnsafePointer<UInt8>(bitPattern: UInt(a.key0)),
          let pb = UnsafePointer<UInt8>(bitPattern: UInt(b.key0)) else { return false }
    return bytesEqual(pa, pb, Int(a.key1))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Word counts in a portable form, the partial results fastkernels.dask moves between
// processes: the words (UTF-8) joined by single spaces (a word of str.split() holds no
// whitespace, and no UTF-8 sequence holds the byte 0x20), and their counts as Int64 in
// native byte order, both in first-occurrence order. Merging parts adds the counts of a
// word and puts new words last, in order: Counter.update, part after part.

/// One part: `words` joined by single spaces and one Int64 count per word.
public struct EncodedWordCounts {
    public let words: UnsafeRawBufferPointer
    public let counts: UnsafeRawBufferPointer

    public init(words: UnsafeRawBufferPointer, counts: UnsafeRawBufferPointer) {
        self.words = words
        self.counts = counts
    }
}

/// A merged word: where its bytes are (in one of the parts), its hash and its count.
struct EncodedWord {
    var start: UnsafePointer<UInt8>
    var length: Int
    var hash: UInt64
    var count: Int64
}

/// The merge of encoded parts, in first-occurrence order; owns its memory.
public struct MergedWordCounts: ~Copyable {
    let words: UnsafeMutablePointer<EncodedWord>?
    let capacity: Int
    /// Distinct words.
    public let count: Int
    /// Bytes of the words joined by single spaces.
    public let byteCount: Int

    deinit { deallocateChecked(words, count: capacity) }

    /// Writes the words joined by single spaces (`byteCount` bytes) and their counts (`count` Int64).
    public func write(words output: UnsafeMutableRawPointer, counts: UnsafeMutableRawPointer) {
        var offset = 0
        for i in 0..<count {
            let word = words![i]
            if i > 0 {
                output.storeBytes(of: 0x20, toByteOffset: offset, as: UInt8.self)
                offset += 1
            }
            (output + offset).copyMemory(from: word.start, byteCount: word.length)
            offset += word.length
            counts.storeBytes(of: word.count, toByteOffset: 8 * i, as: Int64.self)
        }
    }
}

/// Merges `parts` in order: each word's counts added, new words appended in the
/// order the parts hold them. The parts' memory must stay valid and unchanged
/// until the result is written.
///
/// - Complexity: O(total bytes); a hash-table lookup per word. Memory: 32 bytes
///   per distinct word and a 32-bit index of twice that many slots.
/// - Throws: `.invalidArgument` when a part is not in the encoded form (counts not
///   a whole number of Int64, an empty word, a different number of words and
///   counts), `.resultTooLarge` when a count would pass Int64.max, `.outOfMemory`,
///   `.cancelled` (polled every 65,536 words).
public func mergeWordCounts(_ parts: UnsafeBufferPointer<EncodedWordCounts>,
                            isCancelled: () -> Bool = { false }) throws(KernelError) -> MergedWordCounts {
    var table = EncodedWordTable()
    defer { table.release() }
    var seen = 0
    for part in parts {
        guard part.counts.count % 8 == 0 else {
            throw .invalidArgument(argument: "counts", requirement: "must hold whole 64-bit counts")
        }
        let expected = part.counts.count / 8
        var found = 0
        if let base = part.words.baseAddress?.assumingMemoryBound(to: UInt8.self), part.words.count > 0 {
            let end = base + part.words.count
            var start = base
            while true {
                let space = memchr(start, 0x20, end - start)?.assumingMemoryBound(to: UInt8.self)
                let stop = space.map { UnsafePointer($0) } ?? end
                guard stop > start, found < expected else {
                    throw .invalidArgument(argument: "words", requirement: "must hold one non-empty word per count, "
                                           + "joined by single spaces")
                }
                let count = part.counts.loadUnaligned(fromByteOffset: 8 * found, as: Int64.self)
                try table.add(start, stop - start, count)
                found += 1
                seen += 1
                if seen & 0xFFFF == 0 && isCancelled() { throw .cancelled }
                guard stop < end else { break }
                start = stop + 1
            }
        }
        guard found == expected else {
            throw .invalidArgument(argument: "words", requirement: "must hold one non-empty word per count, "
                                   + "joined by single spaces")
        }
    }
    return table.take()
}

/// The merge's table: the words in order, and an open-addressing index of them.
struct EncodedWordTable {
    var words: UnsafeMutablePointer<EncodedWord>? = nil
    var capacity = 0
    var count = 0
    var byteCount = 0
    var index: UnsafeMutablePointer<UInt32>? = nil
    var slots = 0

    mutating func add(_ start: UnsafePointer<UInt8>, _ length: Int, _ count: Int64) throws(KernelError) {
        if 2 * (self.count + 1) > slots { try grow() }
        let hash = wordHash(start, length)
        let mask = slots - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = index![slot]
            if entry == UInt32.max { break }
            let word = words! + Int(entry)
            if word.pointee.hash == hash && word.pointee.length == length && bytesEqual(word.pointee.start, start, length) {
                let (sum, overflow) = word.pointee.count.addingReportingOverflow(count)
                if overflow { throw .resultTooLarge("a word's count does not fit 64 bits") }
                word.pointee.count = sum
                return
            }
            slot = (slot + 1) & mask
        }
        if self.count == capacity { try growWords() }
        guard self.count < Int(UInt32.max) else { throw .outOfMemory }
        (words! + self.count).initialize(to: EncodedWord(start: start, length: length, hash: hash, count: count))
        index![slot] = UInt32(truncatingIfNeeded: self.count)
        byteCount += length + (self.count > 0 ? 1 : 0)
        self.count += 1
    }

    /// Doubles the index (at least 1,024 slots) and re-inserts every word.
    mutating func grow() throws(KernelError) {
        let newSlots = max(1024, 2 * slots)
        guard let newIndex = allocateChecked(UInt32.self, newSlots) else { throw .outOfMemory }
        newIndex.initialize(repeating: UInt32.max, count: newSlots)
        let mask = newSlots - 1
        for i in 0..<count {
            var slot = Int(truncatingIfNeeded: words![i].hash) & mask
            while newIndex[slot] != UInt32.max { slot = (slot + 1) & mask }
            newIndex[slot] = UInt32(truncatingIfNeeded: i)
        }
        deallocateChecked(index, count: slots)
        index = newIndex
        slots = newSlots
    }

    /// Doubles the words' array (at least 512).
    mutating func growWords() throws(KernelError) {
        let newCapacity = max(512, 2 * capacity)
        guard let grown = allocateChecked(EncodedWord.self, newCapacity) else { throw .outOfMemory }
        if let words { grown.moveInitialize(from: words, count: count) }
        deallocateChecked(words, count: capacity)
        words = grown
        capacity = newCapacity
    }

    /// The words, handed over (the table keeps nothing).
    mutating func take() -> MergedWordCounts {
        let merged = MergedWordCounts(words: words, capacity: capacity, count: count, byteCount: byteCount)
        words = nil
        capacity = 0
        return merged
    }

    mutating func release() {
        deallocateChecked(index, count: slots)
        deallocateChecked(words, count: capacity)
        index = nil
        words = nil
    }
}

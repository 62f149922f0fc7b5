import Synchronization

// Ordering and merging: one table's tokens in the order it first saw them, or
// several workers' tables merged into that order. See docs/word_count.md.

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

/// Whether a merge worker stops: another one failed (its reason stays: a worker that stops
/// because another ran out of memory must not turn that MemoryError into a KeyboardInterrupt),
/// or the call was cancelled.
@inline(__always)
private func stopMerging(_ failure: borrowing Atomic<Int>, _ isCancelled: () -> Bool) -> Bool {
    if failure.load(ordering: .relaxed) != 0 { return true }
    guard isCancelled() else { return false }
    _ = failure.compareExchange(expected: 0, desired: 1, ordering: .relaxed)
    return true
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

/// A token being merged: its hand-over form, its identity (its tag's length code
/// and hash bits) and its first occurrence: its place in the merged order.
struct MergedWord {
    var word: CountedWord
    var identity: UInt64
    var first: UInt64
}
/// Merges compacted tables (one per share of the text, in text order) into one
/// list ordered by first occurrence. Worker `p` owns the tokens whose hash falls
/// in partition `p`: it gathers them from every table into a table of its own,
/// indexed by other bits of the hash than the source tables (so tokens arriving
/// in their source tables' slot order do not cluster), summing counts and
/// keeping the earliest occurrence. Partitions and indexes come from the hash bits
/// the slots' tags keep: the merge reads each slot once per pass, sequentially,
/// and touches a long token's bytes only to compare them with an equal tag's. The
/// partitions are disjoint; each worker then writes its tokens to their place in
/// (table, ordinal) order, an array with one place for every token of every table
/// (tables' distinct counts added up: no sort needed), and one pass closes the gaps
/// of tokens first seen in an earlier table. Linear in the number of distinct tokens.
/// - Parameter placements: for each table, its runs of ordinals (first ordinal, place
///   of that ordinal in the order of first occurrence), by first ordinal: a word at
///   ordinal o of table t goes to the place of t's last run that starts at or before o,
///   plus o minus that start (`WordCounter.placements()`).
func mergedWords(_ tables: [WordTable], placements: [[(firstOrdinal: Int, place: Int)]],
                 isCancelled: () -> Bool) throws(KernelError) -> WordList {
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
    // The words in order of first occurrence, one place for each word of each table; a
    // place no word takes (its word was in an earlier chunk too) keeps code 0 (zeroed memory).
    guard let words = allocateMapped(CountedWord.self, max(total, 1), zeroed: true) else { throw .outOfMemory }
    var mapped = true  // `words` still to be freed on an error
    defer { if mapped { deallocateMapped(words, count: max(total, 1)) } }
    let sharedWords = SharedPointer(words), sharedPlacements = UncheckedSendable(placements)
    let failure = Atomic<Int>(0)  // 1 cancelled, 2 out of memory
    withoutActuallyEscaping(isCancelled) { isCancelled in
        runWorkers(partitions, isCancelled: isCancelled) { partition, partitions in
            // Tokens of this partition in each table, counted first: the exact size needed.
            var mine = 0
            for table in sources.value {
                for index in 0..<table.distinctCount {
                    if index & 0xFFFF == 0xFFFF && stopMerging(failure, isCancelled) { return }
                    if partitionOf(tag: table.slots[index].tag, partitions) == partition { mine += 1 }
                }
            }
            var bits = 4
            while (1 << bits) < mine * 2 { bits += 1 }
            guard let list = allocateChecked(MergedWord.self, max(mine, 1)),
                  let index = allocateChecked(Int32.self, 1 << bits, repeating: -1) else {
                _ = failure.compareExchange(expected: 0, desired: 2, ordering: .relaxed)
                return
            }
            sharedEntries.pointer[partition] = list
            sharedCapacities.pointer[partition] = max(mine, 1)
            defer { deallocateChecked(index, count: 1 << bits) }
            var used = 0
            for (tableIndex, table) in sources.value.enumerated() {
                let runs = sharedPlacements.value[tableIndex]
                for slotIndex in 0..<table.distinctCount {
                    if slotIndex & 0xFFFF == 0 && stopMerging(failure, isCancelled) { return }
                    let slot = table.slots + slotIndex
                    let identity = slot.pointee.tag & tagIdentityMask
                    guard partitionOf(tag: identity, partitions) == partition else { continue }
                    let word = countedWord(slot, arena: table.arena)
                    let first = UInt64(place(of: table.ordinal(slot), in: runs))
                    var position = Int(truncatingIfNeeded: (identity &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
                    while true {
                        let existing = Int(index[position])
                        if existing < 0 {
                            index[position] = Int32(used)
                            (list + used).initialize(to: MergedWord(word: word, identity: identity, first: first))
                            used += 1
                            break
                        }
                        if list[existing].identity == identity && sameToken(list[existing].word, word) {
                            list[existing].word.count &+= word.count
                            list[existing].first = min(list[existing].first, first)
                            break
                        }
                        position = (position + 1) & ((1 << bits) - 1)
                    }
                }
            }
            sharedCounts.pointer[partition] = used
            for i in 0..<used { sharedWords.pointer[Int(list[i].first)] = list[i].word }
        }
    }
    switch failure.load(ordering: .relaxed) {
    case 1: throw .cancelled
    case 2: throw .outOfMemory
    default: break
    }
    // Close the gaps (in place, order kept).
    var distinct = 0
    for position in 0..<total where words[position].code != 0 {
        if position & 0xFFFFF == 0xFFFFF && isCancelled() { throw .cancelled }
        words[distinct] = words[position]
        distinct += 1
    }
    mapped = false
    for table in tables { table.releaseSlots() }  // the words are copied: only the arenas are still needed
    return WordList(words: words, count: distinct, capacity: max(total, 1), tables: tables)
}

/// The place in the order of first occurrence of the word at `ordinal` of a table whose
/// runs are `runs` (see `mergedWords`).
@inline(__always)
func place(of ordinal: Int, in runs: [(firstOrdinal: Int, place: Int)]) -> Int {
    if runs.count == 1 { return runs[0].place + ordinal - runs[0].firstOrdinal }
    var low = 0, high = runs.count - 1  // the last run starting at or before `ordinal`
    while low < high {
        let middle = (low + high + 1) / 2
        if runs[middle].firstOrdinal <= ordinal { low = middle } else { high = middle - 1 }
    }
    return runs[low].place + ordinal - runs[low].firstOrdinal
}

/// The partition (0..<partitions) of the token whose slot has this tag: from the
/// top of the 26 hash bits the tag keeps (bits 38-63 of the hash: independent of
/// the low bits that place the token in its table).
@inline(__always)
func partitionOf(tag: UInt64, _ partitions: Int) -> Int {
    Int(truncatingIfNeeded: (((tag >> 32) & 0x3FF_FFFF) &* UInt64(partitions)) >> 26)
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

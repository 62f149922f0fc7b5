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

import FastKernels
import PythonBridge

// sort()'s adapter between Python objects and the kernels: the keys of exact
// lists and tuples (on the stack for short ones, with the GIL held), the
// references that keep their items alive while the GIL is released, and
// numeric buffers sorted in place (a visitor of their element type).

/// Lists and tuples up to this many items are sorted with the GIL held, their
/// keys on the stack: no scratch memory, no references taken beyond the result's.
let smallSortLimit = 256

/// Whether the values of a sequence's items, as they are read, came in order (non-decreasing:
/// the sorted order is theirs) or strictly descending (it is their reverse), as `sorted()`
/// finds in one pass over a presorted list, where a sort takes O(n log n).
struct MonotonicRun<Value: Comparable> {
    private var last: Value
    private(set) var ascending = true
    private var descending = true

    init(first: Value) { last = first }

    /// Adds the next value: false once the values are neither in order nor strictly descending
    /// (a NaN compares neither way: it ends the run).
    @inline(__always)
    mutating func add(_ value: Value) -> Bool {
        ascending = ascending && value >= last
        descending = descending && value < last
        last = value
        return ascending || descending
    }
}

/// The value by which an exact float sorts (negated for a reverse sort; -0.0 and 0.0 equal,
/// as `sorted()` has them); nil for any other object.
@inline(__always)
func floatRunValue(_ object: PyObjectPointer, reverse: Bool) -> Double? {
    guard let value = exactFloatValue(object) else { return nil }
    return reverse ? -value : value
}

/// The value by which an exact int within 64 bits (or a bool) sorts (its complement for a
/// reverse sort); nil for any other object.
@inline(__always)
func intRunValue(_ object: PyObjectPointer, reverse: Bool) -> Int64? {
    guard case .int(let value) = scalarNumber(object) else { return nil }
    return reverse ? ~value : value
}

/// `sorted()` of an exact list's or tuple's items when they are all exact floats (no NaN) or
/// all exact ints within 64 bits and in order already (a copy) or strictly descending
/// (reversed): one pass reads them (the first item out of order ends it: a list in no order
/// costs two or three reads), a second copies them; nil otherwise. (Built in the reading pass,
/// a list of a million items in order but for its last was made and thrown away.) The GIL is
/// held: no Python code runs, nothing changes the items.
func sortedMonotonicSequence(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) throws(PythonException) -> PyRef? {
    guard let ascending = monotonicOrder(items, reverse: reverse) else { return nil }
    let list = try PyRef.list(count: items.count) { index in PyRef(borrowing: items[index]!) }
    if !ascending { list.reverseList() }
    return list
}

/// Whether the items (at least 2) are all exact floats (no NaN) or all exact ints within 64
/// bits and in order by `sorted()`'s rule (true) or strictly the other way (false); nil otherwise.
func monotonicOrder(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) -> Bool? {
    guard items.count >= 2, let first = items[0] else { return nil }
    if let value = floatRunValue(first, reverse: reverse) {
        return monotonicRun(items, MonotonicRun(first: value)) { floatRunValue($0, reverse: reverse) }
    }
    if let value = intRunValue(first, reverse: reverse) {
        return monotonicRun(items, MonotonicRun(first: value)) { intRunValue($0, reverse: reverse) }
    }
    return nil
}

/// `list.sort()` of an exact list whose items are all exact floats (no NaN) or all exact ints
/// within 64 bits and in order already (nothing to do) or strictly descending (reversed in
/// place), or in a few ascending runs (`mergeFewRunsInPlace`): true then; false, the list
/// untouched, otherwise. The GIL is held throughout.
func sortMonotonicList(_ list: PyObjectPointer, _ items: UnsafeBufferPointer<PyObjectPointer?>,
                       reverse: Bool) -> Bool {
    guard let ascending = monotonicOrder(items, reverse: reverse) else { return mergeFewRunsInPlace(items, reverse: reverse) }
    if !ascending { PyRef(borrowing: list).reverseList() }
    return true
}

/// Calls `body` with the keys and objects of an exact list's or tuple's items (more than
/// `smallSortLimit`, out of order) sorted, when they are all exact floats or all exact ints
/// within 64 bits in a few ascending runs (a sorted list with items appended or moved:
/// `a.append(x); a.sort()`; see `mergesNaturalRuns`): their keys read and the runs merged with
/// the GIL held, no references taken. Nil, without calling it, otherwise (or without memory).
/// The usual path takes and releases a reference to every item: two more passes over objects
/// that lie all over memory, for a sort that is one pass and a merge (`list.sort()` of such
/// lists of 100,000 to 1,000,000 items took 0.33-0.59x its time). The first 256 items are read
/// first: a list that is not in a few runs is rarely so at its start.
func withMergedFewRuns<R: ~Copyable>(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool,
                                     _ body: (SortedKeyedItems) throws(PythonException) -> R) throws(PythonException) -> R? {
    let count = items.count
    guard count > smallSortLimit else { return nil }
    let head = UnsafeBufferPointer(rebasing: items[0..<smallSortLimit])
    let startsInFewRuns = withTemporaryMemory(of: KeyedItem.self, capacity: head.count) { keyed in
        var keyRange = KeyRange()
        return readSmallKeys(head, reverse: reverse, into: keyed, keyRange: &keyRange)
            && mergesNaturalRuns(keyed, count: head.count)
    }
    guard startsInFewRuns == true, let keyed = KeyedItems(count: count) else { return nil }
    var keyRange = KeyRange()
    guard readSmallKeys(items, reverse: reverse, into: keyed.items, keyRange: &keyRange),
          keyed.mergeFewRuns(count: count) else { return nil }
    // (The order points into `keyed`'s memory: it lives until the body is done.)
    return try withExtendedLifetime(keyed) { () throws(PythonException) -> R in try body(keyed.sortedOrder) }
}

/// `list.sort()` of an exact list in a few sorted runs (`withMergedFewRuns`): the list's item
/// pointers rewritten in place in the merged order (the same objects: no reference changes).
/// False, the list untouched, when `withMergedFewRuns` declines.
func mergeFewRunsInPlace(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) -> Bool {
    guard let slots = UnsafeMutablePointer(mutating: items.baseAddress) else { return false }
    let merged = try? withMergedFewRuns(items, reverse: reverse) { sorted in
        for index in 0..<items.count { slots[index] = object(atAddress: sorted[index].object) }
    }
    return merged != nil
}

/// `sorted()` of an exact list or tuple in a few sorted runs (`withMergedFewRuns`), or nil.
func sortedFewRuns(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) throws(PythonException) -> PyRef? {
    try withMergedFewRuns(items, reverse: reverse) { sorted throws(PythonException) in
        try PyRef.list(count: items.count) { index in PyRef(borrowing: object(atAddress: sorted[index].object)) }
    }
}

/// Whether items 1... continue `run` to the end: true (in order), false (strictly descending),
/// nil (neither, or an item of another kind).
@inline(__always)
func monotonicRun<Value: Comparable>(_ items: UnsafeBufferPointer<PyObjectPointer?>, _ run: MonotonicRun<Value>,
                                     _ value: (PyObjectPointer) -> Value?) -> Bool? {
    var run = run
    for index in 1..<items.count {
        guard let next = value(items[index]!), run.add(next) else { return nil }
    }
    return run.ascending
}

/// The keys of a small sequence's items, in `keyed` (room for all), as `SortedItems`
/// reads them; NaNs get the largest key (last, in order, whether reverse or not).
/// False when the items are not all exact ints within 64 bits (or bools) or all exact floats.
@inline(__always)
func readSmallKeys(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool,
                   into keyed: UnsafeMutablePointer<KeyedItem>, keyRange: inout KeyRange) -> Bool {
    var sawInt = false, sawFloat = false
    // Exact floats, or exact ints, in a loop of their own (as `SortedItems` reads them); the
    // general loop takes over at the first other item.
    var start = 0
    while start < items.count, let object = items[start], let value = exactFloatValue(object) {
        let key = value.isNaN ? .max : reverse ? ~Double.key(value) : Double.key(value)
        keyRange.add(key)
        keyed[start] = KeyedItem(key: key, object: UInt(bitPattern: object))
        start += 1
    }
    sawFloat = start > 0
    if start == 0 {  // exact ints (not bools) within 64 bits, likewise
        while start < items.count, let object = items[start], let value = exactIntValue(object) {
            let key = reverse ? ~Int64.key(value) : Int64.key(value)
            keyRange.add(key)
            keyed[start] = KeyedItem(key: key, object: UInt(bitPattern: object))
            start += 1
        }
        sawInt = start > 0
    }
    for index in start..<items.count {
        let object = items[index]!
        let key: UInt64
        switch scalarNumber(object) {
        case .int(let value):
            sawInt = true
            key = reverse ? ~Int64.key(value) : Int64.key(value)
        case .float(let value):
            sawFloat = true
            key = value.isNaN ? .max : reverse ? ~Double.key(value) : Double.key(value)
        case .other:
            return false
        }
        keyRange.add(key)
        keyed[index] = KeyedItem(key: key, object: UInt(bitPattern: object))
    }
    return !(sawInt && sawFloat)  // int/float comparisons: sorted() decides
}

/// A new sorted list of a small sequence's items, or nil to decline (see `readSmallKeys`).
func sortedSmallSequence(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) throws(PythonException) -> PyRef? {
    try withSortedSmallItems(items, reverse: reverse) { sorted throws(PythonException) in
        try PyRef.list(count: items.count) { index throws(PythonException) in
            PyRef(borrowing: object(atAddress: sorted[index].object))
        }
    }
}

/// Sorts a small exact list in place (true), or declines (false; see `readSmallKeys`).
/// The GIL is held throughout: nothing can change the list meanwhile.
func sortSmallList(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) throws(PythonException) -> Bool {
    guard items.count > 1, let slots = UnsafeMutablePointer(mutating: items.baseAddress) else { return true }
    return try withSortedSmallItems(items, reverse: reverse) { sorted in
        for index in 0..<items.count { slots[index] = object(atAddress: sorted[index].object) }
        return true
    } ?? false
}

/// Calls `body` with the keys and objects of a small sequence's items, sorted (keys and
/// scratch on the stack); nil, without calling it, to decline (see `readSmallKeys`).
func withSortedSmallItems<R: ~Copyable>(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool,
                             _ body: (SortedKeyedItems) throws(PythonException) -> R) throws(PythonException) -> R? {
    let count = items.count
    let sorted = try withTemporaryMemory(of: KeyedItem.self, capacity: 2 * max(count, 1)) { base throws(PythonException) -> R? in
        var keyRange = KeyRange()
        guard readSmallKeys(items, reverse: reverse, into: base, keyRange: &keyRange) else { return nil }
        // From 33 items, the order of their packed keys (2 KiB at most, on the stack); else,
        // or when that does not apply, the items sorted themselves.
        if count >= packedSortMinimum {
            let ordered = try withTemporaryMemory(of: Int64.self, capacity: count) { packed throws(PythonException) -> R? in
                guard let order = KeyedItems.order(base, count: count, keyRange: keyRange, packed: packed) else { return nil }
                return try body(order)
            }
            if let ordered = ordered ?? nil { return ordered }
        }
        try sortSmallKeyedItems(base, scratch: base + max(count, 1), count: count, keyRange: keyRange)
        return try body(SortedKeyedItems(inOrder: base))
    }
    guard let sorted else { throw PythonException.memoryError(in: "sort", "%s(): not enough memory to sort %zd items", count) }
    return sorted
}

/// `KeyedItems.sort` of items in the caller's memory, with the GIL held.
func sortSmallKeyedItems(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                         count: Int, keyRange: KeyRange) throws(PythonException) {
    do {
        try KeyedItems.sort(items, scratch: scratch, count: count, keyRange: keyRange)
    } catch {
        throw PythonException.memoryError(in: "sort", "%s(): not enough memory to sort %zd items", count)
    }
}

/// The items of a list or tuple, sorted by key: their references (taken while
/// the keys were read, in an array of their own, so that nothing another
/// thread does to the list while the GIL is released can invalidate them) and
/// the sorted order.
struct SortedItems: ~Copyable {
    var references: OwnedReferences
    let keyed: KeyedItems
    /// Items `0..<sortedCount` of `keyed` (keys and object addresses) are sorted; the
    /// NaNs follow, in order (their addresses in `nanIndices`).
    let sortedCount: Int
    let nanIndices: CheckedIndices

    /// Nil when `values` is not an exact list or tuple of exact ints within 64
    /// bits (or bools) or of exact floats.
    init?(_ values: PyObjectPointer, reverse: Bool, threads: Int, args: borrowing Arguments) throws(PythonException) {
        guard let items = exactSequenceItems(values) else { return nil }
        let count = items.count
        guard var references = OwnedReferences(capacity: count), let keyed = KeyedItems(count: count),
              let nanIndices = CheckedIndices(capacity: count) else {
            throw PythonException.memoryError(in: args.functionName, "%s(): not enough memory to sort %zd items", count)
        }
        var sawInt = false, sawFloat = false
        var keyedCount = 0
        var keyRange = KeyRange()
        // Exact floats, the usual list of floats, in a loop of their own (a third of the
        // general loop's time a float); the general loop below takes over at the first other item.
        var start = 0
        let flip: UInt64 = reverse ? ~0 : 0
        while start < count {
            // Runs of non-NaN floats in a loop with few live values (kept in registers).
            let run = readFloatKeys(items, from: start, &references, keyed.items + keyedCount, &keyRange, flip: flip)
            start += run
            keyedCount += run
            guard start < count, let object = items[start], let value = exactFloatValue(object), value.isNaN else { break }
            references.append(object)
            nanIndices.append(Int(bitPattern: object))
            start += 1
        }
        sawFloat = start > 0
        if start == 0 {
            // Exact ints within 64 bits, the usual list of ints, likewise.
            start = readIntKeys(items, &references, keyed.items, &keyRange, flip: flip)
            keyedCount = start
            sawInt = start > 0
        }
        for index in start..<count {
            let object = items[index]!
            let key: UInt64
            switch scalarNumber(object) {
            case .int(let value):
                sawInt = true
                key = Int64.key(value)
            case .float(let value):
                sawFloat = true
                if value.isNaN {
                    nanIndices.append(Int(bitPattern: object))
                    references.append(object)
                    continue
                }
                key = Double.key(value)  // -0.0 and 0.0 share a key: equal, so stable order
            case .other:
                return nil
            }
            if sawInt && sawFloat { return nil }  // int/float comparisons: sorted() decides
            references.append(object)
            let ordered = reverse ? ~key : key
            keyRange.add(ordered)
            keyed.items[keyedCount] = KeyedItem(key: ordered, object: UInt(bitPattern: object))
            keyedCount += 1
        }
        let sortedCount = keyedCount
        try args.runKernel(releasingGIL: sortedCount >= arrayGILThreshold) { isCancelled throws(KernelError) in
            try keyed.sort(count: sortedCount, keyRange: keyRange, threads: threads, isCancelled: isCancelled)
        }
        self.references = references
        self.keyed = keyed
        self.sortedCount = sortedCount
        self.nanIndices = nanIndices
    }

    consuming func makeList() throws(PythonException) -> PyRef {
        let result = self.result
        // Items read through the order of a list larger than the L2 cache: each is a cache miss,
        // asked for 16 items ahead (a million floats 1.01-1.06x faster; below, 0.95x: not there).
        guard result.sortedCount >= 1 << 18 else {
            return try references.makeList { position in result[position] }
        }
        return try references.makeList { position in
            if position &+ 16 < result.sortedCount { result.sorted.prefetch(position &+ 16) }
            return result[position]
        }
    }

    /// Writes the sorted order into `list`, if it still holds exactly the items
    /// that were sorted; otherwise another thread changed it meanwhile:
    /// ValueError, as `list.sort` raises, and the list keeps what that thread put there.
    consuming func store(into list: PyObjectPointer) throws(PythonException) {
        guard references.matches(list: list) else { throw .valueError("list modified during sort") }
        let result = self.result
        references.store(into: list) { position in result[position] }
    }

    /// The sorted objects: the sorted items', then the NaNs in their order.
    private var result: SortedObjects {
        SortedObjects(sorted: keyed.sortedOrder, sortedCount: sortedCount, nans: nanIndices)
    }
}

/// The objects of a sort's result, in order: `sortedCount` items read through their sorted
/// keys, then the NaNs (their addresses), in input order.
struct SortedObjects {
    let sorted: SortedKeyedItems
    let sortedCount: Int
    let nans: CheckedIndices

    @inline(__always)
    subscript(_ position: Int) -> PyObjectPointer {
        object(atAddress: position < sortedCount ? sorted[position].object : UInt(bitPattern: nans[position - sortedCount]))
    }
}

/// Reads exact floats that are not NaN from `items[start...]` until another item: takes a
/// reference to each and writes its key (XOR `flip`: ~0 for a reverse sort) and address to
/// `keyed`. Returns how many it read.
@inline(never)
func readFloatKeys(_ items: UnsafeBufferPointer<PyObjectPointer?>, from start: Int, _ references: inout OwnedReferences,
                   _ keyed: UnsafeMutablePointer<KeyedItem>, _ keyRange: inout KeyRange, flip: UInt64) -> Int {
    var range = keyRange
    var i = start
    while i < items.count, let object = items[i], let value = exactFloatValue(object), !value.isNaN {
        references.append(object)
        let key = Double.key(value) ^ flip  // -0.0 and 0.0 share a key
        range.add(key)
        keyed[i &- start] = KeyedItem(key: key, object: UInt(bitPattern: object))
        i &+= 1
    }
    keyRange = range
    return i &- start
}

/// Reads exact ints (not bools) within 64 bits from the start of `items` until another item, as
/// `readFloatKeys` reads floats (in the general loop an int took three times a float's time:
/// lists of 1,000-100,000 ints sort 1.01-1.18x faster). Returns how many it read.
@inline(never)
func readIntKeys(_ items: UnsafeBufferPointer<PyObjectPointer?>, _ references: inout OwnedReferences,
                 _ keyed: UnsafeMutablePointer<KeyedItem>, _ keyRange: inout KeyRange, flip: UInt64) -> Int {
    var range = keyRange
    var i = 0
    while i < items.count, let object = items[i], let value = exactIntValue(object) {
        references.append(object)
        let key = Int64.key(value) ^ flip
        range.add(key)
        keyed[i] = KeyedItem(key: key, object: UInt(bitPattern: object))
        i &+= 1
    }
    keyRange = range
    return i
}

/// The object whose address a keyed item holds (an object this sort holds a reference to).
@inline(__always)
func object(atAddress address: UInt) -> PyObjectPointer {
    UnsafeMutablePointer(bitPattern: address).unsafelyUnwrapped
}

/// A growing list of indices (at most `capacity`), in checked memory.
final class CheckedIndices {
    let indices: UnsafeMutablePointer<Int>
    let capacity: Int
    var count = 0

    init?(capacity: Int) {
        guard let indices = allocateChecked(Int.self, max(capacity, 1)) else { return nil }
        self.indices = indices
        self.capacity = max(capacity, 1)
    }

    deinit { deallocateChecked(indices, count: capacity) }

    func append(_ index: Int) {
        indices[count] = index
        count += 1
    }

    subscript(_ position: Int) -> Int { indices[position] }
}

/// Sorts a writable 1-D numeric buffer in place (true), or declines (false).
/// - Throws: TypeError for a read-only buffer or a numpy subclass.
func sortBufferInPlace(_ values: PyObjectPointer, reverse: Bool, threads: Int,
                       args: borrowing Arguments) throws(PythonException) -> Bool {
    guard let buffer = try args.numericBuffer(values, argument: 0) else { return false }
    guard !buffer.isReadOnly else {
        throw args.error(0, .typeError, "is a read-only buffer; it cannot be sorted in place")
    }
    let sort = BufferSortInPlace(reverse: reverse, threads: threads, releasingGIL: buffer.count >= arrayGILThreshold)
    try buffer.visitElements(with: sort, args: args)
    return true
}

/// Sorts a buffer's elements in place (a bool buffer's as its bytes, `UInt8`).
struct BufferSortInPlace: ElementVisitor {
    let reverse: Bool
    let threads: Int
    let releasingGIL: Bool

    func visit<Element: NumericElement>(_ elements: StridedBuffer<Element>, args: borrowing Arguments) throws(PythonException) {
        try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
            try sortInPlace(elements, reverse: reverse, threads: threads, isCancelled: isCancelled)
        }
    }
}

import FastKernels
import PythonBridge

// sort() and sort_inplace(). Lists and tuples whose items are all exact ints
// within 64 bits (bools included) or all exact floats are sorted on keys (up
// to 256 items with the GIL held and the keys on the stack); numpy arrays and
// numeric buffers in place. Anything else goes to fastkernels/_general.py,
// which sorts it with sorted(). See docs/sort.md.

let sortFunction = Function("sort", "values, /, *, reverse=False, threads=None", doc: """
    Return a new sorted container of values.

    - A list, tuple or any other iterable gives a new list equal to
      ``sorted(values, reverse=reverse)``: the same objects, equal items in their
      original order (also with ``reverse=True``; ``-0.0`` and ``0.0`` are equal),
      compared as Python compares them; what ``sorted`` raises, this raises.
    - A 1-D numeric buffer (numpy array, ``array.array``, ``bytes``, ``bytearray``,
      ``memoryview``; formats b B h H i I l L q Q n N f d ?) gives a new container
      of the same type and dtype. Other numpy dtypes (float16, object, datetime64...)
      are sorted as ``sorted()`` sorts their items, into a list.

    NaN: every NaN (any real number unequal to itself) goes last, in its original
    order, whether reverse or not (numpy's rule; ``sorted`` leaves NaNs wherever
    its comparisons happen to put them).

    Lists and tuples of ints within 64 bits, or of floats, and numeric buffers are
    radix sorted (buffers of 32- and 64-bit numbers, on CPUs with AVX2, by a vector
    quicksort whose result is the same); large ones with the GIL released, in
    parallel over threads (None = all cores, 1 = this thread only; the result does
    not depend on it). Anything else takes ``sorted()`` itself. Raises TypeError
    for numpy masked arrays (their buffer does not carry the mask), ValueError for
    threads < 1.
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    let values = try args.object(0)
    if let items = exactSequenceItems(values) {
        if items.count <= smallSortLimit {
            if let sorted = try sortedSmallSequence(items, reverse: reverse) { return sorted }
        } else if let sorted = try SortedItems(values, reverse: reverse, threads: threads, args) {
            return try sorted.makeList()
        }
    } else if hasExactType(values, named: "numpy.ndarray"), try args.numericBuffer(values, argument: 0) != nil {
        // C order, same dtype and byte order.
        let copy = try PyRef(borrowing: values).callMethod("copy", cache: &PythonFallback.copyName)
        _ = try sortBufferInPlace(copy.pointer, reverse: reverse, threads: threads, args)
        return copy
    }
    // Everything else (other buffers, other items, other iterables): fastkernels/_general.py.
    return try PythonFallback.sort().call([values, args[1] ?? falseObject(), args[2] ?? noneObject()])
}

let sortInPlaceFunction = Function("sort_inplace", "values, /, *, reverse=False, threads=None", doc: """
    Sort values in place: a list (like ``list.sort``, with NaNs last as in
    :func:`sort`) or a writable 1-D numeric buffer (numpy array, ``array.array``,
    ``bytearray``, writable ``memoryview``).

    A list that another thread changes while it is being sorted raises
    ``ValueError("list modified during sort")``, as ``list.sort`` does, and keeps
    what that thread put in it: nothing is lost. Raises TypeError for read-only
    buffers, numpy masked arrays and other types.
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    let values = try args.object(0)
    if isExactList(values), let items = exactSequenceItems(values) {
        if items.count <= smallSortLimit {
            if try sortSmallList(items, reverse: reverse) { return .none }
        } else if let sorted = try SortedItems(values, reverse: reverse, threads: threads, args) {
            try sorted.store(into: values)
            return .none
        }
    } else if try sortBufferInPlace(values, reverse: reverse, threads: threads, args) {
        return .none
    }
    return try PythonFallback.sortInPlace().call([values, args[1] ?? falseObject(), args[2] ?? noneObject()])
}

/// Lists and tuples up to this many items are sorted with the GIL held, their
/// keys on the stack: no scratch memory, no references taken beyond the result's.
let smallSortLimit = 256

/// The keys of a small sequence's items, in `keyed` (room for all), as `SortedItems`
/// reads them; NaNs get the largest key (last, in order, whether reverse or not).
/// False when the items are not all exact ints within 64 bits (or bools) or all exact floats.
@inline(__always)
func readSmallKeys(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool,
                   into keyed: UnsafeMutablePointer<KeyedItem>) -> Bool {
    var sawInt = false, sawFloat = false
    for index in 0..<items.count {
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
        keyed[index] = KeyedItem(key: key, object: UInt(bitPattern: object))
    }
    return !(sawInt && sawFloat)  // int/float comparisons: sorted() decides
}

/// A new sorted list of a small sequence's items, or nil to decline (see `readSmallKeys`).
func sortedSmallSequence(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) throws -> PyRef? {
    try withSortedSmallItems(items, reverse: reverse) { sorted throws in
        try PyRef.list(count: items.count) { index throws(PythonException) in
            PyRef(borrowing: objectAddress(sorted[index].object))
        }
    }
}

/// Sorts a small exact list in place (true), or declines (false; see `readSmallKeys`).
/// The GIL is held throughout: nothing can change the list meanwhile.
func sortSmallList(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool) throws -> Bool {
    guard items.count > 1, let slots = UnsafeMutablePointer(mutating: items.baseAddress) else { return true }
    return try withSortedSmallItems(items, reverse: reverse) { sorted in
        for index in 0..<items.count { slots[index] = objectAddress(sorted[index].object) }
        return true
    } ?? false
}

/// Calls `body` with the keys and objects of a small sequence's items, sorted (keys and
/// scratch on the stack); nil, without calling it, to decline (see `readSmallKeys`).
func withSortedSmallItems<R: ~Copyable>(_ items: UnsafeBufferPointer<PyObjectPointer?>, reverse: Bool,
                             _ body: (UnsafePointer<KeyedItem>) throws -> R) throws -> R? {
    let count = items.count
    return try withUnsafeTemporaryAllocation(of: KeyedItem.self, capacity: 2 * max(count, 1)) { keyed throws -> R? in
        let base = keyed.baseAddress!
        guard readSmallKeys(items, reverse: reverse, into: base) else { return nil }
        try sortSmallKeyedItems(base, scratch: base + max(count, 1), count: count)
        return try body(base)
    }
}

/// `KeyedItems.sort` of items in the caller's memory, with the GIL held.
func sortSmallKeyedItems(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                         count: Int) throws(PythonException) {
    do {
        try KeyedItems.sort(items, scratch: scratch, count: count)
    } catch {
        throw PythonException.memoryError("sort(): not enough memory to sort \(count) items")
    }
}

/// The Python layer's general paths (fastkernels/_general.py), imported at the first call that needs them.
enum PythonFallback {
    nonisolated(unsafe) static var sortFunction: PyObjectPointer?
    nonisolated(unsafe) static var sortInPlaceFunction: PyObjectPointer?
    nonisolated(unsafe) static var wordCountFunction: PyObjectPointer?
    nonisolated(unsafe) static var copyName: PyObjectPointer?

    static func sort() throws(PythonException) -> PyRef {
        try PyRef.attribute("sort", ofModule: "fastkernels._general", cache: &sortFunction)
    }
    static func sortInPlace() throws(PythonException) -> PyRef {
        try PyRef.attribute("sort_inplace", ofModule: "fastkernels._general", cache: &sortInPlaceFunction)
    }
    static func wordCount() throws(PythonException) -> PyRef {
        try PyRef.attribute("word_count", ofModule: "fastkernels._general", cache: &wordCountFunction)
    }
}

/// sort() of a buffer: sorts the copy the Python layer made (a writable buffer) in place.
let sortBufferFunction = Function("_sort_buffer", "values, /, reverse=False, threads=None", messageName: "sort",
                                  doc: """
    The native part of fastkernels.sort() for a buffer: sorts the writable copy
    values in place and returns True; None when it is not a 1-D numeric buffer.
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    return try sortBufferInPlace(try args.object(0), reverse: reverse, threads: threads, args) ? .bool(true) : .none
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
    init?(_ values: PyObjectPointer, reverse: Bool, threads: Int, _ args: borrowing Arguments) throws {
        guard let items = exactSequenceItems(values) else { return nil }
        let count = items.count
        guard var references = OwnedReferences(capacity: count), let keyed = KeyedItems(count: count),
              let nanIndices = CheckedIndices(capacity: count) else {
            throw PythonException.memoryError("\(args.functionName)(): not enough memory to sort \(count) items")
        }
        var sawInt = false, sawFloat = false
        var keyedCount = 0
        for index in 0..<count {
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
            keyed.items[keyedCount] = KeyedItem(key: reverse ? ~key : key, object: UInt(bitPattern: object))
            keyedCount += 1
        }
        let sortedCount = keyedCount
        try args.runKernel(releasingGIL: sortedCount >= arrayGILThreshold) { isCancelled throws(KernelError) in
            try keyed.sort(count: sortedCount, threads: threads, isCancelled: isCancelled)
        }
        self.references = references
        self.keyed = keyed
        self.sortedCount = sortedCount
        self.nanIndices = nanIndices
    }

    consuming func makeList() throws(PythonException) -> PyRef {
        let keyed = self.keyed, sortedCount = self.sortedCount, nans = self.nanIndices
        return try references.makeList { position in
            objectAddress(position < sortedCount ? keyed.items[position].object : UInt(bitPattern: nans[position - sortedCount]))
        }
    }

    /// Writes the sorted order into `list`, if it still holds exactly the items
    /// that were sorted; otherwise another thread changed it meanwhile:
    /// ValueError, as `list.sort` raises, and the list keeps what that thread put there.
    consuming func store(into list: PyObjectPointer) throws(PythonException) {
        guard references.matches(list: list) else { throw .valueError("list modified during sort") }
        let keyed = self.keyed, sortedCount = self.sortedCount, nans = self.nanIndices
        references.store(into: list) { position in
            objectAddress(position < sortedCount ? keyed.items[position].object : UInt(bitPattern: nans[position - sortedCount]))
        }
    }
}

/// The object whose address a keyed item holds (an object this sort holds a reference to).
@inline(__always)
func objectAddress(_ address: UInt) -> PyObjectPointer {
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
                       _ args: borrowing Arguments) throws -> Bool {
    guard let buffer = try args.numericBuffer(values, argument: 0) else { return false }
    guard !buffer.isReadOnly else {
        throw args.error(0, .typeError, "is a read-only buffer; it cannot be sorted in place")
    }
    let sort = BufferSortInPlace(reverse: reverse, threads: threads, releasingGIL: buffer.count >= arrayGILThreshold)
    try buffer.visitElements(with: sort, args)
    return true
}

/// Sorts a buffer's elements in place (a bool buffer's as its bytes, `UInt8`).
struct BufferSortInPlace: ElementVisitor {
    let reverse: Bool
    let threads: Int
    let releasingGIL: Bool

    func visit<Element: NumericElement>(_ elements: StridedBuffer<Element>, _ args: borrowing Arguments) throws {
        try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
            try sortInPlace(elements, reverse: reverse, threads: threads, isCancelled: isCancelled)
        }
    }
}

let replaceListFunction = Function("_replace_list", "target, expected, replacement, /", messageName: "sort_inplace",
                                   doc: """
    target[:] = replacement, if target (a list) still holds exactly the items of
    expected, in order; otherwise ValueError("list modified during sort") and
    target is left as it is. The check and the replacement happen together, with
    the GIL held: no other thread can change target in between.
    """) { args in
    let target = try args.object(0), expected = try args.object(1), replacement = try args.object(2)
    guard isExactList(target), let old = exactSequenceItems(expected), let current = exactSequenceItems(target) else {
        throw args.typeError(0, expected: "list")
    }
    guard old.count == current.count, (0..<old.count).allSatisfy({ old[$0] == current[$0] }) else {
        throw PythonException.valueError("list modified during sort")
    }
    try replaceListContents(target, with: replacement)
    return .none
}

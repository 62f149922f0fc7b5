import FastKernels
import PythonBridge

// The native parts of sort() and sort_inplace(). Lists and tuples whose items
// are all exact ints within 64 bits (bools included) or all exact floats are
// radix sorted on keys; numeric buffers in place. Anything else is declined
// (None) and fastkernels' Python layer sorts it with sorted(). See docs/sort.md.

let sortFunction = Function("_sort", "values, /, reverse=False, threads=None", messageName: "sort", doc: """
    The native part of fastkernels.sort() for an exact list or tuple: a new
    sorted list of the same objects when all are ints within 64 bits (bools
    included) or all are floats; None otherwise, and for other objects (after
    checking reverse and threads).
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    guard let sorted = try SortedItems(try args.object(0), reverse: reverse, threads: threads, args) else {
        return .none
    }
    return try sorted.makeList()
}

let sortInPlaceFunction = Function("_sort_inplace", "values, /, reverse=False, threads=None",
                                   messageName: "sort_inplace", doc: """
    The native part of fastkernels.sort_inplace(): sorts an exact list (ints
    within 64 bits, or floats) or a writable 1-D numeric buffer in place and
    returns True; None for anything else. A list changed by another thread
    while it was sorted raises ValueError and keeps that thread's contents.
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    let values = try args.object(0)
    if isExactList(values) {
        guard let sorted = try SortedItems(values, reverse: reverse, threads: threads, args) else { return .none }
        try sorted.store(into: values)
        return .bool(true)
    }
    return try sortBuffer(values, reverse: reverse, threads: threads, args)
}

/// sort() of a buffer: sorts the copy the Python layer made (a writable buffer) in place.
let sortBufferFunction = Function("_sort_buffer", "values, /, reverse=False, threads=None", messageName: "sort",
                                  doc: """
    The native part of fastkernels.sort() for a buffer: sorts the writable copy
    values in place and returns True; None when it is not a 1-D numeric buffer.
    """) { args in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    return try sortBuffer(try args.object(0), reverse: reverse, threads: threads, args)
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

/// Sorts a writable 1-D numeric buffer in place (True), or declines (None).
func sortBuffer(_ values: PyObjectPointer, reverse: Bool, threads: Int,
                _ args: borrowing Arguments) throws -> PyRef {
    guard let buffer = try numericBuffer(values, args, 0, writable: true) else { return .none }
    let release = buffer.count >= arrayGILThreshold
    try withTypedBuffer(buffer) { typed throws in
        switch typed {
        case .int8(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .uint8(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .int16(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .uint16(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .int32(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .uint32(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .int64(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .uint64(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .float32(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        case .float64(let b): try sortInPlace(b, args, reverse: reverse, threads: threads, releasingGIL: release)
        }
    }
    return .bool(true)
}

func sortInPlace<T: RadixSortable>(
    _ values: StridedBuffer<T>, _ args: borrowing Arguments, reverse: Bool, threads: Int, releasingGIL: Bool
) throws {
    try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try FastKernels.sortInPlace(values, reverse: reverse, threads: threads, isCancelled: isCancelled)
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

@preconcurrency import CPython

// list and tuple: new ones, their items read in place (exact lists and tuples)
// or as iteration reads them, a list's contents replaced, and references to
// a list's items that stay valid whatever happens to the list.

extension PyRef {
    /// A new empty list.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func list() throws(PythonException) -> PyRef { try PyRef(owning: PyList_New(0)) }

    /// A new list of `count` items.
    /// - Parameters:
    ///   - count: the length, at least 0.
    ///   - item: makes item `index`, in order from 0; the list takes its reference.
    /// - Returns: the list, a new reference.
    /// - Throws: `.pending` (MemoryError) when the list cannot be made; what `item`
    ///   throws (the items made so far are released with the list).
    @inlinable
    public static func list(count: Int, _ item: (Int) throws(PythonException) -> PyRef) throws(PythonException) -> PyRef {
        let list = try PyRef(owning: PyList_New(count))
        for index in 0..<count {
            // Until filled, the list holds NULLs, which its deallocation skips.
            fk_list_set_item(list.pointer, index, try item(index).release())
        }
        return list
    }

    /// Reverses this list's items in place (`list.reverse()`).
    public func reverseList() {
        _ = PyList_Reverse(pointer)  // fails only for a non-list
    }

    /// Appends `item` to this list (which takes a reference to it).
    /// - Throws: `.pending` (MemoryError) when the list cannot grow.
    public func append(_ item: borrowing PyRef) throws(PythonException) {
        guard PyList_Append(pointer, item.pointer) == 0 else { throw .pending }
    }

    /// Item `index` of this list, borrowed (not checked: `0 <= index < len(list)`).
    public func listItem(_ index: Int) -> PyObjectPointer { fk_list_item(pointer, index)! }

    /// A new tuple of two items.
    /// - Parameters:
    ///   - first: item 0; the tuple takes this reference.
    ///   - second: item 1; the tuple takes this reference.
    /// - Returns: the tuple, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func tuple(_ first: consuming PyRef, _ second: consuming PyRef) throws(PythonException) -> PyRef {
        let tuple = try PyRef(owning: PyTuple_New(2))
        PyTuple_SetItem(tuple.pointer, 0, first.release())
        PyTuple_SetItem(tuple.pointer, 1, second.release())
        return tuple
    }

    /// A new tuple of two ints, `(first, second)`.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func tuple(_ first: Int, _ second: Int) throws(PythonException) -> PyRef {
        try .tuple(try .int(first), try .int(second))
    }
}

/// True for an exact list.
public func isExactList(_ object: PyObjectPointer) -> Bool { fk_list_check_exact(object) != 0 }

/// The items a list holds in its own storage (a subclass's too: what `list.sort` and
/// `PyList_SetSlice` see, whatever its `__iter__` says), borrowed, read in place.
/// - Parameter object: any object, borrowed.
/// - Returns: the items, valid while no Python code runs; nil for what is not a list.
public func listStorage(_ object: PyObjectPointer) -> UnsafeBufferPointer<PyObjectPointer?>? {
    guard fk_list_check(object) != 0 else { return nil }
    return UnsafeBufferPointer(start: UnsafePointer(fk_list_items(object)), count: fk_list_size(object))
}

/// The items of an exact list or an exact tuple, borrowed, as a C array, read in place.
/// - Parameter object: any object, borrowed.
/// - Returns: the items, valid while no Python code runs (a list's array moves
///   when the list changes); nil for any other object (subclasses included: they
///   may override iteration).
/// - Complexity: O(1).
public func exactSequenceItems(_ object: PyObjectPointer) -> UnsafeBufferPointer<PyObjectPointer?>? {
    if fk_list_check_exact(object) != 0 {
        return UnsafeBufferPointer(start: UnsafePointer(fk_list_items(object)), count: fk_list_size(object))
    }
    if fk_tuple_check_exact(object) != 0 {
        return UnsafeBufferPointer(start: UnsafePointer(fk_sequence_items(object)), count: fk_tuple_size(object))
    }
    return nil
}

/// Item `index` of a list or tuple as iterating it would give it now: the
/// check a list iterator makes on every step (a list may shrink while Python
/// code runs).
/// - Parameters:
///   - sequence: a list or a tuple (not checked), borrowed.
///   - index: at least 0.
/// - Returns: the item, a new reference; nil past the sequence's current end.
public func sequenceItem(_ sequence: PyObjectPointer, at index: Int) -> PyRef? {
    if fk_list_check(sequence) != 0 {
        guard index < fk_list_size(sequence) else { return nil }
        return PyRef(borrowing: fk_list_item(sequence, index)!)
    }
    guard index < fk_tuple_size(sequence) else { return nil }
    return PyRef(borrowing: fk_tuple_item(sequence, index)!)
}

/// `target[:] = items` for a list.
/// - Parameters:
///   - target: a list (not checked), borrowed.
///   - items: any iterable, borrowed.
/// - Throws: `.pending` with what iterating `items` raised, MemoryError.
public func replaceListContents(_ target: PyObjectPointer, with items: PyObjectPointer) throws(PythonException) {
    guard PyList_SetSlice(target, 0, fk_list_size(target), items) == 0 else { throw .pending }
}

/// Strong references to objects, taken one by one (in the order the caller
/// reads them) and kept in an array of its own: what it holds stays valid
/// whatever happens to the list the objects came from while the GIL is
/// released (another thread may clear it, or replace its items). Handed to a
/// new list by `makeList`, or back to a list by `store(into:)`; dropped any
/// other way, it releases every reference it took, exactly once.
public struct OwnedReferences: ~Copyable {
    @usableFromInline let objects: UnsafeMutablePointer<PyObjectPointer>
    let capacity: Int
    @usableFromInline var storedCount = 0
    /// The number of references held.
    public var count: Int { storedCount }

    /// Room for `capacity` references (at least one is made).
    /// - Returns: nil without the memory (nothing raised).
    public init?(capacity: Int) {
        let capacity = max(capacity, 1)
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<PyObjectPointer>.stride)
        guard !overflow, let raw = PyMem_RawMalloc(bytes) else { return nil }
        objects = raw.bindMemory(to: PyObjectPointer.self, capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        for index in 0..<count { fk_decref(objects[index]) }
        PyMem_RawFree(objects)
    }

    /// Takes a reference to `object` (GIL held); it becomes element `count - 1`.
    @inlinable @inline(__always)
    public mutating func append(_ object: PyObjectPointer) {
        fk_incref(object)
        objects[storedCount] = object
        storedCount += 1
    }

    /// Element `index`, borrowed from this array.
    @inline(__always)
    public subscript(_ index: Int) -> PyObjectPointer { objects[index] }

    /// A new list of all the objects in another order. The references move to the list.
    /// - Parameter object: gives item i of the list, for i in `0..<count`: every
    ///   object held here exactly as many times as it is held (a permutation).
    /// - Returns: the list, a new reference.
    /// - Throws: `.pending` (MemoryError) when the list cannot be made (the
    ///   references are then released).
    @inlinable
    public consuming func makeList(_ object: (Int) -> PyObjectPointer) throws(PythonException) -> PyRef {
        guard let list = PyList_New(count) else {
            _ = consume self  // deinit releases the references
            throw .pending
        }
        for index in 0..<count { fk_list_set_item(list, index, object(index)) }
        handedOver()
        return try PyRef(owning: list)
    }

    /// Frees the array without releasing the references it held (a list has them now).
    @usableFromInline
    consuming func handedOver() {
        PyMem_RawFree(objects)
        discard self
    }

    /// Whether `list` (an exact list) holds exactly these objects, in this order:
    /// true when nothing changed it since they were taken.
    public func matches(list: PyObjectPointer) -> Bool {
        guard fk_list_size(list) == count, let items = fk_list_items(list) else { return count == 0 }
        for index in 0..<count where items[index] != objects[index] { return false }
        return true
    }

    /// Puts the objects back into `list` in another order. The list keeps its
    /// references (a permutation of them); this array's are released.
    /// - Parameters:
    ///   - list: an exact list that `matches(list:)` these objects.
    ///   - object: gives item i, a permutation as for `makeList`.
    @inlinable
    public consuming func store(into list: PyObjectPointer, _ object: (Int) -> PyObjectPointer) {
        for index in 0..<count { fk_list_store(list, index, object(index)) }
    }
}

@preconcurrency import CPython

// dict: new dicts, items set and added to, size, and the dict type check.

extension PyRef {
    /// A new empty dict.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func dict() throws(PythonException) -> PyRef { try PyRef(owning: PyDict_New()) }

    /// `self[key] = value` for a dict (the object must be one: not checked).
    /// - Parameters:
    ///   - key: a hashable object; the dict takes a reference to it.
    ///   - value: any object; the dict takes a reference to it.
    /// - Throws: `.pending`: TypeError for an unhashable key, what its `__hash__`
    ///   or `__eq__` raised, MemoryError.
    public func setItem(_ key: borrowing PyRef, _ value: borrowing PyRef) throws(PythonException) {
        guard PyDict_SetItem(pointer, key.pointer, value.pointer) == 0 else { throw .pending }
    }

    /// `self[key] += amount` for a dict whose values are ints, a missing key
    /// counting as 0 (the object must be a dict: not checked).
    /// - Parameters:
    ///   - key: a hashable object.
    ///   - amount: what to add.
    /// - Throws: `.pending`: what hashing or comparing the key raised, what `+`
    ///   raised for a value that is not an int, MemoryError.
    public func addToItem(_ key: borrowing PyRef, _ amount: Int) throws(PythonException) {
        guard let existing = PyDict_GetItemWithError(pointer, key.pointer) else {
            if PyErr_Occurred() != nil { throw .pending }
            return try setItem(key, PyRef.int(amount))
        }
        let addend = try PyRef.int(amount)
        let sum = try PyRef(owning: PyNumber_Add(existing, addend.pointer))
        withExtendedLifetime(addend) {}
        try setItem(key, sum)
    }
}

/// The number of items of a dict (the object must be one: not checked).
public func dictSize(_ dict: PyObjectPointer) -> Int { PyDict_Size(dict) }

/// True for a dict (or an instance of a subclass, such as Counter).
public func isDict(_ object: PyObjectPointer) -> Bool { fk_dict_check(object) != 0 }

@preconcurrency import CPython

// dict: new dicts, items set and added to, size, and the dict type check.

extension PyRef {
    /// A new empty dict.
    public static func dict() throws(PythonException) -> PyRef { try PyRef(owning: PyDict_New()) }

    /// `self[key] = value` for a dict.
    public func setItem(_ key: borrowing PyRef, _ value: borrowing PyRef) throws(PythonException) {
        guard PyDict_SetItem(pointer, key.pointer, value.pointer) == 0 else { throw .pending }
    }

    /// `self[key] += amount` for a dict whose values are ints (a missing key counts as 0).
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

/// The number of items of a dict.
public func dictSize(_ dict: PyObjectPointer) -> Int { PyDict_Size(dict) }

/// True for a dict (or an instance of a subclass, such as Counter).
public func isDict(_ object: PyObjectPointer) -> Bool { fk_dict_check(object) != 0 }

@preconcurrency import CPython

// Iteration: `iter(object)` and `next()`.

/// `iter(object)`'s iterator, read with `next()`.
public struct PythonIterator: ~Copyable {
    let iterator: PyRef

    /// `iter(object)`: throws what `iter()` raises (TypeError "'int' object is not iterable"...).
    public init(_ object: PyObjectPointer) throws(PythonException) {
        iterator = try PyRef(owning: PyObject_GetIter(object))
    }

    /// The next item (a new reference), or nil at the end. Throws what the
    /// iterator raised (a generator's own exception, unchanged).
    public func next() throws(PythonException) -> PyRef? {
        guard let item = PyIter_Next(iterator.pointer) else {
            if PyErr_Occurred() != nil { throw .pending }
            return nil
        }
        return try PyRef(owning: item)
    }
}

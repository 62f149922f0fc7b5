@preconcurrency import CPython

// Iteration: `iter(object)` and `next()`.

/// `iter(object)`'s iterator, read with `next()`.
public struct PythonIterator: ~Copyable {
    let iterator: PyRef

    /// `iter(object)`.
    /// - Parameter object: any object, borrowed.
    /// - Throws: `.pending` with what `iter()` raises (TypeError "'int' object is
    ///   not iterable", the object's own `__iter__` exception).
    public init(_ object: PyObjectPointer) throws(PythonException) {
        iterator = try PyRef(owning: PyObject_GetIter(object))
    }

    /// `next(iterator)`.
    /// - Returns: the next item, a new reference; nil at the end.
    /// - Throws: `.pending` with what the iterator raised (a generator's own
    ///   exception, unchanged).
    public func next() throws(PythonException) -> PyRef? {
        guard let item = PyIter_Next(iterator.pointer) else {
            if PyErr_Occurred() != nil { throw .pending }
            return nil
        }
        return try PyRef(owning: item)
    }
}

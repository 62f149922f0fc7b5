@preconcurrency import CPython

/// A borrowed `PyObject *`: valid while whoever lent it keeps it alive
/// (an argument during a call, an item of a list you hold).
public typealias PyObjectPointer = UnsafeMutablePointer<PyObject>

/// An owned (strong) reference to a Python object.
///
/// `PyRef` is non-copyable: exactly one value owns the reference, and its
/// `deinit` drops it, on every path, including when an error is thrown
/// half-way through building a result. Hand it back to CPython with
/// `release()`, which gives up ownership without dropping it.
@frozen
public struct PyRef: ~Copyable {
    public let pointer: PyObjectPointer

    /// Takes ownership of a new reference returned by a C-API call.
    /// - Parameter pointer: the call's result: a new reference, or NULL when the
    ///   call failed and set a Python exception.
    /// - Throws: `.pending` for NULL.
    @inlinable
    public init(owning pointer: PyObjectPointer?) throws(PythonException) {
        guard let pointer else { throw PythonException.pending }
        self.pointer = pointer
    }

    /// Takes a new strong reference to a borrowed object (never fails).
    @inlinable
    public init(borrowing pointer: PyObjectPointer) {
        fk_incref(pointer)
        self.pointer = pointer
    }

    @inlinable
    deinit { fk_decref(pointer) }

    /// Gives up ownership: the caller (usually CPython, as a return value)
    /// now owns the reference.
    /// - Returns: the object, whose reference the caller must release or hand on.
    @inlinable
    public consuming func release() -> PyObjectPointer {
        let pointer = self.pointer
        discard self
        return pointer
    }

    /// `None`, `True` and `False` as owned references.
    @inlinable public static var none: PyRef { PyRef(borrowing: fk_none()) }
    @inlinable public static func bool(_ value: Bool) -> PyRef {
        PyRef(borrowing: value ? fk_true() : fk_false())
    }

    /// The name of the object's type, as Python's `type(x).__name__` shows it in messages.
    public var typeName: String { PyRef.typeName(of: pointer) }

    /// The name of a borrowed object's type, as `typeName` gives it.
    public static func typeName(of object: PyObjectPointer) -> String {
        let full = String(cString: fk_type_name(object))
        // tp_name of C types may be dotted ("numpy.int64"): messages use the last part, as CPython does.
        if let dot = full.lastIndex(of: ".") { return String(full[full.index(after: dot)...]) }
        return full
    }
}

extension PyRef {
    /// True when this is None.
    public var isNone: Bool { pointer == fk_none() }
}

/// `None`, borrowed.
public func noneObject() -> PyObjectPointer { fk_none() }

/// `False` (borrowed).
public func falseObject() -> PyObjectPointer { fk_false() }

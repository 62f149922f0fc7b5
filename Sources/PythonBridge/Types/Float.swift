@preconcurrency import CPython

// float: Swift doubles to Python floats and back, `float(x)`, and the float type checks.

extension PyRef {
    /// A new Python float.
    /// - Parameter value: any `Double` (NaNs keep their payload).
    /// - Returns: the float, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    @inlinable
    public static func float(_ value: Double) throws(PythonException) -> PyRef {
        try PyRef(owning: PyFloat_FromDouble(value))
    }

    /// True when the object is exactly a float (not a subclass).
    public var isExactFloat: Bool { fk_float_check_exact(pointer) != 0 }

    /// The value of a float (the object must be one: not checked).
    public var floatValue: Double { fk_float_value(pointer) }
}

/// Why a Python object did not convert to a Swift `Double`.
public enum FloatConversion: Equatable, Sendable {
    case value(Double)
    case notANumber
}

/// Reads a Python float, int, or object with `__float__`/`__index__` as a
/// `Double`, as `float(x)` would (a str is not a number here).
/// - Parameter object: any object, borrowed.
/// - Returns: the value; `.notANumber` for an object with none of those
///   (nothing raised).
/// - Throws: `.pending` when the conversion itself raised, e.g. OverflowError
///   for an int too large for a float.
public func floatValue(of object: PyObjectPointer) throws(PythonException) -> FloatConversion {
    if fk_float_check(object) != 0 { return .value(PyFloat_AsDouble(object)) }
    guard fk_long_check(object) != 0 || fk_index_check(object) != 0 || fk_has_float(object) != 0 else {
        return .notANumber
    }
    let value = PyFloat_AsDouble(object)
    if value == -1, PyErr_Occurred() != nil { throw .pending }
    return .value(value)
}

/// `float(x)` for a number: floats as they are, ints to the nearest double,
/// anything else through `__float__` or `__index__`.
/// - Parameter object: any object, borrowed.
/// - Returns: the value.
/// - Throws: `.pending` with the conversion's own exception: OverflowError
///   beyond the float range, TypeError for an object that is not a number,
///   what `__float__` raised.
public func convertToDouble(_ object: PyObjectPointer) throws(PythonException) -> Double {
    if fk_float_check_exact(object) != 0 { return fk_float_value(object) }
    let value = PyFloat_AsDouble(object)
    if value == -1, PyErr_Occurred() != nil { throw .pending }
    return value
}

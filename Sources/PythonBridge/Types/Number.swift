@preconcurrency import CPython

// Numbers: an int or a float read without calling into the interpreter, and
// the number protocol's `+`.

/// A Python number read without calling into the interpreter.
public enum ScalarNumber: Equatable, Sendable {
    /// An int (or bool) that fits 64 bits.
    case int(Int64)
    /// A float (exactly `float`, not a subclass).
    case float(Double)
    /// Anything else: a larger int, a subclass, another type.
    case other
}

/// Reads an exact int (or a bool, as 0 or 1) that fits 64 bits, or an exact
/// float, without calling into the interpreter: the fast path of every loop
/// over a list's numbers.
/// - Parameter object: any object, borrowed.
/// - Returns: `.int` or `.float`; `.other` for anything else (never raises).
@inlinable @inline(__always)
public func scalarNumber(_ object: PyObjectPointer) -> ScalarNumber {
    let type = fk_type_of(object)
    if type == fk_float_type() { return .float(fk_float_value(object)) }
    guard type == fk_long_type() || type == fk_bool_type() else { return .other }
    var value: Int64 = 0
    return fk_long_value_64(object, &value) != 0 ? .int(value) : .other
}

/// The value of an exact float (not a subclass); nil for any other object. One
/// comparison of the type: for loops that expect floats.
@inlinable @inline(__always)
public func exactFloatValue(_ object: PyObjectPointer) -> Double? {
    fk_type_of(object) == fk_float_type() ? fk_float_value(object) : nil
}

/// The value of an exact int (not a bool, not a subclass) that fits 64 bits; nil for any other
/// object. One comparison of the type: for loops that expect ints.
@inlinable @inline(__always)
public func exactIntValue(_ object: PyObjectPointer) -> Int64? {
    guard fk_type_of(object) == fk_long_type() else { return nil }
    var value: Int64 = 0
    return fk_long_value_64(object, &value) != 0 ? value : nil
}

extension PyRef {
    /// `self + other` (PyNumber_Add: the same dispatch as the `+` operator on objects).
    /// - Parameter other: any object, borrowed.
    /// - Returns: the sum, a new reference.
    /// - Throws: `.pending` with what `+` raised (TypeError for unsupported operands,
    ///   or the operands' own `__add__`/`__radd__` exception).
    public func adding(_ other: PyObjectPointer) throws(PythonException) -> PyRef {
        try PyRef(owning: PyNumber_Add(pointer, other))
    }
}

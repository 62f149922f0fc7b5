@preconcurrency import CPython

// int: Swift integers to Python ints and back, and the int type checks.

extension PyRef {
    /// A new Python int.
    /// - Parameter value: any `Int`.
    /// - Returns: the int, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    @inlinable
    public static func int(_ value: Int) throws(PythonException) -> PyRef {
        try PyRef(owning: PyLong_FromLongLong(Int64(value)))
    }

    /// A new Python int.
    /// - Parameter value: any `UInt64`.
    /// - Returns: the int, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    @inlinable
    public static func int(_ value: UInt64) throws(PythonException) -> PyRef {
        try PyRef(owning: PyLong_FromUnsignedLongLong(value))
    }

    /// A new Python int holding a 128-bit integer exactly.
    /// - Parameter value: any `Int128`.
    /// - Returns: the int, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func int(_ value: Int128) throws(PythonException) -> PyRef {
        if let small = Int64(exactly: value) { return try .int(Int(small)) }
        var littleEndian = value.littleEndian
        return try withUnsafeBytes(of: &littleEndian) { bytes throws(PythonException) in try .int(signedLittleEndianBytes: bytes) }
    }

    /// A new Python int of any size, exactly, from its little-endian
    /// two's-complement bytes (none: 0).
    /// - Returns: the int, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func int(signedLittleEndianBytes bytes: UnsafeRawBufferPointer) throws(PythonException) -> PyRef {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return try .int(0 as UInt64) }
        return try PyRef(owning: fk_long_from_signed_le_bytes(base.assumingMemoryBound(to: UInt8.self), bytes.count))
    }

    /// A new non-negative Python int of any size, exactly.
    /// - Parameter words: its magnitude as 64-bit words, least significant first
    ///   (none: 0).
    /// - Returns: the int, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    /// - Complexity: O(n) in the number of words.
    public static func int(littleEndianWords words: UnsafeBufferPointer<UInt64>) throws(PythonException) -> PyRef {
        guard let base = words.baseAddress, words.count > 0 else { return try .int(0 as UInt64) }
        #if _endian(little)
        let object = base.withMemoryRebound(to: UInt8.self, capacity: words.count * 8) { bytes in
            fk_long_from_unsigned_le_bytes(bytes, words.count * 8)
        }
        return try PyRef(owning: object)
        #else
        let swapped = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: words.count)
        defer { swapped.deallocate() }
        for (i, word) in words.enumerated() { swapped[i] = word.littleEndian }
        let object = swapped.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: words.count * 8) { bytes in
            fk_long_from_unsigned_le_bytes(bytes, words.count * 8)
        }
        return try PyRef(owning: object)
        #endif
    }
}

/// Why a Python object did not convert to a Swift integer.
public enum IntegerConversion: Equatable, Sendable {
    case value(Int)
    /// An int (or `__index__` result) outside the 64-bit range; `negative` gives its sign.
    case outOfRange(negative: Bool)
    /// Not an int and no `__index__`: the caller raises TypeError.
    case notAnInteger
}

/// Reads a Python int (bool included, as in Python; objects with `__index__`
/// such as numpy integers too) as a Swift `Int`, as `operator.index(x)` would.
/// - Parameter object: any object, borrowed.
/// - Returns: the value; `.outOfRange` beyond 64 bits; `.notAnInteger` for an
///   object that is not an int and has no `__index__` (nothing raised).
/// - Throws: `.pending` only when `__index__` itself raised.
@inlinable @inline(__always)
public func integerValue(of object: PyObjectPointer) throws(PythonException) -> IntegerConversion {
    if fk_long_check(object) != 0 {
        var overflow: Int32 = 0
        let value = PyLong_AsLongLongAndOverflow(object, &overflow)
        if _fastPath(overflow == 0 && value != -1) { return .value(Int(value)) }
        if overflow != 0 { return .outOfRange(negative: overflow < 0) }
        if PyErr_Occurred() != nil { throw .pending }
        return .value(-1)
    }
    return try indexValue(of: object)
}

/// The slow half of `integerValue`: objects that are not ints.
@usableFromInline
func indexValue(of object: PyObjectPointer) throws(PythonException) -> IntegerConversion {
    guard fk_index_check(object) != 0 else { return .notAnInteger }
    let index = try PyRef(owning: PyNumber_Index(object))
    return try integerValue(of: index.pointer)
}

/// The value of an int of any int type (int subclasses and bool included, read
/// as int, without calling their methods).
/// - Parameter object: any object, borrowed.
/// - Returns: the value when it fits 64 bits; nil for a larger int or anything
///   that is not an int (no exception left pending).
public func anyIntValue(_ object: PyObjectPointer) -> Int64? {
    guard fk_long_check(object) != 0 else { return nil }
    var overflow: Int32 = 0
    let value = PyLong_AsLongLongAndOverflow(object, &overflow)
    if overflow != 0 { return nil }
    if value == -1 && PyErr_Occurred() != nil {
        PyErr_Clear()
        return nil
    }
    return value
}

/// True for an exact int (not a bool, not a subclass).
public func isExactInt(_ object: PyObjectPointer) -> Bool { fk_long_check_exact(object) != 0 }

/// True for an int of any int type (bool and subclasses included).
public func isAnyInt(_ object: PyObjectPointer) -> Bool { fk_long_check(object) != 0 }

@preconcurrency import CPython

// Conversions between Python objects and Swift values. Swift -> Python
// builds owned references; Python -> Swift reads borrowed objects and says
// precisely why a value does not convert, so that callers can name the
// argument in the message.

extension PyRef {
    /// A Python int.
    @inlinable
    public static func int(_ value: Int) throws(PythonException) -> PyRef {
        try PyRef(owning: PyLong_FromLongLong(Int64(value)))
    }

    /// A Python int.
    @inlinable
    public static func int(_ value: UInt64) throws(PythonException) -> PyRef {
        try PyRef(owning: PyLong_FromUnsignedLongLong(value))
    }

    /// The non-negative Python int whose little-endian 64-bit words these are (exact, any size, O(n)).
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

    /// A Python float.
    @inlinable
    public static func float(_ value: Double) throws(PythonException) -> PyRef {
        try PyRef(owning: PyFloat_FromDouble(value))
    }

    /// A Python str from Swift's (always valid) UTF-8.
    public static func string(_ value: String) throws(PythonException) -> PyRef {
        var value = value
        let object = value.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyUnicode_FromStringAndSize($0.baseAddress, $0.count) }
        }
        return try PyRef(owning: object)
    }

    /// A Python bytes object holding a copy of `data`.
    public static func bytes(_ data: UnsafeRawBufferPointer) throws(PythonException) -> PyRef {
        try PyRef(owning: PyBytes_FromStringAndSize(
            data.baseAddress?.assumingMemoryBound(to: CChar.self), data.count))
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
/// such as numpy integers too) as a Swift `Int`. Throws only when `__index__`
/// itself raised (the exception is pending).
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

/// Why a Python object did not convert to a Swift `Double`.
public enum FloatConversion: Equatable, Sendable {
    case value(Double)
    case notANumber
}

/// Reads a Python float, int, or object with `__float__`/`__index__` as a
/// `Double`, as `float(x)` would. Throws (pending) when the conversion itself
/// raised, e.g. OverflowError for an int too large for a float.
public func floatValue(of object: PyObjectPointer) throws(PythonException) -> FloatConversion {
    if fk_float_check(object) != 0 { return .value(PyFloat_AsDouble(object)) }
    guard fk_long_check(object) != 0 || fk_index_check(object) != 0 || fk_has_float(object) != 0 else {
        return .notANumber
    }
    let value = PyFloat_AsDouble(object)
    if value == -1, PyErr_Occurred() != nil { throw .pending }
    return .value(value)
}

/// Reads a Python str as a Swift `String`, or nil when it is not a str.
/// Throws (pending UnicodeEncodeError) for a str holding lone surrogates.
public func stringValue(of object: PyObjectPointer) throws(PythonException) -> String? {
    guard fk_unicode_check(object) != 0 else { return nil }
    var size: Py_ssize_t = 0
    guard let utf8 = PyUnicode_AsUTF8AndSize(object, &size) else { throw .pending }
    return UnsafeRawBufferPointer(start: utf8, count: size).withMemoryRebound(to: UInt8.self) {
        String(decoding: $0, as: UTF8.self)
    }
}

/// Runs `body` on the bytes of a Python `bytes` object (borrowed, valid during
/// the call, no copy), or returns nil when the object is not `bytes`.
public func withBytesValue<R: ~Copyable>(of object: PyObjectPointer,
                              _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
    guard fk_bytes_check(object) != 0 else { return nil }
    var data: UnsafeMutablePointer<CChar>? = nil
    var size: Py_ssize_t = 0
    guard PyBytes_AsStringAndSize(object, &data, &size) == 0 else { throw PythonException.pending }
    return try body(UnsafeRawBufferPointer(start: data, count: size))
}

extension PyRef {
    /// A Python int holding a 128-bit integer (exact).
    public static func int(_ value: Int128) throws(PythonException) -> PyRef {
        if let small = Int64(exactly: value) { return try .int(Int(small)) }
        var littleEndian = value.littleEndian
        let object = withUnsafeBytes(of: &littleEndian) { bytes in
            fk_long_from_signed_le_bytes(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), 16)
        }
        return try PyRef(owning: object)
    }
}

/// The items of a list or tuple, borrowed, as a C array; nil for any other object.
/// Valid while the sequence is not changed: do not run Python code while using them.
public func sequenceItems(_ object: PyObjectPointer) -> UnsafeBufferPointer<PyObjectPointer?>? {
    let count: Int
    if fk_list_check(object) != 0 {
        count = fk_list_size(object)
    } else if fk_tuple_check(object) != 0 {
        count = fk_tuple_size(object)
    } else {
        return nil
    }
    return UnsafeBufferPointer(start: UnsafePointer(fk_sequence_items(object)), count: count)
}

/// A Python number read without calling into the interpreter.
public enum ScalarNumber: Equatable, Sendable {
    /// An int (or bool) that fits 64 bits.
    case int(Int64)
    /// A float (exactly `float`, not a subclass).
    case float(Double)
    /// Anything else: a larger int, a subclass, another type.
    case other
}

/// Classifies an object for the homogeneous fast paths of sum and sort.
@inlinable @inline(__always)
public func scalarNumber(_ object: PyObjectPointer) -> ScalarNumber {
    let type = fk_type_of(object)
    if type == fk_float_type() { return .float(fk_float_value(object)) }
    guard type == fk_long_type() || type == fk_bool_type() else { return .other }
    var value: Int64 = 0
    return fk_long_value_64(object, &value) != 0 ? .int(value) : .other
}

/// Strong references to the items of a list or tuple, taken one by one while
/// the items are read anyway (in list order, so memory is touched once and in
/// order), and handed to a new list by `makeList`, which then needs no
/// reference-count update of its own on objects scattered in memory.
/// Dropped without `makeList` (an error, a fallback), it releases every
/// reference it took.
@frozen
public struct RetainedItems: ~Copyable {
    @usableFromInline let items: UnsafeBufferPointer<PyObjectPointer?>
    @usableFromInline var retainedCount = 0

    public init(_ items: UnsafeBufferPointer<PyObjectPointer?>) {
        self.items = items
    }

    /// Takes a reference to the next item (items are retained in order).
    @inlinable @inline(__always)
    public mutating func retainNext() {
        fk_incref(items[retainedCount]!)
        retainedCount += 1
    }

    deinit { releaseAll() }

    func releaseAll() {
        for index in 0..<retainedCount { fk_decref(items[index]!) }
    }

    /// A new list of all the items, item i being `object(i)`: each item exactly
    /// once, in any order. Every item must have been retained.
    public consuming func makeList(_ object: (Int) -> PyObjectPointer) throws(PythonException) -> PyRef {
        precondition(retainedCount == items.count, "makeList needs every item retained")
        guard let list = PyList_New(items.count) else {
            releaseAll()
            discard self
            throw .pending
        }
        for index in 0..<items.count { fk_list_set_item(list, index, object(index)) }
        discard self
        return try PyRef(owning: list)
    }
}

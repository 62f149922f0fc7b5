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

    /// A Python bytes object holding a copy of `bytes`.
    public static func bytes(copying bytes: [UInt8]) throws(PythonException) -> PyRef {
        let object = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PyBytes_FromStringAndSize($0.baseAddress, $0.count) }
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

/// A Python number read without calling into the interpreter.
public enum ScalarNumber: Equatable, Sendable {
    /// An int (or bool) that fits 64 bits.
    case int(Int64)
    /// A float (exactly `float`, not a subclass).
    case float(Double)
    /// Anything else: a larger int, a subclass, another type.
    case other
}

/// Reads an exact int (or a bool, as 0 or 1) that fits 64 bits, or an exact float, without calling into the interpreter.
@inlinable @inline(__always)
public func scalarNumber(_ object: PyObjectPointer) -> ScalarNumber {
    let type = fk_type_of(object)
    if type == fk_float_type() { return .float(fk_float_value(object)) }
    guard type == fk_long_type() || type == fk_bool_type() else { return .other }
    var value: Int64 = 0
    return fk_long_value_64(object, &value) != 0 ? .int(value) : .other
}

/// Strong references to objects, taken one by one (in the order a kernel
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

    /// Room for `capacity` references; nil without the memory.
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

    /// A new list of all the objects in another order: element i is `object(i)`,
    /// which must give every object held here exactly as many times as it is held
    /// (a permutation). The references move to the list.
    public consuming func makeList(_ object: (Int) -> PyObjectPointer) throws(PythonException) -> PyRef {
        guard let list = PyList_New(count) else {
            _ = consume self  // deinit releases the references
            throw .pending
        }
        for index in 0..<count { fk_list_set_item(list, index, object(index)) }
        PyMem_RawFree(objects)
        discard self
        return try PyRef(owning: list)
    }

    /// Whether `list` (an exact list) holds exactly these objects, in this order:
    /// true when nothing changed it since they were taken.
    public func matches(list: PyObjectPointer) -> Bool {
        guard fk_list_size(list) == count, let items = fk_list_items(list) else { return count == 0 }
        for index in 0..<count where items[index] != objects[index] { return false }
        return true
    }

    /// Puts the objects back into `list`, which must `match` them, in another
    /// order: item i becomes `object(i)`, a permutation as for `makeList`. The list
    /// keeps its references (a permutation of them); this array's are released.
    public consuming func store(into list: PyObjectPointer, _ object: (Int) -> PyObjectPointer) {
        for index in 0..<count { fk_list_store(list, index, object(index)) }
    }
}

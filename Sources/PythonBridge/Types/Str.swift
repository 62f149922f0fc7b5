@preconcurrency import CPython

// str: Swift strings and UTF-8 bytes to Python strs and back, and the str
// type checks.

extension PyRef {
    /// A new Python str.
    /// - Parameter value: any Swift string (its UTF-8 is always valid).
    /// - Returns: the str, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func string(_ value: String) throws(PythonException) -> PyRef {
        var value = value
        let object = value.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyUnicode_FromStringAndSize($0.baseAddress, $0.count) }
        }
        return try PyRef(owning: object)
    }

    /// A new str decoded from UTF-8 bytes, strictly.
    /// - Parameter bytes: UTF-8, borrowed for the call.
    /// - Returns: the str, a new reference.
    /// - Throws: `.pending`: UnicodeDecodeError for invalid UTF-8, MemoryError.
    public static func string(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(PythonException) -> PyRef {
        let object = bytes.withMemoryRebound(to: CChar.self) { PyUnicode_DecodeUTF8($0.baseAddress, $0.count, nil) }
        return try PyRef(owning: object)
    }

    /// A new str of ASCII bytes, copied without decoding.
    /// - Parameter bytes: every byte below 0x80 (not checked: a larger byte makes
    ///   an invalid str).
    /// - Returns: the str, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func string(ascii bytes: UnsafeBufferPointer<UInt8>) throws(PythonException) -> PyRef {
        let object = bytes.withMemoryRebound(to: CChar.self) { fk_unicode_from_ascii($0.baseAddress, $0.count) }
        return try PyRef(owning: object)
    }
}

// Reading a str: one contract for both readers. Nil means "not a str"; a str
// that UTF-8 cannot hold (lone surrogates, "\ud800") throws, with the
// interpreter's UnicodeEncodeError pending, as `s.encode()` raises it.

/// The UTF-8 bytes of a str: CPython's own encoding, made once and kept in
/// the str (no copy at all for an ASCII str).
///
/// - Parameter object: any object, borrowed.
/// - Returns: the bytes, valid while the str lives; nil when `object` is not a
///   str (a subclass of str is one).
/// - Throws: `PythonException.pending` (UnicodeEncodeError) for a str holding
///   lone surrogates, which UTF-8 cannot encode.
/// - Complexity: O(1) for an ASCII str or one read before; O(n) the first time otherwise.
@inlinable
public func utf8Bytes(of object: PyObjectPointer) throws(PythonException) -> UnsafeRawBufferPointer? {
    guard fk_unicode_check(object) != 0 else { return nil }
    var size: Py_ssize_t = 0
    guard let utf8 = PyUnicode_AsUTF8AndSize(object, &size) else { throw .pending }
    return UnsafeRawBufferPointer(start: utf8, count: size)
}

/// A str as a Swift `String` (a copy of its UTF-8 bytes).
///
/// - Parameter object: any object, borrowed.
/// - Returns: the string; nil when `object` is not a str.
/// - Throws: `PythonException.pending` (UnicodeEncodeError) for a str holding
///   lone surrogates, as `utf8Bytes(of:)`.
public func stringValue(of object: PyObjectPointer) throws(PythonException) -> String? {
    try utf8Bytes(of: object).map { bytes in
        bytes.withMemoryRebound(to: UInt8.self) { String(decoding: $0, as: UTF8.self) }
    }
}

/// True for a str (or an instance of a subclass).
public func isString(_ object: PyObjectPointer) -> Bool { fk_unicode_check(object) != 0 }

/// True for an exact str.
public func isExactString(_ object: PyObjectPointer) -> Bool { fk_unicode_check_exact(object) != 0 }

/// True when the str holds only ASCII characters (the object must be a str: not checked).
public func isASCIIString(_ object: PyObjectPointer) -> Bool { fk_unicode_is_ascii(object) != 0 }

@preconcurrency import CPython

// str: Swift strings and UTF-8 bytes to Python strs and back, and the str
// type checks.

extension PyRef {
    /// A Python str from Swift's (always valid) UTF-8.
    public static func string(_ value: String) throws(PythonException) -> PyRef {
        var value = value
        let object = value.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyUnicode_FromStringAndSize($0.baseAddress, $0.count) }
        }
        return try PyRef(owning: object)
    }

    /// A str decoded from UTF-8 bytes (strict: invalid bytes raise UnicodeDecodeError).
    public static func string(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(PythonException) -> PyRef {
        let object = bytes.withMemoryRebound(to: CChar.self) { PyUnicode_DecodeUTF8($0.baseAddress, $0.count, nil) }
        return try PyRef(owning: object)
    }

    /// A str of ASCII bytes: every byte must be below 0x80 (not checked).
    public static func string(ascii bytes: UnsafeBufferPointer<UInt8>) throws(PythonException) -> PyRef {
        let object = bytes.withMemoryRebound(to: CChar.self) { fk_unicode_from_ascii($0.baseAddress, $0.count) }
        return try PyRef(owning: object)
    }
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

/// A str's UTF-8 bytes (CPython's cached copy; no copy at all for ASCII strs),
/// valid while the str lives. Nil when the str holds lone surrogates, which
/// UTF-8 cannot encode (the UnicodeEncodeError is cleared).
public func utf8Bytes(of string: PyObjectPointer) -> UnsafeRawBufferPointer? {
    var size: Py_ssize_t = 0
    guard let utf8 = PyUnicode_AsUTF8AndSize(string, &size) else {
        PyErr_Clear()
        return nil
    }
    return UnsafeRawBufferPointer(start: utf8, count: size)
}

/// True for a str.
public func isString(_ object: PyObjectPointer) -> Bool { fk_unicode_check(object) != 0 }

/// True for an exact str.
public func isExactString(_ object: PyObjectPointer) -> Bool { fk_unicode_check_exact(object) != 0 }

/// True when the str holds only ASCII characters.
public func isASCIIString(_ object: PyObjectPointer) -> Bool { fk_unicode_is_ascii(object) != 0 }

/// True for str, bytes and bytearray (and their subclasses): the starts `sum()` refuses.
public func stringLikeKind(of object: PyObjectPointer) -> String? {
    if fk_unicode_check(object) != 0 { return "strings [use ''.join(seq) instead]" }
    if fk_bytes_check(object) != 0 { return "bytes [use b''.join(seq) instead]" }
    if fk_bytearray_check(object) != 0 { return "bytearray [use b''.join(seq) instead]" }
    return nil
}

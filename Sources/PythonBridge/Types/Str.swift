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

    /// A new str decoded from UTF-8 bytes, strictly, written in place: one pass finds the
    /// number of characters and the widest, checking every sequence; a second writes them at
    /// the str's width. For the short words of a word count (`PyUnicode_DecodeUTF8` starts
    /// as ASCII, then widens and copies through a writer: "didn’t" took 4x an ASCII word).
    /// - Parameter bytes: UTF-8, borrowed for the call; anything invalid goes to
    ///   `string(utf8:)`, which raises CPython's own UnicodeDecodeError.
    /// - Returns: the str, a new reference, in CPython's canonical form (the narrowest width).
    /// - Throws: `.pending`: UnicodeDecodeError for invalid UTF-8, MemoryError.
    public static func string(decodingUTF8 bytes: UnsafeBufferPointer<UInt8>) throws(PythonException) -> PyRef {
        guard let p = bytes.baseAddress else { return try string(ascii: bytes) }
        let n = bytes.count
        var characters = 0, widest: UInt32 = 0, i = 0
        while i < n {
            let (scalar, size) = decodeUTF8Scalar(p, i, n)
            if size == 0 { return try string(utf8: bytes) }
            widest = max(widest, scalar)
            characters += 1
            i += size
        }
        if widest < 0x80 { return try string(ascii: bytes) }
        // One character: CPython's own (a kept singleton below U+0100, as bytes.decode() gives).
        if characters == 1 { return try PyRef(owning: PyUnicode_FromOrdinal(Int32(bitPattern: widest))) }
        let maximum: UInt32 = widest < 0x100 ? 0xFF : widest < 0x10000 ? 0xFFFF : 0x10FFFF
        guard let object = PyUnicode_New(characters, maximum) else { throw .pending }
        let data = fk_unicode_data(object)!
        i = 0
        var position = 0
        while i < n {
            let (scalar, size) = decodeUTF8Scalar(p, i, n)
            switch maximum {
            case 0xFF: data.storeBytes(of: UInt8(truncatingIfNeeded: scalar), toByteOffset: position, as: UInt8.self)
            case 0xFFFF: data.storeBytes(of: UInt16(truncatingIfNeeded: scalar), toByteOffset: 2 * position, as: UInt16.self)
            default: data.storeBytes(of: scalar, toByteOffset: 4 * position, as: UInt32.self)
            }
            position += 1
            i += size
        }
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

/// A str's characters as CPython stores them (PEP 393): `count` characters of `width`
/// bytes each (1, 2 or 4), valid while the str lives.
public struct StoredCharacters {
    public let data: UnsafeRawPointer
    public let count: Int
    public let width: Int
}

/// The stored characters of a str (see `StoredCharacters`); nil when `object` is not a str.
/// - Throws: `.pending` (MemoryError) when a str made through the legacy API before
///   Python 3.12 cannot be made ready.
public func storedCharacters(of object: PyObjectPointer) throws(PythonException) -> StoredCharacters? {
    guard fk_unicode_check(object) != 0 else { return nil }
    guard fk_unicode_ready(object) == 0 else { throw .pending }
    let count = fk_unicode_length(object)
    let data = UnsafeRawPointer(fk_unicode_data(object)) ?? UnsafeRawPointer(bitPattern: 1)!
    return StoredCharacters(data: data, count: count, width: Int(fk_unicode_kind(object)))
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

/// The scalar value of the UTF-8 sequence at `p[i]` (of `n` bytes) and its length; length 0
/// for anything that is not a well-formed sequence (a stray continuation byte, an overlong
/// form, a surrogate, a value beyond U+10FFFF, a sequence cut by the end).
@inline(__always)
func decodeUTF8Scalar(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> (UInt32, Int) {
    let lead = UInt32(p[i])
    if lead < 0x80 { return (lead, 1) }
    @inline(__always) func continuation(_ offset: Int) -> UInt32? {
        guard i + offset < n, p[i + offset] & 0xC0 == 0x80 else { return nil }
        return UInt32(p[i + offset] & 0x3F)
    }
    switch lead {
    case 0xC2...0xDF:
        guard let c1 = continuation(1) else { return (0, 0) }
        return ((lead & 0x1F) << 6 | c1, 2)
    case 0xE0...0xEF:
        guard let c1 = continuation(1), let c2 = continuation(2) else { return (0, 0) }
        let scalar = (lead & 0x0F) << 12 | c1 << 6 | c2
        guard scalar >= 0x800, scalar & 0xF800 != 0xD800 else { return (0, 0) }
        return (scalar, 3)
    case 0xF0...0xF4:
        guard let c1 = continuation(1), let c2 = continuation(2), let c3 = continuation(3) else { return (0, 0) }
        let scalar = (lead & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
        guard scalar >= 0x10000, scalar <= 0x10FFFF else { return (0, 0) }
        return (scalar, 4)
    default:
        return (0, 0)
    }
}

@preconcurrency import CPython

// bytes: Swift bytes to Python bytes and back, and the bytes and bytearray type checks.
// (Any bytes-like object, through the buffer protocol: `BytesView` in Buffer.swift.)

extension PyRef {
    /// A new Python bytes object.
    /// - Parameter bytes: the bytes to copy.
    /// - Returns: the bytes object, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func bytes(copying bytes: [UInt8]) throws(PythonException) -> PyRef {
        let object = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PyBytes_FromStringAndSize($0.baseAddress, $0.count) }
        }
        return try PyRef(owning: object)
    }

    /// A new Python bytes object of `count` bytes, not yet filled: write them
    /// (`mutableBytes(of:)`) before any Python code sees it.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func bytes(count: Int) throws(PythonException) -> PyRef {
        try PyRef(owning: PyBytes_FromStringAndSize(nil, count))
    }

    /// A new Python bytes object.
    /// - Parameter data: the bytes to copy, borrowed for the call.
    /// - Returns: the bytes object, a new reference.
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    public static func bytes(_ data: UnsafeRawBufferPointer) throws(PythonException) -> PyRef {
        try PyRef(owning: PyBytes_FromStringAndSize(
            data.baseAddress?.assumingMemoryBound(to: CChar.self), data.count))
    }
}

/// Runs `body` on the bytes of a Python `bytes` object, in place (no copy).
/// - Parameters:
///   - object: any object, borrowed.
///   - body: gets the bytes, valid during the call.
/// - Returns: what `body` returns; nil, without calling it, when `object` is not
///   a bytes (or an instance of a subclass).
/// - Throws: what `body` throws.
public func withBytesValue<R: ~Copyable>(of object: PyObjectPointer,
                              _ body: (UnsafeRawBufferPointer) throws(PythonException) -> R) throws(PythonException) -> R? {
    guard fk_bytes_check(object) != 0 else { return nil }
    var data: UnsafeMutablePointer<CChar>? = nil
    var size: Py_ssize_t = 0
    guard PyBytes_AsStringAndSize(object, &data, &size) == 0 else { throw .pending }
    return try body(UnsafeRawBufferPointer(start: data, count: size))
}

/// True for a bytes (or an instance of a subclass).
public func isBytes(_ object: PyObjectPointer) -> Bool { fk_bytes_check(object) != 0 }

/// True for an exact bytes.
public func isExactBytes(_ object: PyObjectPointer) -> Bool { fk_bytes_check_exact(object) != 0 }

/// True for a bytearray (or an instance of a subclass).
public func isByteArray(_ object: PyObjectPointer) -> Bool { fk_bytearray_check(object) != 0 }

/// The bytes of a bytes object made by `PyRef.bytes(count:)`, to fill it (before
/// any Python code sees it: bytes are immutable once shared).
public func mutableBytes(of object: PyObjectPointer) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(PyBytes_AsString(object)!)
}

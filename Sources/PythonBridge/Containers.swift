@preconcurrency import CPython

// Dicts, strings from raw UTF-8, method calls and plain byte buffers: what
// kernels returning Python containers need.

extension PyRef {
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

    /// `self.name()`: calls a method without arguments.
    public func callMethod(_ name: StaticString) throws(PythonException) -> PyRef {
        let methodName = try PyRef(owning: name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyUnicode_FromStringAndSize($0.baseAddress, $0.count) }
        })
        let method = try PyRef(owning: PyObject_GetAttr(pointer, methodName.pointer))
        return try PyRef(owning: PyObject_CallNoArgs(method.pointer))
    }

    /// `self.name()`, the method's name made once (interned) and kept in `cache`
    /// for the life of the process: no name string, no bound method a call.
    public func callMethod(_ name: StaticString, cache: inout PyObjectPointer?) throws(PythonException) -> PyRef {
        if cache == nil {
            cache = name.withUTF8Buffer { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { PyUnicode_InternFromString($0.baseAddress!) }
            }
        }
        guard let methodName = cache else { throw .pending }
        return try PyRef(owning: fk_call_method_no_args(pointer, methodName))
    }

    /// `self[key] = value` for a dict.
    public func setItem(_ key: borrowing PyRef, _ value: borrowing PyRef) throws(PythonException) {
        guard PyDict_SetItem(pointer, key.pointer, value.pointer) == 0 else { throw .pending }
    }

    /// `self[key] += amount` for a dict whose values are ints (a missing key counts as 0).
    public func addToItem(_ key: borrowing PyRef, _ amount: Int) throws(PythonException) {
        guard let existing = PyDict_GetItemWithError(pointer, key.pointer) else {
            if PyErr_Occurred() != nil { throw .pending }
            return try setItem(key, PyRef.int(amount))
        }
        let addend = try PyRef.int(amount)
        let sum = try PyRef(owning: PyNumber_Add(existing, addend.pointer))
        withExtendedLifetime(addend) {}
        try setItem(key, sum)
    }
}

/// The bytes of a bytes-like object (bytes, bytearray, memoryview, mmap, array...),
/// as one contiguous run, held (and released once) like `BufferView`.
public struct BytesView: ~Copyable {
    var view: Py_buffer

    /// Nil when the object does not export a buffer. Throws (pending BufferError)
    /// for a buffer that is not contiguous.
    public init?(_ object: PyObjectPointer) throws(PythonException) {
        guard fk_buffer_check(object) != 0 else { return nil }
        var view = Py_buffer()
        guard PyObject_GetBuffer(object, &view, PyBUF_SIMPLE) == 0 else { throw .pending }
        self.view = view
    }

    deinit {
        var view = self.view
        PyBuffer_Release(&view)
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: view.buf, count: view.len) }

    /// True when the exporter says its memory is read-only (bytes; a read-only
    /// memoryview or mmap, whose underlying memory may still change elsewhere).
    public var isReadOnly: Bool { view.readonly != 0 }
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

/// `hash(s)` for the str `s` of these ASCII bytes, computed without creating
/// it and without the GIL, when `asciiStringHashIsBytesHash()` holds.
@inline(__always)
public func asciiStringHash(_ bytes: UnsafeRawBufferPointer) -> Int {
    fk_hash_bytes(bytes.baseAddress, bytes.count)
}

/// Whether this interpreter hashes an ASCII str as the hash of its bytes
/// (CPython does, for every hash algorithm it builds with), checked on a sample
/// str. Needs the GIL.
public func asciiStringHashIsBytesHash() -> Bool {
    let sample: StaticString = "fastkernels: word counts"
    guard let string = try? PyRef.string(ascii: UnsafeBufferPointer(start: sample.utf8Start,
                                                                    count: sample.utf8CodeUnitCount)) else {
        PyErr_Clear()
        return false
    }
    let hash = PyObject_Hash(string.pointer)
    return hash == asciiStringHash(UnsafeRawBufferPointer(start: sample.utf8Start, count: sample.utf8CodeUnitCount))
}

/// The number of items of a dict.
public func dictSize(_ dict: PyObjectPointer) -> Int { PyDict_Size(dict) }

/// True for a dict (or an instance of a subclass, such as Counter).
public func isDict(_ object: PyObjectPointer) -> Bool { fk_dict_check(object) != 0 }

/// True for a str.
public func isString(_ object: PyObjectPointer) -> Bool { fk_unicode_check(object) != 0 }

/// True when the str holds only ASCII characters.
public func isASCIIString(_ object: PyObjectPointer) -> Bool { fk_unicode_is_ascii(object) != 0 }

extension PyRef {
    /// A new tuple of two items.
    public static func tuple(_ first: consuming PyRef, _ second: consuming PyRef) throws(PythonException) -> PyRef {
        let tuple = try PyRef(owning: PyTuple_New(2))
        PyTuple_SetItem(tuple.pointer, 0, first.release())
        PyTuple_SetItem(tuple.pointer, 1, second.release())
        return tuple
    }

    /// A new empty dict.
    public static func dict() throws(PythonException) -> PyRef { try PyRef(owning: PyDict_New()) }

    /// A new empty list.
    public static func list() throws(PythonException) -> PyRef { try PyRef(owning: PyList_New(0)) }

    /// A new list of `count` items, item `index` made by `item(index)`.
    public static func list(count: Int, _ item: (Int) throws(PythonException) -> PyRef) throws(PythonException) -> PyRef {
        let list = try PyRef(owning: PyList_New(count))
        for index in 0..<count {
            // Until filled, the list holds NULLs, which its deallocation skips.
            fk_list_set_item(list.pointer, index, try item(index).release())
        }
        return list
    }

    /// Appends `item` to this list.
    public func append(_ item: borrowing PyRef) throws(PythonException) {
        guard PyList_Append(pointer, item.pointer) == 0 else { throw .pending }
    }

    /// Item `index` of this list, borrowed.
    public func listItem(_ index: Int) -> PyObjectPointer { fk_list_item(pointer, index)! }
}

@preconcurrency import CPython

// Python's object protocols as the built-ins use them: iteration, `+`,
// `float(x)`, exact-type checks and type ancestry. What an adapter needs to
// give the idiom's own answer for objects no fast path takes.

/// `iter(object)`'s iterator, read with `next()`.
public struct PythonIterator: ~Copyable {
    let iterator: PyRef

    /// `iter(object)`: throws what `iter()` raises (TypeError "'int' object is not iterable"...).
    public init(_ object: PyObjectPointer) throws(PythonException) {
        iterator = try PyRef(owning: PyObject_GetIter(object))
    }

    /// The next item (a new reference), or nil at the end. Throws what the
    /// iterator raised (a generator's own exception, unchanged).
    public func next() throws(PythonException) -> PyRef? {
        guard let item = PyIter_Next(iterator.pointer) else {
            if PyErr_Occurred() != nil { throw .pending }
            return nil
        }
        return try PyRef(owning: item)
    }
}

extension PyRef {
    /// The built-in function (or other object) `name` of the `builtins` module.
    public static func builtin(_ name: StaticString) throws(PythonException) -> PyRef {
        guard let builtins = PyEval_GetBuiltins() else { throw .runtimeError("no builtins") }
        let object = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyDict_GetItemString(builtins, $0.baseAddress!) }
        }
        guard let object else { throw .runtimeError("builtins has no \(name)") }
        return PyRef(borrowing: object)
    }

    /// `self(argument)`.
    public func call(_ argument: borrowing PyRef) throws(PythonException) -> PyRef {
        try PyRef(owning: PyObject_CallOneArg(pointer, argument.pointer))
    }

    /// `self + other` (PyNumber_Add: the same dispatch as the `+` operator on objects).
    public func adding(_ other: PyObjectPointer) throws(PythonException) -> PyRef {
        try PyRef(owning: PyNumber_Add(pointer, other))
    }

    /// True when this is None.
    public var isNone: Bool { pointer == fk_none() }

    /// `type.__new__(type)`: a new instance made by the type's `tp_new` alone,
    /// without calling `__init__` (for types whose `__init__` adds nothing to an
    /// empty instance, such as `collections.Counter`).
    public static func newEmptyInstance(of type: borrowing PyRef) throws(PythonException) -> PyRef {
        try PyRef(owning: fk_new_instance(type.pointer))
    }

    /// True when the object is exactly a float (not a subclass).
    public var isExactFloat: Bool { fk_float_check_exact(pointer) != 0 }

    /// The value of an exact float.
    public var floatValue: Double { fk_float_value(pointer) }
}

/// `float(x)` as `math.fsum` converts its items: floats as they are, ints to
/// the nearest double (OverflowError beyond the float range), anything else
/// through `__float__` or `__index__`. Throws the conversion's own exception.
public func convertToDouble(_ object: PyObjectPointer) throws(PythonException) -> Double {
    if fk_float_check_exact(object) != 0 { return fk_float_value(object) }
    let value = PyFloat_AsDouble(object)
    if value == -1, PyErr_Occurred() != nil { throw .pending }
    return value
}

/// How an object's type relates to a type known only by name (a type of a
/// module the bridge does not import, such as numpy's ndarray).
public enum TypeRelation: Sendable, Equatable {
    case exact
    case subclass(name: String)
    case unrelated
}

/// Whether the type of `object` is the type whose `tp_name` is `name`, a
/// subclass of it, or neither (by walking the `tp_base` chain).
public func relation(of object: PyObjectPointer, toTypeNamed name: StaticString) -> TypeRelation {
    var type: UnsafeMutablePointer<PyTypeObject>? = fk_type_of(object)
    var depth = 0
    while let current = type {
        if name.withUTF8Buffer({ expected in
            strcmp(fk_type_object_name(current), UnsafeRawPointer(expected.baseAddress!).assumingMemoryBound(to: CChar.self)) == 0
        }) {
            return depth == 0 ? .exact : .subclass(name: qualifiedTypeName(of: object))
        }
        type = fk_type_base(current)
        depth += 1
    }
    return .unrelated
}

/// `module.QualName` of an object's type, for messages ("numpy.ma.MaskedArray").
public func qualifiedTypeName(of object: PyObjectPointer) -> String {
    let type = fk_type(object)
    func attribute(_ name: StaticString) -> String? {
        guard let value = name.withUTF8Buffer({ utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyObject_GetAttrString(type, $0.baseAddress!) }
        }) else {
            PyErr_Clear()
            return nil
        }
        defer { fk_decref(value) }
        return (try? stringValue(of: value)) ?? nil
    }
    let name = attribute("__qualname__") ?? PyRef.typeName(of: object)
    guard let module = attribute("__module__"), module != "builtins" else { return name }
    return "\(module).\(name)"
}

/// True for an exact int (not a bool, not a subclass).
public func isExactInt(_ object: PyObjectPointer) -> Bool { fk_long_check_exact(object) != 0 }
/// True for an exact list.
public func isExactList(_ object: PyObjectPointer) -> Bool { fk_list_check_exact(object) != 0 }
/// True for an exact str.
public func isExactString(_ object: PyObjectPointer) -> Bool { fk_unicode_check_exact(object) != 0 }
/// True for an exact bytes.
public func isExactBytes(_ object: PyObjectPointer) -> Bool { fk_bytes_check_exact(object) != 0 }
/// True for str, bytes and bytearray (and their subclasses): the starts `sum()` refuses.
public func stringLikeKind(of object: PyObjectPointer) -> String? {
    if fk_unicode_check(object) != 0 { return "strings [use ''.join(seq) instead]" }
    if fk_bytes_check(object) != 0 { return "bytes [use b''.join(seq) instead]" }
    if fk_bytearray_check(object) != 0 { return "bytearray [use b''.join(seq) instead]" }
    return nil
}

/// The items of an exact list or an exact tuple, borrowed, as a C array; nil for
/// any other object (subclasses included: they may override iteration). Valid
/// while no Python code runs: a list's array moves when the list changes.
public func exactSequenceItems(_ object: PyObjectPointer) -> UnsafeBufferPointer<PyObjectPointer?>? {
    if fk_list_check_exact(object) != 0 {
        return UnsafeBufferPointer(start: UnsafePointer(fk_list_items(object)), count: fk_list_size(object))
    }
    if fk_tuple_check_exact(object) != 0 {
        return UnsafeBufferPointer(start: UnsafePointer(fk_sequence_items(object)), count: fk_tuple_size(object))
    }
    return nil
}

/// Item `index` of an exact list or tuple as iterating it would give it now, or
/// nil past its current end (a list may shrink while Python code runs: this is
/// the check a list iterator makes on every step). A new reference.
public func sequenceItem(_ sequence: PyObjectPointer, _ index: Int) -> PyRef? {
    if fk_list_check(sequence) != 0 {
        guard index < fk_list_size(sequence) else { return nil }
        return PyRef(borrowing: fk_list_item(sequence, index)!)
    }
    guard index < fk_tuple_size(sequence) else { return nil }
    return PyRef(borrowing: fk_tuple_item(sequence, index)!)
}

/// The version of the interpreter the module was built for (PY_VERSION_HEX).
public var pythonVersionHex: UInt { UInt(fk_python_version_hex()) }

/// The value of an int of any int type (int subclasses and bool included, read
/// as int, without calling their methods) when it fits 64 bits; nil for
/// anything else.
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

/// True for an int of any int type (bool and subclasses included).
public func isAnyInt(_ object: PyObjectPointer) -> Bool { fk_long_check(object) != 0 }

/// `target[:] = items` for a list.
public func replaceListContents(_ target: PyObjectPointer, with items: PyObjectPointer) throws(PythonException) {
    guard PyList_SetSlice(target, 0, fk_list_size(target), items) == 0 else { throw .pending }
}

/// Drops the exception the interpreter holds, if any.
public func clearPendingException() { PyErr_Clear() }

/// True when `object`'s type is exactly the one named `name` (its `tp_name`,
/// such as "numpy.ndarray"): an exact-type test for a type of a module this
/// library does not import.
public func hasExactType(_ object: PyObjectPointer, named name: StaticString) -> Bool {
    guard let typeName = fk_type_name(object) else { return false }
    return name.withUTF8Buffer { utf8 in
        utf8.withMemoryRebound(to: CChar.self) { strcmp(typeName, $0.baseAddress!) == 0 }
    }
}

extension PyRef {
    /// The module `name` if the program already imported it (`sys.modules[name]`),
    /// without importing it; nil otherwise.
    public static func importedModule(_ name: StaticString) -> PyRef? {
        let key = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyUnicode_FromString($0.baseAddress!) }
        }
        guard let key else {
            PyErr_Clear()
            return nil
        }
        defer { fk_decref(key) }
        guard let module = PyImport_GetModule(key) else {
            PyErr_Clear()
            return nil
        }
        return try? PyRef(owning: module)
    }

    /// `import name`: the module, importing it when needed.
    /// `module.name`, imported at the first call and kept in `cache` (one reference,
    /// for the life of the process) for the next ones. The GIL must be held.
    public static func attribute(_ name: StaticString, ofModule module: StaticString,
                                 cache: inout PyObjectPointer?) throws(PythonException) -> PyRef {
        if let cache { return PyRef(borrowing: cache) }
        let value = try PyRef.importModule(module).attribute(name)
        cache = PyRef(borrowing: value.pointer).release()
        return value
    }

    public static func importModule(_ name: StaticString) throws(PythonException) -> PyRef {
        let module = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyImport_ImportModule($0.baseAddress!) }
        }
        return try PyRef(owning: module)
    }

    /// `self.name`.
    public func attribute(_ name: StaticString) throws(PythonException) -> PyRef {
        let value = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyObject_GetAttrString(pointer, $0.baseAddress!) }
        }
        return try PyRef(owning: value)
    }

    /// `self(*arguments)` (positional arguments only).
    public func call(_ arguments: [PyObjectPointer]) throws(PythonException) -> PyRef {
        let result = arguments.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: Optional<PyObjectPointer>.self) { items in
                PyObject_Vectorcall(pointer, items.baseAddress, arguments.count, nil)
            }
        }
        return try PyRef(owning: result)
    }

    /// A new tuple of two ints.
    public static func tuple(_ first: Int, _ second: Int) throws(PythonException) -> PyRef {
        try .tuple(try .int(first), try .int(second))
    }
}

/// `None`, borrowed.
public func noneObject() -> PyObjectPointer { fk_none() }

/// `False` (borrowed).
public func falseObject() -> PyObjectPointer { fk_false() }

@preconcurrency import CPython

// Any object: calls, method calls, attributes, new instances, and what its
// type is (exactly, or by ancestry, for types of modules the bridge does not import).

extension PyRef {
    /// `self(argument)`.
    /// - Parameter argument: the one positional argument.
    /// - Returns: the call's result, a new reference.
    /// - Throws: `.pending` with what the call raised.
    public func call(_ argument: borrowing PyRef) throws(PythonException) -> PyRef {
        try PyRef(owning: PyObject_CallOneArg(pointer, argument.pointer))
    }

    /// `self(*arguments)` (positional arguments only).
    /// - Parameter arguments: borrowed objects, passed in order.
    /// - Returns: the call's result, a new reference.
    /// - Throws: `.pending` with what the call raised.
    public func call(_ arguments: [PyObjectPointer]) throws(PythonException) -> PyRef {
        let result = arguments.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: Optional<PyObjectPointer>.self) { items in
                PyObject_Vectorcall(pointer, items.baseAddress, arguments.count, nil)
            }
        }
        return try PyRef(owning: result)
    }

    /// `self.name()`: calls a method without arguments.
    /// - Parameter name: the method's name.
    /// - Returns: the call's result, a new reference.
    /// - Throws: `.pending`: AttributeError when there is no such attribute, what
    ///   the call raised.
    public func callMethod(_ name: StaticString) throws(PythonException) -> PyRef {
        let methodName = try PyRef(owning: name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyUnicode_FromStringAndSize($0.baseAddress, $0.count) }
        })
        let method = try PyRef(owning: PyObject_GetAttr(pointer, methodName.pointer))
        return try PyRef(owning: PyObject_CallNoArgs(method.pointer))
    }

    /// `self.name()`, the method's name made once (interned) and kept in `cache`
    /// for the life of the process: no name string, no bound method a call.
    /// - Parameters:
    ///   - name: the method's name.
    ///   - cache: nil at first; the interned name from then on (the same variable
    ///     for every call with this name).
    /// - Returns: the call's result, a new reference.
    /// - Throws: `.pending`: AttributeError when there is no such method, what the
    ///   call raised.
    public func callMethod(_ name: StaticString, cache: inout PyObjectPointer?) throws(PythonException) -> PyRef {
        if cache == nil {
            cache = name.withUTF8Buffer { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { PyUnicode_InternFromString($0.baseAddress!) }
            }
        }
        guard let methodName = cache else { throw .pending }
        return try PyRef(owning: fk_call_method_no_args(pointer, methodName))
    }

    /// `self.name`.
    /// - Parameter name: the attribute's name.
    /// - Returns: its value, a new reference.
    /// - Throws: `.pending` (AttributeError, or what a property raised).
    public func attribute(_ name: StaticString) throws(PythonException) -> PyRef {
        let value = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyObject_GetAttrString(pointer, $0.baseAddress!) }
        }
        return try PyRef(owning: value)
    }

    /// `type.__new__(type)`: a new instance made by the type's `tp_new` alone,
    /// without calling `__init__` (for types whose `__init__` adds nothing to an
    /// empty instance, such as `collections.Counter`).
    /// - Parameter type: a type object.
    /// - Returns: the instance, a new reference.
    /// - Throws: `.pending`: TypeError when `type` is not a type or cannot be
    ///   instantiated, what `tp_new` raised.
    public static func newEmptyInstance(of type: borrowing PyRef) throws(PythonException) -> PyRef {
        try PyRef(owning: fk_new_instance(type.pointer))
    }
}

/// How an object's type relates to a type known only by name (a type of a
/// module the bridge does not import, such as numpy's ndarray).
public enum TypeRelation: Sendable, Equatable {
    case exact
    case subclass(name: String)
    case unrelated
}

/// Whether the type of `object` is the type whose `tp_name` is `name`, a
/// subclass of it, or neither, by walking the `tp_base` chain (each type's
/// base whose layout it extends).
/// - Parameters:
///   - object: any object, borrowed.
///   - name: a `tp_name`, such as "numpy.ndarray".
/// - Returns: `.exact`, `.subclass` with the object's type's qualified name, or `.unrelated`.
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

/// True when `object`'s type is exactly the one named `name` (its `tp_name`,
/// such as "numpy.ndarray"): an exact-type test for a type of a module this
/// library does not import. O(length of the name); never raises.
public func hasExactType(_ object: PyObjectPointer, named name: StaticString) -> Bool {
    guard let typeName = fk_type_name(object) else { return false }
    return name.withUTF8Buffer { utf8 in
        utf8.withMemoryRebound(to: CChar.self) { strcmp(typeName, $0.baseAddress!) == 0 }
    }
}

/// `module.QualName` of an object's type, for messages ("numpy.ma.MaskedArray";
/// the bare name for a builtin type, `tp_name` when `__qualname__` cannot be read).
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

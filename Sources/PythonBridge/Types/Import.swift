@preconcurrency import CPython

// Modules: importing them, their attributes kept between calls, the builtins,
// and the interpreter's version.

extension PyRef {
    /// The module `name` if the program already imported it (`sys.modules[name]`),
    /// without importing it.
    /// - Returns: the module, a new reference; nil when it is not imported (no
    ///   exception left pending).
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

    /// `module.name`, imported at the first call and kept in `cache` (one reference,
    /// for the life of the process) for the next ones. The GIL must be held.
    /// - Parameters:
    ///   - name: the attribute.
    ///   - module: the module's full name ("collections").
    ///   - cache: nil at first; the attribute from then on (the same variable for
    ///     every call with these names).
    /// - Returns: the attribute, a new reference.
    /// - Throws: `.pending`: ImportError, AttributeError, what importing raised.
    public static func attribute(_ name: StaticString, ofModule module: StaticString,
                                 cache: inout PyObjectPointer?) throws(PythonException) -> PyRef {
        if let cache { return PyRef(borrowing: cache) }
        let value = try PyRef.importModule(module).attribute(name)
        cache = PyRef(borrowing: value.pointer).release()
        return value
    }

    /// `import name`: the module, importing it when needed.
    /// - Returns: the module, a new reference.
    /// - Throws: `.pending` (ImportError, or what importing the module raised).
    public static func importModule(_ name: StaticString) throws(PythonException) -> PyRef {
        let module = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyImport_ImportModule($0.baseAddress!) }
        }
        return try PyRef(owning: module)
    }

    /// The built-in function (or other object) `name` of the `builtins` module,
    /// as the running frame sees it.
    /// - Returns: the object, a new reference.
    /// - Throws: RuntimeError when there are no builtins or no such name.
    public static func builtin(_ name: StaticString) throws(PythonException) -> PyRef {
        guard let builtins = PyEval_GetBuiltins() else { throw .runtimeError("no builtins") }
        let object = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { PyDict_GetItemString(builtins, $0.baseAddress!) }
        }
        guard let object else { throw .runtimeError("builtins has no \(name)") }
        return PyRef(borrowing: object)
    }
}

/// The version of the interpreter the module was built for (PY_VERSION_HEX).
public var pythonVersionHex: UInt { UInt(fk_python_version_hex()) }

@preconcurrency import CPython

/// Creates the extension module from its functions: call it from the
/// module's `PyInit_<name>` and return what it returns.
///
/// The module definition, method table and strings live for the life of the
/// process, as a static PyModuleDef in C would.
///
/// - Parameters:
///   - name: the module's full name ("package._native").
///   - doc: the module's docstring.
///   - functions: the module's functions, at most `FunctionSlots.capacity` (48).
/// - Returns: the new module (an owned `PyObject *`), or nil with a Python
///   exception set (RuntimeError beyond 48 functions, MemoryError).
public func createModule(name: String, doc: String, functions: [Function]) -> UnsafeMutableRawPointer? {
    do {
        let methods = UnsafeMutablePointer<PyMethodDef>.allocate(capacity: functions.count + 1)
        for (index, function) in functions.enumerated() {
            try function.prepare()
            let entry = try FunctionSlots.register(function)
            fk_method_def_init(methods + index, permanentCString(function.name), entry,
                               permanentCString(function.docWithSignature))
        }
        fk_method_def_sentinel(methods + functions.count)
        let definition = UnsafeMutablePointer<PyModuleDef>.allocate(capacity: 1)
        fk_module_def_init(definition, permanentCString(name), permanentCString(doc), methods)
        return UnsafeMutableRawPointer(try PyRef(owning: fk_module_create(definition)).release())
    } catch {
        error.raiseUnlessPending()
        return nil
    }
}

/// A C string that is never freed (module and method definitions keep pointers to it).
func permanentCString(_ string: String) -> UnsafePointer<CChar> {
    UnsafePointer(strdup(string)!)
}

/// A METH_FASTCALL function learns nothing but its module about which
/// function was called, so each exported function needs its own C entry
/// point. The bridge owns a fixed set of them; entry point i runs the
/// Function registered in slot i.
enum FunctionSlots {
    static let capacity = 48
    /// Slot i holds the Function of entry point i (retained for the life of the process).
    /// A tuple of nils is initialised statically: reading it costs no lazy-initialisation check.
    nonisolated(unsafe) static var functions: (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?
    ) = (
        nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
        nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
        nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
    )
    nonisolated(unsafe) static var used = 0

    @inline(__always)
    static func slot(_ index: Int) -> UnsafeMutablePointer<UnsafeMutableRawPointer?> {
        withUnsafeMutablePointer(to: &functions) {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: UnsafeMutableRawPointer?.self) + index
        }
    }

    /// The entry point for `function`, registering it (and keeping it alive) on first use.
    static func register(_ function: Function) throws(PythonException) -> fk_fastcall_function {
        let address = Unmanaged.passUnretained(function).toOpaque()
        for index in 0..<used where slot(index).pointee == address {
            return entryPoints[index]
        }
        guard used < capacity, used < entryPoints.count else {
            throw .runtimeError("fastkernels: more than \(capacity) exported functions; add entry points in PythonBridge")
        }
        slot(used).pointee = Unmanaged.passRetained(function).toOpaque()
        used += 1
        return entryPoints[used - 1]
    }

    @inline(__always)
    static func dispatch(_ index: Int, _ args: UnsafePointer<PyObjectPointer?>?, _ nargs: Int,
                         _ kwnames: PyObjectPointer?) -> PyObjectPointer? {
        Unmanaged<Function>.fromOpaque(slot(index).pointee.unsafelyUnwrapped)
            ._withUnsafeGuaranteedRef { $0.call(args, nargs, kwnames) }
    }

    static let entryPoints: [fk_fastcall_function] = [
        { dispatch(0, $1, $2, $3) }, { dispatch(1, $1, $2, $3) }, { dispatch(2, $1, $2, $3) },
        { dispatch(3, $1, $2, $3) }, { dispatch(4, $1, $2, $3) }, { dispatch(5, $1, $2, $3) },
        { dispatch(6, $1, $2, $3) }, { dispatch(7, $1, $2, $3) }, { dispatch(8, $1, $2, $3) },
        { dispatch(9, $1, $2, $3) }, { dispatch(10, $1, $2, $3) }, { dispatch(11, $1, $2, $3) },
        { dispatch(12, $1, $2, $3) }, { dispatch(13, $1, $2, $3) }, { dispatch(14, $1, $2, $3) },
        { dispatch(15, $1, $2, $3) }, { dispatch(16, $1, $2, $3) }, { dispatch(17, $1, $2, $3) },
        { dispatch(18, $1, $2, $3) }, { dispatch(19, $1, $2, $3) }, { dispatch(20, $1, $2, $3) },
        { dispatch(21, $1, $2, $3) }, { dispatch(22, $1, $2, $3) }, { dispatch(23, $1, $2, $3) },
        { dispatch(24, $1, $2, $3) }, { dispatch(25, $1, $2, $3) }, { dispatch(26, $1, $2, $3) },
        { dispatch(27, $1, $2, $3) }, { dispatch(28, $1, $2, $3) }, { dispatch(29, $1, $2, $3) },
        { dispatch(30, $1, $2, $3) }, { dispatch(31, $1, $2, $3) }, { dispatch(32, $1, $2, $3) },
        { dispatch(33, $1, $2, $3) }, { dispatch(34, $1, $2, $3) }, { dispatch(35, $1, $2, $3) },
        { dispatch(36, $1, $2, $3) }, { dispatch(37, $1, $2, $3) }, { dispatch(38, $1, $2, $3) },
        { dispatch(39, $1, $2, $3) }, { dispatch(40, $1, $2, $3) }, { dispatch(41, $1, $2, $3) },
        { dispatch(42, $1, $2, $3) }, { dispatch(43, $1, $2, $3) }, { dispatch(44, $1, $2, $3) },
        { dispatch(45, $1, $2, $3) }, { dispatch(46, $1, $2, $3) }, { dispatch(47, $1, $2, $3) },
    ]
}

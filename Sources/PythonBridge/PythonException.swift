@preconcurrency import CPython

/// A Swift error that becomes a Python exception when it crosses back into
/// Python. Throw it from any function body; the bridge sets the exception
/// and returns NULL to the interpreter.
public struct PythonException: Error, Sendable, CustomStringConvertible {
    /// The Python exception class.
    public enum Kind: Sendable {
        case typeError, valueError, overflowError, memoryError, indexError, runtimeError
        case keyboardInterrupt
        /// OSError with errno; CPython picks the subclass (FileNotFoundError,
        /// PermissionError, IsADirectoryError...) from the errno.
        case osError(errno: Int32, filename: String?)
        /// The exception is already set in the interpreter (a C-API call
        /// failed, or a signal handler raised): leave it as it is.
        case pending
        /// MemoryError with a message CPython formats from `format` (a printf-style
        /// C string with "%s" for `function`, then up to two "%zd" for the
        /// numbers): no Swift string is built, so it can be thrown when memory is
        /// exhausted (a Swift allocation that fails traps).
        case memoryErrorFormatted(function: String, format: StaticString, Int, Int)
    }

    public var kind: Kind
    /// The message (not used for `.pending` and `.keyboardInterrupt`; an empty one
    /// makes `.memoryError` a bare MemoryError(), as CPython raises it).
    public var message: String

    /// - Parameters:
    ///   - kind: the exception class.
    ///   - message: its message, the text `str(exception)` gives.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    // One maker per kind: `throw .typeError("f() argument 'x' must be int, not str")`.
    public static func typeError(_ message: String) -> Self { Self(.typeError, message) }
    public static func valueError(_ message: String) -> Self { Self(.valueError, message) }
    public static func overflowError(_ message: String) -> Self { Self(.overflowError, message) }
    public static func memoryError(_ message: String = "") -> Self { Self(.memoryError, message) }
    /// MemoryError "<function>(): <detail>", formatted by CPython without allocating in Swift:
    /// `.memoryError(in: "sort", "%s(): not enough memory to sort %zd items", count)`.
    public static func memoryError(in function: String, _ format: StaticString, _ first: Int = 0,
                                   _ second: Int = 0) -> Self {
        Self(.memoryErrorFormatted(function: function, format: format, first, second), "")
    }
    public static func runtimeError(_ message: String) -> Self { Self(.runtimeError, message) }
    public static var keyboardInterrupt: Self { Self(.keyboardInterrupt, "") }
    /// OSError(errno, strerror(errno)[, filename]): the subclass for that errno.
    public static func osError(errno: Int32, filename: String? = nil) -> Self {
        Self(.osError(errno: errno, filename: filename), String(cString: fk_strerror(errno)))
    }
    /// The exception the interpreter already holds.
    public static var pending: Self { Self(.pending, "") }

    public var description: String { "\(kind): \(message)" }

    /// Sets this exception in the interpreter (GIL held).
    func raise() {
        switch kind {
        case .pending:
            if PyErr_Occurred() == nil {
                PyErr_SetString(fk_exc_runtime_error(), "fastkernels: an error was reported but no exception was set")
            }
        case .keyboardInterrupt:
            PyErr_SetNone(fk_exc_keyboard_interrupt())
        case .memoryError where message.isEmpty:
            _ = PyErr_NoMemory()
        case .memoryErrorFormatted(let function, let format, let first, let second):
            let cFormat = UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self)
            function.withCString { fk_raise_memory_error(cFormat, $0, first, second) }
        case .osError(let code, let filename):
            raiseOSError(code, filename)
        default:
            PyErr_SetString(exceptionClass, message)
        }
    }

    private var exceptionClass: PyObjectPointer {
        switch kind {
        case .typeError: fk_exc_type_error()
        case .valueError: fk_exc_value_error()
        case .overflowError: fk_exc_overflow_error()
        case .memoryError, .memoryErrorFormatted: fk_exc_memory_error()
        case .indexError: fk_exc_index_error()
        case .keyboardInterrupt: fk_exc_keyboard_interrupt()
        case .osError: fk_exc_os_error()
        case .runtimeError, .pending: fk_exc_runtime_error()
        }
    }

    /// OSError(errno, strerror[, filename]): the constructor chooses the subclass.
    private func raiseOSError(_ code: Int32, _ filename: String?) {
        let count = filename == nil ? 2 : 3
        guard let args = try? PyRef(owning: PyTuple_New(count)),
              let number = try? PyRef(owning: PyLong_FromLong(Int(code))),
              let text = try? PyRef.string(message) else { return }
        PyTuple_SetItem(args.pointer, 0, number.release())
        PyTuple_SetItem(args.pointer, 1, text.release())
        if let filename {
            guard let name = try? PyRef.string(filename) else { return }
            PyTuple_SetItem(args.pointer, 2, name.release())
        }
        guard let exception = try? PyRef(owning: PyObject_Call(fk_exc_os_error(), args.pointer, nil)) else { return }
        PyErr_SetObject(fk_type(exception.pointer), exception.pointer)
    }
}

extension PythonException {
    /// Sets this exception in the interpreter (GIL held), unless one is set already:
    /// an exception set by a C-API call or a signal handler is the real cause.
    func raiseUnlessPending() {
        if PyErr_Occurred() != nil { return }
        raise()
    }
}

/// Drops the exception the interpreter holds, if any (the GIL must be held).
public func clearPendingException() { PyErr_Clear() }

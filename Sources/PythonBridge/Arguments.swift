@preconcurrency import CPython

/// The arguments of one call, bound to the function's parameters, read by
/// index in parameter order. Objects are borrowed for the duration of the
/// call. Every conversion error names the function and the argument, as
/// CPython's own functions do: "f() argument 'n' must be int, not str".
public struct Arguments: ~Copyable {
    @usableFromInline unowned(unsafe) let function: Function
    @usableFromInline let slots: UnsafePointer<PyObjectPointer?>?
    @usableFromInline let count: Int

    @usableFromInline
    init(_ function: Function, _ slots: UnsafePointer<PyObjectPointer?>?, _ count: Int) {
        self.function = function
        self.slots = slots
        self.count = count
    }

    /// The object passed for parameter `index` (borrowed for the call), or nil
    /// when it was not given (None is given: see `isGiven`).
    @inlinable
    public subscript(_ index: Int) -> PyObjectPointer? {
        index < count ? slots![index] : nil
    }

    /// True when parameter `index` was given and is not None.
    @inlinable
    public func isGiven(_ index: Int) -> Bool {
        guard let object = self[index] else { return false }
        return object != fk_none()
    }

    /// The object for a required parameter, borrowed for the call.
    /// - Throws: TypeError "f() missing required argument 'x' (pos 1)" when it
    ///   was not given (the binding checks that before the body runs, so only a
    ///   body that reads an optional parameter this way sees it).
    @inlinable
    public func object(_ index: Int) throws(PythonException) -> PyObjectPointer {
        guard let object = self[index] else { throw missing(index) }
        return object
    }

    @usableFromInline
    func missing(_ index: Int) -> PythonException {
        .typeError("\(function.messageName)() missing required argument '\(name(index))' (pos \(index + 1))")
    }

    /// The Python name of the function being called.
    public var functionName: String { function.messageName }

    /// The name of parameter `index`.
    public func name(_ index: Int) -> String { function.parameters[index].name }

    /// An exception of `kind` whose message reads "f() argument 'x' <problem>",
    /// for the body to throw.
    /// - Parameters:
    ///   - index: the parameter (its name is `x`).
    ///   - kind: the exception class.
    ///   - problem: the rest of the message ("must be >= 1, got 0").
    public func error(_ index: Int, _ kind: PythonException.Kind, _ problem: String) -> PythonException {
        error(argument: name(index), kind, problem)
    }

    /// An exception of `kind` whose message reads "f() argument 'name' <problem>":
    /// for a problem with several arguments together ("a, b"), or found by code that
    /// knows the argument by name only.
    public func error(argument name: String, _ kind: PythonException.Kind, _ problem: String) -> PythonException {
        PythonException(kind, "\(function.messageName)() argument '\(name)' \(problem)")
    }

    /// TypeError "f() argument 'x' must be <expected>, not <type>", for the body to throw.
    /// - Parameters:
    ///   - index: the parameter.
    ///   - expected: what it must be ("int", "a list or a writable buffer").
    public func typeError(_ index: Int, expected: String) -> PythonException {
        let typeName = self[index].map { PyRef.typeName(of: $0) } ?? "nothing"
        return error(index, .typeError, "must be \(expected), not \(typeName)")
    }

    /// An integer argument as `Int`: an int, a bool, or an object with `__index__`.
    /// - Parameter index: the parameter.
    /// - Throws: TypeError "f() argument 'x' must be int, not str"; OverflowError
    ///   outside the 64-bit range; what `__index__` raised.
    @inlinable @inline(__always)
    public func int(_ index: Int) throws(PythonException) -> Int {
        switch try integerValue(of: object(index)) {
        case .value(let value): return value
        case .outOfRange: throw error(index, .overflowError, "does not fit in a 64-bit signed integer")
        case .notAnInteger: throw typeError(index, expected: "int")
        }
    }

    /// An integer argument as `Int`, or `defaultValue` when it was not given; throws as `int(_:)`.
    @inlinable
    public func int(_ index: Int, default defaultValue: Int) throws(PythonException) -> Int {
        self[index] == nil ? defaultValue : try int(index)
    }

    /// An integer argument saturated to `Int.min...Int.max`, for parameters
    /// whose valid range is far inside 64 bits: the caller's own range check
    /// then reports huge values (ValueError for negative, OverflowError for too large).
    /// - Throws: TypeError for an object that is not an int; what `__index__` raised.
    @inlinable @inline(__always)
    public func clampedInt(_ index: Int) throws(PythonException) -> Int {
        switch try integerValue(of: object(index)) {
        case .value(let value): return value
        case .outOfRange(let negative): return negative ? Int.min : Int.max
        case .notAnInteger: throw typeError(index, expected: "int")
        }
    }

    /// A truth-value argument such as `reverse`: an int (a bool, or an object with
    /// `__index__`), true when not zero, as CPython reads its own `reverse=` parameters:
    /// before Python 3.12 it must fit a C int (`sorted(x, reverse=2**31)` raises
    /// OverflowError there; from 3.12 it is true).
    /// - Parameters:
    ///   - index: the parameter.
    ///   - defaultValue: the value when it was not given.
    /// - Throws: TypeError for an object that is not an int; OverflowError for one
    ///   outside the C int range before Python 3.12; what `__index__` raised.
    @inlinable @inline(__always)
    public func flag(_ index: Int, default defaultValue: Bool) throws(PythonException) -> Bool {
        guard self[index] != nil else { return defaultValue }
        let value = try clampedInt(index)
        guard pythonVersionHex >= 0x030C_0000 || (value >= Int(Int32.min) && value <= Int(Int32.max)) else {
            throw PythonException.overflowError("Python int too large to convert to C int")
        }
        return value != 0
    }

    /// A real-number argument as `Double` (float, int, or anything `float()` takes but str).
    /// - Throws: TypeError "f() argument 'x' must be a real number, not str"; what
    ///   the conversion raised (OverflowError for an int too large for a float).
    public func double(_ index: Int) throws(PythonException) -> Double {
        switch try floatValue(of: object(index)) {
        case .value(let value): return value
        case .notANumber: throw typeError(index, expected: "a real number")
        }
    }

    /// A str argument as `String`.
    /// - Throws: TypeError "f() argument 'x' must be str, not int"; UnicodeEncodeError
    ///   for a str holding lone surrogates.
    public func string(_ index: Int) throws(PythonException) -> String {
        guard let value = try stringValue(of: object(index)) else { throw typeError(index, expected: "str") }
        return value
    }

    /// Runs `body` on the bytes of a `bytes` argument, in place (no copy).
    /// - Parameters:
    ///   - index: the parameter.
    ///   - body: gets the bytes, valid during the call.
    /// - Returns: what `body` returns.
    /// - Throws: TypeError "f() argument 'x' must be bytes, not str"; what `body` throws.
    public func withBytes<R: ~Copyable>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(PythonException) -> R)
        throws(PythonException) -> R {
        guard let result = try withBytesValue(of: object(index), body) else {
            throw typeError(index, expected: "bytes")
        }
        return result
    }

    /// The 1-D numeric buffer of an argument, as `BufferView(numeric:)` takes it.
    /// - Parameters:
    ///   - object: the argument at `index`, or an object made from it (a copy).
    ///   - index: the parameter, named in the error.
    /// - Returns: the view; nil for an object to be treated through Python's
    ///   protocols (no buffer, another shape or format).
    /// - Throws: TypeError for a numpy array of a subclass whose buffer does not
    ///   carry its meaning (a masked array's mask, a matrix's 2-D semantics...),
    ///   naming the subclass and what to pass instead; `numpy.memmap` is taken,
    ///   its buffer being all it is.
    public func numericBuffer(_ object: PyObjectPointer, argument index: Int) throws(PythonException) -> BufferView? {
        if case .subclass(let name) = relation(of: object, toTypeNamed: "numpy.ndarray"), !name.hasSuffix(".memmap") {
            let argument = self.name(index)
            let hint = name.hasSuffix("MaskedArray")
                ? "its buffer holds the data without the mask; pass \(argument).compressed() or \(argument).filled(...)"
                : "its buffer may not carry what the subclass means; pass numpy.asarray(\(argument))"
            throw error(index, .typeError, "is a \(name): \(hint)")
        }
        return BufferView(numeric: object)
    }
}

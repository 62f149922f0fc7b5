import PythonBridge

// Private functions that exercise the bridge from Python, so that pytest can
// check the conversions, the argument parser and the exception mapping that
// no public kernel uses yet. They live in _native because a second Swift
// extension would bring a second Swift runtime into the process.

/// `_echo(value, /, kind)`: converts `value` to the Swift type named by `kind`
/// ("int", "float", "str", "bytes"; "utf8" and "utf8-cached": bytes to str through the bridge's
/// UTF-8 decoder and through its string cache) and back to Python.
let bridgeEchoFunction = Function("_echo", "value, /, kind", doc: """
    Round-trip value through the Swift type named by kind (int, float, str, bytes). For tests.
    """) { args throws(PythonException) in
    switch try args.string(1) {
    case "int": return try .int(args.int(0))
    case "float": return try .float(args.double(0))
    case "str": return try .string(args.string(0))
    case "bytes": return try args.withBytes(0) { bytes throws(PythonException) in try PyRef.bytes(bytes) }
    case "utf8", "utf8-cached":  // bytes decoded by the bridge's own UTF-8 decoder (or its string cache's)
        let cached = try args.string(1) == "utf8-cached"
        return try args.withBytes(0) { raw throws(PythonException) in
            let bytes = UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count)
            guard cached, (1...StringCache.maximumLength).contains(bytes.count) else { return try PyRef.string(decodingUTF8: bytes) }
            return try withStringCache { cache throws(PythonException) in
                guard let cache else { return try PyRef.string(decodingUTF8: bytes) }
                return try cache.string(utf8: bytes)
            }
        }
    case let kind: throw args.error(1, .valueError, "must be 'int', 'float', 'str', 'bytes', 'utf8' or 'utf8-cached', not '\(kind)'")
    }
}

/// `_parse(a, b=2, /, c=3, *, d, e=5)`: every parameter kind; returns "a b c d e".
let bridgeParseFunction = Function("_parse", "a, b=2, /, c=3, *, d, e=5", doc: """
    Parse every kind of parameter and return their values as "a b c d e". For tests.
    """) { args throws(PythonException) in
    let values = [try args.int(0), try args.int(1, default: 2), try args.int(2, default: 3),
                  try args.int(3), try args.int(4, default: 5)]
    return try .string(values.map(String.init).joined(separator: " "))
}

/// `_raise(kind, message="", /, *, errno=None, filename=None)`: raises the PythonException of `kind`.
let bridgeRaiseFunction = Function("_raise", "kind, message='', /, *, errno=None, filename=None", doc: """
    Raise the exception the bridge maps from a Swift error of the given kind. For tests.
    """) { args throws(PythonException) in
    let message = args[1] == nil ? "" : try args.string(1)
    switch try args.string(0) {
    case "TypeError": throw PythonException.typeError(message)
    case "ValueError": throw PythonException.valueError(message)
    case "OverflowError": throw PythonException.overflowError(message)
    case "MemoryError": throw PythonException.memoryError(message)
    case "MemoryErrorIn": throw PythonException.memoryError(in: message, "%s(): not enough memory for a %zd x %zd result", 3, -4)
    case "KeyboardInterrupt": throw PythonException.keyboardInterrupt
    case "OSError":
        let code = Int32(clamping: try args.int(2))
        throw PythonException.osError(errno: code, filename: args.isGiven(3) ? try args.string(3) : nil)
    case let kind: throw args.error(0, .valueError, "names no exception kind: '\(kind)'")
    }
}

/// `_ignore_signals_released(seconds, /)`: with the GIL released, polls for signals for
/// `seconds` and ignores what the polls find, then returns None, as a kernel would whose
/// worker pool ran the handler after the kernel's own last look. A Ctrl-C meanwhile must
/// still reach the caller as KeyboardInterrupt (not a result with an exception set).
let bridgeIgnoreSignalsFunction = Function("_ignore_signals_released", "seconds, /", doc: """
    Poll for signals with the GIL released for seconds, ignoring them, and return None. For tests.
    """) { args throws(PythonException) in
    let seconds = try args.double(0)
    guard seconds.isFinite && seconds >= 0 && seconds <= 60 else {
        throw args.error(0, .valueError, "must be between 0 and 60")
    }
    try withGILReleased { gil in
        let clock = ContinuousClock()
        let end = clock.now + .seconds(seconds)
        while clock.now < end { _ = gil.checkSignals() }
    }
    return .none
}

@preconcurrency import CPython

/// One parameter of a Python-callable function.
public struct Parameter: Sendable, Equatable {
    /// How it may be passed: before `/`, between `/` and `*`, after `*`.
    public enum Kind: Sendable, Equatable { case positionalOnly, positionalOrKeyword, keywordOnly }
    public let name: String
    public let kind: Kind
    /// The default as Python source (e.g. "None"), or nil when the argument is required.
    public let defaultText: String?
    public var isRequired: Bool { defaultText == nil }
}

/// A function exported to Python with the `METH_FASTCALL | METH_KEYWORDS`
/// calling convention.
///
/// Declare it with a Python-style parameter list, e.g.
/// `Function("scale", "values, /, factor=2, *, out=None", doc: ...) { args in ... }`.
/// The bridge parses positional and keyword arguments against it and
/// raises the same TypeErrors as CPython's own functions (missing, duplicate,
/// unexpected keyword, too many); the body reads converted values from
/// `Arguments`, whose conversion errors name the function and the argument.
/// The parameter list also becomes `__text_signature__`, so
/// `inspect.signature` and `help()` show it.
public final class Function: @unchecked Sendable {
    public typealias Body = (borrowing Arguments) throws(PythonException) -> PyRef

    public let name: String
    /// The name errors show: the public function a private native one serves.
    public let messageName: String
    public let parameters: [Parameter]
    public let signature: String
    public let doc: String
    let body: Body
    /// Parameters that may be passed by position.
    let positionalCount: Int
    /// Leading positional parameters without a default.
    let requiredPositionalCount: Int
    let hasRequiredKeywordOnly: Bool
    /// The parameter names as interned Python strings (made when the module is created).
    var keywordNames: [PyObjectPointer] = []

    /// - Parameters:
    ///   - name: the Python name.
    ///   - signature: the parameter list as in Python source: names, `name=default`,
    ///     `/` after positional-only ones, `*` before keyword-only ones.
    ///   - doc: the docstring (without the signature line; the bridge adds it).
    ///   - messageName: the function name in error messages, when it is not `name`
    ///     (a private native function behind a public Python one).
    ///   - body: runs with the GIL held; returns the result as an owned reference.
    ///     What it throws is raised in Python; an exception already set in the
    ///     interpreter wins. The throws are typed: an untyped one would box the
    ///     error on the heap, which traps when memory is exhausted.
    public init(_ name: String, _ signature: String, messageName: String? = nil, doc: String,
                _ body: @escaping Body) {
        self.name = name
        self.messageName = messageName ?? name
        self.signature = signature
        self.doc = doc
        self.body = body
        parameters = Function.parseParameters(signature)
        positionalCount = parameters.prefix { $0.kind != .keywordOnly }.count
        requiredPositionalCount = parameters.prefix { $0.kind != .keywordOnly && $0.isRequired }.count
        hasRequiredKeywordOnly = parameters.contains { $0.kind == .keywordOnly && $0.isRequired }
    }

    static func parseParameters(_ signature: String) -> [Parameter] {
        let items = signature.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        let slash = items.firstIndex(of: "/")
        var result: [Parameter] = []
        var keywordOnly = false
        for (index, item) in items.enumerated() {
            if item == "/" { continue }
            if item == "*" { keywordOnly = true; continue }
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
            let kind: Parameter.Kind = keywordOnly ? .keywordOnly
                : (slash.map { index < $0 } ?? false) ? .positionalOnly : .positionalOrKeyword
            result.append(Parameter(name: parts[0], kind: kind, defaultText: parts.count > 1 ? parts[1] : nil))
        }
        return result
    }

    /// The docstring CPython sees: the text signature line, `--`, then the doc.
    var docWithSignature: String {
        "\(name)($module\(signature.isEmpty ? "" : ", " + signature))\n--\n\n\(doc)"
    }

    /// Parses the vectorcall arguments and runs the body. Never throws: errors
    /// become the pending Python exception and a NULL result.
    @inline(__always)
    func call(_ args: UnsafePointer<PyObjectPointer?>?, _ nargs: Int, _ kwnames: PyObjectPointer?) -> PyObjectPointer? {
        guard kwnames == nil, nargs >= requiredPositionalCount, nargs <= positionalCount, !hasRequiredKeywordOnly else {
            return callBindingKeywords(args, nargs, kwnames)
        }
        // Fast path: positional arguments only, read in place.
        do {
            return try body(Arguments(self, args, nargs)).release()
        } catch {
            error.raiseUnlessPending()
            return nil
        }
    }

    /// The general path: keyword arguments, or a positional count the fast path does not take.
    @inline(never)
    func callBindingKeywords(_ args: UnsafePointer<PyObjectPointer?>?, _ nargs: Int,
                             _ kwnames: PyObjectPointer?) -> PyObjectPointer? {
        do {
            return try withUnsafeTemporaryAllocation(of: PyObjectPointer?.self, capacity: parameters.count) {
                slots throws(PythonException) -> PyObjectPointer in
                slots.initialize(repeating: nil)
                try bind(args, nargs, kwnames, into: slots)
                return try body(Arguments(self, UnsafePointer(slots.baseAddress), parameters.count)).release()
            }
        } catch {
            error.raiseUnlessPending()
            return nil
        }
    }

    /// Places positional and keyword arguments in their parameter slots,
    /// with CPython's errors for every mismatch.
    func bind(_ args: UnsafePointer<PyObjectPointer?>?, _ nargs: Int, _ kwnames: PyObjectPointer?,
              into slots: UnsafeMutableBufferPointer<PyObjectPointer?>) throws(PythonException) {
        if nargs > positionalCount {
            let bound = requiredPositionalCount == positionalCount ? "exactly" : "at most"
            throw .typeError("\(messageName)() takes \(bound) \(positionalCount) positional argument"
                + "\(positionalCount == 1 ? "" : "s") (\(nargs) given)")
        }
        for i in 0..<nargs { slots[i] = args![i] }
        if let kwnames {
            for k in 0..<fk_tuple_size(kwnames) {
                let key = fk_tuple_item(kwnames, k)!
                guard let index = parameterIndex(ofKeyword: key) else {
                    throw .typeError("\(messageName)() got an unexpected keyword argument '\(keywordText(key))'")
                }
                if parameters[index].kind == .positionalOnly {
                    throw .typeError("\(messageName)() got some positional-only arguments passed as keyword arguments: "
                        + "'\(parameters[index].name)'")
                }
                if slots[index] != nil {
                    throw .typeError("\(messageName)() got multiple values for argument '\(parameters[index].name)'")
                }
                slots[index] = args![nargs + k]
            }
        }
        for (index, parameter) in parameters.enumerated() where parameter.isRequired && slots[index] == nil {
            if parameter.kind == .keywordOnly {
                throw .typeError("\(messageName)() missing required keyword-only argument '\(parameter.name)'")
            }
            throw .typeError("\(messageName)() missing required argument '\(parameter.name)' (pos \(index + 1))")
        }
    }

    func parameterIndex(ofKeyword key: PyObjectPointer) -> Int? {
        // Keywords in calls are almost always interned: compare pointers first.
        if let index = keywordNames.firstIndex(of: key) { return index }
        return keywordNames.firstIndex { PyUnicode_Compare($0, key) == 0 }
    }

    func keywordText(_ key: PyObjectPointer) -> String {
        (try? stringValue(of: key)) ?? nil ?? "?"
    }

    /// Interns the parameter names; called once when the module is created.
    func prepare() throws(PythonException) {
        guard keywordNames.isEmpty else { return }
        for parameter in parameters {
            // Interned strings live as long as the interpreter: held on purpose.
            keywordNames.append(try PyRef(owning: PyUnicode_InternFromString(parameter.name)).release())
        }
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
    }
}

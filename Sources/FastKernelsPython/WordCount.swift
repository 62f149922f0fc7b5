import FastKernels
import PythonBridge

let wordCountFunction = Function("_word_count", "text, /, threads=None", messageName: "word_count", doc: """
    The native part of fastkernels.word_count(): a dict {token: count} equal to
    Counter(text.lower().split()), text being a str or bytes-like UTF-8; or
    the offset (an int) of the first invalid UTF-8 sequence; or None for a str
    that UTF-8 cannot hold (lone surrogates).
    """) { args in
    let threads = try args.threadCount(1)
    let text = try args.object(0)
    if isString(text) {
        guard let utf8 = utf8Bytes(of: text) else { return .none }
        return try wordCounts(utf8, args, threads)
    }
    guard let bytes = try BytesView(text) else {
        throw args.typeError(0, expected: "str or a bytes-like object")
    }
    return try wordCounts(bytes.bytes, args, threads)
}

let wordCountFileFunction = Function("_word_count_fd", "fd, /, encoding, threads=None",
                                     messageName: "word_count_file", doc: """
    The native part of fastkernels.word_count_file(): counts the file open at
    fd, read a chunk at a time, decoded as encoding ('utf-8', 'ascii' or
    'latin-1'); returns the dict {token: count}, or the file offset of the
    first byte that does not decode.
    """) { args in
    let descriptor = try args.int(0)
    let encoding: TextEncoding
    switch try args.string(1) {
    case "utf-8": encoding = .utf8
    case "ascii": encoding = .ascii
    case "latin-1": encoding = .latin1
    case let other: throw args.error(1, .valueError, "must be 'utf-8', 'ascii' or 'latin-1', not '\(other)'")
    }
    let threads = try args.threadCount(2)
    let result = try args.runKernel(releasingGIL: true) { isCancelled throws(KernelError) in
        try countWords(fileDescriptor: Int32(truncatingIfNeeded: descriptor), encoding: encoding, threads: threads,
                       isCancelled: isCancelled)
    }
    if let invalid = result.invalidAt { return try .int(invalid) }
    return try dictionary(of: result.table)
}

/// Counts the tokens of UTF-8 text: the dict, or the offset of the first invalid byte.
func wordCounts(_ text: UnsafeRawBufferPointer, _ args: borrowing Arguments, _ threads: Int) throws -> PyRef {
    let result = try args.runKernel(releasingGIL: text.count >= 1 << 16) { isCancelled throws(KernelError) in
        try countWords(text, threads: threads, isCancelled: isCancelled)
    }
    if let invalid = result.invalidAt { return try .int(invalid) }
    return try dictionary(of: result.table)
}

/// {token: count}, in a dict sized for the table (Counter(dict) then copies it
/// wholesale, far faster than growing a Counter item by item): ASCII tokens as
/// they are (already lowered), the others lowered by str.lower() and merged
/// (several spellings can lower alike).
func dictionary(of table: WordTable) throws -> PyRef {
    let counts = try PyRef.dict(capacity: table.distinctCount)
    var failure: (any Error)? = nil
    // Every ASCII token is distinct: plain insertion.
    table.forEach { bytes, count, isASCII in
        guard isASCII, failure == nil else { return }
        do {
            try counts.setItem(PyRef.string(utf8: bytes), PyRef.int(count))
        } catch {
            failure = error
        }
    }
    table.forEach { bytes, count, isASCII in
        guard !isASCII, failure == nil else { return }
        do {
            try counts.addToItem(PyRef.string(utf8: bytes).callMethod("lower"), count)
        } catch {
            failure = error
        }
    }
    if let failure { throw failure }
    return counts
}

import FastKernels
import PythonBridge

let wordCountFunction = Function("_word_count", "text, counts, /, threads=None", messageName: "word_count", doc: """
    The native part of fastkernels.word_count(): adds to the dict (a Counter)
    counts the tokens of Counter(text.lower().split()), text being a str or
    bytes-like UTF-8, and returns it; returns the offset (an int) of the first
    invalid UTF-8 sequence instead, or None for a str that UTF-8 cannot hold
    (lone surrogates).
    """) { args in
    let threads = try args.threadCount(2)
    let text = try args.object(0)
    let counts = PyRef(borrowing: try args.object(1))
    if isString(text) {
        guard let utf8 = utf8Bytes(of: text) else { return .none }
        return try wordCounts(utf8, into: counts, args, threads)
    }
    guard let bytes = try BytesView(text) else {
        throw args.typeError(0, expected: "str or a bytes-like object")
    }
    return try wordCounts(bytes.bytes, into: counts, args, threads)
}

let wordCountFileFunction = Function("_word_count_fd", "fd, counts, /, encoding, threads=None",
                                     messageName: "word_count_file", doc: """
    The native part of fastkernels.word_count_file(): counts the file open at
    fd, read a chunk at a time, decoded as encoding ('utf-8', 'ascii' or
    'latin-1'), into the dict (a Counter) counts and returns it; or returns
    the file offset of the first byte that does not decode.
    """) { args in
    let descriptor = try args.int(0)
    let counts = PyRef(borrowing: try args.object(1))
    let encoding: TextEncoding
    switch try args.string(2) {
    case "utf-8": encoding = .utf8
    case "ascii": encoding = .ascii
    case "latin-1": encoding = .latin1
    case let other: throw args.error(2, .valueError, "must be 'utf-8', 'ascii' or 'latin-1', not '\(other)'")
    }
    let threads = try args.threadCount(3)
    let result = try args.runKernel(releasingGIL: true) { isCancelled throws(KernelError) in
        try countWords(fileDescriptor: Int32(truncatingIfNeeded: descriptor), encoding: encoding, threads: threads,
                       isCancelled: isCancelled)
    }
    if let invalid = result.invalidAt { return try .int(invalid) }
    try add(result.table, to: counts)
    return counts
}

/// Counts the tokens of UTF-8 text into `counts`, or returns the offset of the first invalid byte.
func wordCounts(_ text: UnsafeRawBufferPointer, into counts: consuming PyRef, _ args: borrowing Arguments,
                _ threads: Int) throws -> PyRef {
    let result = try args.runKernel(releasingGIL: text.count >= 1 << 16) { isCancelled throws(KernelError) in
        try countWords(text, threads: threads, isCancelled: isCancelled)
    }
    if let invalid = result.invalidAt { return try .int(invalid) }
    try add(result.table, to: counts)
    return counts
}

/// Adds the table to an empty dict: ASCII tokens as they are (already lowered),
/// the others lowered by str.lower() and merged (several spellings can lower alike).
func add(_ table: WordTable, to counts: borrowing PyRef) throws {
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
}

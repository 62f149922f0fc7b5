import FastKernels
import PythonBridge

let wordCountFunction = Function("_word_count", "text, counts, /, threads=None", messageName: "word_count", doc: """
    The native part of fastkernels.word_count(): adds to the empty dict counts
    (a Counter) the counts of Counter(text.lower().split()), text being a str
    or bytes-like UTF-8, and returns None; or returns the offset (an int) of
    the first invalid UTF-8 sequence, or -1 for a str that UTF-8 cannot hold
    (lone surrogates), leaving counts empty.
    """) { args in
    let threads = try args.threadCount(2)
    let text = try args.object(0)
    let counts = try countsArgument(args, 1)
    if isString(text) {
        guard let utf8 = utf8Bytes(of: text) else { return try .int(-1) }
        return try countWords(utf8, into: counts, args, threads)
    }
    guard let bytes = try BytesView(text) else {
        throw args.typeError(0, expected: "str or a bytes-like object")
    }
    return try countWords(bytes.bytes, into: counts, args, threads)
}

let wordCountFileFunction = Function("_word_count_fd", "fd, counts, /, encoding, threads=None",
                                     messageName: "word_count_file", doc: """
    The native part of fastkernels.word_count_file(): counts the file open at
    fd, read a chunk at a time, decoded as encoding ('utf-8', 'ascii' or
    'latin-1'), into the empty dict counts (a Counter) and returns None; or
    returns the file offset of the first byte that does not decode.
    """) { args in
    let descriptor = try args.int(0)
    let counts = try countsArgument(args, 1)
    let encoding: TextEncoding
    switch try args.string(2) {
    case "utf-8": encoding = .utf8
    case "ascii": encoding = .ascii
    case "latin-1": encoding = .latin1
    case let other: throw args.error(2, .valueError, "must be 'utf-8', 'ascii' or 'latin-1', not '\(other)'")
    }
    let threads = try args.threadCount(3)
    let order = asciiStringHashIsBytesHash()
    let counted = try args.runKernel(releasingGIL: true) { isCancelled throws(KernelError) in
        Counted(try countWords(fileDescriptor: Int32(truncatingIfNeeded: descriptor), encoding: encoding,
                               threads: threads, isCancelled: isCancelled), orderedForDict: order)
    }
    return try counted.add(to: counts)
}

/// The empty dict argument at `index` that the counts go into.
func countsArgument(_ args: borrowing Arguments, _ index: Int) throws -> PyObjectPointer {
    let counts = try args.object(index)
    guard isDict(counts) else { throw args.typeError(index, expected: "dict") }
    guard dictSize(counts) == 0 else { throw args.error(index, .valueError, "must be empty") }
    return counts
}

/// Counts the tokens of UTF-8 text into `counts`: None, or the offset of the first invalid byte.
func countWords(_ text: UnsafeRawBufferPointer, into counts: PyObjectPointer, _ args: borrowing Arguments,
                _ threads: Int) throws -> PyRef {
    let order = asciiStringHashIsBytesHash()
    let counted = try args.runKernel(releasingGIL: text.count >= 1 << 16) { isCancelled throws(KernelError) in
        Counted(try countWords(text, threads: threads, isCancelled: isCancelled), orderedForDict: order)
    }
    return try counted.add(to: counts)
}

/// What a count produced, ready to hand to Python: the tokens, or where the text stopped decoding.
enum Counted: ~Copyable {
    case words(WordList)
    case invalid(at: Int)

    /// Takes the tokens out of the table (without the GIL): with `orderedForDict`,
    /// ordered by their str hashes (see `WordList`).
    init(_ result: WordCountResult, orderedForDict: Bool) {
        if let invalid = result.invalidAt {
            self = .invalid(at: invalid)
            return
        }
        let bits = Int.bitWidth - 1 - max(result.table.distinctCount * 3 / 2, 1).leadingZeroBitCount
        let hash: ((UnsafeRawBufferPointer) -> Int)? = orderedForDict ? { asciiStringHash($0) } : nil
        self = .words(result.table.takeWords(orderingASCIIBy: hash, bits: bits))
    }

    /// Adds the counts to the empty dict `counts` and returns None, or returns
    /// the offset of the invalid input. ASCII tokens go in as they are (already
    /// lowered, and all distinct); then the others, lowered by str.lower() and
    /// merged one by one (several spellings can lower alike, and like an ASCII
    /// token: 'K', the Kelvin sign, lowers to 'k'). The tokens' memory is given
    /// back as the dict grows.
    consuming func add(to counts: PyObjectPointer) throws -> PyRef {
        switch consume self {
        case .invalid(let offset):
            return try .int(offset)
        case .words(var words):
            let dict = PyRef(borrowing: counts)
            for index in 0..<words.asciiCount {
                try words.withToken(index) { bytes, count throws(PythonException) in
                    try dict.setItem(PyRef.string(ascii: bytes), PyRef.int(count))
                }
                if index & 0xFFFF == 0xFFFF { words.release(before: index) }
            }
            for index in words.asciiCount..<words.count {
                try words.withToken(index) { bytes, count throws(PythonException) in
                    try dict.addToItem(PyRef.string(utf8: bytes).callMethod("lower"), count)
                }
            }
            return .none
        }
    }
}

import FastKernels
import PythonBridge

// The native parts of word_count() and word_count_file(): count natively, then
// fill the caller's Counter in the order of first occurrence, lowering the
// non-ASCII words with the interpreter's own str.lower(). See docs/word_count.md.

let publicWordCountFunction = Function("word_count", "text, /, *, threads=None", doc: """
    Return ``Counter(text.lower().split())``, computed natively.

    text is a ``str``, or a bytes-like object holding UTF-8 (then the result
    equals ``Counter(text.decode('utf-8').lower().split())``). Splitting follows
    ``str.split()`` (all of Python's whitespace), lowering ``str.lower()`` of this
    interpreter (full Unicode case mapping, final sigma included). The Counter is
    the idiom's in every respect, its order included: words in the order of
    their first occurrence, so ``most_common()`` breaks ties as the idiom does.
    A subclass of str (or bytes) is counted through its own ``lower()`` and
    ``split()`` (or ``decode()``).

    threads: None uses all cores, 1 this thread only. A writable buffer
    (bytearray...) is copied first, so that another thread writing to it cannot
    tear the count. Raises UnicodeDecodeError, exactly as ``bytes.decode('utf-8')``
    would, for invalid UTF-8; TypeError for other types.
    """) { args in
    let threads = try args.threadCount(1)
    let text = try args.object(0)
    // Exact str and bytes here; everything else (subclasses, other buffers, lone
    // surrogates, invalid UTF-8) in fastkernels/_general.py.
    if isExactString(text), let utf8 = utf8BytesWithoutSurrogates(of: text) {
        let counts = try newCounter()
        if try countWords(utf8, into: counts.pointer, args, threads).isNone { return counts }
    } else if isExactBytes(text), let view = try BytesView(text) {
        let counts = try newCounter()
        if try countWords(view.bytes, into: counts.pointer, args, threads).isNone { return counts }
    }
    return try PythonFallback.wordCount().call([text, args[1] ?? noneObject()])
}

/// The UTF-8 bytes of a str, or nil for one that UTF-8 cannot hold (lone surrogates:
/// fastkernels/_general.py counts those), with no exception left pending.
@inline(__always)
func utf8BytesWithoutSurrogates(of text: PyObjectPointer) -> UnsafeRawBufferPointer? {
    do {
        return try utf8Bytes(of: text)
    } catch {
        clearPendingException()
        return nil
    }
}

/// A new empty `collections.Counter`, made as `Counter.__new__(Counter)` makes it
/// (an empty dict of that type; `__init__` would only add nothing to it).
func newCounter() throws(PythonException) -> PyRef {
    try PyRef.newEmptyInstance(of: CounterType.type())
}

/// collections.Counter, imported at the first word count.
enum CounterType {
    nonisolated(unsafe) static var cached: PyObjectPointer?

    static func type() throws(PythonException) -> PyRef {
        try PyRef.attribute("Counter", ofModule: "collections", cache: &cached)
    }
}

let wordCountFunction = Function("_word_count", "text, counts, /, threads=None", messageName: "word_count", doc: """
    The native part of fastkernels.word_count(): adds to the empty dict counts
    (a Counter) the counts of Counter(text.lower().split()), in the same order,
    text being an exact str or a bytes-like object holding UTF-8, and returns
    None; or returns the offset (an int) of the first invalid UTF-8 sequence, or
    -1 for a str that UTF-8 cannot hold (lone surrogates), leaving counts empty.
    A writable buffer is copied first, so that another thread's writes cannot
    tear the count.
    """) { args in
    let threads = try args.threadCount(2)
    let text = try args.object(0)
    let counts = try countsArgument(args, 1)
    if isExactString(text) {
        guard let utf8 = utf8BytesWithoutSurrogates(of: text) else { return try .int(-1) }
        return try countWords(utf8, into: counts, args, threads)
    }
    guard let view = try BytesView(text) else {
        throw args.typeError(0, expected: "str or a bytes-like object")
    }
    if isExactBytes(text) || view.isReadOnly {
        return try countWords(view.bytes, into: counts, args, threads)
    }
    // A writable buffer: count a snapshot (another thread may write to it while the GIL is released).
    let size = view.bytes.count
    guard let copy = allocateChecked(UInt8.self, max(size, 1)) else {
        throw PythonException.memoryError("word_count(): not enough memory to copy a writable buffer of \(size) bytes")
    }
    defer { deallocateChecked(copy, count: max(size, 1)) }
    if let source = view.bytes.baseAddress { copy.update(from: source.assumingMemoryBound(to: UInt8.self), count: size) }
    return try countWords(UnsafeRawBufferPointer(start: copy, count: size), into: counts, args, threads)
}

let wordCountFileFunction = Function("_word_count_fd", "fd, counts, /, encoding, threads=None",
                                     messageName: "word_count_file", doc: """
    The native part of fastkernels.word_count_file(): counts the file open at
    fd from its current position, read a chunk at a time, decoded as encoding
    ('utf-8', 'ascii' or 'latin-1'), into the empty dict counts (a Counter) in
    the order of first occurrence, and returns None; or returns (offset, bytes):
    the offset (from that position) of the first byte that does not decode and
    the bytes from there (at most 4, all a decoder needs).
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
    guard descriptor >= 0 && descriptor <= Int(Int32.max) else {
        throw args.error(0, .valueError, "is not a file descriptor: \(descriptor)")
    }
    let result = try args.runKernel(releasingGIL: true) { isCancelled throws(KernelError) in
        try countWords(fileDescriptor: Int32(descriptor), encoding: encoding, threads: threads, isCancelled: isCancelled)
    }
    return try handOver(result, to: counts, withBytes: true)
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
    let result = try args.runKernel(releasingGIL: text.count >= 1 << 16) { isCancelled throws(KernelError) in
        try countWords(text, threads: threads, isCancelled: isCancelled)
    }
    return try handOver(result, to: counts)
}

/// Fills the empty dict `counts` from the counted words, in their order of
/// first occurrence, and returns None; or returns the offset of the invalid input.
///
/// ASCII words are already lowered and all distinct: each becomes a key once.
/// The others are lowered by str.lower() first (several spellings may lower
/// alike, even to an ASCII word: the Kelvin sign 'K' lowers to 'k'), and their
/// counts are added to the key's. Since the words come in the order of their
/// first occurrence, every key is inserted when its first spelling comes: the
/// idiom's order. The words' memory is given back as the dict grows.
func handOver(_ result: consuming WordCountResult, to counts: PyObjectPointer, withBytes: Bool = false) throws -> PyRef {
    switch consume result {
    case .invalid(let offset, let bytes):
        guard withBytes else { return try .int(offset) }
        return try .tuple(PyRef.int(offset), PyRef.bytes(copying: bytes.array))
    case .words(var words):
        let dict = PyRef(borrowing: counts)
        // The non-ASCII words, lowered, in order (the list made at the first one).
        var lowered: PyRef? = nil
        var asciiCollision = false
        for index in 0..<words.count {
            if index & 0xFFFF == 0xFFFF { try checkSignals() }
            try words.withToken(index) { bytes, _, ascii throws(PythonException) in
                guard !ascii else { return }
                let word = try PyRef.string(utf8: bytes).callMethod("lower")
                if isASCIIString(word.pointer) { asciiCollision = true }
                if lowered == nil { lowered = try PyRef.list() }
                try lowered!.append(word)
            }
        }
        var nextLowered = 0
        try withStringCache { cache in  // the strs of words counted before, hashed already
        for index in 0..<words.count {
            words.prefetch(index + 8)
            try words.withToken(index) { bytes, count, ascii throws(PythonException) in
                if ascii {
                    let key = if let cache { try cache.string(ascii: bytes) } else { try PyRef.string(ascii: bytes) }
                    if asciiCollision {
                        try dict.addToItem(key, count)
                    } else {
                        try dict.setItem(key, PyRef.int(count))
                    }
                } else {
                    let key = PyRef(borrowing: lowered!.listItem(nextLowered))
                    nextLowered += 1
                    try dict.addToItem(key, count)
                }
            }
            if index & 0xFFFF == 0xFFFF {
                words.release(before: index)
                try checkSignals()  // a vocabulary of millions takes a while to hand over
            }
        }
        }
        return .none
    }
}

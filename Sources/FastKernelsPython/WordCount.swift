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
    ``split()`` (or ``decode()``); any other object with a ``lower()`` method
    (``collections.UserString``) by the idiom itself.

    threads: None uses all cores, 1 this thread only. A writable buffer
    (bytearray...) is copied first, so that another thread writing to it cannot
    tear the count. Raises UnicodeDecodeError, exactly as ``bytes.decode('utf-8')``
    would, for invalid UTF-8; TypeError for other types and for buffers whose
    items are wider than a byte (``array('u')``, numpy str or int arrays).
    """) { args throws(PythonException) in
    let threads = try args.threadCount(1)
    let text = try args.object(0)
    // Exact str and bytes here; everything else (subclasses, other buffers, lone
    // surrogates, invalid UTF-8) in fastkernels/_general.py.
    if isExactString(text) {
        if let counted = try withTextUTF8(text, threads: threads, args: args, { utf8 throws(PythonException) -> PyRef? in
            let counts = try newCounter()
            guard try countUTF8Words(utf8, into: counts.pointer, threads: threads, args: args).isNone else { return nil }
            return counts
        }), let counts = consume counted {
            return counts
        }
    } else if isExactBytes(text), let view = try BytesView(text) {
        let counts = try newCounter()
        if try countUTF8Words(view.bytes, into: counts.pointer, threads: threads, args: args).isNone { return counts }
    }
    return try PythonFallback.wordCount().call([text, args[1] ?? noneObject()])
}

let wordCountFunction = Function("_word_count", "text, counts, /, threads=None", messageName: "word_count", doc: """
    The native part of fastkernels.word_count(): adds to the empty dict counts
    (a Counter) the counts of Counter(text.lower().split()), in the same order,
    text being an exact str or a bytes-like object holding UTF-8, and returns
    None; or returns the offset (an int) of the first invalid UTF-8 sequence, or
    -1 for a str that UTF-8 cannot hold (lone surrogates), leaving counts empty.
    A writable buffer is copied first, so that another thread's writes cannot
    tear the count.
    """) { args throws(PythonException) in
    let threads = try args.threadCount(2)
    let text = try args.object(0)
    let counts = try args.emptyDict(1)
    if isExactString(text) {
        let counted = try withTextUTF8(text, threads: threads, args: args) { utf8 throws(PythonException) in
            try countUTF8Words(utf8, into: counts, threads: threads, args: args)
        }
        guard let counted else { return try .int(-1) }
        return counted
    }
    guard let view = try BytesView(text) else {
        throw args.typeError(0, expected: "str or a bytes-like object")
    }
    if isExactBytes(text) || view.isReadOnly {
        return try countUTF8Words(view.bytes, into: counts, threads: threads, args: args)
    }
    // A writable buffer: count a snapshot (another thread may write to it while the GIL is released).
    let size = view.bytes.count
    guard let copy = allocateChecked(UInt8.self, max(size, 1)) else {
        throw PythonException.memoryError(in: "word_count", "%s(): not enough memory to copy a writable buffer of %zd bytes", size)
    }
    defer { deallocateChecked(copy, count: max(size, 1)) }
    if let source = view.bytes.baseAddress { copy.update(from: source.assumingMemoryBound(to: UInt8.self), count: size) }
    return try countUTF8Words(UnsafeRawBufferPointer(start: copy, count: size), into: counts, threads: threads, args: args)
}

let wordCountFileFunction = Function("_word_count_fd", "fd, counts, /, encoding, threads=None",
                                     messageName: "word_count_file", doc: """
    The native part of fastkernels.word_count_file(): counts the file open at
    fd from its current position, read a chunk at a time, decoded as encoding
    ('utf-8', 'ascii' or 'latin-1'), into the empty dict counts (a Counter) in
    the order of first occurrence, and returns None; or returns (offset, bytes):
    the offset (from that position) of the first byte that does not decode and
    the bytes from there (at most 4, all a decoder needs).
    """) { args throws(PythonException) in
    let descriptor = try args.int(0)
    let counts = try args.emptyDict(1)
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
    return try storeWordCounts(result, into: counts, reportingInvalidBytes: true)
}

// _merge_word_counts(words, counts, /): the merge step of fastkernels.dask.word_count_files.
let mergeWordCountsFunction = Function("_merge_word_counts", "words, counts, /", doc: """
    Merge word counts in fastkernels.dask's encoded form and return the merge in
    the same form, (words, counts). words: a tuple of bytes, each the words of
    one part (UTF-8) joined by single spaces; counts: a tuple of bytes, each that
    part's counts as int64 in native byte order. The merge is Counter.update part
    after part: counts added, new words last, in order. ValueError for parts not
    in that form; OverflowError for a count beyond int64.
    """) { args throws(PythonException) in
    let words = try args.object(0), counts = try args.object(1)
    guard let wordItems = exactSequenceItems(words), !isExactList(words) else { throw args.typeError(0, expected: "tuple") }
    guard let countItems = exactSequenceItems(counts), !isExactList(counts) else { throw args.typeError(1, expected: "tuple") }
    guard wordItems.count == countItems.count else {
        throw PythonException.valueError("_merge_word_counts(): words and counts must have the same length, "
                                         + "not \(wordItems.count) and \(countItems.count)")
    }
    // Tuples of bytes: immutable, kept alive by the caller for the call, so read in place.
    let count = wordItems.count
    guard let parts = allocateChecked(EncodedWordCounts.self, max(count, 1)) else {
        throw PythonException.memoryError("_merge_word_counts(): not enough memory")
    }
    defer { deallocateChecked(parts, count: max(count, 1)) }
    var total = 0
    for i in 0..<count {
        guard isExactBytes(wordItems[i]!), isExactBytes(countItems[i]!),
              let text = try withBytesValue(of: wordItems[i]!, { $0 }),
              let numbers = try withBytesValue(of: countItems[i]!, { $0 }) else {
            throw PythonException.typeError("_merge_word_counts(): every part must be bytes")
        }
        (parts + i).initialize(to: EncodedWordCounts(words: text, counts: numbers))
        total += text.count + numbers.count
    }
    let merged = try args.runKernel(releasingGIL: total >= wordCountGILThreshold) { isCancelled throws(KernelError) in
        try mergeWordCounts(UnsafeBufferPointer(start: parts, count: count), isCancelled: isCancelled)
    }
    let mergedWords = try PyRef.bytes(count: merged.byteCount)
    let mergedCounts = try PyRef.bytes(count: 8 * merged.count)
    merged.write(words: mutableBytes(of: mergedWords.pointer), counts: mutableBytes(of: mergedCounts.pointer))
    return try .tuple(mergedWords, mergedCounts)
}

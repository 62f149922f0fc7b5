import FastKernels
import PythonBridge

// word_count()'s adapter between Python objects and the kernels: the text's
// UTF-8 bytes in; the counted words out, into a Counter in the order of their
// first occurrence, non-ASCII words lowered by the interpreter's str.lower().

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

/// Characters from which a non-ASCII str is encoded to UTF-8 in memory of the count's own,
/// freed when it is done. `PyUnicode_AsUTF8AndSize` keeps its UTF-8 copy in the str for as
/// long as the str lives (a 114 MB Russian text took 247 MB after one count) and encodes a
/// text of hundreds of megabytes without a pause for Ctrl-C. Below this the interpreter's
/// copy is used: small, and counting the same short text again skips the encoding.
let textEncodingLimit = 1 << 20

/// Calls `body` with the UTF-8 bytes of an exact str (see `textEncodingLimit`): the str's own
/// for an ASCII str, else a copy, encoded with the GIL released by up to `threads` workers
/// (`encodeUTF8`). Nil, without calling `body`, for a str that UTF-8 cannot hold (lone
/// surrogates; no exception pending).
/// - Throws: MemoryError without memory for the copy, KeyboardInterrupt (Ctrl-C) while encoding,
///   or what `body` throws.
func withTextUTF8<R: ~Copyable>(_ text: PyObjectPointer, threads: Int, args: borrowing Arguments,
                                _ body: (UnsafeRawBufferPointer) throws(PythonException) -> R) throws(PythonException) -> R? {
    guard let stored = try storedCharacters(of: text), !isASCIIString(text), stored.count >= textEncodingLimit else {
        guard let utf8 = utf8BytesWithoutSurrogates(of: text) else { return nil }
        return try body(utf8)
    }
    // (The str is immutable, and the caller holds it: its characters stay while the GIL is released.)
    let encoded = try args.runKernel(releasingGIL: true) { isCancelled throws(KernelError) in
        try encodeUTF8(characters: stored.data, count: stored.count, width: stored.width, threads: threads,
                       isCancelled: isCancelled)
    }
    guard let encoded else { return nil }
    return try encoded.withBytes(body)
}

/// A new empty `collections.Counter`, made as `Counter.__new__(Counter)` makes it
/// (an empty dict of that type; `__init__` would only add nothing to it).
func newCounter() throws(PythonException) -> PyRef {
    try PyRef.newEmptyInstance(of: CounterType.type())
}

extension Arguments {
    /// The argument at `index`, which must be an empty dict (the counts go into it).
    func emptyDict(_ index: Int) throws(PythonException) -> PyObjectPointer {
        let counts = try object(index)
        guard isDict(counts) else { throw typeError(index, expected: "dict") }
        guard dictSize(counts) == 0 else { throw error(index, .valueError, "must be empty") }
        return counts
    }
}

/// Bytes of text from which a count releases the GIL while it counts (the hand-over to
/// the Counter holds it).
let wordCountGILThreshold = 1 << 16

/// Counts the tokens of UTF-8 text into `counts`: None, or the offset of the first invalid byte.
func countUTF8Words(_ text: UnsafeRawBufferPointer, into counts: PyObjectPointer, threads: Int,
                    args: borrowing Arguments) throws(PythonException) -> PyRef {
    if text.count == 0 { return .none }
    let releasingGIL = text.count >= wordCountGILThreshold
    // Texts below 1 MiB: counted in one block of scratch memory (the general kernel's
    // tables, workers and result lists cost more than counting a paragraph).
    if text.count <= shortTextLimit,
       try withShortTextWords(text, workers: effectiveWorkers(threads),
                              counting: { (count: () -> Int?) throws(PythonException) -> Int? in
           releasingGIL ? try withGILReleased { _ in count() } : count()
       }, { (words: inout ShortTextWords) throws(PythonException) in try storeOrderedWords(&words, into: counts) }) != nil {
        return .none
    }
    let result = try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try countWords(text, threads: threads, isCancelled: isCancelled)
    }
    return try storeWordCounts(result, into: counts)
}

/// Fills the empty dict `counts` from the counted words, in their order of
/// first occurrence, and returns None; or, for invalid input, returns its offset
/// (with `reportingInvalidBytes`, a tuple of the offset and the bytes from there).
///
/// ASCII words are already lowered and all distinct: each becomes a key once.
/// The others are lowered by str.lower() first (several spellings may lower
/// alike, even to an ASCII word: the Kelvin sign 'K' lowers to 'k'), and their
/// counts are added to the key's. Since the words come in the order of their
/// first occurrence, every key is inserted when its first spelling comes: the
/// idiom's order. The words' memory is given back as the dict grows.
func storeWordCounts(_ result: consuming WordCountResult, into counts: PyObjectPointer,
                     reportingInvalidBytes: Bool = false) throws(PythonException) -> PyRef {
    switch consume result {
    case .invalid(let offset, let bytes):
        guard reportingInvalidBytes else { return try .int(offset) }
        return try .tuple(PyRef.int(offset), PyRef.bytes(copying: bytes.array))
    case .words(var words):
        try storeOrderedWords(&words, into: counts)
        return .none
    }
}

/// Fills the empty dict `counts` from `words` (see `storeWordCounts`).
func storeOrderedWords<Words: OrderedWordSequence & ~Copyable>(_ words: inout Words,
                                                               into counts: PyObjectPointer) throws(PythonException) {
    let dict = PyRef(borrowing: counts)
    // The non-ASCII words, lowered, in order (the list made at the first one).
    var lowered: PyRef? = nil
    var asciiCollision = false
    for index in 0..<(words.mayNeedLower ? words.count : 0) {
        if index & 0xFFFF == 0xFFFF { try checkSignals() }
        try words.withToken(index) { bytes, _, kind throws(PythonException) in
            guard kind == .needsLower, !lowerLeavesUnchanged(UnsafeRawBufferPointer(bytes)) else { return }
            let word = try PyRef.string(decodingUTF8: bytes).callMethod("lower", cache: &PythonFallback.lowerName)
            if isASCIIString(word.pointer) { asciiCollision = true }
            if lowered == nil { lowered = try PyRef.list() }
            try lowered!.append(word)
        }
    }
    var nextLowered = 0
    try withStringCache { cache throws(PythonException) in  // the strs of words counted before, hashed already
    for index in 0..<words.count {
        words.prefetch(index + 8)
        if let cache, index + 4 < min(words.count, cachedHandOverWords) {
            let ahead = words.keys(index + 4)
            if ahead.length <= StringCache.maximumLength {
                prefetchForRead(cache.entryAddress(key0: ahead.key0, key1: ahead.key1, length: ahead.length))
            }
        }
        try words.withToken(index) { bytes, count, kind throws(PythonException) in
            switch kind {
            case .ascii:
                let key = if let cache, index < cachedHandOverWords, bytes.count <= StringCache.maximumLength {
                    try cache.string(ascii: bytes, key0: words.keys(index).key0, key1: words.keys(index).key1)
                } else {
                    try PyRef.string(ascii: bytes)
                }
                if asciiCollision {
                    try dict.addToItem(key, count)
                } else {
                    try dict.setItem(key, PyRef.int(count))
                }
            case .lowered, .needsLower where lowerLeavesUnchanged(UnsafeRawBufferPointer(bytes)):
                // Its own key (a `.needsLower` word here is lowercase already: most words of Russian
                // or Spanish prose, all of Chinese; no lower() making a copy of it). A word that
                // needs lowering may lower to it: added to, not set.
                let key = if let cache, index < cachedHandOverWords, bytes.count <= StringCache.maximumLength {
                    try cache.string(utf8: bytes)
                } else {
                    try PyRef.string(decodingUTF8: bytes)
                }
                try dict.addToItem(key, count)
            case .needsLower:
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
}

/// The first this many words of a result go through the string cache. Words come
/// in order of first occurrence, so a text's common words come first; the words of
/// a large vocabulary after them are mostly rare ones that the cache would not hold
/// (on 30 MB of Python source: 6% of the time in cache misses and replacements).
let cachedHandOverWords = 1 << 14

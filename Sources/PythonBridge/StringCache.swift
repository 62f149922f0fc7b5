@preconcurrency import CPython

/// Python strs of short strings (ASCII, or any UTF-8) made before, kept to be handed out again
/// (the idea of orjson's key cache): a str found here costs no allocation, and
/// its hash is already computed, so inserting it into a dict skips hashing too.
/// Short strs repeat from one call to the next (the words of texts do, by Zipf's
/// law), so most of those a call makes are found here after the first few calls.
///
/// Two-way set associative: 16,384 entries (8,192 sets of two, a cache line each) of
/// strings up to 16 bytes, each holding one reference to its str (a 512 KiB table and
/// at most about 1 MB of strs, for the life of the process). A set holds its last used string first; a
/// miss replaces the other. (Direct-mapped with 4,096 entries, a text of 3,000 distinct
/// words lost about a third of them to collisions on every call: 100K characters of
/// English prose were counted in 1.18x the time.) Strs are immutable: sharing one between results is
/// invisible to Python code, as interning is.
///
/// Use it with the GIL held, through `withStringCache`, which hands it to one
/// caller at a time (a signal handler that runs Python code during a use, and
/// calls back into the module, gets none and makes its strs itself).
public struct StringCache {
    @usableFromInline
    struct Entry {
        @usableFromInline var key0: UInt64
        @usableFromInline var key1: UInt64
        @usableFromInline var length: Int
        @usableFromInline var string: PyObjectPointer?

        @usableFromInline
        init(key0: UInt64, key1: UInt64, length: Int, string: PyObjectPointer?) {
            self.key0 = key0
            self.key1 = key1
            self.length = length
            self.string = string
        }

        /// The kept str when this entry holds the string with these keys and length, else nil.
        @inlinable @inline(__always)
        func string(holding key0: UInt64, _ key1: UInt64, length: Int) -> PyObjectPointer? {
            guard let string, self.key0 == key0, self.key1 == key1, self.length == length else { return nil }
            return string
        }
    }

    static let capacity = 16384
    /// The longest string kept.
    public static let maximumLength = 16

    nonisolated(unsafe) static var entries: UnsafeMutablePointer<Entry>? = nil
    nonisolated(unsafe) static var inUse = false

    @usableFromInline let entries: UnsafeMutablePointer<Entry>

    init(entries: UnsafeMutablePointer<Entry>) {
        self.entries = entries
    }

    /// A str of 1 to 16 ASCII bytes: the kept one when it holds these bytes, else a new
    /// one, kept from now on.
    /// - Parameters:
    ///   - bytes: 1 to 16 bytes, every one below 0x80 (not checked).
    ///   - key0: the first eight bytes, zero-padded (little-endian: byte 0 lowest).
    ///   - key1: the next eight, zero-padded (the callers have the bytes as these words already).
    /// - Returns: the str, a new reference (a kept one has its hash computed).
    /// - Throws: `.pending` (MemoryError) when it cannot be made.
    /// (Inlined into the caller's loop: a kept str, the usual case, costs no call.)
    @inlinable @inline(__always)
    public func string(ascii bytes: UnsafeBufferPointer<UInt8>, key0: UInt64, key1: UInt64) throws(PythonException) -> PyRef {
        let first = entries + StringCache.slot(key0, key1, bytes.count)
        if let kept = first.pointee.string(holding: key0, key1, length: bytes.count) { return PyRef(borrowing: kept) }
        return try missedString(ascii: bytes, first: first, key0: key0, key1: key1)
    }

    /// `string(ascii:key0:key1:)` when `first`, the first entry of the string's set, does not hold it.
    @usableFromInline @inline(never)
    func missedString(ascii bytes: UnsafeBufferPointer<UInt8>, first: UnsafeMutablePointer<Entry>,
                      key0: UInt64, key1: UInt64) throws(PythonException) -> PyRef {
        try string(notIn: first, key0: key0, key1: key1, length: bytes.count) { () throws(PythonException) in
            try PyRef.string(ascii: bytes)
        }
    }

    /// A str of 1 to 16 bytes of UTF-8 (any characters: the bytes of a str are a key as
    /// good as ASCII's), as `string(ascii:key0:key1:)` gives one; made by
    /// `PyRef.string(decodingUTF8:)` when it is not kept.
    /// - Parameter bytes: 1 to 16 bytes; invalid UTF-8 raises UnicodeDecodeError (and is not kept).
    /// - Returns: the str, a new reference.
    /// - Throws: `.pending` (UnicodeDecodeError, MemoryError).
    @inline(__always)
    public func string(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(PythonException) -> PyRef {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
        let key0 = UInt64(littleEndian: words.0), key1 = UInt64(littleEndian: words.1)
        let first = entries + StringCache.slot(key0, key1, bytes.count)
        if let kept = first.pointee.string(holding: key0, key1, length: bytes.count) { return PyRef(borrowing: kept) }
        return try string(notIn: first, key0: key0, key1: key1, length: bytes.count) { () throws(PythonException) in
            try PyRef.string(decodingUTF8: bytes)
        }
    }

    /// The kept str of the bytes whose first 16 (zero-padded) are `key0`, `key1` and whose
    /// length is `length`, found in the second entry of its set (`first`, the first entry, was
    /// looked at by the caller); else the one `make` makes, hashed (once: the str keeps it) and
    /// kept in place of the second entry's.
    @inline(__always)
    private func string(notIn first: UnsafeMutablePointer<Entry>, key0: UInt64, key1: UInt64, length: Int,
                        _ make: () throws(PythonException) -> PyRef) throws(PythonException) -> PyRef {
        let second = first + 1
        if let kept = second.pointee.string(holding: key0, key1, length: length) {
            swap(&first.pointee, &second.pointee)  // the last used first
            return PyRef(borrowing: kept)
        }
        let made = try make()
        guard PyObject_Hash(made.pointer) != -1 else { throw .pending }
        if let old = second.pointee.string { fk_decref(old) }
        second.pointee = first.pointee
        first.pointee = Entry(key0: key0, key1: key1, length: length, string: PyRef(borrowing: made.pointer).release())
        return made
    }

    /// Where the entry of a string (as `string(ascii:key0:key1:)` takes it) is: to
    /// prefetch it a few words before it is asked for (the cache is 512 KiB, larger
    /// than the L1 cache).
    @inline(__always)
    public func entryAddress(key0: UInt64, key1: UInt64, length: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(entries + StringCache.slot(key0, key1, length))
    }

    /// The first entry of a string's set (the set: the top 13 bits of a multiply-xorshift
    /// mix of all its bytes; the low bits of a product depend on the low bytes only:
    /// strings sharing their first bytes would share sets).
    @inlinable @inline(__always)
    static func slot(_ key0: UInt64, _ key1: UInt64, _ length: Int) -> Int {
        var mixed = (key0 &* 0x9E37_79B9_7F4A_7C15) ^ (key1 &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(length)
        mixed = (mixed ^ (mixed >> 32)) &* 0xBF58_476D_1CE4_E5B9
        return 2 * Int(truncatingIfNeeded: mixed >> 51)  // 8,192 sets of two entries
    }
}

extension StringCache {
    /// Drops every kept str without releasing it: for a new interpreter (the module
    /// initialised again after `Py_FinalizeEx`, in an embedding program), whose
    /// predecessor's objects are gone.
    public static func forgetAll() {
        guard let entries else { return }
        entries.update(repeating: Entry(key0: 0, key1: 0, length: 0, string: nil), count: capacity)
    }
}

/// Runs `body` with the process's string cache. The GIL must be held.
/// - Parameter body: gets the cache; nil while another use is in progress (or
///   when its memory cannot be had): then it makes its strs itself.
/// - Returns: what `body` returns.
/// - Throws: what `body` throws.
public func withStringCache<R: ~Copyable, E: Error>(_ body: (StringCache?) throws(E) -> R) throws(E) -> R {
    if StringCache.inUse { return try body(nil) }
    if StringCache.entries == nil {
        // Zeroed, each set in one cache line (never freed: the strs it holds live as long).
        let bytes = StringCache.capacity * MemoryLayout<StringCache.Entry>.stride + 64
        guard let memory = PyMem_RawCalloc(1, bytes) else { return try body(nil) }
        let aligned = memory + ((64 - (Int(bitPattern: memory) & 63)) & 63)
        StringCache.entries = aligned.bindMemory(to: StringCache.Entry.self, capacity: StringCache.capacity)
    }
    StringCache.inUse = true
    defer { StringCache.inUse = false }
    return try body(StringCache(entries: StringCache.entries!))
}

// UTF-8 as CPython's strict decoder accepts it, and the non-ASCII whitespace of
// str.isspace(). See docs/word_count.md.

/// The length of the valid UTF-8 sequence at `i` (2-4), -1 when it is invalid,
/// -2 when it is a valid beginning cut off by the end of the text.
@inline(__always)
func sequenceLength(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int {
    let lead = p[i]
    let size: Int
    var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
    switch lead {
    case 0xC2...0xDF: size = 2
    case 0xE0: size = 3; low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: size = 3
    case 0xED: size = 3; high = 0x9F           // no surrogates
    case 0xF0: size = 4; low = 0x90            // no overlong 4-byte forms
    case 0xF1...0xF3: size = 4
    case 0xF4: size = 4; high = 0x8F           // nothing above U+10FFFF
    default: return -1                         // 0x80-0xC1, 0xF5-0xFF
    }
    for k in 1..<size {
        if i + k >= n { return -2 }
        let byte = p[i + k]
        if k == 1 ? (byte < low || byte > high) : (byte & 0xC0 != 0x80) { return -1 }
    }
    return size
}

/// True for the non-ASCII whitespace characters of str.isspace().
@inline(__always)
func isUnicodeWhitespace(_ p: UnsafePointer<UInt8>, _ i: Int, _ size: Int) -> Bool {
    let b0 = p[i], b1 = p[i + 1]
    switch size {
    case 2:
        return b0 == 0xC2 && (b1 == 0x85 || b1 == 0xA0)                    // U+0085, U+00A0
    case 3:
        let b2 = p[i + 2]
        switch (b0, b1) {
        case (0xE1, 0x9A): return b2 == 0x80                               // U+1680
        case (0xE2, 0x80): return b2 <= 0x8A || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF  // U+2000-200A, 2028, 2029, 202F
        case (0xE2, 0x81): return b2 == 0x9F                               // U+205F
        case (0xE3, 0x80): return b2 == 0x80                               // U+3000
        default: return false
        }
    default:
        return false
    }
}

/// Whether `str.lower()` maps the non-ASCII character `p[0..<size]` (valid UTF-8) to
/// itself, judged conservatively: true for the blocks whose characters it maps to themselves
/// in every Unicode version since 1.1 (U+0080-U+00BF, U+00DF-U+00FF, the lowercase Greek
/// U+03AC-U+03CE and Cyrillic U+0430-U+045F letters, Hebrew U+0590-U+05FF, Arabic
/// U+0600-U+06FF, general punctuation and super- and subscripts U+2000-U+207F, CJK, kana and
/// Hangul U+3000-U+9FFF and U+B000-U+D7FF); false for every other character, also for those
/// that lower() would leave alone. Never true for the capital sigma, whose lowering depends
/// on its neighbours.
@inline(__always)
func lowerKeepsCharacter(_ p: UnsafePointer<UInt8>, _ size: Int) -> Bool {
    let b0 = p[0], b1 = p[1]
    switch size {
    case 2:
        switch b0 {
        case 0xC2: return true                  // U+0080-U+00BF
        case 0xC3: return b1 >= 0x9F            // U+00DF-U+00FF
        case 0xCE: return b1 >= 0xAC            // U+03AC-U+03BF
        case 0xCF: return b1 <= 0x8E            // U+03C0-U+03CE
        case 0xD0: return b1 >= 0xB0            // U+0430-U+043F
        case 0xD1: return b1 <= 0x9F            // U+0440-U+045F
        case 0xD6: return b1 >= 0x90            // U+0590-U+05BF
        case 0xD7...0xDB: return true           // U+05C0-U+06FF
        default: return false
        }
    case 3:
        switch b0 {
        case 0xE2: return b1 <= 0x81            // U+2000-U+207F
        case 0xE3...0xE9, 0xEB, 0xEC: return true  // U+3000-U+9FFF, U+B000-U+CFFF
        case 0xED: return b1 <= 0x9F            // U+D000-U+D7FF
        default: return false
        }
    default:
        return false
    }
}

/// Whether `str.lower()` leaves the valid UTF-8 token `bytes` as it is, judged
/// conservatively: its ASCII letters are lowercase and each other character is one
/// `lowerKeepsCharacter` accepts. (`str.lower()` maps character by character but for the
/// final sigma, which is never accepted, so such a token is its own lowering.)
public func lowerLeavesUnchanged(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
    let n = bytes.count
    var i = 0
    while i < n {
        let b0 = base[i]
        if b0 < 0x80 {
            if b0 &- 0x41 < 26 { return false }
            i &+= 1
            continue
        }
        let size = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4
        guard i &+ size <= n, lowerKeepsCharacter(base + i, size) else { return false }
        i &+= size
    }
    return true
}

// MARK: - Encoding a str's stored characters (PEP 393: 1, 2 or 4 bytes each) as UTF-8

/// The number of UTF-8 bytes of `count` characters of `width` bytes each (1, 2 or 4) at
/// `characters`; nil when one of them is a surrogate (U+D800-U+DFFF: a str with lone
/// surrogates, which UTF-8 cannot hold).
public func utf8Length(characters: UnsafeRawPointer, count: Int, width: Int) -> Int? {
    var length = count
    switch width {
    case 1:
        let p = characters.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i &+ 8 <= count {  // a byte of 0x80 or more takes two bytes in UTF-8
            length &+= (UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080).nonzeroBitCount
            i &+= 8
        }
        while i < count {
            length &+= Int(p[i] >> 7)
            i &+= 1
        }
    case 2:
        let p = characters.assumingMemoryBound(to: UInt16.self)
        var surrogates = 0
        for i in 0..<count {
            let c = p[i]
            length &+= (c >= 0x80 ? 1 : 0) &+ (c >= 0x800 ? 1 : 0)
            surrogates |= (c & 0xF800) == 0xD800 ? 1 : 0
        }
        if surrogates != 0 { return nil }
    default:
        let p = characters.assumingMemoryBound(to: UInt32.self)
        var surrogates = 0
        for i in 0..<count {
            let c = p[i]
            length &+= (c >= 0x80 ? 1 : 0) &+ (c >= 0x800 ? 1 : 0) &+ (c >= 0x10000 ? 1 : 0)
            surrogates |= (c & 0xFFFF_F800) == 0xD800 ? 1 : 0
        }
        if surrogates != 0 { return nil }
    }
    return length
}

/// Writes the UTF-8 of `count` characters of `width` bytes each (1, 2 or 4, no surrogates:
/// `utf8Length` said so) to `output`, which has room for all of it (and nothing is written
/// past it: workers encode side by side); returns the bytes written.
public func encodeUTF8(characters: UnsafeRawPointer, count: Int, width: Int,
                       into output: UnsafeMutablePointer<UInt8>) -> Int {
    var o = 0
    @inline(__always) func put(_ c: UInt32) {
        if c < 0x80 {
            output[o] = UInt8(truncatingIfNeeded: c)
            o &+= 1
        } else if c < 0x800 {
            output[o] = UInt8(truncatingIfNeeded: 0xC0 | c >> 6)
            output[o &+ 1] = UInt8(truncatingIfNeeded: 0x80 | c & 0x3F)
            o &+= 2
        } else if c < 0x10000 {
            output[o] = UInt8(truncatingIfNeeded: 0xE0 | c >> 12)
            output[o &+ 1] = UInt8(truncatingIfNeeded: 0x80 | c >> 6 & 0x3F)
            output[o &+ 2] = UInt8(truncatingIfNeeded: 0x80 | c & 0x3F)
            o &+= 3
        } else {
            output[o] = UInt8(truncatingIfNeeded: 0xF0 | c >> 18)
            output[o &+ 1] = UInt8(truncatingIfNeeded: 0x80 | c >> 12 & 0x3F)
            output[o &+ 2] = UInt8(truncatingIfNeeded: 0x80 | c >> 6 & 0x3F)
            output[o &+ 3] = UInt8(truncatingIfNeeded: 0x80 | c & 0x3F)
            o &+= 4
        }
    }
    // Runs of ASCII (most of a European text's characters: spaces, digits, punctuation, and
    // whole words in Latin-1 text) eight or four characters at a time.
    switch width {
    case 1:
        let p = characters.assumingMemoryBound(to: UInt8.self)
        var i = 0
        while i < count {
            if i &+ 8 <= count {
                let eight = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if eight & 0x8080_8080_8080_8080 == 0 {
                    UnsafeMutableRawPointer(output + o).storeBytes(of: eight, as: UInt64.self)
                    o &+= 8
                    i &+= 8
                    continue
                }
            }
            put(UInt32(p[i]))
            i &+= 1
        }
    case 2:
        let p = characters.assumingMemoryBound(to: UInt16.self)
        var i = 0
        while i < count {
            if i &+ 4 <= count {
                let four = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                if four & 0xFF80_FF80_FF80_FF80 == 0 {  // four ASCII characters: their low bytes
                    let narrowed = UInt32(truncatingIfNeeded: four & 0xFF | four >> 8 & 0xFF00)
                        | UInt32(truncatingIfNeeded: four >> 16 & 0xFF_0000 | four >> 24 & 0xFF00_0000)
                    UnsafeMutableRawPointer(output + o).storeBytes(of: narrowed, as: UInt32.self)
                    o &+= 4
                    i &+= 4
                    continue
                }
            }
            let c = p[i]
            if c < 0x800 && i &+ 1 < count {
                // One or two bytes without a branch between them (text in Cyrillic, Greek,
                // Hebrew or Arabic alternates with ASCII spaces and punctuation at every word):
                // both bytes are written, the second overwritten by the next character when it
                // is not needed (never past the output: the last character goes by `put`).
                let two = c >= 0x80
                output[o] = two ? UInt8(truncatingIfNeeded: 0xC0 | c >> 6) : UInt8(truncatingIfNeeded: c)
                output[o &+ 1] = UInt8(truncatingIfNeeded: 0x80 | c & 0x3F)
                o &+= two ? 2 : 1
            } else {
                put(UInt32(c))
            }
            i &+= 1
        }
    default:
        let p = characters.assumingMemoryBound(to: UInt32.self)
        for i in 0..<count { put(p[i]) }
    }
    return o
}

/// Characters a worker encodes between two looks for cancellation (Ctrl-C).
let encodingSlice = 1 << 22

/// Characters from which a second worker helps encode a text.
let encodingCharactersPerWorker = 1 << 21

/// UTF-8 encoded from a str's stored characters, in memory freed with the value.
public struct EncodedText: ~Copyable {
    private let memory: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    public let count: Int

    fileprivate init(memory: UnsafeMutablePointer<UInt8>, capacity: Int, count: Int) {
        self.memory = memory
        self.capacity = capacity
        self.count = count
    }

    /// Calls `body` with the bytes (valid only inside it: they are freed with the value).
    public borrowing func withBytes<R: ~Copyable, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: memory, count: count))
    }

    deinit { deallocateChecked(memory, count: capacity) }
}

/// The UTF-8 of `count` characters of `width` bytes each (1, 2 or 4) at `characters`, a
/// str's stored characters (immutable: the caller may release the GIL), encoded by up to
/// `threads` workers (one per `encodingCharactersPerWorker`): each measures its part, then
/// encodes it at its offset. Nil when a character is a surrogate (UTF-8 cannot hold it).
/// - Throws: `.outOfMemory` without memory for the result, `.cancelled` when `isCancelled`
///   says so (polled every `encodingSlice` characters).
public func encodeUTF8(characters: UnsafeRawPointer, count: Int, width: Int, threads: Int,
                       isCancelled: () -> Bool) throws(KernelError) -> EncodedText? {
    let workers = max(1, min(effectiveWorkers(threads), count / encodingCharactersPerWorker))
    guard let parts = CheckedBuffer(Int.self, count: workers) else { throw .outOfMemory }
    let stopped = StopFlag()
    let source = UncheckedSendable(characters)
    let lengths = SharedPointer(parts.base)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        var length = 0
        forEachSlice(of: partition(count, parts: workers, index: worker), length: encodingSlice,
                     stopped: stopped, isCancelled) { slice in
            guard length >= 0 else { return }
            length = utf8Length(characters: source.value + slice.lowerBound &* width, count: slice.count, width: width)
                .map { length + $0 } ?? -1
        }
        lengths.pointer[worker] = length
    }
    if stopped.isSet { throw .cancelled }
    var total = 0
    for worker in 0..<workers {
        let length = parts[worker]
        guard length >= 0 else { return nil }
        parts[worker] = total  // from here on: where the worker's part starts
        total += length
    }
    guard let memory = allocateChecked(UInt8.self, max(total, 1)) else { throw .outOfMemory }
    let output = SharedPointer(memory)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        var written = lengths.pointer[worker]
        forEachSlice(of: partition(count, parts: workers, index: worker), length: encodingSlice,
                     stopped: stopped, isCancelled) { slice in
            written += encodeUTF8(characters: source.value + slice.lowerBound &* width, count: slice.count,
                                  width: width, into: output.pointer + written)
        }
    }
    guard !stopped.isSet else {
        deallocateChecked(memory, count: max(total, 1))
        throw .cancelled
    }
    return EncodedText(memory: memory, capacity: max(total, 1), count: total)
}

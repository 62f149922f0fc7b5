import Synchronization

// Word counts of a file read a chunk at a time. See docs/word_count.md.

/// How a file's bytes become text.
public enum TextEncoding: Sendable {
    case utf8, ascii, latin1
}

/// Bytes read from a file at a time, by each worker (a token longer than this
/// grows the buffer). One huge page: mapped memory, so freeing it does not raise
/// glibc's mmap threshold, and small enough that the buffer adds little to the
/// count's peak memory (8 MiB buffers were a fifth of it; a read of 2 MiB from
/// the page cache costs about as much per byte as one of 8).
let fileChunk = hugePage

/// Counts the tokens of the file open at `descriptor`, from its current
/// position to its end, a chunk at a time: memory holds the chunks and the
/// tables, whatever the file's size. A regular file is cut at ASCII whitespace
/// into regions that the workers take in order, each read with `pread`; pipes, FIFOs and
/// terminals are read in order by one worker, and a read that waits for data
/// polls `isCancelled` every 20 ms.
///
/// - Returns: the words in the order of first occurrence, or the offset (from
///   where reading started) of the first byte that does not decode (UTF-8 or
///   ASCII; Latin-1 decodes everything) and the bytes from there.
/// - Throws: `.io(errno)` when reading fails; `.cancelled`; `.outOfMemory`.
/// - Complexity: O(file size) time, split among the workers for large regular files;
///   memory O(chunk + distinct tokens) per worker, whatever the file's size.
public func countWords(fileDescriptor descriptor: Int32, encoding: TextEncoding, threads: Int,
                       isCancelled: () -> Bool = { false }) throws(KernelError) -> WordCountResult {
    guard let (start, size) = regularFileExtent(descriptor) else {
        let counter = try WordCounter(workers: 1, expectedBytes: fileChunk)
        var found: (Int, InvalidBytes)? = nil
        try counter.forEachWorker(isCancelled: isCancelled) { _, table, tokenizer, isCancelled throws(KernelError) in
            found = try countChunks(into: table, tokenizer, encoding: encoding, chunk: fileChunk,
                                    isCancelled: isCancelled) { buffer, count, _ throws(KernelError) in
                try readSome(descriptor, buffer, count, waits: true, isCancelled: isCancelled)
            }
        }
        if let (offset, bytes) = found { return .invalid(at: offset, bytes: bytes) }
        return .words(try counter.orderedWords(threads: threads, isCancelled: isCancelled))
    }
    let length = max(0, size - start)
    let workers = length < parallelWordCountThreshold ? 1 : effectiveWorkers(threads)
    var counter = try WordCounter(workers: 1, expectedBytes: length)
    var cuts = [start, start + length]
    if workers > 1 {
        // The first part, by this thread into the first table; then more workers only if they pay.
        let sampleEnd = try regionBoundaries(descriptor, from: start, length: length, parts: vocabularySampleParts)[1]
        let half = try regionBoundaries(descriptor, from: start, length: sampleEnd - start, parts: 2)[1]
        let table = counter.tables[0], tokenizer = counter.tokenizers[0]
        let rest = start + length - sampleEnd
        let sample = try countVocabularySample(into: table, start: start, half: half, end: sampleEnd, remaining: rest,
                                               workers: workers) { from, to throws(KernelError) in
            var offset = from
            let found = try countChunks(into: table, tokenizer, encoding: encoding, chunk: fileChunk,
                                        isCancelled: isCancelled) { buffer, count, _ throws(KernelError) in
                let wanted = min(count, to - offset)
                guard wanted > 0 else { return 0 }
                let got = try readSome(descriptor, buffer, wanted, at: offset, isCancelled: isCancelled)
                offset += got
                return got
            }
            return found.map { (from - start + $0.0, $0.1) }
        }
        if let (at, bytes) = sample.invalid { return .invalid(at: at, bytes: bytes) }
        if sample.parallel {
            cuts = try regionBoundaries(descriptor, from: sampleEnd, length: rest, parts: workers * fileChunksPerWorker)
            counter = try counter.adding(workers: workers - 1, expectedBytes: rest)
        } else {
            cuts = [sampleEnd, start + length]
        }
    }
    let firstInvalid = Atomic<Int>(Int.max)
    guard let invalidSlots = CheckedBuffer(InvalidBytes?.self, count: cuts.count - 1, repeating: nil) else {
        throw .outOfMemory
    }
    let invalidBytes = UncheckedSendable(invalidSlots.base)
    try counter.forEachChunk(cuts.count - 1, isCancelled: isCancelled) { region, table, tokenizer, isCancelled throws(KernelError) in
        let regionStart = cuts[region], regionEnd = cuts[region + 1]  // the last region: to the end of the file
        if firstInvalid.load(ordering: .relaxed) < regionStart - start { return false }  // an earlier one is invalid
        let last = region == cuts.count - 2
        var offset = regionStart
        // A buffer no larger than the region needs (a longer token grows it).
        let size = last ? fileChunk : min(fileChunk, max(regionEnd - regionStart, 1 << 16))
        let found = try countChunks(into: table, tokenizer, encoding: encoding, chunk: size,
                                    isCancelled: isCancelled) { buffer, count, _ throws(KernelError) in
            let wanted = last ? count : min(count, regionEnd - offset)
            guard wanted > 0 else { return 0 }
            let got = try readSome(descriptor, buffer, wanted, at: offset, isCancelled: isCancelled)
            offset += got
            return got
        }
        if let (at, bytes) = found {
            invalidBytes.value[region] = bytes
            _ = firstInvalid.min(regionStart - start + at, ordering: .relaxed)
        }
        return true
    }
    let first = firstInvalid.load(ordering: .relaxed)
    if first != Int.max {
        let region = (0..<(cuts.count - 1)).last { cuts[$0] - start <= first } ?? 0
        return .invalid(at: first, bytes: invalidBytes.value[region] ?? InvalidBytes(nil, available: 0))
    }
    return .words(try counter.orderedWords(threads: threads, isCancelled: isCancelled))
}

/// A regular file counted by several workers is cut into this many regions per worker,
/// taken in file order by whichever worker is free (see `chunksPerWorker`); fewer than
/// for a text in memory, since each region is read through a buffer of its own.
let fileChunksPerWorker = 4

/// Offsets that cut the `length` bytes of the file from `start` into about
/// `parts` regions, each cut just after an ASCII whitespace byte (a token never
/// spans two regions); the last offset is the end of the file at the time.
func regionBoundaries(_ descriptor: Int32, from start: Int, length: Int, parts: Int) throws(KernelError) -> [Int] {
    var cuts = [start]
    if parts > 1 {
        let window = 1 << 16
        guard let buffer = allocateChecked(UInt8.self, window) else { throw .outOfMemory }
        defer { deallocateChecked(buffer, count: window) }
        for k in 1..<parts {
            var probe = max(start + length / parts * k, cuts[cuts.count - 1] + 1)
            let limit = start + length / parts * (k + 1)
            var cut: Int? = nil
            search: while probe < limit {
                let got = try readSome(descriptor, buffer, min(window, limit - probe), at: probe, isCancelled: { false })
                if got == 0 { break }
                for i in 0..<got where isASCIIWhitespace(buffer[i]) {
                    cut = probe + i + 1
                    break search
                }
                probe += got
            }
            if let cut, cut < start + length { cuts.append(cut) }
        }
    }
    cuts.append(start + length)
    return cuts
}

/// Counts a stream of bytes into `table`, `chunk` bytes at a time, as
/// `read(buffer, count, offsetSoFar)` delivers them (0 at the end). Returns
/// the offset (from the stream's start) of the first byte that does not decode,
/// and the bytes from there.
func countChunks(into table: WordTable, _ tokenizer: Tokenizer, encoding: TextEncoding, chunk: Int,
                 isCancelled: () -> Bool,
                 read: (UnsafeMutablePointer<UInt8>, Int, Int) throws(KernelError) -> Int)
    throws(KernelError) -> (Int, InvalidBytes)? {
    var capacity = chunk
    guard var buffer = allocateMapped(UInt8.self, capacity) else { throw .outOfMemory }
    defer { deallocateMapped(buffer, count: capacity) }
    var transcoded: UnsafeMutablePointer<UInt8>? = nil  // Latin-1 as UTF-8 (at most 2 bytes a character)
    var transcodedCapacity = 0
    defer { deallocateMapped(transcoded, count: transcodedCapacity) }
    var carried = 0          // bytes at the start of `buffer` left from the previous chunk
    var streamOffset = 0     // offset of buffer[0] in the stream
    var atEnd = false
    while !atEnd {
        if isCancelled() { throw .cancelled }
        var filled = carried
        while filled < capacity {
            let got = try read(buffer + filled, capacity - filled, streamOffset + filled)
            if got == 0 {
                atEnd = true
                break
            }
            filled += got
        }
        if encoding == .ascii, let bad = (carried..<filled).first(where: { buffer[$0] >= 0x80 }) {
            return (streamOffset + bad, InvalidBytes(buffer + bad, available: filled - bad))
        }
        // Count up to the last ASCII whitespace (all of it at the end of the stream).
        var cut = filled
        if !atEnd {
            while cut > 0 && !isASCIIWhitespace(buffer[cut - 1]) { cut -= 1 }
            if cut == 0 {
                // One token fills the buffer: read on with a larger one.
                guard capacity <= Int.max / 4, let larger = allocateMapped(UInt8.self, capacity * 2) else {
                    throw .outOfMemory
                }
                larger.update(from: buffer, count: filled)
                deallocateMapped(buffer, count: capacity)
                buffer = larger
                capacity *= 2
                carried = filled
                continue
            }
        }
        var text = UnsafeRawBufferPointer(start: buffer, count: cut)
        if encoding == .latin1 {
            if transcodedCapacity < capacity * 2 {
                deallocateMapped(transcoded, count: transcodedCapacity)
                transcoded = nil
                transcodedCapacity = 0
                guard let memory = allocateMapped(UInt8.self, capacity * 2) else { throw .outOfMemory }
                transcoded = memory
                transcodedCapacity = capacity * 2
            }
            if let transcoded { text = UnsafeRawBufferPointer(start: transcoded, count: latin1ToUTF8(buffer, cut, transcoded)) }
        }
        if let invalid = try countSlices(of: text, into: table, tokenizer, isCancelled: isCancelled) {
            // UTF-8 only (Latin-1 always decodes): the text is the buffer.
            return (streamOffset + invalid, InvalidBytes(buffer + invalid, available: filled - invalid))
        }
        // Keep the tail (an unfinished token) for the next chunk.
        UnsafeMutableRawPointer(buffer).copyMemory(from: buffer + cut, byteCount: filled - cut)  // memmove
        carried = filled - cut
        streamOffset += cut
    }
    return nil
}

/// Latin-1 to UTF-8: bytes below 0x80 stay, the others become two bytes.
func latin1ToUTF8(_ source: UnsafePointer<UInt8>, _ n: Int, _ destination: UnsafeMutablePointer<UInt8>) -> Int {
    var j = 0
    for i in 0..<n {
        let byte = source[i]
        if byte < 0x80 {
            destination[j] = byte
            j += 1
        } else {
            destination[j] = 0xC0 | (byte >> 6)
            destination[j + 1] = 0x80 | (byte & 0x3F)
            j += 2
        }
    }
    return j
}

import Synchronization

// Word counts of whole texts on several workers, merged into one list in the
// order of first occurrence. See docs/word_count.md.

/// Text each worker tokenizes between two polls for cancellation.
let wordCountSlice = 1 << 20
/// Below this many bytes a text is counted by one worker whatever `threads` says.
public let parallelWordCountThreshold = 1 << 20

/// Counts the tokens of a whole UTF-8 text as `Counter(text.lower().split())`
/// counts them, on up to `threads` workers: the text is cut at ASCII whitespace
/// into equal shares (a token never spans two), each worker counts its share
/// into its own table, and the tables are merged.
///
/// - Returns: the distinct tokens (ASCII lowered; the others as they are, for
///   the caller to lower) in the order of their first occurrence, with their
///   counts; or the offset of the first invalid UTF-8 sequence.
/// - Complexity: O(n) time; memory O(distinct tokens) per worker.
/// - Throws: `.cancelled` (polled every megabyte and in the merge); `.outOfMemory`.
public func countWords(_ text: UnsafeRawBufferPointer, threads: Int,
                       isCancelled: () -> Bool = { false }) throws(KernelError) -> WordCountResult {
    guard let bytes = text.baseAddress?.assumingMemoryBound(to: UInt8.self), text.count > 0 else {
        return .words(try WordCounter(workers: 1, expectedBytes: 0).orderedWords(threads: 1, isCancelled: isCancelled))
    }
    let n = text.count
    let workers = n < parallelWordCountThreshold ? 1 : effectiveWorkers(threads)
    var counter = try WordCounter(workers: 1, expectedBytes: n)
    var cuts = [0, n]
    if workers > 1 {
        // The first part, by this thread into the first table; then more workers only if they pay.
        let sampleEnd = shareBoundaries(bytes, n, parts: vocabularySampleParts)[1]
        let half = shareBoundaries(bytes, sampleEnd, parts: 2)[1]
        let table = counter.tables[0], tokenizer = counter.tokenizers[0]
        let sample = try countVocabularySample(into: table, start: 0, half: half, end: sampleEnd,
                                               remaining: n - sampleEnd, workers: workers) { from, to throws(KernelError) in
            let part = UnsafeRawBufferPointer(start: bytes + from, count: to - from)
            return try countSlices(of: part, into: table, tokenizer, isCancelled: isCancelled).map { from + $0 }
        }
        if let at = sample.invalid { return .invalid(at: at, bytes: InvalidBytes(bytes + at, available: n - at)) }
        if sample.parallel {
            cuts = shareBoundaries(bytes + sampleEnd, n - sampleEnd, parts: workers * chunksPerWorker)
                .map { $0 + sampleEnd }
            counter = try counter.adding(workers: workers - 1, expectedBytes: n - sampleEnd)
        } else {
            cuts = [sampleEnd, n]
        }
    }
    let invalid = Atomic<Int>(Int.max)
    let chunks = cuts
    try counter.forEachChunk(cuts.count - 1, isCancelled: isCancelled) { chunk, table, tokenizer, isCancelled throws(KernelError) in
        if invalid.load(ordering: .relaxed) < chunks[chunk] { return false }  // an earlier chunk is invalid: stop
        let text = UnsafeRawBufferPointer(start: bytes + chunks[chunk], count: chunks[chunk + 1] - chunks[chunk])
        if let at = try countSlices(of: text, into: table, tokenizer, isCancelled: isCancelled) {
            _ = invalid.min(chunks[chunk] + at, ordering: .relaxed)
        }
        return true
    }
    let first = invalid.load(ordering: .relaxed)
    if first != Int.max { return .invalid(at: first, bytes: InvalidBytes(bytes + first, available: n - first)) }
    return .words(try counter.orderedWords(threads: threads, isCancelled: isCancelled))
}

/// A text counted by several workers is cut into this many chunks per worker, which
/// the workers take in text order as they become free: a worker slowed down (by
/// another process on its core, by a harder part of the text) takes fewer, instead of
/// the others waiting for it at the end.
let chunksPerWorker = 8

/// Counts `text` (a whole share: its end ends a token) into `table`, a slice of
/// about a megabyte at a time with a poll of `isCancelled` between slices.
/// Returns the offset of the first invalid UTF-8 sequence, if any.
func countSlices(of text: UnsafeRawBufferPointer, into table: WordTable, _ tokenizer: Tokenizer,
                 isCancelled: () -> Bool) throws(KernelError) -> Int? {
    try withoutActuallyEscaping(isCancelled) { isCancelled throws(KernelError) -> Int? in
        table.isCancelled = isCancelled  // for the growths of the table, which take long
        defer { table.isCancelled = nil }
        return try countSlicesPolling(of: text, into: table, tokenizer, isCancelled: isCancelled)
    }
}

func countSlicesPolling(of text: UnsafeRawBufferPointer, into table: WordTable, _ tokenizer: Tokenizer,
                        isCancelled: () -> Bool) throws(KernelError) -> Int? {
    guard let bytes = text.baseAddress else { return nil }
    var start = 0
    var sliceLength = wordCountSlice
    while start < text.count {
        if isCancelled() { throw .cancelled }
        let sliceEnd = min(start + sliceLength, text.count)
        let final = sliceEnd == text.count
        let slice = UnsafeRawBufferPointer(start: bytes + start, count: sliceEnd - start)
        switch tokenizer.count(slice, into: table, final: final) {
        case .invalidUTF8(let at):
            return start + at
        case .complete(let pending):
            if table.outOfMemory { throw .outOfMemory }
            if table.cancelled { throw .cancelled }
            if final { return nil }
            if pending == slice.count {
                sliceLength *= 2  // one token longer than the slice: retry with a longer one
            } else {
                start = sliceEnd - pending  // the unfinished token starts the next slice
                sliceLength = wordCountSlice
            }
        }
    }
    return nil
}

/// Per-worker tables and tokenizers. Worker `w` counts the `w`-th part of the
/// text, in order, into table `w`: the order of first occurrence is then the
/// order of (worker, ordinal).
final class WordCounter {
    let tables: [WordTable]
    let tokenizers: [Tokenizer]
    /// Which table counted which chunk of the text from which of its ordinals on
    /// (`forEachChunk`); empty when each table counted one part, in table order.
    var runs: [[ChunkRun]] = []
    /// False once another counter took over the tokenizers (`adding`): they are not this one's to keep.
    var ownsTokenizers = true

    /// - Parameter expectedBytes: the size of the whole text (each table is sized for its part).
    init(workers: Int, expectedBytes: Int) throws(KernelError) {
        if workers <= 1 && expectedBytes <= ShortTextCounts.textLimit,
           let table = ShortTextCounts.takeTable(expectedBytes: expectedBytes),
           let tokenizer = ShortTextCounts.takeTokenizer() {
            tables = [table]
            tokenizers = [tokenizer]
            return
        }
        var tables: [WordTable] = [], tokenizers: [Tokenizer] = []
        for _ in 0..<max(workers, 1) {
            guard let table = WordTable(expectedBytes: expectedBytes / max(workers, 1)), let tokenizer = Tokenizer() else {
                throw .outOfMemory
            }
            tables.append(table)
            tokenizers.append(tokenizer)
        }
        self.tables = tables
        self.tokenizers = tokenizers
    }

    init(tables: [WordTable], tokenizers: [Tokenizer]) {
        self.tables = tables
        self.tokenizers = tokenizers
    }

    /// This counter's tables and tokenizers (whose counts come first) followed by
    /// `workers` new ones, each sized for its share of `expectedBytes`.
    func adding(workers: Int, expectedBytes: Int) throws(KernelError) -> WordCounter {
        var tables = self.tables, tokenizers = self.tokenizers
        ownsTokenizers = false
        for _ in 0..<max(workers, 0) {
            guard let table = WordTable(expectedBytes: expectedBytes / max(workers + 1, 1)),
                  let tokenizer = Tokenizer() else { throw .outOfMemory }
            tables.append(table)
            tokenizers.append(tokenizer)
        }
        return WordCounter(tables: tables, tokenizers: tokenizers)
    }

    deinit {
        if ownsTokenizers && tokenizers.count == 1 { ShortTextCounts.giveBack(tokenizers[0]) }
    }

    /// Runs `body` for every worker at once; the first error any of them throws
    /// is thrown (the others are asked to stop through `isCancelled`).
    func forEachWorker(isCancelled: () -> Bool,
                       _ body: (Int, WordTable, Tokenizer, () -> Bool) throws(KernelError) -> Void) throws(KernelError) {
        let failure = Atomic<Int>(0)  // 1 cancelled, 2 out of memory, 3 I/O (errno in `code`)
        let code = Atomic<Int>(0)
        let tables = UncheckedSendable(self.tables), tokenizers = UncheckedSendable(self.tokenizers)
        withoutActuallyEscaping(isCancelled) { isCancelled in
            withoutActuallyEscaping(body) { body in
                runWorkers(self.tables.count, isCancelled: isCancelled) { worker, _ in
                    let stop = { failure.load(ordering: .relaxed) != 0 || isCancelled() }
                    do throws(KernelError) {
                        try body(worker, tables.value[worker], tokenizers.value[worker], stop)
                    } catch {
                        switch error {
                        case .outOfMemory: _ = failure.compareExchange(expected: 0, desired: 2, ordering: .relaxed)
                        case .io(let errno):
                            if failure.compareExchange(expected: 0, desired: 3, ordering: .relaxed).exchanged {
                                code.store(Int(errno), ordering: .relaxed)
                            }
                        default: _ = failure.compareExchange(expected: 0, desired: 1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        switch failure.load(ordering: .relaxed) {
        case 1: throw .cancelled
        case 2: throw .outOfMemory
        case 3: throw .io(errno: Int32(code.load(ordering: .relaxed)))
        default: break
        }
    }

    /// Counts `chunks` parts of a text (in text order) on every worker at once: each
    /// worker takes the next chunk not yet taken, in order, and counts it into its table
    /// with `body(chunk, table, tokenizer, isCancelled)`, until none is left or `body`
    /// returns false. Table 0 may hold a first part already (chunk -1: the sample).
    /// The first error any worker throws is thrown.
    func forEachChunk(_ chunks: Int, isCancelled: () -> Bool,
                      _ body: (Int, WordTable, Tokenizer, () -> Bool) throws(KernelError) -> Bool) throws(KernelError) {
        let next = Atomic<Int>(0)
        guard let starts = CheckedBuffer(Int.self, count: max(chunks, 1), repeating: 0),
              let takers = CheckedBuffer(Int.self, count: max(chunks, 1), repeating: -1) else { throw .outOfMemory }
        let sharedStarts = SharedPointer(starts.base), sharedTakers = SharedPointer(takers.base)
        try withoutActuallyEscaping(body) { body throws(KernelError) in
            try forEachWorker(isCancelled: isCancelled) { worker, table, tokenizer, isCancelled throws(KernelError) in
                while true {
                    let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if chunk >= chunks { return }
                    sharedStarts.pointer[chunk] = table.distinctCount
                    sharedTakers.pointer[chunk] = worker
                    if try !body(chunk, table, tokenizer, isCancelled) { return }
                }
            }
        }
        // Each table's runs: the sample first (table 0), then its chunks in the order it took them.
        var runs = [[ChunkRun]](repeating: [], count: tables.count)
        runs[0].append(ChunkRun(chunk: -1, firstOrdinal: 0))
        for chunk in 0..<chunks where takers[chunk] >= 0 {
            runs[takers[chunk]].append(ChunkRun(chunk: chunk, firstOrdinal: starts[chunk]))
        }
        self.runs = runs
    }

    /// The merged counts in the order of first occurrence. Ends the counter's use.
    func orderedWords(threads: Int, isCancelled: () -> Bool) throws(KernelError) -> WordList {
        if tables.contains(where: { $0.outOfMemory }) { throw .outOfMemory }
        try forEachWorker(isCancelled: isCancelled) { _, table, _, isCancelled throws(KernelError) in
            try table.compact(isCancelled: isCancelled)
        }
        if tables.count == 1 { return try wordsInOrder(of: tables[0], isCancelled: isCancelled) }
        return try mergedWords(tables, placements: placements(), isCancelled: isCancelled)
    }
}

/// A chunk of text one table counted, and the ordinal its first new word got there.
struct ChunkRun {
    var chunk: Int
    var firstOrdinal: Int
}

extension WordCounter {
    /// Where each table's words go in the order of first occurrence: for each table, its
    /// runs as (first ordinal, place of that ordinal), ordered by first ordinal. The order
    /// of first occurrence is that of (chunk, ordinal): a chunk's new words (in the table
    /// that counted it) follow those of all earlier chunks, in the order of their ordinals.
    func placements() -> [[(firstOrdinal: Int, place: Int)]] {
        guard !runs.isEmpty else {  // one part per table, in table order
            var place = 0
            return tables.map { table in
                defer { place += table.distinctCount }
                return [(firstOrdinal: 0, place: place)]
            }
        }
        // New words of each run (up to the table's next run), then places in chunk order.
        var all: [(chunk: Int, table: Int, run: Int, newWords: Int)] = []
        for (t, tableRuns) in runs.enumerated() {
            for (k, run) in tableRuns.enumerated() {
                let end = k + 1 < tableRuns.count ? tableRuns[k + 1].firstOrdinal : tables[t].distinctCount
                all.append((chunk: run.chunk, table: t, run: k, newWords: end - run.firstOrdinal))
            }
        }
        all.sort { $0.chunk < $1.chunk }
        var result = runs.map { $0.map { (firstOrdinal: $0.firstOrdinal, place: 0) } }
        var place = 0
        for entry in all {
            result[entry.table][entry.run].place = place
            place += entry.newWords
        }
        for t in result.indices where result[t].isEmpty { result[t] = [(firstOrdinal: 0, place: place)] }
        return result
    }
}

/// One table and one tokenizer kept from the count of a short text for the next:
/// counting a sentence costs less than allocating, clearing and freeing them.
/// A count that finds none here (the first, or one running beside another) makes its own.
enum ShortTextCounts {
    /// Texts up to this many bytes may use the kept table and tokenizer.
    static let textLimit = 1 << 16
    /// Tables up to this many slots (8 KiB) are kept: every count walks all the slots of
    /// its table once (to compact it), so a larger kept table would slow down every short
    /// text after one long one.
    static let tableLimit = 1 << 8

    static let table = Mutex<UncheckedSendable<WordTable>?>(nil)
    static let tokenizer = Mutex<UncheckedSendable<Tokenizer>?>(nil)

    static func takeTable(expectedBytes: Int) -> WordTable? {
        if let table = table.withLock({ $0.take() })?.value { return table }
        return WordTable(expectedBytes: expectedBytes)
    }

    static func takeTokenizer() -> Tokenizer? {
        if let tokenizer = tokenizer.withLock({ $0.take() })?.value { return tokenizer }
        return Tokenizer()
    }

    /// Keeps a table whose words were handed over (compacted, no error), when small.
    static func giveBack(_ used: WordTable) {
        guard used.capacity <= tableLimit, !used.outOfMemory, !used.cancelled else { return }
        used.reset()
        table.withLock { $0 = UncheckedSendable(used) }
    }

    /// Keeps a tokenizer that finished a text (its memory does not grow with the text).
    static func giveBack(_ used: Tokenizer) {
        used.reset()
        tokenizer.withLock { $0 = UncheckedSendable(used) }
    }
}

/// Offsets that cut `bytes[0..<n]` into about `parts` shares, each cut on an
/// ASCII whitespace byte (so no token and no UTF-8 sequence is cut).
func shareBoundaries(_ bytes: UnsafePointer<UInt8>, _ n: Int, parts: Int) -> [Int] {
    var cuts = [0]
    for k in 1..<max(parts, 1) {
        var p = max(n / parts * k, cuts[cuts.count - 1] + 1)
        let limit = min(n, n / parts * (k + 1))
        while p < limit && !isASCIIWhitespace(bytes[p]) { p += 1 }
        if p < limit { cuts.append(p) }
    }
    cuts.append(n)
    return cuts
}

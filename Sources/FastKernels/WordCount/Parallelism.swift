// Only the math library (the system calls are in System/).
#if canImport(Glibc)
import func Glibc.log2
import func Glibc.pow
#elseif canImport(Darwin)
import func Darwin.log2
import func Darwin.pow
#endif

// When do more workers pay for a word count? Each worker counts its share into a
// table of its own, and the tables are merged: the workers save tokenizing time,
// which grows with the text, and the merge costs time per distinct word of every
// table, which grows with the vocabulary. Text with a large vocabulary (generated
// text, source code, word lists) can make the merge cost more than the workers
// save: then one worker counts everything. See docs/threads.md.

/// Tokenizing and counting, per byte of text, when the sample's own time is not
/// known (no thread CPU clock). Measured on the sample otherwise: from under 2 ns a
/// byte of prose to several times that for source code, and more on a slow machine.
let tokenizeNanosecondsPerByte = 2.5
/// Merging, per distinct word of a worker's table, all partition workers together:
/// reading its slot (twice), inserting it into its partition's table, writing it to its
/// place in first-occurrence order (measured as the CPU time threads=2 adds to threads=1
/// on 30-45 MB texts with 100K-450K distinct words: about 40-60 ns; the partition
/// workers share it).
let mergeNanosecondsPerWord = 60.0
/// The share of the ideal saving, (1 - 1/workers) of the tokenizing time, that more
/// workers were measured to give: the sample's rate counts a warm thread alone, the
/// workers' shares run slower side by side (they share the caches and, on a VM, the
/// host's cores). At 1 (before), threads=None was 4-16% slower than threads=1 on the
/// generated corpus at 1-8 MiB and on Python source at 2-8 MiB, where the estimate
/// promised a gain; measured on a 2-core AMD VM, the gains were 0.3-0.4 of the
/// estimate's (English prose 2 / 8 / 32 MiB: estimated 2.1 / 18.7 / 47 ms, measured
/// 0.6 / 7.1 / 14 ms). At 0.4 the decision matched the faster of the two on every
/// text and size measured (docs/threads.md).
let parallelEfficiency = 0.4
/// The first part of a large text is counted by one worker before the decision,
/// into the table the first worker then goes on with: 1/16 of the text.
let vocabularySampleParts = 16

/// `FASTKERNELS_WORD_COUNT_PARALLEL` (read once): "always" or "never" overrides the
/// estimate below for texts of `parallelWordCountThreshold` bytes and more, so that the
/// tests can run the merge on any text and the benchmarks can measure both paths.
let forcedParallelWordCount: Bool? = {
    switch environmentValue("FASTKERNELS_WORD_COUNT_PARALLEL")?.lowercased() {
    case "always": true
    case "never": false
    default: nil
    }
}()

/// Whether counting `remaining` more bytes on `workers` workers (each into its own
/// table, then merged) is faster than on one, tokenizing taking `nanosecondsPerByte`
/// (the sample's own rate). The vocabulary of a share is
/// estimated from the sample counted so far by Heaps' law, D(x) = D(s) * (x / s)^β,
/// with β fitted to the distinct words at half (`distinctAtHalf`) and all
/// (`distinct`) of its `sampleBytes`.
func parallelCountPays(sampleBytes: Int, distinctAtHalf: Int, distinct: Int, remaining: Int,
                       workers: Int, nanosecondsPerByte: Double = tokenizeNanosecondsPerByte) -> Bool {
    guard workers > 1, remaining > 0 else { return false }
    if let forced = forcedParallelWordCount { return forced }
    guard sampleBytes > 0, distinct > 0 else { return true }  // no words yet: nothing to merge
    let growth = distinctAtHalf > 0 ? log2(Double(distinct) / Double(distinctAtHalf)) : 1
    let beta = min(1, max(0.3, growth))
    let share = Double(remaining) / Double(workers)
    let perShare = Double(distinct) * pow(max(share / Double(sampleBytes), 1), beta)
    let saved = Double(remaining) * (1 - 1 / Double(workers)) * nanosecondsPerByte * parallelEfficiency
    let merge = perShare * mergeNanosecondsPerWord  // workers tables' words, on workers threads
    return saved > merge
}

/// Counts the vocabulary sample of a large text, `start..<end` (cut at `half`, both cuts
/// on whitespace), into `table` with `count(from, to)`, which returns what it found
/// invalid there, if anything; then tells whether more workers pay for the `remaining`
/// bytes after the sample (`parallelCountPays`). The first invalid input ends the count.
func countVocabularySample<Invalid>(
    into table: WordTable, start: Int, half: Int, end: Int, remaining: Int, workers: Int,
    count: (_ from: Int, _ to: Int) throws(KernelError) -> Invalid?
) throws(KernelError) -> (invalid: Invalid?, parallel: Bool) {
    var distinctAtHalf = 0
    let started = threadCPUNanoseconds()
    for (from, to) in [(start, half), (half, end)] where to > from {
        if let invalid = try count(from, to) { return (invalid, false) }
        if to == half { distinctAtHalf = table.distinctCount }
    }
    var perByte = tokenizeNanosecondsPerByte
    if let started, let ended = threadCPUNanoseconds(), end > start {
        perByte = min(max(Double(ended - started) / Double(end - start), 0.2), 100)
    }
    return (nil, parallelCountPays(sampleBytes: end - start, distinctAtHalf: distinctAtHalf,
                                   distinct: table.distinctCount, remaining: remaining, workers: workers,
                                   nanosecondsPerByte: perByte))
}

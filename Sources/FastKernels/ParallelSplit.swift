// Splitting one large range for a parallel vector sort with all workers at once: on
// two cores, the single-threaded splits before the workers started (three passes over
// a 1M-element array, to make eight parts) were a fifth of the sort. See docs/sort.md.
//
// Every worker partitions its own piece of the range by the same pivot, which leaves
// each piece as its lows then its highs. The lows of all pieces belong before index
// K (their total): the highs that sit before K and the lows that sit from K on are as
// many, and the workers swap them pairwise. Every index written follows from the
// partitions' counts and the pieces' bounds, never from values read twice, so the
// range stays a permutation of itself whatever another thread writes meanwhile.

/// Parts of at least this many elements are split by all workers together.
let parallelSplitMinimum = 1 << 18

/// The median of three (explicit comparisons: no generic standard-library calls).
@inline(__always)
func medianOfThree<S: Comparable>(_ a: S, _ b: S, _ c: S) -> S {
    let low = a < b ? a : b, high = a < b ? b : a
    let upper = high < c ? high : c
    return low < upper ? upper : low
}

/// Tukey's ninther of `p[0..<n]` (n >= 9): the median of three medians of spread elements.
func ninther<S: Comparable>(_ p: UnsafeMutablePointer<S>, _ n: Int) -> S {
    let step = n / 9
    @inline(__always) func at(_ k: Int) -> S { p[step / 2 + k * step] }
    return medianOfThree(medianOfThree(at(0), at(1), at(2)), medianOfThree(at(3), at(4), at(5)),
                         medianOfThree(at(6), at(7), at(8)))
}

/// Splits `values[0..<count]` (count >= 2 x `workers`) in two for separate sorts, the
/// workers partitioning pieces of it at once: returns k such that every element of
/// `values[0..<k]` is at most every element of `values[k..<count]` (k may be `count`:
/// all equal), as `VectorSortable.split` does on one thread.
func parallelSplit<T: VectorSortable & Comparable>(_ values: UnsafeMutablePointer<T>, _ count: Int, workers: Int,
                                                   isCancelled: () -> Bool) -> Int {
    let workers = max(1, min(workers, 16))
    var lows = [Int](repeating: 0, count: workers)
    var pivot = ninther(values, count)
    let shared = SharedPointer(values)
    while true {
        let splitPivot = pivot
        lows.withUnsafeMutableBufferPointer { buffer in
            let counts = UncheckedSendable(buffer)
            runWorkers(workers, isCancelled: isCancelled) { worker, workers in
                let piece = partition(count, parts: workers, index: worker)
                counts.value[worker] = T.partition(shared.pointer + piece.lowerBound, piece.count, pivot: splitPivot)
            }
        }
        if lows.reduce(0, +) > 0 { break }
        // The pivot is the least element: split at the next value above it instead.
        guard let above = T.above(pivot) else { return count }  // all equal
        pivot = above
    }
    let boundary = lows.reduce(0, +)
    // The misplaced elements, as ranges in order: highs before the boundary, lows after it.
    var highsBefore = [Range<Int>](), lowsAfter = [Range<Int>]()
    for worker in 0..<workers {
        let piece = partition(count, parts: workers, index: worker)
        let lowEnd = piece.lowerBound + lows[worker]
        let highs = lowEnd..<piece.upperBound, pieceLows = piece.lowerBound..<lowEnd
        let before = highs.clamped(to: 0..<boundary), after = pieceLows.clamped(to: boundary..<count)
        if !before.isEmpty { highsBefore.append(before) }
        if !after.isEmpty { lowsAfter.append(after) }
    }
    let misplaced = highsBefore.reduce(0) { $0 + $1.count }
    let misplacedLows = lowsAfter.reduce(0) { $0 + $1.count }
    // Always equal (each is the boundary less the lows before it); were they not, the
    // range would be left whole (`count`: not split), which the caller sorts as one part.
    guard misplaced == misplacedLows else { return count }
    if misplaced == 0 { return boundary }
    highsBefore.withUnsafeBufferPointer { highsBuffer in
        lowsAfter.withUnsafeBufferPointer { lowsBuffer in
            let highRanges = UncheckedSendable(highsBuffer), lowRanges = UncheckedSendable(lowsBuffer)
            let swappers = misplaced < 1 << 16 ? 1 : workers
            runWorkers(swappers, isCancelled: isCancelled) { worker, workers in
                // The misplaced elements numbered 0..<misplaced on each side; this worker
                // swaps its share of the numbers.
                let share = partition(misplaced, parts: workers, index: worker)
                var h = Cursor(highRanges.value, skipping: share.lowerBound)
                var l = Cursor(lowRanges.value, skipping: share.lowerBound)
                var remaining = share.count
                while remaining > 0 {
                    let run = min(remaining, h.available, l.available)
                    let a = shared.pointer + h.position, b = shared.pointer + l.position
                    for i in 0..<run {
                        let x = a[i]
                        a[i] = b[i]
                        b[i] = x
                    }
                    h.advance(run)
                    l.advance(run)
                    remaining -= run
                }
            }
        }
    }
    return boundary
}

/// A position in a sequence of index ranges, counted across them.
private struct Cursor {
    let ranges: UnsafeBufferPointer<Range<Int>>
    var range = 0
    var position: Int

    init(_ ranges: UnsafeBufferPointer<Range<Int>>, skipping: Int) {
        self.ranges = ranges
        var skip = skipping, range = 0
        while range < ranges.count && skip >= ranges[range].count {
            skip -= ranges[range].count
            range += 1
        }
        self.range = range
        position = range < ranges.count ? ranges[range].lowerBound + skip : 0
    }

    /// Elements left in the current range.
    var available: Int { range < ranges.count ? ranges[range].upperBound - position : 0 }

    mutating func advance(_ count: Int) {
        position += count
        if range < ranges.count && position == ranges[range].upperBound {
            range += 1
            if range < ranges.count { position = ranges[range].lowerBound }
        }
    }
}

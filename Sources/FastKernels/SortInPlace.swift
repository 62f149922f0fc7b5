import Synchronization
import KernelLoops

// Sorting a numeric array in place (`fastkernels.sort` of buffers): the radix sort or the AVX2
// quicksort, NaNs last, -0.0 and +0.0 in input order, descending by reversal. See docs/sort.md.

/// Sorts a numeric array in place: ascending, or descending when `reverse`;
/// NaNs last either way, in their original order (numpy's rule, and the one
/// `sort` documents for lists). Strided and byte-swapped arrays are sorted
/// through a contiguous copy and written back. Allocates one scratch array of
/// `values.count` elements for the radix sort or to move NaNs (none for the vector
/// quicksort otherwise), and that copy for strided arrays.
///
/// - Throws: `.cancelled` (the array then holds a permutation of its values);
///   `.outOfMemory` when the scratch or the copy cannot be had.
/// - Complexity: O(n x w) time at worst for keys of w bytes (a radix sort over the
///   key's digits; small buckets finished by insertion sort), split among the workers
///   for large arrays; O(n) extra memory.
@_specialize(exported: true, where T == Int8)
@_specialize(exported: true, where T == UInt8)
@_specialize(exported: true, where T == Int16)
@_specialize(exported: true, where T == UInt16)
@_specialize(exported: true, where T == Int32)
@_specialize(exported: true, where T == UInt32)
@_specialize(exported: true, where T == Int64)
@_specialize(exported: true, where T == UInt64)
@_specialize(exported: true, where T == Float)
@_specialize(exported: true, where T == Double)
public func sortInPlace<T: RadixSortable>(
    _ values: StridedBuffer<T>, reverse: Bool, threads: Int, isCancelled: () -> Bool = { false }
) throws(KernelError) {
    let count = values.count
    guard count > 1 else { return }
    // Work in place when possible; otherwise in a contiguous copy.
    var copy: CheckedBuffer<T>? = nil
    let data: UnsafeMutablePointer<T>
    if values.isContiguous {
        data = values.elements
    } else {
        guard let memory = CheckedBuffer(T.self, count: count) else { throw .outOfMemory }
        data = memory.base
        copy = consume memory
        values.gather(0..<count, into: data)
    }
    // In the sort's order already (sorted, or constant): nothing to move. numpy.sort takes
    // such arrays in one pass; the vector quicksort took 2-3x its time on a constant array.
    if isInSortedOrder(data, count, reverse: reverse) {
        _ = consume copy
        return
    }
    var ordered = count  // the values before the NaNs (which go last, in input order)
    var failure: KernelError? = nil
    do throws(KernelError) {
        // The scratch only where it is used: the vector sort needs none but to move NaNs (it
        // takes its own then), and a malloc and free of it on every call cost small arrays
        // more than their sort (100 floats: glibc consolidated its free lists each time).
        // (Int64 keys' bounds, when their range is narrow: the radix sort's first pass.)
        let narrowBounds = T.self == Int64.self
            ? narrowInt64Range(UnsafeRawPointer(data).assumingMemoryBound(to: Int64.self), count) : nil
        if prefersVectorSort(count: count), narrowBounds == nil,
           let outcome = try vectorSort(data, count, threads: threads, isCancelled: isCancelled) {
            ordered = outcome.ordered
            if !outcome.sorted {
                guard let scratch = CheckedBuffer(T.self, count: ordered) else { throw .outOfMemory }
                try radixSort(data, scratch: scratch.base, count: ordered, threads: threads, isCancelled: isCancelled)
            }
        } else {
            guard let scratch = CheckedBuffer(T.self, count: count) else { throw .outOfMemory }
            if (T.self == Float.self || T.self == Double.self)
                && containsUnordered(data, count, threads: threads, isCancelled: isCancelled) {
                // Only floats have NaNs; a parallel look first, as they are rare.
                ordered = moveUnorderedLast(data, count, scratch: scratch.base)
            }
            try radixSort(data, scratch: scratch.base, count: ordered, keyBounds: narrowBounds, threads: threads,
                          isCancelled: isCancelled)
        }
    } catch {
        failure = error  // cancelled or out of memory: `data` holds a permutation of the input
    }
    if reverse && failure == nil {
        reverseInParallel(data, ordered, threads: threads)
        if T.self == Float.self || T.self == Double.self { restoreOrderOfZeros(data, ordered) }
    }
    if !values.isContiguous {
        for i in 0..<count { values.store(data[i], at: i) }
    }
    _ = consume copy
    if let failure { throw failure }
}

/// `isInOrder` of `count` values of type `U` at `raw`: `avx2`'s build where the CPU has AVX2.
@inline(__always)
func isInOrder<U: Comparable>(_ raw: UnsafeRawPointer, _ count: Int, _ reverse: Bool,
                              avx2: (UnsafePointer<U>, Int, Bool) -> Bool) -> Bool {
    let values = raw.assumingMemoryBound(to: U.self)
    return cpuHasAVX2 ? avx2(values, count, reverse) : isInOrder(values, count, reverse: reverse)
}

/// Whether `count` (at least 2) values are in the order the sort gives them (by key, ascending
/// or, for `reverse`, descending; -0.0 and 0.0 are equal, so any order of them is theirs) with
/// no NaN (which the sort moves last in input order). Stops at the first pair out of order:
/// random values after one or two.
func isInSortedOrder<T: RadixSortable>(_ data: UnsafePointer<T>, _ count: Int, reverse: Bool) -> Bool {
    // The common types compared as themselves, in specialized loops (this function is generic
    // over types that other modules name: through the protocol, a value took 2.4 ns).
    let raw = UnsafeRawPointer(data)
    // The 32- and 64-bit types in vector compares where the CPU has AVX2 (KernelLoops; the
    // baseline compiles 64-bit compares one at a time): a constant array of 100,000 int64
    // 0.37x numpy.sort's time before, ~1x after (docs/sort.md).
    if T.self == Double.self { return isInOrder(raw, count, reverse) { (p: UnsafePointer<Double>, n, r) in isInOrderAVX2(p, n, reverse: r) } }
    if T.self == Float.self { return isInOrder(raw, count, reverse) { (p: UnsafePointer<Float>, n, r) in isInOrderAVX2(p, n, reverse: r) } }
    if T.self == Int64.self { return isInOrder(raw, count, reverse) { (p: UnsafePointer<Int64>, n, r) in isInOrderAVX2(p, n, reverse: r) } }
    if T.self == Int32.self { return isInOrder(raw, count, reverse) { (p: UnsafePointer<Int32>, n, r) in isInOrderAVX2(p, n, reverse: r) } }
    if T.self == Int8.self { return isInOrder(raw.assumingMemoryBound(to: Int8.self), count, reverse: reverse) }
    if T.self == UInt8.self { return isInOrder(raw.assumingMemoryBound(to: UInt8.self), count, reverse: reverse) }  // and bools
    if T.isUnordered(data[0]) { return false }
    var previous = T.key(data[0])
    for i in 1..<count {
        let value = data[i], key = T.key(value)
        if (reverse ? key > previous : key < previous) || T.isUnordered(value) { return false }
        previous = key
    }
    return true
}


/// After reversing an ascending sort, the equal zeros (-0.0 and +0.0, one run)
/// are in reverse input order: put them back in input order (stability).
func restoreOrderOfZeros<T: RadixSortable>(_ data: UnsafeMutablePointer<T>, _ count: Int) {
    // Descending: the zeros sit between the positive and the negative values.
    let low = partitionPoint(count) { T.key(data[$0]) > T.key(T.zero) }  // the first value <= 0
    var end = low
    while end < count && T.key(data[end]) == T.key(T.zero) { end += 1 }
    if end - low > 1 {
        var zeros = UnsafeMutableBufferPointer(start: data + low, count: end - low)
        zeros.reverse()
    }
}

/// The first index in `0..<count` at which `isBefore` is false, for a predicate true on a
/// prefix of the indices and false after it (binary search).
@inline(__always)
func partitionPoint(_ count: Int, _ isBefore: (Int) -> Bool) -> Int {
    var low = 0, high = count
    while low < high {
        let middle = (low + high) / 2
        if isBefore(middle) { low = middle + 1 } else { high = middle }
    }
    return low
}

/// True when some element is NaN (looked for by all workers).
func containsUnordered<T: RadixSortable>(_ data: UnsafeMutablePointer<T>, _ count: Int, threads: Int,
                                         isCancelled: () -> Bool) -> Bool {
    let workers = count < 1 << 16 ? 1 : effectiveWorkers(threads)
    let found = Atomic<Bool>(false)
    let shared = SharedPointer(data)
    runWorkers(workers, isCancelled: isCancelled) { worker, workers in
        // In blocks without an early exit inside, which the compiler vectorises.
        let range = partition(count, parts: workers, index: worker)
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + 4096, range.upperBound)
            var any: UInt8 = 0
            for i in start..<end { any |= T.isUnordered(shared.pointer[i]) ? 1 : 0 }
            if any != 0 {
                found.store(true, ordering: .relaxed)
                return
            }
            start = end
        }
    }
    return found.load(ordering: .relaxed)
}

/// Reverses `data[0..<count]`, the workers swapping disjoint pairs.
func reverseInParallel<T>(_ data: UnsafeMutablePointer<T>, _ count: Int, threads: Int) {
    let pairs = count / 2
    let workers = pairs < 1 << 16 ? 1 : effectiveWorkers(threads)
    let shared = SharedPointer(data)
    runWorkers(workers) { worker, workers in
        for i in partition(pairs, parts: workers, index: worker) {
            swap(&shared.pointer[i], &shared.pointer[count - 1 - i])
        }
    }
}

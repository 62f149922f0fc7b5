// (key, object) pairs: how `fastkernels.sort` orders the items of a list by the radix sort.
// See docs/sort.md.

/// A list item to sort: its key and the address of its object.
public struct KeyedItem: Sendable, RadixKeyed {
    @inlinable public var radixKey: UInt64 { key }
    public var key: UInt64
    public var object: UInt
    @inline(__always) public init(key: UInt64, object: UInt) {
        self.key = key
        self.object = object
    }
}

/// Room for `count` keyed items and the scratch to sort them, freed with the object.
public final class KeyedItems {
    public let items: UnsafeMutablePointer<KeyedItem>
    let scratch: UnsafeMutablePointer<KeyedItem>
    public let capacity: Int

    /// Nil when the memory cannot be had (never a trap).
    public init?(count: Int) {
        let capacity = max(count, 1)
        guard capacity <= Int.max / 2, let memory = allocateChecked(KeyedItem.self, 2 * capacity) else { return nil }
        items = memory
        scratch = items + capacity
        self.capacity = capacity
    }

    deinit { deallocateChecked(items, count: 2 * capacity) }

    /// Sorts `count` items in the caller's memory by key, stably, on this thread:
    /// `scratch` has room for `count` items. For small counts (it never polls
    /// for cancellation, and allocates only the histograms of sorts above 32 items).
    ///
    /// - Throws: `.outOfMemory` when the histograms cannot be had (`items` untouched).
    /// - Complexity: O(count) for keys that differ in few bits, O(count * 64 / 8) at most.
    public static func sort(_ items: UnsafeMutablePointer<KeyedItem>, scratch: UnsafeMutablePointer<KeyedItem>,
                            count: Int) throws(KernelError) {
        try radixSort(items, scratch: scratch, count: count, threads: 1, isCancelled: { false })
    }

    /// Sorts the first `count` items by key, stably (equal keys keep their order).
    /// - Complexity: O(count x key bytes) time at worst; no allocation beyond the
    ///   histograms (the scratch is the sorter's).
    public func sort(count: Int, threads: Int, isCancelled: () -> Bool = { false }) throws(KernelError) {
        try radixSort(items, scratch: scratch, count: min(count, capacity), threads: threads,
                      isCancelled: isCancelled)
    }
}

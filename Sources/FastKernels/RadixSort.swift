#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Stable LSD radix sort on unsigned keys, 11-bit digits, parallel over
// contiguous ranges. Used for integer and float keys (transformed so that
// unsigned order is numeric order) and for (key, object) pairs of a list.
// See docs/sort.md.

let digitBits = 11
let digitCount = 1 << digitBits

/// Sorts `count` elements of `data` by `key` (ascending, stable), using
/// `scratch` (room for `count` elements). Only the low `keyBits` bits of the
/// keys are looked at. Passes whose digit is the same for every element are
/// skipped (small ranges of integers sort in one or two passes).
///
/// - Throws: `.cancelled` (polled between passes); `data` then holds a
///   permutation of its elements.
func radixSort<Element>(
    _ data: UnsafeMutablePointer<Element>, scratch: UnsafeMutablePointer<Element>, count: Int, keyBits: Int,
    threads: Int, isCancelled: () -> Bool, key: (Element) -> UInt64
) throws(KernelError) {
    guard count > 1 else { return }
    let workers = count < 1 << 16 ? 1 : min(threads, maximumWorkers, count / (1 << 14))
    var source = data, destination = scratch
    // Per-worker histograms: workers x digitCount counts.
    let histograms = UnsafeMutablePointer<Int>.allocate(capacity: workers * digitCount)
    defer { histograms.deallocate() }
    let sharedHistograms = SharedPointer(histograms)
    var shift = 0
    var cancelled = false
    withoutActuallyEscaping(key) { key in
        while shift < keyBits {
            if isCancelled() { cancelled = true; return }
            let src = SharedPointer(source), dst = SharedPointer(destination)
            let currentShift = UInt64(shift)
            // 1. Count digits, each worker over its own range.
            runWorkers(workers) { worker, workers in
                let counts = sharedHistograms.pointer + worker * digitCount
                counts.initialize(repeating: 0, count: digitCount)
                for i in partition(count, parts: workers, index: worker) {
                    counts[Int((key(src.pointer[i]) >> currentShift) & UInt64(digitCount - 1))] += 1
                }
            }
            // 2. Skip a pass whose digit never changes; otherwise turn counts into start offsets.
            var total = 0
            var trivial = false
            for digit in 0..<digitCount {
                var digitTotal = 0
                for worker in 0..<workers { digitTotal += histograms[worker * digitCount + digit] }
                if digitTotal == count { trivial = true; break }
                for worker in 0..<workers {
                    let slot = histograms + worker * digitCount + digit
                    let n = slot.pointee
                    slot.pointee = total
                    total += n
                }
            }
            if !trivial {
                // 3. Scatter, each worker its range, to its own offsets: stable.
                runWorkers(workers) { worker, workers in
                    let offsets = sharedHistograms.pointer + worker * digitCount
                    for i in partition(count, parts: workers, index: worker) {
                        let element = src.pointer[i]
                        let digit = Int((key(element) >> currentShift) & UInt64(digitCount - 1))
                        (dst.pointer + offsets[digit]).initialize(to: element)
                        offsets[digit] += 1
                    }
                }
                swap(&source, &destination)
            }
            shift += digitBits
        }
    }
    if cancelled { throw .cancelled }
    if source != data { data.update(from: source, count: count) }
}

// MARK: - Keys

/// Maps a value to an unsigned key whose order is the value's numeric order.
public protocol RadixSortable: BufferScalar {
    associatedtype Key: FixedWidthInteger & UnsignedInteger
    static func key(_ value: Self) -> Key
    static func value(_ key: Key) -> Self
    /// True for NaN: sorted after everything else.
    static func isUnordered(_ value: Self) -> Bool
}

extension RadixSortable where Self: FixedWidthInteger & UnsignedInteger {
    @inline(__always) public static func key(_ value: Self) -> Self { value }
    @inline(__always) public static func value(_ key: Self) -> Self { key }
    @inline(__always) public static func isUnordered(_ value: Self) -> Bool { false }
}

extension UInt8: RadixSortable {}
extension UInt16: RadixSortable {}
extension UInt32: RadixSortable {}
extension UInt64: RadixSortable {}

/// Signed integers: flipping the sign bit maps two's complement order to unsigned order.
extension RadixSortable where Self: FixedWidthInteger & SignedInteger {
    @inline(__always) public static func isUnordered(_ value: Self) -> Bool { false }
}
extension Int8: RadixSortable {
    @inline(__always) public static func key(_ value: Int8) -> UInt8 { UInt8(bitPattern: value) ^ 0x80 }
    @inline(__always) public static func value(_ key: UInt8) -> Int8 { Int8(bitPattern: key ^ 0x80) }
}
extension Int16: RadixSortable {
    @inline(__always) public static func key(_ value: Int16) -> UInt16 { UInt16(bitPattern: value) ^ 0x8000 }
    @inline(__always) public static func value(_ key: UInt16) -> Int16 { Int16(bitPattern: key ^ 0x8000) }
}
extension Int32: RadixSortable {
    @inline(__always) public static func key(_ value: Int32) -> UInt32 { UInt32(bitPattern: value) ^ 0x8000_0000 }
    @inline(__always) public static func value(_ key: UInt32) -> Int32 { Int32(bitPattern: key ^ 0x8000_0000) }
}
extension Int64: RadixSortable {
    @inline(__always) public static func key(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) ^ (1 << 63) }
    @inline(__always) public static func value(_ key: UInt64) -> Int64 { Int64(bitPattern: key ^ (1 << 63)) }
}

/// IEEE floats: negative numbers have all bits flipped, positive ones the
/// sign bit set, which orders -inf < ... < -0.0 < +0.0 < ... < +inf.
extension Float: RadixSortable {
    @inline(__always) public static func key(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }
    @inline(__always) public static func value(_ key: UInt32) -> Float {
        Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }
    @inline(__always) public static func isUnordered(_ value: Float) -> Bool { value.isNaN }
}
extension Double: RadixSortable {
    @inline(__always) public static func key(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }
    @inline(__always) public static func value(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }
    @inline(__always) public static func isUnordered(_ value: Double) -> Bool { value.isNaN }
}

// MARK: - Arrays

/// Sorts a numeric array in place: ascending, or descending when `reverse`;
/// NaNs last either way, in their original order (numpy's rule, and the one
/// `sort` documents for lists). Strided and byte-swapped arrays are sorted
/// through a contiguous copy and written back.
///
/// - Parameters:
///   - scratch: room for `values.count` elements (the one scratch array).
/// - Throws: `.cancelled`; `.outOfMemory` when a strided array's copy cannot be had.
public func sortInPlace<T: RadixSortable>(
    _ values: StridedBuffer<T>, reverse: Bool, threads: Int, isCancelled: () -> Bool = { false }
) throws(KernelError) {
    let count = values.count
    guard count > 1 else { return }
    guard let scratchMemory = UnsafeMutableRawPointer.allocateChecked(count * MemoryLayout<T>.stride) else {
        throw .outOfMemory
    }
    defer { free(scratchMemory) }
    let scratch = scratchMemory.bindMemory(to: T.self, capacity: count)
    // Work in place when possible; otherwise in a contiguous copy.
    var copyMemory: UnsafeMutableRawPointer? = nil
    defer { free(copyMemory) }
    let data: UnsafeMutablePointer<T>
    if values.isContiguous {
        data = values.elements
    } else {
        guard let memory = UnsafeMutableRawPointer.allocateChecked(count * MemoryLayout<T>.stride) else {
            throw .outOfMemory
        }
        copyMemory = memory
        data = memory.bindMemory(to: T.self, capacity: count)
        values.gather(0..<count, into: data)
    }
    // NaNs to the end, in order (only floats have any).
    var ordered = count
    if T.self == Float.self || T.self == Double.self {
        var kept = 0, unordered = 0
        for i in 0..<count {
            let value = data[i]
            if T.isUnordered(value) {
                scratch[unordered] = value
                unordered += 1
            } else {
                data[kept] = value
                kept += 1
            }
        }
        (data + kept).update(from: scratch, count: unordered)
        ordered = kept
    }
    // Keys in place, sort, values back.
    let keys = UnsafeMutableRawPointer(data).bindMemory(to: T.Key.self, capacity: count)
    for i in 0..<ordered { keys[i] = T.key(data[i]) }
    let keyScratch = UnsafeMutableRawPointer(scratch).bindMemory(to: T.Key.self, capacity: count)
    try radixSort(keys, scratch: keyScratch, count: ordered, keyBits: T.Key.bitWidth, threads: threads,
                  isCancelled: isCancelled) { UInt64($0) }
    let typed = UnsafeMutableRawPointer(data).bindMemory(to: T.self, capacity: count)
    for i in 0..<ordered { typed[i] = T.value(keys[i]) }
    if reverse {
        var prefix = UnsafeMutableBufferPointer(start: typed, count: ordered)
        prefix.reverse()
    }
    if !values.isContiguous {
        for i in 0..<count { values.store(typed[i], at: i) }
    }
}

extension UnsafeMutableRawPointer {
    /// `malloc`-backed memory, or nil when there is none (never a trap).
    static func allocateChecked(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= 0 else { return nil }
        return malloc(max(bytes, 1))
    }
}

// MARK: - (key, object) pairs for lists

/// A list item to sort: its key and the address of its object.
public struct KeyedItem: Sendable {
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
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: 2 * MemoryLayout<KeyedItem>.stride)
        guard !overflow, let raw = malloc(bytes) else { return nil }
        items = raw.bindMemory(to: KeyedItem.self, capacity: 2 * capacity)
        scratch = items + capacity
        self.capacity = capacity
    }

    deinit { free(items) }

    /// Sorts the first `count` items by key, stably (equal keys keep their order).
    public func sort(count: Int, threads: Int, isCancelled: () -> Bool = { false }) throws(KernelError) {
        try radixSort(items, scratch: scratch, count: min(count, capacity), keyBits: 64, threads: threads,
                      isCancelled: isCancelled) { $0.key }
    }
}

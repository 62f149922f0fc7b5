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

/// An element a radix sort can order: its key (only the low `keyBits` bits count).
public protocol RadixKeyed {
    var radixKey: UInt64 { get }
}

extension UInt8: RadixKeyed { @inlinable public var radixKey: UInt64 { UInt64(self) } }
extension UInt16: RadixKeyed { @inlinable public var radixKey: UInt64 { UInt64(self) } }
extension UInt32: RadixKeyed { @inlinable public var radixKey: UInt64 { UInt64(self) } }
extension UInt64: RadixKeyed { @inlinable public var radixKey: UInt64 { self } }

/// Sorts `count` elements of `data` by `radixKey` (ascending, stable), using
/// `scratch` (room for `count` elements). Only the low `keyBits` bits of the
/// keys are looked at. Passes whose digit is the same for every element are
/// skipped (small ranges of integers sort in one or two passes).
///
/// - Throws: `.cancelled` (polled between passes); `data` then holds a
///   permutation of its elements.
func radixSort<Element: RadixKeyed>(
    _ data: UnsafeMutablePointer<Element>, scratch: UnsafeMutablePointer<Element>, count: Int, keyBits: Int,
    threads: Int, isCancelled: () -> Bool
) throws(KernelError) {
    guard count > 1 else { return }
    let workers = count < 1 << 16 ? 1 : min(threads, maximumWorkers, count / (1 << 14))
    var source = data, destination = scratch
    // Per-worker histograms: workers x digitCount counts.
    let histograms = UnsafeMutablePointer<Int>.allocate(capacity: workers * digitCount)
    defer { histograms.deallocate() }
    let sharedHistograms = SharedPointer(histograms)
    var shift = 0
    do {
        while shift < keyBits {
            // Each pass is a whole permutation, so stopping between passes leaves one in `data` or `scratch`.
            if isCancelled() {
                if source != data { data.update(from: source, count: count) }
                throw .cancelled
            }
            let src = SharedPointer(source), dst = SharedPointer(destination)
            let currentShift = UInt64(shift)
            // 1. Count digits, each worker over its own range.
            var stopped = false
            runWorkers(workers) { worker, workers in
                let counts = sharedHistograms.pointer + worker * digitCount
                counts.initialize(repeating: 0, count: digitCount)
                forEachSlice(of: partition(count, parts: workers, index: worker), stopped: &stopped,
                             isCancelled) { range in
                    for i in range {
                        counts[Int((src.pointer[i].radixKey >> currentShift) & UInt64(digitCount - 1))] += 1
                    }
                }
            }
            if stopped {
                if source != data { data.update(from: source, count: count) }
                throw .cancelled
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
                    forEachSlice(of: partition(count, parts: workers, index: worker), stopped: &stopped,
                                 isCancelled) { range in
                        for i in range {
                            let element = src.pointer[i]
                            let digit = Int((element.radixKey >> currentShift) & UInt64(digitCount - 1))
                            (dst.pointer + offsets[digit]).initialize(to: element)
                            offsets[digit] += 1
                        }
                    }
                }
                if stopped {
                    // The half-written destination is dropped; the source is still a whole permutation.
                    if source != data { data.update(from: source, count: count) }
                    throw .cancelled
                }
                swap(&source, &destination)
            }
            shift += digitBits
        }
    }
    if source != data { data.update(from: source, count: count) }
}

/// Runs `body` over `range` in slices of 65,536 elements, polling `isCancelled`
/// between slices; sets `stopped` (shared by the workers) and returns early when
/// it says so or another worker already stopped.
@inline(__always)
func forEachSlice(of range: Range<Int>, stopped: inout Bool, _ isCancelled: () -> Bool,
                  _ body: (Range<Int>) -> Void) {
    let slice = 1 << 16
    var start = range.lowerBound
    while start < range.upperBound {
        if stopped { return }
        if isCancelled() {
            stopped = true
            return
        }
        let end = min(start + slice, range.upperBound)
        body(start..<end)
        start = end
    }
}

// MARK: - Keys

/// Maps a value to an unsigned key whose order is the value's numeric order.
public protocol RadixSortable: BufferScalar {
    associatedtype Key: FixedWidthInteger & UnsignedInteger & RadixKeyed
    static func key(_ value: Self) -> Key
    static func value(_ key: Key) -> Self
    /// True for NaN: sorted after everything else.
    static func isUnordered(_ value: Self) -> Bool
}

extension RadixSortable where Self: FixedWidthInteger & UnsignedInteger {
    @inlinable @inline(__always) public static func key(_ value: Self) -> Self { value }
    @inlinable @inline(__always) public static func value(_ key: Self) -> Self { key }
    @inlinable @inline(__always) public static func isUnordered(_ value: Self) -> Bool { false }
}

extension UInt8: RadixSortable {}
extension UInt16: RadixSortable {}
extension UInt32: RadixSortable {}
extension UInt64: RadixSortable {}

/// Signed integers: flipping the sign bit maps two's complement order to unsigned order.
extension RadixSortable where Self: FixedWidthInteger & SignedInteger {
    @inlinable @inline(__always) public static func isUnordered(_ value: Self) -> Bool { false }
}
extension Int8: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int8) -> UInt8 { UInt8(bitPattern: value) ^ 0x80 }
    @inlinable @inline(__always) public static func value(_ key: UInt8) -> Int8 { Int8(bitPattern: key ^ 0x80) }
}
extension Int16: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int16) -> UInt16 { UInt16(bitPattern: value) ^ 0x8000 }
    @inlinable @inline(__always) public static func value(_ key: UInt16) -> Int16 { Int16(bitPattern: key ^ 0x8000) }
}
extension Int32: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int32) -> UInt32 { UInt32(bitPattern: value) ^ 0x8000_0000 }
    @inlinable @inline(__always) public static func value(_ key: UInt32) -> Int32 { Int32(bitPattern: key ^ 0x8000_0000) }
}
extension Int64: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) ^ (1 << 63) }
    @inlinable @inline(__always) public static func value(_ key: UInt64) -> Int64 { Int64(bitPattern: key ^ (1 << 63)) }
}

/// IEEE floats: negative numbers have all bits flipped, positive ones the
/// sign bit set, which orders -inf < ... < -0.0 < +0.0 < ... < +inf.
extension Float: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }
    @inlinable @inline(__always) public static func value(_ key: UInt32) -> Float {
        Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }
    @inlinable @inline(__always) public static func isUnordered(_ value: Float) -> Bool { value.isNaN }
}
extension Double: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }
    @inlinable @inline(__always) public static func value(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }
    @inlinable @inline(__always) public static func isUnordered(_ value: Double) -> Bool { value.isNaN }
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
    var failure: KernelError? = nil
    do {
        try radixSort(keys, scratch: keyScratch, count: ordered, keyBits: T.Key.bitWidth, threads: threads,
                      isCancelled: isCancelled)
    } catch {
        failure = error  // cancelled: turn the keys back into values, leaving a permutation of the input
    }
    let typed = UnsafeMutableRawPointer(data).bindMemory(to: T.self, capacity: count)
    for i in 0..<ordered { typed[i] = T.value(keys[i]) }
    if reverse && failure == nil {
        var prefix = UnsafeMutableBufferPointer(start: typed, count: ordered)
        prefix.reverse()
    }
    if !values.isContiguous {
        for i in 0..<count { values.store(typed[i], at: i) }
    }
    if let failure { throw failure }
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
                      isCancelled: isCancelled)
    }
}

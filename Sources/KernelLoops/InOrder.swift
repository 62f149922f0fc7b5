// Whether an array is in a sort's order already, written once and compiled twice (as Sums.swift
// is): `@inlinable` generic code that FastKernels compiles for the baseline CPU, and the concrete
// `...AVX2` entry points below, compiled here for Haswell, which FastKernels calls only after
// CPUFeatures confirmed AVX2. The baseline has no compare of 64-bit lanes (SSE4.2's pcmpgtq): there
// a constant array of 100,000 int64 took twice numpy.sort's time, its check alone 1 ns a value.

/// Whether `count` values (at least 1) are non-decreasing (or, `reverse`, non-increasing) by
/// `<=` (-0.0 == 0.0; a NaN is neither <= nor >= anything, so it fails): a block of 64
/// neighbouring pairs at a time, each block's comparisons without a branch (one compare and
/// branch at a time took 0.8 ns a value), so the compiler makes them vector compares.
@inlinable @inline(__always)
public func isInOrder<T: Comparable>(_ data: UnsafePointer<T>, _ count: Int, reverse: Bool) -> Bool {
    var start = 0
    while start + 64 < count {
        var outOfOrder: UInt8 = 0
        if reverse {
            for i in start..<start + 64 { outOfOrder |= unsafeBitCast(!(data[i] >= data[i + 1]), to: UInt8.self) }
        } else {
            for i in start..<start + 64 { outOfOrder |= unsafeBitCast(!(data[i] <= data[i + 1]), to: UInt8.self) }
        }
        if outOfOrder != 0 { return false }
        start += 64
    }
    for i in start + 1..<max(count, start + 1) where reverse ? !(data[i - 1] >= data[i]) : !(data[i - 1] <= data[i]) {
        return false
    }
    return true
}

/// `isInOrder` compiled for AVX2 (call only on a CPU that has it).
@inline(never)
public func isInOrderAVX2(_ data: UnsafePointer<Int64>, _ count: Int, reverse: Bool) -> Bool {
    isInOrder(data, count, reverse: reverse)
}

/// `isInOrder` compiled for AVX2 (call only on a CPU that has it).
@inline(never)
public func isInOrderAVX2(_ data: UnsafePointer<Double>, _ count: Int, reverse: Bool) -> Bool {
    isInOrder(data, count, reverse: reverse)
}

/// `isInOrder` compiled for AVX2 (call only on a CPU that has it).
@inline(never)
public func isInOrderAVX2(_ data: UnsafePointer<Int32>, _ count: Int, reverse: Bool) -> Bool {
    isInOrder(data, count, reverse: reverse)
}

/// `isInOrder` compiled for AVX2 (call only on a CPU that has it).
@inline(never)
public func isInOrderAVX2(_ data: UnsafePointer<Float>, _ count: Int, reverse: Bool) -> Bool {
    isInOrder(data, count, reverse: reverse)
}

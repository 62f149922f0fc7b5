import KernelLoops

// The exact sum of 64-bit integer arrays on 512-bit registers: KernelLoops' `exactSum64`
// (wrapping sums of the values and of their high halves) on 8 lanes, compiled for
// x86-64-v4. FastKernels calls these only on the AVX-512 tier.

@inline(never)
public func exactSumAVX512(_ values: UnsafePointer<Int64>, _ count: Int) -> Int128 {
    exactSum64(values, count, lanes: SIMD8<UInt64>.self)
}

@inline(never)
public func exactSumAVX512(_ values: UnsafePointer<UInt64>, _ count: Int) -> Int128 {
    exactSum64(values, count, lanes: SIMD8<UInt64>.self)
}

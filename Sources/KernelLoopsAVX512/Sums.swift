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

// The exact float sum's blocks (KernelLoops' `exactAccumulate`, the same 4-lane code) compiled
// for x86-64-v4: 64-bit lane max/min, shifts and int64 -> double conversions in one instruction.

@inline(never)
public func exactAccumulateAVX512(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Double>, _ count: Int) {
    exactAccumulate(state, values, count)
}

@inline(never)
public func exactAccumulateAVX512(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Float>, _ count: Int) {
    exactAccumulate(state, values, count)
}

@inline(never)
public func exactAccumulateAVX512(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<Int64>, _ count: Int) {
    exactAccumulate(state, values, count)
}

@inline(never)
public func exactAccumulateAVX512(_ state: UnsafeMutablePointer<Int64>, _ values: UnsafePointer<UInt64>, _ count: Int) {
    exactAccumulate(state, values, count)
}

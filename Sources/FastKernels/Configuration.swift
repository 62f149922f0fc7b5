import CPUFeatures

// What the kernels found on this machine and chose, for `fastkernels.show_config()`
// and `python -m fastkernels info` (bug reports). Nothing here changes a result.

/// The instruction-set tier each kernel family runs on this CPU, in a fixed order.
/// A family runs the highest of its own tiers that is at most `InstructionSet.selected`.
public func kernelTiers() -> [(family: String, tier: InstructionSet)] {
    let vectorSort = vectorSortTier >= .avx2 ? vectorSortTier : .baseline
    return [
        ("sum", InstructionSet.selected),                     // Sum.swift: 64-bit ints by AVX-512/AVX2 loops, else SWAR
        ("fsum", InstructionSet.selected),                    // ExactFloatSum.swift: exactAccumulateAVX512/AVX2
        ("sort_array", vectorSort),                           // vector quicksort, else radix
        ("sort_list", vectorSort),                            // packed keys by the vector quicksort, radix beyond
        ("word_count", boundaryMaskTier),                     // 64-byte boundary masks
        ("matmul", InstructionSet.selected),                  // register micro-kernels
        ("fibonacci", .baseline),
    ]
}

/// How many threads `threads=None` resolves to, and why.
public struct ThreadReport: Sendable {
    /// What `threads=None` means: the most workers a kernel uses.
    public let threads: Int
    /// "thread limit" (set at run time, by threadpoolctl), "FASTKERNELS_NUM_THREADS",
    /// "cgroup CPU quota" or "CPU affinity".
    public let source: String
    /// CPUs in this process's affinity mask (0 when it cannot be read).
    public let affinityCPUs: Int
    /// CPUs online.
    public let onlineCPUs: Int
    /// The cgroup CPU quota in whole CPUs, when one is set.
    public let cgroupQuota: Int?
    /// The raw value of FASTKERNELS_NUM_THREADS, when set (valid or not).
    public let environment: String?
}

/// The thread count `threads=None` resolves to (`availableCores()`) and where it comes from.
public func threadReport() -> ThreadReport {
    let affinity = Int(fk_affinity_cpu_count())
    let quota = cgroupCPUQuota()
    let source: String
    let limit = WorkerPool.threadLimit.load(ordering: .relaxed)
    if limit > 0 && limit < detectedCores() {
        source = "thread limit"
    } else if threadLimitFromEnvironment() != nil {
        source = "FASTKERNELS_NUM_THREADS"
    } else if let quota, quota < unquotedCPUCount() {
        source = "cgroup CPU quota"
    } else {
        source = "CPU affinity"
    }
    return ThreadReport(threads: availableCores(), source: source, affinityCPUs: max(affinity, 0),
                        onlineCPUs: onlineCPUCount(), cgroupQuota: quota,
                        environment: environmentValue("FASTKERNELS_NUM_THREADS"))
}

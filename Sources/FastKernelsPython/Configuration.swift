import FastKernels
import PythonBridge

let configurationFunction = Function("_config", "", doc: """
    What the kernels found on this machine and chose, as a dict (for
    fastkernels.show_config() and python -m fastkernels info):
    'isa_supported' (the best tier this CPU runs: 'baseline', 'avx2' or 'avx512'),
    'isa_selected' (the tier in use: FASTKERNELS_ISA may name a lower one),
    'isa_requested' (FASTKERNELS_ISA as set, or None), 'kernels' (each kernel
    family's tier), 'threads' (what threads=None resolves to: 'threads',
    'source', 'affinity_cpus', 'online_cpus', 'cgroup_cpu_quota' or None,
    'FASTKERNELS_NUM_THREADS' as set or None) and 'parallel_thresholds'.
    """) { _ throws(PythonException) in
    let config = try PyRef.dict()
    try config.setItem(PyRef.string("isa_supported"), PyRef.string(InstructionSet.supported.name))
    try config.setItem(PyRef.string("isa_selected"), PyRef.string(InstructionSet.selected.name))
    try config.setItem(PyRef.string("isa_requested"), optionalString(environmentValue("FASTKERNELS_ISA")))
    let kernels = try PyRef.dict()
    for (family, tier) in kernelTiers() {
        try kernels.setItem(PyRef.string(family), PyRef.string(tier.name))
    }
    try config.setItem(PyRef.string("kernels"), kernels)
    let report = threadReport()
    let threads = try PyRef.dict()
    try threads.setItem(PyRef.string("threads"), PyRef.int(report.threads))
    try threads.setItem(PyRef.string("source"), PyRef.string(report.source))
    try threads.setItem(PyRef.string("affinity_cpus"), PyRef.int(report.affinityCPUs))
    try threads.setItem(PyRef.string("online_cpus"), PyRef.int(report.onlineCPUs))
    try threads.setItem(PyRef.string("cgroup_cpu_quota"), optionalInt(report.cgroupQuota))
    try threads.setItem(PyRef.string("FASTKERNELS_NUM_THREADS"), optionalString(report.environment))
    try config.setItem(PyRef.string("threads"), threads)
    try config.setItem(PyRef.string("parallel_thresholds"), parallelThresholds())
    return config
}

/// A str, or None for nil.
func optionalString(_ value: String?) throws(PythonException) -> PyRef {
    guard let value else { return .none }
    return try .string(value)
}

/// An int, or None for nil.
func optionalInt(_ value: Int?) throws(PythonException) -> PyRef {
    guard let value else { return .none }
    return try .int(value)
}

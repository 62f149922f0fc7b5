import CPUFeatures

/// The instruction-set tiers the SIMD loops are compiled for, in order: a
/// kernel family runs the highest tier that is at most `InstructionSet.selected`.
///
/// - `baseline`: any x86-64 (SSE2), or any other architecture; the loops in FastKernels.
/// - `avx2`: AVX2 and FMA (x86-64-v3: Haswell, Zen 1 and newer); KernelLoops.
/// - `avx512`: AVX-512 F, DQ, BW and VL (x86-64-v4: Skylake-SP, Ice Lake, Zen 4 and newer); KernelLoopsAVX512.
public enum InstructionSet: Int, Comparable, Sendable, CaseIterable {
    case baseline, avx2, avx512

    public static func < (lhs: InstructionSet, rhs: InstructionSet) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name `FASTKERNELS_ISA` and `fastkernels.show_config()` use.
    public var name: String {
        switch self {
        case .baseline: "baseline"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    /// The best tier this CPU (and OS) can run.
    public static let supported: InstructionSet = {
        if fk_cpu_has_avx512() != 0 { return .avx512 }
        if fk_cpu_has_avx2_fma() != 0 { return .avx2 }
        return .baseline
    }()

    /// The tier the kernels use: `supported`, or a lower one when the environment
    /// variable `FASTKERNELS_ISA` (read once, at first use) names one ("baseline",
    /// "avx2", "avx512"), so that tests can run every tier on one machine. A tier
    /// above `supported`, or an unknown name, is ignored: never an instruction
    /// the CPU lacks.
    public static let selected: InstructionSet = {
        guard let raw = environmentValue("FASTKERNELS_ISA"),
              let requested = InstructionSet.allCases.first(where: { $0.name == raw.lowercased() })
        else { return supported }
        return min(requested, supported)
    }()
}

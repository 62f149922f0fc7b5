import FastKernels
import PythonBridge

let instructionSetFunction = Function("_isa", "", doc: """
    The instruction-set tier the SIMD kernels run on this CPU: "baseline",
    "avx2" or "avx512" (the best the CPU supports, or the lower tier the
    environment variable FASTKERNELS_ISA names, read once).
    """) { _ throws(PythonException) in
    try .string(InstructionSet.selected.name)
}

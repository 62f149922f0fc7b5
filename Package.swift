// swift-tools-version:6.0
// fastkernels: a CPython extension module written in Swift.
//
// Layers (arrows point one way only; see ../shared/ARCHITECTURE.md):
//   FastKernelsPython -> PythonBridge -> CPython
//   FastKernelsPython -> FastKernels
import PackageDescription

// KernelLoops holds the SIMD loops, compiled for x86-64 with AVX2 and FMA
// (Haswell, 2013, and newer), KernelLoopsAVX512 those for x86-64-v4 (AVX-512
// F/DQ/BW/VL); FastKernels calls them only after checking the CPU at run time
// (CPUFeatures, InstructionSet), so the module still runs on any x86-64.
#if arch(x86_64)
let avx2Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let avx512Flags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
#else
let avx2Flags: [SwiftSetting] = []
let avx512Flags: [SwiftSetting] = []
#endif

let package = Package(
    name: "fastkernels",
    products: [
        // The extension module. setup.py copies lib_native.so to fastkernels/_native<EXT_SUFFIX>.
        .library(name: "_native", type: .dynamic, targets: ["FastKernelsPython"]),
        // The kernels as a plain Swift library, usable from any Swift program.
        .library(name: "FastKernels", targets: ["FastKernels"]),
    ],
    targets: [
        .systemLibrary(
            name: "CPython",
            pkgConfig: "python3",
            providers: [.apt(["libpython3-dev"])]
        ),
        .target(name: "PythonBridge", dependencies: ["CPython"]),
        .target(name: "CPUFeatures"),
        .target(name: "KernelLoops", dependencies: ["CPUFeatures"], swiftSettings: avx2Flags),
        .target(name: "KernelLoopsAVX512", dependencies: ["KernelLoops"], swiftSettings: avx512Flags),
        .target(name: "FastKernels", dependencies: ["CPUFeatures", "KernelLoops", "KernelLoopsAVX512"],
                // Kernels touch memory through raw pointers, never overlapping Swift accesses; the
                // run-time exclusivity checks on their class state cost more than the work itself.
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        .target(name: "FastKernelsPython", dependencies: ["PythonBridge", "FastKernels"],
                exclude: ["exports.map"]),  // the linker version script setup.py passes
        .testTarget(name: "FastKernelsTests", dependencies: ["FastKernels"]),
    ]
)

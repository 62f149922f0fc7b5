// swift-tools-version:6.0
// fastkernels: a CPython extension module written in Swift.
//
// Layers (arrows point one way only; see ../shared/ARCHITECTURE.md):
//   FastKernelsPython -> PythonBridge -> CPython
//   FastKernelsPython -> FastKernels
import PackageDescription

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
        .target(name: "FastKernels"),
        .target(name: "FastKernelsPython", dependencies: ["PythonBridge", "FastKernels"],
                exclude: ["exports.map"]),  // the linker version script setup.py passes
        .testTarget(name: "FastKernelsTests", dependencies: ["FastKernels"]),
    ]
)

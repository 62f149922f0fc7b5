import FastKernels
import PythonBridge

/// The entry point CPython calls on `import fastkernels._native`.
@_cdecl("PyInit__native")
public func PyInit__native() -> UnsafeMutableRawPointer? {
    forgetInterpreterObjects()
    // Read now what the kernels would read on first use (CPU count, cgroup quota, cache
    // sizes, through Swift strings and arrays): a first use with memory exhausted would trap.
    readSystemFacts()
    return createModule(
        name: "fastkernels._native",
        doc: "Native kernels of fastkernels, written in Swift. Use them through the fastkernels package.",
        functions: [
            fibonacciFunction,
            fibonacciRecursiveFunction,
            sumFunction,
            fsumFunction,
            fsumPartialFunction,
            sortFunction,
            sortInPlaceFunction,
            sortBufferFunction,
            replaceListFunction,
            publicWordCountFunction,
            wordCountFunction,
            wordCountFileFunction,
            mergeWordCountsFunction,
            matmulFunction,
            matmulBufferFunction,
            matmulListsFunction,
            buffersOverlapFunction,
            instructionSetFunction,
            parallelThresholdsFunction,
            configurationFunction,
            bridgeEchoFunction,
            bridgeParseFunction,
            bridgeRaiseFunction,
            bridgeIgnoreSignalsFunction,
        ])
}

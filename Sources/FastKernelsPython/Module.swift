import PythonBridge

/// The entry point CPython calls on `import fastkernels._native`.
@_cdecl("PyInit__native")
public func PyInit__native() -> UnsafeMutableRawPointer? {
    forgetInterpreterObjects()
    return createModule(
        name: "fastkernels._native",
        doc: "Native kernels of fastkernels, written in Swift. Use them through the fastkernels package.",
        functions: [
            fibonacciFunction,
            fibonacciRecursiveFunction,
            sumFunction,
            fsumFunction,
            sortFunction,
            sortInPlaceFunction,
            sortBufferFunction,
            replaceListFunction,
            publicWordCountFunction,
            wordCountFunction,
            wordCountFileFunction,
            matmulFunction,
            matmulBufferFunction,
            matmulListsFunction,
            buffersOverlapFunction,
            instructionSetFunction,
            parallelThresholdsFunction,
            bridgeEchoFunction,
            bridgeParseFunction,
            bridgeRaiseFunction,
        ])
}

/// Objects of an earlier interpreter that the module keeps between calls (imported
/// functions and types, interned names, cached strs): forgotten, never released,
/// when the module is initialised again (an embedding program that finalised
/// Python and started it anew: those objects are gone).
func forgetInterpreterObjects() {
    PythonFallback.sortFunction = nil
    PythonFallback.sortInPlaceFunction = nil
    PythonFallback.wordCountFunction = nil
    PythonFallback.copyName = nil
    PythonMatmul.cached = nil
    PythonMatmul.empty = nil
    CounterType.cached = nil
    StringCache.forgetAll()
}

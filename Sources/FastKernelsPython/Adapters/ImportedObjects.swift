import PythonBridge

// The Python objects the module imports once and keeps between calls: the
// Python layer's general paths, collections.Counter, numpy.empty. Forgotten,
// never released, when the module is initialised again.

/// The Python layer's general paths (fastkernels/_general.py), imported at the first call that needs them.
enum PythonFallback {
    nonisolated(unsafe) static var sortFunction: PyObjectPointer?
    nonisolated(unsafe) static var sortInPlaceFunction: PyObjectPointer?
    nonisolated(unsafe) static var wordCountFunction: PyObjectPointer?
    nonisolated(unsafe) static var copyName: PyObjectPointer?
    /// The interned name "lower" (word counts lower non-ASCII words by str.lower()).
    nonisolated(unsafe) static var lowerName: PyObjectPointer?

    static func sort() throws(PythonException) -> PyRef {
        try PyRef.attribute("sort", ofModule: "fastkernels._general", cache: &sortFunction)
    }
    static func sortInPlace() throws(PythonException) -> PyRef {
        try PyRef.attribute("sort_inplace", ofModule: "fastkernels._general", cache: &sortInPlaceFunction)
    }
    static func wordCount() throws(PythonException) -> PyRef {
        try PyRef.attribute("word_count", ofModule: "fastkernels._general", cache: &wordCountFunction)
    }
}

/// collections.Counter, imported at the first word count.
enum CounterType {
    nonisolated(unsafe) static var cached: PyObjectPointer?

    static func type() throws(PythonException) -> PyRef {
        try PyRef.attribute("Counter", ofModule: "collections", cache: &cached)
    }
}

/// fastkernels._matmul.general, imported at the first call that needs it.
enum PythonMatmul {
    nonisolated(unsafe) static var cached: PyObjectPointer?

    static func general() throws(PythonException) -> PyRef {
        try PyRef.attribute("general", ofModule: "fastkernels._matmul", cache: &cached)
    }

    nonisolated(unsafe) static var empty: PyObjectPointer?

    /// numpy.empty, once the program has imported numpy (nil before).
    static func numpyEmpty() -> PyRef? {
        if let empty { return PyRef(borrowing: empty) }
        guard let numpy = PyRef.importedModule("numpy"), let function = try? numpy.attribute("empty") else {
            clearPendingException()
            return nil
        }
        empty = PyRef(borrowing: function.pointer).release()  // kept for the life of the process
        return function
    }
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
    PythonFallback.lowerName = nil
    PythonMatmul.cached = nil
    PythonMatmul.empty = nil
    CounterType.cached = nil
    StringCache.forgetAll()
}

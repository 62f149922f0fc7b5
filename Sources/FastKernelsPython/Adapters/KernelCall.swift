import FastKernels
import PythonBridge

// How a kernel call crosses the boundary: the number of threads it may use,
// the GIL policy, the cancellation hook and the translation of KernelError
// into the Python exception that names the function and the argument.

/// Work (in elements) from which a kernel over an array releases the GIL.
let arrayGILThreshold = 1 << 15

extension Arguments {
    /// The `threads` argument: None (or not given) means all cores; otherwise an int >= 1.
    @inline(__always)
    func threadCount(_ index: Int) throws(PythonException) -> Int {
        guard isGiven(index) else { return availableCores() }
        let threads = try clampedInt(index)
        guard threads >= 1 else {
            throw error(index, .valueError, "must be >= 1 (or None for all cores), got \(threads == Int.min ? "a negative number" : String(threads))")
        }
        return threads
    }

    /// Runs `kernel`, with the GIL released when `releasingGIL` (worth it for
    /// work of more than a few microseconds), handing it a cancellation check
    /// that polls for Ctrl-C. Kernel errors become Python exceptions.
    func runKernel<R: ~Copyable>(
        releasingGIL: Bool,
        _ kernel: (_ isCancelled: () -> Bool) throws(KernelError) -> R
    ) throws(PythonException) -> R {
        var failure: KernelError? = nil
        var result: R? = nil
        if releasingGIL {
            result = try withGILReleased { gil throws(PythonException) -> R? in
                do throws(KernelError) {
                    return try kernel(gil.checkSignals)
                } catch {
                    failure = error
                    return nil
                }
            }
        } else {
            do throws(KernelError) {
                result = try kernel { false }
            } catch {
                failure = error
            }
        }
        if let failure { throw pythonException(for: failure) }
        return result.take()!
    }

    func pythonException(for error: KernelError) -> PythonException {
        switch error {
        case .invalidArgument(let argument, let requirement):
            return self.error(argument: argument, .valueError, requirement)
        case .resultTooLarge(let reason):
            return .overflowError("\(functionName)(): \(reason)")
        case .outOfMemory:
            return .memoryError(in: functionName, "%s(): not enough memory for the result")
        case .cancelled:
            return .keyboardInterrupt
        case .inputChanged:
            return .valueError("\(functionName)() argument 'values' changed while it was being sorted")
        case .io(let code):
            return .osError(errno: code)
        }
    }
}

extension PyRef {
    /// A Python int holding a `Natural` (exact, O(size)).
    static func int(_ value: borrowing Natural) throws(PythonException) -> PyRef {
        if let word = value.uint64Value { return try .int(word) }
        return try .int(littleEndianWords: value.words)
    }
}

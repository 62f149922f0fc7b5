@preconcurrency import CPython

/// The state of a call that has released the GIL: lets long-running work
/// poll for Ctrl-C (and other Python signal handlers).
///
/// Python runs signal handlers only in the main thread, with the GIL held.
/// `checkSignals()` therefore, at most every `pollInterval`, takes the GIL back
/// briefly, runs `PyErr_CheckSignals()` and releases it again. Called from any
/// other thread it only reports what the releasing thread found.
public final class ReleasedGIL: @unchecked Sendable {
    /// How often the GIL is re-taken to look for signals (nanoseconds).
    public static let pollInterval: UInt64 = 20_000_000

    var threadState: UnsafeMutablePointer<PyThreadState>?
    let owner: UInt
    /// Whether the releasing thread is the main thread: asked (a system call) only
    /// when a poll is due, so that a short call does not pay for it.
    lazy var isMainThread: Bool = fk_is_main_thread() != 0
    var nextPoll: UInt64
    /// 1 once a signal handler raised; the exception waits in the interpreter.
    /// Read by worker threads (atomically), written by the releasing thread.
    let raised: UnsafeMutablePointer<Int32>
    /// True once a signal handler raised; the exception waits in the interpreter.
    public var signalRaised: Bool { fk_atomic_load_int(raised) != 0 }

    init() {
        raised = .allocate(capacity: 1)
        raised.initialize(to: 0)
        owner = PyThread_get_thread_ident()
        nextPoll = monotonicNanoseconds() &+ ReleasedGIL.pollInterval
        threadState = PyEval_SaveThread()
    }

    /// True when a signal handler raised an exception (KeyboardInterrupt for
    /// Ctrl-C): the work should stop and throw. Cheap enough to call every
    /// few microseconds.
    public func checkSignals() -> Bool {
        if signalRaised || PyThread_get_thread_ident() != owner { return signalRaised }
        let now = monotonicNanoseconds()
        guard now >= nextPoll, isMainThread else { return false }
        PyEval_RestoreThread(threadState)
        let didRaise = PyErr_CheckSignals() != 0
        threadState = PyEval_SaveThread()
        nextPoll = monotonicNanoseconds() &+ ReleasedGIL.pollInterval
        if didRaise { fk_atomic_store_int(raised, 1) }
        return didRaise
    }

    func reacquire() {
        PyEval_RestoreThread(threadState)
    }

    deinit { raised.deallocate() }
}

/// Runs `body` with the GIL released (Py_BEGIN/END_ALLOW_THREADS), so other
/// Python threads run meanwhile. The body must not touch Python objects; it
/// may poll `checkSignals()`. Worth it only for work well above a
/// microsecond: releasing and re-taking the GIL costs tens of nanoseconds.
///
/// If a signal handler raised while the body ran, that exception (usually
/// KeyboardInterrupt) is what the caller sees, whatever the body threw or returned:
/// a poll that ran the handler (a worker pool's, while it waits) may have come after
/// the body's own last look, and returning a result with the exception set would be
/// a SystemError.
///
/// - Parameter body: the work; gets the released state, for `checkSignals()`.
/// - Returns: what `body` returns.
/// - Throws: what `body` threw; `PythonException.pending` instead when a signal
///   handler raised meanwhile (its exception is set).
public func withGILReleased<R: ~Copyable>(_ body: (ReleasedGIL) throws -> R) throws -> R {
    let gil = ReleasedGIL()
    defer { gil.reacquire() }
    let result: R
    do {
        result = try body(gil)
    } catch {
        if gil.signalRaised { throw PythonException.pending }
        throw error
    }
    if gil.signalRaised { throw PythonException.pending }
    return result
}

/// With the GIL held: runs pending signal handlers (Python's own, such as the
/// one that raises KeyboardInterrupt for Ctrl-C). Call it every so often in a
/// long loop that holds the GIL.
/// - Throws: `.pending` with the exception a handler raised.
public func checkSignals() throws(PythonException) {
    if PyErr_CheckSignals() != 0 { throw .pending }
}

@inline(__always)
func monotonicNanoseconds() -> UInt64 { UInt64(fk_monotonic_ns()) }

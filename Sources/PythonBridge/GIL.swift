@preconcurrency import CPython

/// The state of a call that has released the GIL: lets long-running work
/// poll for Ctrl-C (and other Python signal handlers).
///
/// Python runs signal handlers only in the main thread, with the GIL held.
/// `checkSignals()` therefore, at most every `pollInterval`, takes the GIL back
/// briefly, runs `PyErr_CheckSignals()` and releases it again. Called from any
/// other thread it only reports what the releasing thread found.
public struct ReleasedGIL: @unchecked Sendable {
    /// How often the GIL is re-taken to look for signals (nanoseconds).
    public static let pollInterval: UInt64 = 20_000_000

    /// The call's state, on the releasing thread's stack: nothing is allocated, so
    /// releasing the GIL cannot fail when memory is exhausted.
    struct State {
        var threadState: UnsafeMutablePointer<PyThreadState>?
        var owner: UInt
        /// Whether the releasing thread is the main thread: asked (a system call) only
        /// when a poll is due, so that a short call does not pay for it; -1 until then.
        var isMainThread: Int32
        var nextPoll: UInt64
        /// 1 once a signal handler raised; the exception waits in the interpreter.
        /// Read by worker threads (atomically), written by the releasing thread.
        var raised: Int32
    }

    let state: UnsafeMutablePointer<State>

    private var raised: UnsafeMutablePointer<Int32> {
        (UnsafeMutableRawPointer(state) + MemoryLayout<State>.offset(of: \State.raised)!)
            .assumingMemoryBound(to: Int32.self)
    }

    /// True once a signal handler raised; the exception waits in the interpreter.
    public var signalRaised: Bool { fk_atomic_load_int(raised) != 0 }

    /// Releases the GIL; `state` lives as long as the release.
    init(releasingInto state: UnsafeMutablePointer<State>) {
        state.initialize(to: State(threadState: nil, owner: PyThread_get_thread_ident(), isMainThread: -1,
                                   nextPoll: monotonicNanoseconds() &+ ReleasedGIL.pollInterval, raised: 0))
        self.state = state
        state.pointee.threadState = PyEval_SaveThread()
    }

    /// True when a signal handler raised an exception (KeyboardInterrupt for
    /// Ctrl-C): the work should stop and throw. Cheap enough to call every
    /// few microseconds.
    public func checkSignals() -> Bool {
        if signalRaised || PyThread_get_thread_ident() != state.pointee.owner { return signalRaised }
        let now = monotonicNanoseconds()
        guard now >= state.pointee.nextPoll else { return false }
        if state.pointee.isMainThread < 0 { state.pointee.isMainThread = fk_is_main_thread() != 0 ? 1 : 0 }
        guard state.pointee.isMainThread == 1 else { return false }
        PyEval_RestoreThread(state.pointee.threadState)
        let didRaise = PyErr_CheckSignals() != 0
        state.pointee.threadState = PyEval_SaveThread()
        state.pointee.nextPoll = monotonicNanoseconds() &+ ReleasedGIL.pollInterval
        if didRaise { fk_atomic_store_int(raised, 1) }
        return didRaise
    }

    func reacquire() {
        PyEval_RestoreThread(state.pointee.threadState)
    }
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
///
/// Nothing here allocates, and the throws are typed (an untyped `throws` boxes its error
/// on the heap): a failed Swift allocation traps, and the MemoryError of a kernel that
/// found memory exhausted must still reach the caller (docs/reliability.md).
public func withGILReleased<R: ~Copyable>(_ body: (ReleasedGIL) throws(PythonException) -> R)
    throws(PythonException) -> R {
    var state = ReleasedGIL.State(threadState: nil, owner: 0, isMainThread: -1, nextPoll: 0, raised: 0)
    return try withUnsafeMutablePointer(to: &state) { statePointer throws(PythonException) -> R in
        let gil = ReleasedGIL(releasingInto: statePointer)
        var result: R? = nil
        var failure: PythonException? = nil
        do throws(PythonException) {
            result = try body(gil)
        } catch {
            failure = error
        }
        gil.reacquire()
        if gil.signalRaised { throw .pending }
        if let failure { throw failure }
        return result.take()!
    }
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

/// What a kernel reports instead of trapping. The Python layer turns each
/// case into the matching Python exception; Swift callers can switch on it.
public enum KernelError: Error, Equatable, Sendable {
    /// An argument is outside the kernel's domain (Python: ValueError).
    /// `argument` names the parameter, `requirement` says what it must satisfy.
    case invalidArgument(argument: String, requirement: String)
    /// The result cannot be represented (Python: OverflowError).
    case resultTooLarge(String)
    /// The memory the kernel needs cannot be had (Python: MemoryError).
    case outOfMemory
    /// A system call failed with this errno (Python: OSError of the matching subclass).
    case io(errno: Int32)
    /// The caller's cancellation check asked the kernel to stop (Python: whatever
    /// the signal handler raised, usually KeyboardInterrupt).
    case cancelled
    /// The input changed while the kernel worked on it (another thread writing to an
    /// array sorted in place): the kernel stopped before it could write out of bounds
    /// (Python: ValueError).
    case inputChanged
}

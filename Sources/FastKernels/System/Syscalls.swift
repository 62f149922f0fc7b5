#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Every system call the kernels make about files and the environment, wrapped
// once: interrupted calls (EINTR) are retried here, failures become
// `KernelError.io(errno:)`, and the other files of the module need no libc
// import. (Memory.swift wraps the memory calls; WorkerPool.swift the threads.)

/// The result of a call that returns -1 and sets errno on failure: the value,
/// or the errno. Retries the call while it fails with EINTR, first asking
/// `isCancelled` (a cancelled call throws `.cancelled`).
@inline(__always)
func valueOrErrno<Value: BinaryInteger>(isCancelled: () -> Bool = { false },
                                        _ call: () -> Value) throws(KernelError) -> Result<Value, KernelError> {
    while true {
        let value = call()
        if value != -1 { return .success(value) }
        let code = errno
        guard code == EINTR else { return .failure(.io(errno: code)) }
        if isCancelled() { throw .cancelled }
    }
}

/// The value of the environment variable `name`, or nil when it is not set.
public func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// CPU time this thread has run, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`: time the
/// thread waited for a core does not count); nil where the clock is missing.
func threadCPUNanoseconds() -> Int? {
    var time = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return nil }
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

/// The number of CPUs online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
func onlineCPUCount() -> Int {
    max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}

/// The contents of a small text file (at most 4 KiB), or nil when it cannot be opened.
/// Lines keep their newlines: callers trim what they parse.
func readSmallFile(_ path: String) -> String? {
    guard case .success(let descriptor)? = try? valueOrErrno({ open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
    defer { close(descriptor) }
    let capacity = 4096
    return withTemporaryMemory(of: UInt8.self, capacity: capacity) { buffer -> String? in
        var filled = 0
        while filled < capacity {
            guard case .success(let got)? = try? valueOrErrno({
                read(descriptor, buffer + filled, capacity - filled)
            }), got > 0 else { break }
            filled += got
        }
        return String(decoding: UnsafeBufferPointer(start: buffer, count: filled), as: UTF8.self)
    } ?? nil
}

/// Where a regular file open at `descriptor` is read from and how long it is, or nil
/// for pipes, FIFOs, terminals, sockets and anything that cannot seek.
func regularFileExtent(_ descriptor: Int32) -> (position: Int, size: Int)? {
    var status = stat()
    let position = lseek(descriptor, 0, SEEK_CUR)
    guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, position >= 0 else { return nil }
    return (Int(position), Int(status.st_size))
}

/// Reads up to `count` bytes at file offset `offset` (pread); 0 at the end of
/// the file. Interrupted reads are retried after a look at `isCancelled`.
func readSome(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int, at offset: Int,
              isCancelled: () -> Bool) throws(KernelError) -> Int {
    try valueOrErrno(isCancelled: isCancelled) { pread(descriptor, buffer, count, off_t(offset)) }.get()
}

/// Reads up to `count` bytes; 0 at the end of the file. Interrupted reads are
/// retried after a look at `isCancelled`; a descriptor that may wait for data
/// (`waits`: pipes, FIFOs, terminals, sockets) is first polled for at most
/// 20 ms at a time, so that a Ctrl-C is seen while no data comes.
func readSome(_ descriptor: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int, waits: Bool,
              isCancelled: () -> Bool) throws(KernelError) -> Int {
    while true {
        if waits {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = try valueOrErrno(isCancelled: isCancelled) { poll(&request, 1, 20) }.get()
            if ready == 0 {
                if isCancelled() { throw .cancelled }
                continue
            }
        }
        let got = read(descriptor, buffer, count)
        if got >= 0 { return got }
        let code = errno
        if code == EINTR || code == EAGAIN || code == EWOULDBLOCK {
            if isCancelled() { throw .cancelled }
            if code != EINTR && !waits {
                // A non-blocking descriptor that is not a pipe: wait for it like one.
                return try readSome(descriptor, buffer, count, waits: true, isCancelled: isCancelled)
            }
            continue
        }
        throw .io(errno: code)
    }
}

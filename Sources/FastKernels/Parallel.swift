import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of CPU cores online: what `threads=None` means (read once).
public func availableCores() -> Int { coresOnline }

let coresOnline = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// Most workers a kernel starts, whatever `threads` asks for.
let maximumWorkers = 256

/// Runs `body(worker, workers)` on `workers` threads at once (the calling
/// thread is one of them) and returns when all have finished. With one worker
/// it simply calls `body(0, 1)`.
func runWorkers(_ workers: Int, _ body: (_ worker: Int, _ workers: Int) -> Void) {
    let workers = min(max(workers, 1), maximumWorkers)
    if workers == 1 {
        body(0, 1)
        return
    }
    withoutActuallyEscaping(body) { body in
        // The workers share what `body` captures; kernels give each worker its own part of it.
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in shared.value(worker, workers) }
    }
}

/// Hands a value to Dispatch's @Sendable closures; the kernel vouches for its use.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Splits `0..<count` into `parts` contiguous ranges of nearly equal length; returns part `index`.
@inline(__always)
func partition(_ count: Int, parts: Int, index: Int) -> Range<Int> {
    let base = count / parts, extra = count % parts
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}

/// A raw pointer that worker closures may capture: the kernel guarantees that
/// workers touch disjoint parts of the memory, or only read it.
struct SharedPointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}

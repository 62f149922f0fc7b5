#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The one allocator of the kernels. Every piece of memory a kernel needs comes
// from here, and running out of it is a value (nil, then
// `KernelError.outOfMemory`), never a trap: Swift's own `.allocate(capacity:)`,
// arrays and class instances abort the process when malloc fails, which for a
// Python extension means killing the interpreter.

/// Huge-page size: mapped arrays of this size and more are advised onto huge pages.
let hugePage = 1 << 21

/// Memory for `count` values of `T`, uninitialised, or nil when the size
/// overflows or the system has no memory to give. Release it with
/// `deallocateChecked(_:count:)` and the same count.
///
/// From malloc (`posix_memalign`, aligned to a cache line): freed memory is
/// reused by the next call, which a kernel called in a loop (a sort's scratch)
/// needs: fresh pages cost a fault each. Tables that grow large and should go
/// back to the system the moment they are freed use `allocateMapped`.
///
/// - Complexity: O(1).
public func allocateChecked<T>(_: T.Type, _ count: Int) -> UnsafeMutablePointer<T>? {
    guard count >= 0 else { return nil }
    let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    guard !overflow, size <= Int.max - 2 * hugePage else { return nil }
    var memory: UnsafeMutableRawPointer? = nil
    if posix_memalign(&memory, 64, max(size, 64)) != 0 || memory == nil {
        // Memory pressure: this thread's kept scratch goes first (if idle), then one more try.
        guard releaseKeptScratch(), posix_memalign(&memory, 64, max(size, 64)) == 0 else { return nil }
    }
    guard let memory else { return nil }
    return memory.bindMemory(to: T.self, capacity: count)
}

/// Gives back memory from `allocateChecked` (nil is ignored).
public func deallocateChecked<T>(_ memory: UnsafeMutablePointer<T>?, count: Int) {
    free(memory)
}

/// Memory for `count` values of `T` like `allocateChecked`, but arrays of 2 MiB
/// and more are mapped directly and advised onto huge pages (fewer TLB misses for
/// random probes into large tables); unmapping returns them to the system at once
/// and leaves glibc's malloc alone (freeing a large malloc block raises its mmap
/// threshold, after which the interpreter's own large blocks, such as a growing
/// dict's tables, would stay in the heap when freed). Mapped memory reads as zero.
/// Release it with `deallocateMapped(_:count:)` and the same count.
/// - Parameter hugePages: false for memory of which only a little is touched, here and
///   there (a huge page is zeroed whole at its first touch: 2 MiB for a few bytes).
func allocateMapped<T>(_: T.Type, _ count: Int, hugePages: Bool = true) -> UnsafeMutablePointer<T>? {
    guard count >= 0 else { return nil }
    let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    guard !overflow, size <= Int.max - 2 * hugePage else { return nil }
    if size < hugePage { return allocateChecked(T.self, count) }
    // Map one huge page more than needed, then unmap the ends so that the start is aligned.
    let length = mappedLength(size)
    #if os(Linux)
    let flags = MAP_PRIVATE | MAP_ANONYMOUS
    #else
    let flags = MAP_PRIVATE | MAP_ANON
    #endif
    guard let raw = mmap(nil, length + hugePage, PROT_READ | PROT_WRITE, flags, -1, 0),
          raw != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
    let start = Int(bitPattern: raw), aligned = (start + hugePage - 1) & ~(hugePage - 1)
    if aligned > start { munmap(raw, aligned - start) }
    let tail = start + length + hugePage - (aligned + length)
    if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + length), tail) }
    guard let memory = UnsafeMutableRawPointer(bitPattern: aligned) else { return nil }
    #if os(Linux)
    if hugePages { _ = madvise(memory, length, Int32(MADV_HUGEPAGE)) }
    #endif
    return memory.bindMemory(to: T.self, capacity: count)
}

/// `count` values of `T` in mapped memory, each set to `value` (nothing to write
/// for a zero bit pattern in mapped memory: it reads as zero already).
func allocateMapped<T>(_: T.Type, _ count: Int, zeroed: Bool) -> UnsafeMutablePointer<T>? {
    guard let memory = allocateMapped(T.self, count) else { return nil }
    if count * MemoryLayout<T>.stride < hugePage && zeroed {
        UnsafeMutableRawPointer(memory).initializeMemory(as: UInt8.self, repeating: 0,
                                                         count: count * MemoryLayout<T>.stride)
    }
    return memory
}

/// Gives back memory from `allocateMapped`, with the same count (nil is ignored).
func deallocateMapped<T>(_ memory: UnsafeMutablePointer<T>?, count: Int) {
    guard let memory else { return }
    let size = count * MemoryLayout<T>.stride
    if size < hugePage {
        free(memory)
    } else {
        munmap(memory, mappedLength(size))
    }
}

/// `count` values of `T`, each set to `value`, or nil without the memory.
public func allocateChecked<T>(_: T.Type, _ count: Int, repeating value: T) -> UnsafeMutablePointer<T>? {
    let memory = allocateChecked(T.self, count)
    memory?.initialize(repeating: value, count: count)
    return memory
}

/// A mapped array's length: whole huge pages.
func mappedLength(_ size: Int) -> Int { (size + hugePage - 1) & ~(hugePage - 1) }

/// Gives the pages of `bytes` bytes at `start` back to the system (they read as
/// zero afterwards; for mapped memory). Only whole pages inside the range are given back.
func releasePages(_ start: UnsafeMutableRawPointer, _ bytes: Int) {
    #if os(Linux)
    let page = 4096
    let first = (Int(bitPattern: start) + page - 1) & ~(page - 1)
    let end = (Int(bitPattern: start) + bytes) & ~(page - 1)
    guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
    _ = madvise(address, end - first, Int32(MADV_DONTNEED))
    #endif
}

/// A block of `count` values of `T` owned by the value: freed when it goes
/// away, on every path. `nil` from `init` when there is no memory.
public struct CheckedBuffer<T>: ~Copyable {
    public let base: UnsafeMutablePointer<T>
    public let count: Int

    public init?(_: T.Type = T.self, count: Int) {
        guard let base = allocateChecked(T.self, max(count, 1)) else { return nil }
        self.base = base
        self.count = max(count, 1)
    }

    public init?(_: T.Type = T.self, count: Int, repeating value: T) {
        self.init(T.self, count: count)
        base.initialize(repeating: value, count: self.count)
    }

    deinit { deallocateChecked(base, count: count) }

    public subscript(_ index: Int) -> T {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }
}

/// The machine's physical memory in bytes (a bound on what a kernel may try to allocate).
func physicalMemoryBytes() -> UInt64 {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, pageSize > 0 else { return UInt64.max }
    return UInt64(pages).multipliedReportingOverflow(by: UInt64(pageSize)).partialValue
}

/// Scratch memory of small kernel calls, kept by each thread between calls: a
/// small product's packing buffers cost more to get from malloc (and to give
/// back) than to fill. Capped at `threadScratchBytes`; larger requests, and a
/// call that finds the thread's block in use (a kernel running inside another's
/// signal handler), allocate as usual. The block is freed when its thread ends.
let threadScratchBytes = 128 << 10

/// The thread's block: a 64-byte header (its first byte: in use) then the scratch.
private let threadScratchKey: pthread_key_t? = {
    var key = pthread_key_t()
    guard pthread_key_create(&key, { free($0) }) == 0 else { return nil }
    return key
}()

/// This thread's kept block (`threadScratchBytes` after a 64-byte header), marked in
/// use; nil when the thread has none and none can be had, or it is in use already.
private func takeThreadBlock() -> UnsafeMutableRawPointer? {
    guard let key = threadScratchKey else { return nil }
    var block = pthread_getspecific(key)
    if block == nil, let fresh = allocateChecked(UInt8.self, 64 + threadScratchBytes) {
        fresh.pointee = 0
        if pthread_setspecific(key, fresh) == 0 { block = UnsafeMutableRawPointer(fresh) } else { free(fresh) }
    }
    guard let block, block.load(as: UInt8.self) == 0 else { return nil }
    block.storeBytes(of: 1, as: UInt8.self)
    return block
}

/// Runs `body` with `count` uninitialised values of `T` (64-byte aligned), from
/// this thread's kept block when they fit, else from `allocateChecked`.
/// - Throws: `.outOfMemory` when no memory can be had, or what `body` throws.
/// - Complexity: O(1) besides `body`.
func withScratch<T, R>(_: T.Type, count: Int,
                       _ body: (UnsafeMutablePointer<T>) throws(KernelError) -> R) throws(KernelError) -> R {
    let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    if !overflow, bytes <= threadScratchBytes, MemoryLayout<T>.alignment <= 64, let block = takeThreadBlock() {
        defer { block.storeBytes(of: 0, as: UInt8.self) }
        return try body((block + 64).bindMemory(to: T.self, capacity: max(count, 1)))
    }
    guard let scratch = CheckedBuffer(T.self, count: count) else { throw .outOfMemory }
    return try body(scratch.base)
}

/// Temporary memory that never traps: `count` uninitialised values of `T` on the stack
/// up to 1 KiB (where `withUnsafeTemporaryAllocation` never allocates), from this
/// thread's kept block up to `threadScratchBytes`, else from `allocateChecked`; nil,
/// without calling `body`, when none can be had. (`withUnsafeTemporaryAllocation`
/// falls back to a heap allocation that traps when malloc fails, as it does under a
/// memory limit; on the main thread it may even fall back because finding the stack's
/// bounds reads /proc, which needs memory too.)
@inline(__always)
public func withTemporaryMemory<T, R: ~Copyable, E: Error>(of _: T.Type, capacity count: Int,
                                               _ body: (UnsafeMutablePointer<T>) throws(E) -> R) throws(E) -> R? {
    let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
    if !overflow, bytes <= 1024, MemoryLayout<T>.alignment <= 16 {
        return try withUnsafeTemporaryAllocation(of: T.self, capacity: max(count, 1)) { (memory) throws(E) -> R? in
            try body(memory.baseAddress!)
        }
    }
    if !overflow, bytes <= threadScratchBytes, MemoryLayout<T>.alignment <= 64, let block = takeThreadBlock() {
        defer { block.storeBytes(of: 0, as: UInt8.self) }
        return try body((block + 64).bindMemory(to: T.self, capacity: max(count, 1)))
    }
    guard let memory = allocateChecked(T.self, max(count, 1)) else { return nil }
    defer { deallocateChecked(memory, count: max(count, 1)) }
    return try body(memory)
}

/// Scratch of larger calls (a list sort's keyed items and packed keys), kept by each thread
/// between calls, up to `keptScratchLimit` bytes. A freed block at the top of glibc's heap
/// goes back to the system (the heap is trimmed), and the same block asked for again by the
/// next call then costs a page fault per 4 KiB page, zeroed by the kernel: a fifth of the
/// time of sorting a list of 10,000 floats, called in a loop. A thread's block grows to the
/// largest request it has served (in powers of two, within the limit); it is freed when the
/// thread ends, and when an allocation of this thread fails (`allocateChecked` then retries).
/// This limit is for scratch that is touched throughout (a list sort's items): what the
/// block keeps resident between calls stays within it.
public let keptScratchLimit = 4 << 20

/// The larger limit of scratch of which only a little is touched (a short text's word
/// count, sized for a text of distinct one-letter words: about 24 MiB for a text just under
/// 1 MiB, of which about 1.3 bytes per byte of text plus 50 per distinct word are touched).
/// Only the pages a call touches become resident, and the block keeps them between calls:
/// mapped afresh, they cost a page fault each, zeroed by the kernel, on every call (counts
/// of 200 KB to 1 MB of English prose took 1.19-1.31x the time).
let sparseKeptScratchLimit = 32 << 20

/// The thread's kept block: a 64-byte header (byte 0: in use; bytes 8..<16: the capacity
/// after the header) then the scratch.
private let keptScratchKey: pthread_key_t? = {
    var key = pthread_key_t()
    guard pthread_key_create(&key, { free($0) }) == 0 else { return nil }
    return key
}()

/// This thread's kept block with room for `bytes`, marked in use; nil when it is in use
/// already (a kernel inside another's signal handler), `bytes` is above `limit` or no block
/// that large can be had.
private func takeKeptBlock(_ bytes: Int, limit: Int) -> UnsafeMutableRawPointer? {
    guard bytes <= limit, let key = keptScratchKey else { return nil }
    if let block = pthread_getspecific(key) {
        guard block.load(as: UInt8.self) == 0 else { return nil }
        if block.load(fromByteOffset: 8, as: Int.self) >= bytes {
            block.storeBytes(of: 1, as: UInt8.self)
            return block
        }
        guard pthread_setspecific(key, nil) == 0 else { return nil }
        free(block)
    }
    var capacity = 64 << 10
    while capacity < bytes { capacity <<= 1 }
    capacity = min(capacity, limit)
    var memory: UnsafeMutableRawPointer? = nil
    guard posix_memalign(&memory, 64, 64 + capacity) == 0, let block = memory else { return nil }
    block.storeBytes(of: 1, as: UInt8.self)
    block.storeBytes(of: capacity, toByteOffset: 8, as: Int.self)
    guard pthread_setspecific(key, block) == 0 else {
        free(block)
        return nil
    }
    return block
}

/// Frees this thread's kept block if it is idle; true when it did.
func releaseKeptScratch() -> Bool {
    guard let key = keptScratchKey, let block = pthread_getspecific(key),
          block.load(as: UInt8.self) == 0, pthread_setspecific(key, nil) == 0 else { return false }
    free(block)
    return true
}

/// `bytes` bytes of uninitialised scratch (64-byte aligned) for the value's lifetime: this
/// thread's kept block when it is idle and the size within `limit` (`keptScratchLimit`, or
/// `sparseKeptScratchLimit` for memory of which only a little is touched), else from
/// `allocateMapped` (huge pages unless `hugePages` is false: a list of a million items faults
/// in 20 pages, not 10,000). Nil from `init` when there is no memory.
public struct KeptScratch: ~Copyable {
    public let base: UnsafeMutableRawPointer
    /// The kept block's header, when the memory is the thread's kept block.
    private let keptBlock: UnsafeMutableRawPointer?
    /// The size of memory not from the kept block.
    private var bytes = 0

    /// - Parameter hugePages: false for memory of which only a little may be touched
    ///   (see `allocateMapped`).
    /// - Parameter limit: the largest request the kept block serves (it grows to that size).
    public init?(bytes: Int, hugePages: Bool = true, limit: Int = keptScratchLimit) {
        guard bytes >= 0 else { return nil }
        if let block = takeKeptBlock(bytes, limit: limit) {
            keptBlock = block
            base = block + 64
            return
        }
        guard let memory = allocateMapped(UInt8.self, max(bytes, 1), hugePages: hugePages) else { return nil }
        keptBlock = nil
        base = UnsafeMutableRawPointer(memory)
        self.bytes = max(bytes, 1)
    }

    deinit {
        if let keptBlock {
            keptBlock.storeBytes(of: 0, as: UInt8.self)
        } else {
            deallocateMapped(base.assumingMemoryBound(to: UInt8.self), count: bytes)
        }
    }
}

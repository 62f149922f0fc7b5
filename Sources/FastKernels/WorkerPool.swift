#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPUFeatures
import Synchronization

// The kernels' worker threads: a small pool of pthreads of its own.
//
// Why not Dispatch's concurrentPerform: when a thread cannot be created
// (memory limits, a thread quota), libdispatch retries forever, and the call
// never returns and ignores Ctrl-C. This pool instead runs a job's tasks on
// however many threads it has: the calling thread always takes part, so a job
// finishes even with no worker thread at all. It survives `os.fork()` (the
// child starts with an empty pool), and a caller waiting for its job polls
// the job's cancellation check, so Ctrl-C is seen while other threads work.

/// How many threads the kernels use at most (and what `threads=None` means):
/// the `FASTKERNELS_NUM_THREADS` environment variable when it holds a positive
/// integer; otherwise the CPUs this process may run on (its affinity mask,
/// limited by a cgroup CPU quota when one is set). Read once, the first time a
/// kernel asks; a forked child reads it again.
///
/// A limit set at run time (`setThreadLimit`, which threadpoolctl's
/// `threadpool_limits` calls) lowers it further, for every kernel from then on.
public func availableCores() -> Int {
    let limit = WorkerPool.threadLimit.load(ordering: .relaxed)
    return limit > 0 ? min(limit, detectedCores()) : detectedCores()
}

/// Reads and keeps what the kernels otherwise read on first use: the CPUs this process
/// may use and the cache sizes. Reading them builds Swift strings and arrays, whose
/// allocations trap when memory is exhausted; so the module does it when it is imported.
public func readSystemFacts() {
    _ = detectedCores()
    _ = CacheSizes.current
}

/// `FASTKERNELS_NUM_THREADS`, or the CPUs this process may run on: read once.
func detectedCores() -> Int {
    let cached = WorkerPool.coreCount.load(ordering: .relaxed)
    if cached > 0 { return cached }
    let count = threadLimitFromEnvironment() ?? usableCPUCount()
    WorkerPool.coreCount.store(count, ordering: .relaxed)
    return count
}

/// Sets the most threads any kernel uses from now on (`limit` >= 1), or removes the
/// limit (`limit` <= 0). Kernels running at the time keep their workers. No job
/// ever has more threads working on it than the limit at its start.
public func setThreadLimit(_ limit: Int) {
    WorkerPool.threadLimit.store(max(limit, 0), ordering: .relaxed)
}

/// The number of workers a kernel asked for `threads` should use: at least 1,
/// at most `availableCores()` (more threads than cores only add overhead, and
/// per-worker memory).
public func effectiveWorkers(_ threads: Int) -> Int {
    max(1, min(threads, availableCores()))
}

/// The value of `FASTKERNELS_NUM_THREADS`, when it is a positive integer (at most 1024).
func threadLimitFromEnvironment() -> Int? {
    guard let text = environmentValue("FASTKERNELS_NUM_THREADS")?.trimmingWhitespace() else { return nil }
    guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(text), value >= 1 else {
        return nil
    }
    return min(value, 1024)
}

/// CPUs in this process's affinity mask, limited by a cgroup CPU quota.
func usableCPUCount() -> Int {
    var count = unquotedCPUCount()
    if let quota = cgroupCPUQuota() { count = min(count, quota) }
    return max(1, count)
}

/// CPUs in this process's affinity mask (the online CPUs when it cannot be read).
func unquotedCPUCount() -> Int {
    let count = Int(fk_affinity_cpu_count())
    return count > 0 ? count : onlineCPUCount()
}

/// The CPU quota of this process's cgroup (and its ancestors), rounded up to
/// whole CPUs; nil when there is none. cgroup v2 (`cpu.max`) and v1
/// (`cpu.cfs_quota_us` / `cpu.cfs_period_us`).
func cgroupCPUQuota() -> Int? {
    #if os(Linux)
    var quotas: [Int] = []
    func consider(quota: Int, period: Int) {
        guard quota > 0, period > 0 else { return }
        quotas.append(max(1, (quota + period - 1) / period))
    }
    let membership = readSmallFile("/proc/self/cgroup") ?? ""
    for line in membership.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { continue }
        let controllers = fields[1], path = String(fields[2])
        if controllers.isEmpty {  // v2: walk from the process's cgroup up to the root
            var directory = path
            while true {
                if let text = readSmallFile("/sys/fs/cgroup\(directory == "/" ? "" : directory)/cpu.max") {
                    let parts = text.trimmingWhitespace().split(separator: " ")
                    if parts.count == 2, let quota = Int(parts[0]), let period = Int(parts[1]) {
                        consider(quota: quota, period: period)
                    }
                }
                guard let slash = directory.lastIndex(of: "/"), directory != "/" else { break }
                directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
            }
        } else if controllers.split(separator: ",").contains("cpu") {  // v1
            for base in ["/sys/fs/cgroup/\(controllers)\(path)", "/sys/fs/cgroup/cpu\(path)", "/sys/fs/cgroup/cpu"] {
                if let quota = readSmallFile(base + "/cpu.cfs_quota_us").flatMap({ Int($0.trimmingWhitespace()) }),
                   let period = readSmallFile(base + "/cpu.cfs_period_us").flatMap({ Int($0.trimmingWhitespace()) }) {
                    consider(quota: quota, period: period)
                    break
                }
            }
        }
    }
    return quotas.min()
    #else
    return nil
    #endif
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

/// Runs `body(worker, workers)` for every `worker` in `0..<workers` and returns
/// when all have finished. The calls run at once on up to `availableCores()`
/// threads, the calling thread among them; with one worker, or when no thread
/// can be started, they simply run one after the other on the calling thread.
/// Callers must not rely on the calls running at the same time (no barriers
/// between workers), only on each running exactly once.
///
/// While it waits for other threads, the calling thread polls `isCancelled`
/// (every few milliseconds), so that a Ctrl-C is noticed; `body` should poll
/// it too and return early.
func runWorkers(_ workers: Int, isCancelled: () -> Bool = { false },
                _ body: (_ worker: Int, _ workers: Int) -> Void) {
    let workers = max(workers, 1)
    if workers == 1 {
        body(0, 1)
        return
    }
    withoutActuallyEscaping(body) { body in
        withoutActuallyEscaping(isCancelled) { isCancelled in
            WorkerPool.shared.run(tasks: workers, isCancelled: isCancelled) { task in body(task, workers) }
        }
    }
}

/// Runs `body` over `range` in slices of `length` elements (65,536 unless said),
/// polling `isCancelled` between slices; sets `stopped` (shared by the workers) and
/// returns early when it says so or another worker already stopped.
@inline(__always)
func forEachSlice(of range: Range<Int>, length: Int = 1 << 16, stopped: borrowing StopFlag,
                  _ isCancelled: () -> Bool, _ body: (Range<Int>) -> Void) {
    var start = range.lowerBound
    while start < range.upperBound {
        if stopped.shouldStop(isCancelled) { return }
        let end = min(start + max(length, 1), range.upperBound)
        body(start..<end)
        start = end
    }
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

/// A value worker closures may capture; the kernel vouches for its use.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A flag that one worker sets and the others read (a request to stop).
struct StopFlag: ~Copyable, @unchecked Sendable {
    private let storage = Atomic<Bool>(false)
    init() {}
    var isSet: Bool { storage.load(ordering: .relaxed) }
    func set() { storage.store(true, ordering: .relaxed) }

    /// Whether a worker should stop: another one already did, or `isCancelled` says so
    /// now (which then sets the flag for the others).
    @inline(__always)
    func shouldStop(_ isCancelled: () -> Bool) -> Bool {
        if isSet { return true }
        if isCancelled() {
            set()
            return true
        }
        return false
    }
}

/// One job of the pool: `taskCount` calls of `body`, handed out in order.
struct PoolJob {
    let body: (Int) -> Void
    let taskCount: Int
    /// Pool threads that may work on the job at once (the caller is one more).
    let maximumHelpers: Int
    var nextTask = 0
    var finishedTasks = 0
    /// Pool threads running one of its tasks now.
    var helpers = 0
    var next: UnsafeMutablePointer<PoolJob>? = nil
}

/// The process's worker threads. Threads are started on demand (at most
/// `availableCores() - 1`: the caller is the last worker), park on a condition
/// variable when idle, and live for the rest of the process.
final class WorkerPool: @unchecked Sendable {
    /// The pool (nil only when the memory for its mutex could not be had:
    /// jobs then run on the calling thread).
    static let shared = WorkerPool()
    /// `detectedCores()`, once known (0 before).
    static let coreCount = Atomic<Int>(0)
    /// The limit `setThreadLimit` set (0: none).
    static let threadLimit = Atomic<Int>(0)

    /// Stack size of a worker thread: the kernels' frames are small.
    static let stackBytes = 1 << 21
    /// How long a waiting caller sleeps between polls of its cancellation check.
    static let pollNanoseconds = 5_000_000
    /// How long a caller whose own tasks are done spins (yielding its CPU) for the pool
    /// threads to finish theirs before it sleeps, and a pool thread that ran out of tasks
    /// for a new job. A sleeping thread takes a few hundred microseconds to wake on a VM
    /// (an idle virtual CPU is descheduled by the host): a caller that slept each time its
    /// half was done first, and a worker that slept between two calls, made threads=2 slower
    /// than threads=1 for products of a few hundred microseconds.
    static let callerSpinNanoseconds = 2_000_000
    static let idleSpinNanoseconds = 300_000

    /// Counts jobs posted and jobs finished, so that a spinning thread sees them without the lock.
    let jobsPosted = Atomic<Int>(0)
    let jobsFinished = Atomic<Int>(0)

    let mutex: UnsafeMutablePointer<pthread_mutex_t>?
    let workAvailable: UnsafeMutablePointer<pthread_cond_t>?
    let jobFinished: UnsafeMutablePointer<pthread_cond_t>?
    var threadCount = 0
    var jobs: UnsafeMutablePointer<PoolJob>? = nil

    init() {
        mutex = allocateChecked(pthread_mutex_t.self, 1)
        workAvailable = allocateChecked(pthread_cond_t.self, 1)
        jobFinished = allocateChecked(pthread_cond_t.self, 1)
        initializeLocks()
        pthread_atfork(
            { WorkerPool.shared.prepareForFork() },
            { WorkerPool.shared.resumeAfterFork(inChild: false) },
            { WorkerPool.shared.resumeAfterFork(inChild: true) })
    }

    var isUsable: Bool { mutex != nil && workAvailable != nil && jobFinished != nil }

    func initializeLocks() {
        guard let mutex else { return }
        pthread_mutex_init(mutex, nil)
        initializeConditions()
    }

    /// The condition variables (fresh in a forked child: threads of the parent may have been
    /// waiting on them, and the child has none of those threads).
    func initializeConditions() {
        guard let workAvailable, let jobFinished else { return }
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(workAvailable, &attributes)
        pthread_cond_init(jobFinished, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    func lock() { pthread_mutex_lock(mutex!) }
    func unlock() { pthread_mutex_unlock(mutex!) }

    // MARK: fork

    /// Before fork: hold the lock so that the child gets the pool in a consistent state.
    func prepareForFork() {
        if isUsable { lock() }
    }

    /// After fork. The child has none of the parent's threads: it starts with an
    /// empty pool (fresh locks, no threads, no jobs) and reads the core count again.
    func resumeAfterFork(inChild: Bool) {
        guard isUsable else { return }
        if inChild {
            threadCount = 0
            jobs = nil
            WorkerPool.coreCount.store(0, ordering: .relaxed)
            initializeConditions()
        }
        unlock()  // taken by this thread before the fork, in parent and child alike
    }

    // MARK: running jobs

    /// Runs `body(task)` for every task in `0..<tasks`, on the calling thread and
    /// as many pool threads as are free, and returns when every call has returned.
    func run(tasks: Int, isCancelled: () -> Bool, _ body: (Int) -> Void) {
        let helpers = min(tasks, availableCores()) - 1
        guard isUsable, helpers > 0 else {
            for task in 0..<tasks { body(task) }
            return
        }
        withoutActuallyEscaping(body) { body in
            withUnsafeTemporaryAllocation(of: PoolJob.self, capacity: 1) { memory in
                let job = memory.baseAddress!
                job.initialize(to: PoolJob(body: body, taskCount: tasks, maximumHelpers: helpers))
                lock()
                enqueue(job)
                startThreads(upTo: helpers)
                jobsPosted.wrappingAdd(1, ordering: .relaxed)
                pthread_cond_broadcast(workAvailable!)
                // The caller works too, then waits for the tasks other threads took.
                while job.pointee.nextTask < tasks {
                    let task = job.pointee.nextTask
                    job.pointee.nextTask += 1
                    if job.pointee.nextTask == tasks { dequeue(job) }
                    unlock()
                    body(task)
                    lock()
                    job.pointee.finishedTasks += 1
                }
                if job.pointee.finishedTasks < tasks {
                    // Spin a little first: the other threads' last tasks are usually short.
                    let seen = jobsFinished.load(ordering: .relaxed)
                    unlock()
                    spin(for: WorkerPool.callerSpinNanoseconds) { jobsFinished.load(ordering: .relaxed) != seen }
                    lock()
                }
                while job.pointee.finishedTasks < tasks {
                    var deadline = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &deadline)
                    deadline.tv_nsec += WorkerPool.pollNanoseconds
                    if deadline.tv_nsec >= 1_000_000_000 {
                        deadline.tv_sec += 1
                        deadline.tv_nsec -= 1_000_000_000
                    }
                    if pthread_cond_timedwait(jobFinished!, mutex!, &deadline) == ETIMEDOUT {
                        unlock()
                        _ = isCancelled()  // tasks see the result through their own checks
                        lock()
                    }
                }
                unlock()
                job.deinitialize(count: 1)
            }
        }
    }

    /// Appends `job` to the list of jobs with tasks to hand out (lock held).
    func enqueue(_ job: UnsafeMutablePointer<PoolJob>) {
        guard var last = jobs else {
            jobs = job
            return
        }
        while let next = last.pointee.next { last = next }
        last.pointee.next = job
    }

    /// Removes `job` from the list once its last task has been handed out (lock held).
    func dequeue(_ job: UnsafeMutablePointer<PoolJob>) {
        if jobs == job {
            jobs = job.pointee.next
        } else {
            var previous = jobs
            while let current = previous, current.pointee.next != job { previous = current.pointee.next }
            previous?.pointee.next = job.pointee.next
        }
        job.pointee.next = nil
    }

    /// Starts threads until there are `wanted` (lock held). A thread that cannot be
    /// created (no memory for its stack, a thread limit) is simply not there: the
    /// job runs on fewer threads.
    func startThreads(upTo wanted: Int) {
        guard threadCount < wanted else { return }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, WorkerPool.stackBytes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        while threadCount < wanted {
            var thread = pthread_t()
            let created = pthread_create(&thread, &attributes, { _ in WorkerPool.shared.workerLoop() }, nil)
            guard created == 0 else { return }
            threadCount += 1
        }
    }

    /// A pool thread: takes tasks from the oldest job that has any, forever.
    func workerLoop() -> Never {
        blockSignals()
        lock()
        var spun = false
        while true {
            // The oldest job with a task to hand out and room for one more helper.
            var candidate = jobs
            while let job = candidate, job.pointee.helpers >= job.pointee.maximumHelpers { candidate = job.pointee.next }
            guard let job = candidate else {
                if spun {
                    pthread_cond_wait(workAvailable!, mutex!)
                    spun = false
                } else {
                    // Out of tasks: wait a little for the next job awake (a call right after
                    // this one), then sleep. A job posted meanwhile is found under the lock.
                    let seen = jobsPosted.load(ordering: .relaxed)
                    unlock()
                    spin(for: WorkerPool.idleSpinNanoseconds) { jobsPosted.load(ordering: .relaxed) != seen }
                    lock()
                    spun = true
                }
                continue
            }
            spun = false
            let task = job.pointee.nextTask
            job.pointee.nextTask += 1
            job.pointee.helpers += 1
            if job.pointee.nextTask == job.pointee.taskCount { dequeue(job) }
            let body = job.pointee.body
            unlock()
            body(task)
            lock()
            job.pointee.helpers -= 1
            job.pointee.finishedTasks += 1
            if job.pointee.finishedTasks == job.pointee.taskCount {
                jobsFinished.wrappingAdd(1, ordering: .relaxed)
                pthread_cond_broadcast(jobFinished!)
            }
        }
    }

    /// Yields the CPU in a loop until `done()` or `nanoseconds` have passed (lock not held).
    func spin(for nanoseconds: Int, until done: () -> Bool) {
        var start = timespec(), now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        while !done() {
            sched_yield()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if (now.tv_sec - start.tv_sec) * 1_000_000_000 + (now.tv_nsec - start.tv_nsec) >= nanoseconds { return }
        }
    }

    /// Pool threads never take signals: Python handles them on its main thread.
    func blockSignals() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
    }
}

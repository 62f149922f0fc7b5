import Synchronization
import XCTest
@testable import FastKernels

final class WorkerPoolTests: XCTestCase {
    func testEveryTaskRunsExactlyOnce() {
        for workers in [1, 2, 3, 17, 256] {
            let runs = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: workers)
            for i in 0..<workers { (runs + i).initialize(to: Atomic(0)) }
            defer { runs.deallocate() }
            runWorkers(workers) { worker, count in
                XCTAssertEqual(count, workers)
                runs[worker].wrappingAdd(1, ordering: .relaxed)
            }
            for i in 0..<workers { XCTAssertEqual(runs[i].load(ordering: .relaxed), 1) }
        }
    }

    func testJobsFromSeveralThreadsAtOnceAndNested() {
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50 {
                runWorkers(4) { _, _ in
                    runWorkers(3) { _, _ in total.wrappingAdd(1, ordering: .relaxed) }
                }
            }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 8 * 50 * 4 * 3)
    }

    func testTheWaitingCallerPollsForCancellation() {
        // Task 0 keeps the caller busy long enough for a pool thread to take task 1, which runs
        // longer: the caller then waits, polling. (Tasks never wait for the caller: it may run them all.)
        let polls = Atomic<Int>(0)
        runWorkers(2, isCancelled: {
            polls.wrappingAdd(1, ordering: .relaxed)
            return false
        }) { worker, _ in
            usleep(worker == 0 ? 50_000 : 300_000)
        }
        if availableCores() > 1 { XCTAssertGreaterThan(polls.load(ordering: .relaxed), 0) }
    }

    func testCoreCountAndCap() {
        XCTAssertGreaterThanOrEqual(availableCores(), 1)
        XCTAssertEqual(effectiveWorkers(0), 1)
        XCTAssertEqual(effectiveWorkers(1_000_000), availableCores())
        XCTAssertGreaterThanOrEqual(usableCPUCount(), 1)
    }

    func testCheckedAllocationFailsWithoutTrapping() {
        XCTAssertNil(allocateChecked(UInt64.self, Int.max / 4))
        XCTAssertNil(allocateChecked(UInt8.self, -1))
        XCTAssertNil(allocateChecked(UInt8.self, 1 << 62))  // more than any machine maps
        let memory = allocateChecked(UInt64.self, 1 << 20, repeating: 7)
        XCTAssertEqual(memory?[12345], 7)
        deallocateChecked(memory, count: 1 << 20)
    }

    func testThreadScratchIsReusedButNeverSharedByNestedCalls() throws {
        var first: UnsafeMutableRawPointer?
        try withScratch(Double.self, count: 1000) { outer throws(KernelError) in
            first = UnsafeMutableRawPointer(outer)
            XCTAssertEqual(Int(bitPattern: outer) % 64, 0)
            outer.initialize(repeating: 1.5, count: 1000)
            // A kernel called while this one holds the block (from a signal handler) gets other memory.
            try withScratch(Double.self, count: 1000) { inner throws(KernelError) in
                XCTAssertNotEqual(UnsafeMutableRawPointer(inner), first)
                inner.initialize(repeating: -1, count: 1000)
            }
            XCTAssertEqual(outer[999], 1.5)
        }
        // The next call on this thread gets the kept block again; another thread gets its own.
        try withScratch(Int32.self, count: 10) { again throws(KernelError) in
            XCTAssertEqual(UnsafeMutableRawPointer(again), first)
        }
        let other = Mutex<Int>(0)
        let thread = Thread {
            try? withScratch(Int32.self, count: 10) { memory throws(KernelError) in
                other.withLock { $0 = Int(bitPattern: memory) }
            }
        }
        thread.start()
        while other.withLock({ $0 }) == 0 { usleep(1000) }
        XCTAssertNotEqual(other.withLock { $0 }, Int(bitPattern: first))
        // Larger requests than the kept block are allocated (and freed) on their own.
        try withScratch(UInt8.self, count: threadScratchBytes + 1) { big throws(KernelError) in
            XCTAssertNotEqual(UnsafeMutableRawPointer(big), first)
            big[threadScratchBytes] = 1
        }
        XCTAssertThrowsError(try withScratch(UInt64.self, count: Int.max / 4) { _ throws(KernelError) in })
    }

    func testKeptScratchIsReusedGrowsAndIsGivenBackUnderPressure() throws {
        func address(_ scratch: borrowing KeptScratch) -> Int { Int(bitPattern: scratch.base) }
        var first = 0
        do {
            guard let outer = KeptScratch(bytes: 100_000) else { return XCTFail("memory") }
            first = address(outer)
            XCTAssertEqual(first % 64, 0)
            outer.base.initializeMemory(as: UInt8.self, repeating: 1, count: 100_000)
            // A call made while this one holds the block (a signal handler's) gets other memory.
            guard let inner = KeptScratch(bytes: 100_000) else { return XCTFail("memory") }
            XCTAssertNotEqual(address(inner), first)
            inner.base.initializeMemory(as: UInt8.self, repeating: 2, count: 100_000)
            XCTAssertEqual(outer.base.load(fromByteOffset: 99_999, as: UInt8.self), 1)
        }
        // The next call on this thread gets the kept block again (a smaller one too).
        do {
            guard let again = KeptScratch(bytes: 10) else { return XCTFail("memory") }
            XCTAssertEqual(address(again), first)
        }
        // A larger request within the limit replaces it with one that fits (all of it writable).
        do {
            guard let larger = KeptScratch(bytes: keptScratchLimit) else { return XCTFail("memory") }
            larger.base.initializeMemory(as: UInt8.self, repeating: 3, count: keptScratchLimit)
            first = address(larger)
        }
        do {
            guard let again = KeptScratch(bytes: 200_000) else { return XCTFail("memory") }
            XCTAssertEqual(address(again), first)
        }
        // Above the limit: memory of its own, every time.
        do {
            guard let huge = KeptScratch(bytes: keptScratchLimit + 1) else { return XCTFail("memory") }
            XCTAssertNotEqual(address(huge), first)
            huge.base.storeBytes(of: 4, toByteOffset: keptScratchLimit, as: UInt8.self)
        }
        // Sparse scratch (a short text's word count) may grow the block up to the larger limit;
        // scratch touched throughout still gets it only within the smaller one.
        do {
            guard let sparse = KeptScratch(bytes: sparseKeptScratchLimit, limit: sparseKeptScratchLimit) else {
                return XCTFail("memory")
            }
            sparse.base.storeBytes(of: 6, toByteOffset: sparseKeptScratchLimit - 1, as: UInt8.self)
            first = address(sparse)
        }
        do {
            guard let again = KeptScratch(bytes: keptScratchLimit + 1, limit: sparseKeptScratchLimit) else {
                return XCTFail("memory")
            }
            XCTAssertEqual(address(again), first)
        }
        do {
            guard let dense = KeptScratch(bytes: keptScratchLimit + 1) else { return XCTFail("memory") }
            XCTAssertNotEqual(address(dense), first)
            guard let above = KeptScratch(bytes: sparseKeptScratchLimit + 1, limit: sparseKeptScratchLimit) else {
                return XCTFail("memory")
            }
            XCTAssertNotEqual(address(above), first)
        }
        do {
            guard let small = KeptScratch(bytes: 100) else { return XCTFail("memory") }
            XCTAssertEqual(address(small), first)
        }
        func made(_ scratch: consuming KeptScratch?) -> Bool {
            switch consume scratch {
            case .some: true
            case .none: false
            }
        }
        XCTAssertFalse(made(KeptScratch(bytes: -1)))
        XCTAssertFalse(made(KeptScratch(bytes: Int.max / 2)))
        // Under memory pressure (an allocation failed) an idle kept block is freed; one in use is not.
        do {
            guard let held = KeptScratch(bytes: 1000) else { return XCTFail("memory") }
            XCTAssertEqual(address(held), first)
            XCTAssertFalse(releaseKeptScratch())
        }
        XCTAssertTrue(releaseKeptScratch())
        XCTAssertFalse(releaseKeptScratch())
        guard let fresh = KeptScratch(bytes: 1000) else { return XCTFail("memory") }
        fresh.base.storeBytes(of: 5, toByteOffset: 999, as: UInt8.self)
    }

    /// The limit threadpoolctl sets: no job has more threads working on it at once than the
    /// limit at its start (the pool's threads exist already: an unlimited job started them).
    func testARunTimeLimitCapsTheThreadsOfEveryJob() {
        defer { setThreadLimit(0) }
        let detected = detectedCores()
        runWorkers(detected) { _, _ in usleep(1_000) }  // start the pool's threads
        for limit in [1, 2] {
            setThreadLimit(limit)
            XCTAssertEqual(availableCores(), min(limit, detected))
            let running = Atomic<Int>(0), most = Atomic<Int>(0)
            let caller = pthread_self()
            let others = Atomic<Int>(0)
            WorkerPool.shared.run(tasks: 16, isCancelled: { false }) { _ in
                let now = running.wrappingAdd(1, ordering: .relaxed).newValue
                _ = most.max(now, ordering: .relaxed)
                if pthread_equal(pthread_self(), caller) == 0 { others.wrappingAdd(1, ordering: .relaxed) }
                usleep(2_000)
                running.wrappingSubtract(1, ordering: .relaxed)
            }
            XCTAssertLessThanOrEqual(most.load(ordering: .relaxed), min(limit, detected))
            if limit == 1 { XCTAssertEqual(others.load(ordering: .relaxed), 0) }
        }
        setThreadLimit(0)
        XCTAssertEqual(availableCores(), detected)
    }
}

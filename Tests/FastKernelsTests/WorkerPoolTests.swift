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
}

import KernelLoops

/// Python's `sum()` over a stream of ints and floats, with Python's rules
/// and Python 3.12's accuracy, in pure Swift: the kernel behind summing a
/// list or tuple.
///
/// - While only ints have been seen, the total is exact (128 bits, which no
///   count of 64-bit ints that fits in memory can overflow).
/// - The first float turns the total into a float as Python does
///   (`float(int_total) + x`, one rounding), and from then on every value
///   is added with compensation (ints as `float(value)`, as Python does).
public struct PythonSum: Sendable {
    public enum Result: Equatable, Sendable {
        case int(Int128)
        case float(Double)
    }

    var integerTotal: Int128 = 0
    var isFloat = false
    var lanes = CompensatedLanes()

    public init() {}

    /// Adds ints, in order. Fast in bulk: callers gather runs of ints and pass them together.
    public mutating func add(integers values: UnsafePointer<Int64>, count: Int) {
        guard count > 0 else { return }
        if isFloat {
            for i in 0..<count { lanes.addOne(Double(values[i])) }
        } else {
            integerTotal += exactSum64(values, count)
        }
    }

    /// Adds floats, in order. The first float of the stream turns an int total into a float as
    /// Python does: `float(total) + x`, one rounding.
    public mutating func add(floats values: UnsafePointer<Double>, count: Int) {
        guard count > 0 else { return }
        var values = values, count = count
        if !isFloat {
            isFloat = true
            lanes.addOne(Double(integerTotal) + values[0])
            values += 1
            count -= 1
        }
        lanes.add(values, count)
    }

    public var result: Result {
        isFloat ? .float(lanes.total.value) : .int(integerTotal)
    }
}

/// What a chunk of a sequence held, as reported by the caller's reader.
public enum NumberChunk: Sendable {
    /// Only ints: their values were written to the integer buffer.
    case integers
    /// Only floats: their values were written to the float buffer.
    case floats
    /// Ints and floats, or anything else: the parallel path gives up.
    case mixed
}

/// Items per parallel block of a sequence sum (a multiple of 16): blocks, not
/// threads, fix the order of float additions, so results do not depend on `threads`.
let sequenceBlockLength = 1 << 15
/// Items a reader fills at a time.
public let sequenceChunkLength = 2048

/// Python's sum() of a long sequence that holds only ints or only floats, its
/// items read by several threads at once (reading a list's objects is bound by
/// memory latency, which more cores hide).
///
/// - Parameters:
///   - count: the number of items.
///   - read: fills the buffers with items `range` (at most `sequenceChunkLength`)
///     and says what they were; called concurrently for disjoint ranges.
/// - Returns: the sum, or nil when some chunk was mixed or the chunks disagree
///   (the caller then sums sequentially with `PythonSum`).
public func sumOfHomogeneousSequence(
    count: Int, threads: Int,
    read: (Range<Int>, UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Double>) -> NumberChunk
) -> PythonSum.Result? {
    let blocks = (count + sequenceBlockLength - 1) / sequenceBlockLength
    guard blocks > 0 else { return .int(0) }
    // Per block: 0 unknown, 1 ints, 2 floats, 3 mixed; and its partial sum.
    let kinds = UnsafeMutablePointer<UInt8>.allocate(capacity: blocks)
    let integerPartials = UnsafeMutablePointer<Int128>.allocate(capacity: blocks)
    let floatPartials = UnsafeMutablePointer<CompensatedSum>.allocate(capacity: blocks)
    defer {
        kinds.deallocate()
        integerPartials.deallocate()
        floatPartials.deallocate()
    }
    let sharedKinds = SharedPointer(kinds), sharedIntegers = SharedPointer(integerPartials)
    let sharedFloats = SharedPointer(floatPartials)
    withoutActuallyEscaping(read) { read in
        runWorkers(min(threads, blocks)) { worker, workers in
            let integers = UnsafeMutablePointer<Int64>.allocate(capacity: sequenceChunkLength)
            let floats = UnsafeMutablePointer<Double>.allocate(capacity: sequenceChunkLength)
            defer {
                integers.deallocate()
                floats.deallocate()
            }
            var block = worker
            while block < blocks {
                let end = min((block + 1) * sequenceBlockLength, count)
                var start = block * sequenceBlockLength
                var kind: UInt8 = 0
                var integerTotal: Int128 = 0
                var lanes = CompensatedLanes()
                while start < end && kind != 3 {
                    let range = start..<min(start + sequenceChunkLength, end)
                    switch read(range, integers, floats) {
                    case .integers where kind != 2:
                        kind = 1
                        integerTotal += exactSum64(integers, range.count)
                    case .floats where kind != 1:
                        kind = 2
                        cpuHasAVX2 ? compensatedAddAVX2(&lanes, floats, range.count) : lanes.add(floats, range.count)
                    default:
                        kind = 3
                    }
                    start = range.upperBound
                }
                sharedKinds.pointer[block] = kind
                sharedIntegers.pointer[block] = integerTotal
                sharedFloats.pointer[block] = lanes.total
                block += workers
            }
        }
    }
    let kind = kinds[0]
    guard kind != 3, (0..<blocks).allSatisfy({ kinds[$0] == kind }) else { return nil }
    if kind == 1 { return .int((0..<blocks).reduce(Int128(0)) { $0 + integerPartials[$1] }) }
    var total = CompensatedSum()
    for block in 0..<blocks { total.add(floatPartials[block]) }
    return .float(total.value)
}

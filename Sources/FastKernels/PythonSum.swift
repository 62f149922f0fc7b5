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

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
    /// Four interleaved compensated lanes: element i goes to lane i % 4, which
    /// breaks the dependency chain of one running sum (about 3x faster).
    var lanes = (CompensatedSum(), CompensatedSum(), CompensatedSum(), CompensatedSum())
    var lane = 0

    public init() {}

    @inline(__always)
    public mutating func add(_ value: Int64) {
        if isFloat {
            addFloat(Double(value))
        } else {
            integerTotal += Int128(value)
        }
    }

    @inline(__always)
    public mutating func add(_ value: Double) {
        if !isFloat {
            // int + float: the int is rounded to a float once, then added.
            isFloat = true
            lanes.0 = CompensatedSum(sum: Double(integerTotal) + value)
            lane = 1
            return
        }
        addFloat(value)
    }

    @inline(__always)
    mutating func addFloat(_ value: Double) {
        switch lane {
        case 0: lanes.0.add(value)
        case 1: lanes.1.add(value)
        case 2: lanes.2.add(value)
        default: lanes.3.add(value)
        }
        lane = (lane + 1) & 3
    }

    public var result: Result {
        guard isFloat else { return .int(integerTotal) }
        var total = lanes.0
        total.add(lanes.1)
        total.add(lanes.2)
        total.add(lanes.3)
        return .float(total.value)
    }
}

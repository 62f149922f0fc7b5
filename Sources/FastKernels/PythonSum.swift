import KernelLoops

// Python's built-in sum() as CPython computes it (Python/bltinmodule.c,
// builtin_sum_impl), for ints and floats, in pure Swift: the kernel behind
// fastkernels.sum for lists, tuples, iterators and buffers. See docs/sum.md.
//
// CPython keeps the total in one of three loops, and the loop it is in decides
// how the next item is added:
// - the int loop: a C long (64 bits here); an item that is an exact int or a
//   bool and keeps the total in range is added exactly;
// - the float loop, entered when the int loop's total meets a float: floats
//   are added with `f += x` (3.9-3.11) or with Neumaier's compensation
//   (3.12+); ints that fit a C long are added as `(double)value`, plainly
//   (3.9-3.13) or compensated (3.14+);
// - the generic loop, `result = result + item`, entered for good when the int
//   loop overflows or meets something it does not take, or the float loop meets
//   something it does not take (3.12+ first adds the compensation back).
// The generic loop adds Python objects; for ints and floats its results are
// those of exact integer addition and of plain float addition (an int meeting
// a float is converted to the nearest double, ties to even).

/// Which CPython's float rules `PythonSum` follows.
public struct PythonSumRules: Sendable, Equatable {
    public enum Compensation: Sendable, Equatable {
        /// CPython 3.9-3.11: `f += x` for floats and for ints in the float loop.
        case none
        /// CPython 3.12-3.13: floats compensated (Neumaier); ints in the float loop added plainly.
        case floats
        /// CPython 3.14+: floats and ints in the float loop compensated.
        case floatsAndInts
    }

    public var compensation: Compensation
    /// When two NaNs meet in the float loop's addition, whether the item's (the newest) comes
    /// out, or the total's. Both operands being NaN, the hardware returns the first, and which
    /// one is first is the C compiler's choice when it built CPython (GCC's 3.11 and 3.12 builds
    /// differ): the kernel asks the running interpreter (see FastKernelsPython/Sum.swift).
    public var floatLoopKeepsNewestNaN: Bool
    /// The same for the generic loop's `float.__add__`.
    public var genericLoopKeepsNewestNaN: Bool

    public init(compensation: Compensation, floatLoopKeepsNewestNaN: Bool = true,
                genericLoopKeepsNewestNaN: Bool = true) {
        self.compensation = compensation
        self.floatLoopKeepsNewestNaN = floatLoopKeepsNewestNaN
        self.genericLoopKeepsNewestNaN = genericLoopKeepsNewestNaN
    }

    /// CPython 3.9-3.11.
    public static let plain = PythonSumRules(compensation: .none)
    /// CPython 3.12-3.13.
    public static let compensatedFloats = PythonSumRules(compensation: .floats)
    /// CPython 3.14+.
    public static let compensated = PythonSumRules(compensation: .floatsAndInts)
}

/// The running total of Python's sum() over ints and floats, in the loop
/// CPython would be in.
public struct PythonSum: Sendable {
    public enum Mode: Sendable, Equatable {
        /// The int loop: `integer` (a C long).
        case int
        /// The float loop: `float` and its compensation `compensation`.
        case float
        /// The generic loop with an int total, `wideInteger`.
        case genericInt
        /// The generic loop with a float total, `genericFloat`.
        case genericFloat
    }

    public enum Result: Equatable, Sendable {
        case int(Int128)
        case float(Double)
    }

    public private(set) var mode: Mode
    public let rules: PythonSumRules
    var integer: Int64 = 0
    var float: Double = 0
    var compensation: Double = 0
    var wideInteger: Int128 = 0
    var genericFloat: Double = 0

    /// A sum whose start is an int that fits 64 bits (the int loop).
    public init(start: Int64, rules: PythonSumRules) {
        mode = .int
        integer = start
        self.rules = rules
    }

    /// A sum whose start is a float (the float loop).
    public init(start: Double, rules: PythonSumRules) {
        mode = .float
        float = start
        self.rules = rules
    }

    /// A sum already in the generic loop with an int total (a start beyond 64 bits).
    public init(genericStart: Int128, rules: PythonSumRules) {
        mode = .genericInt
        wideInteger = genericStart
        self.rules = rules
    }

    /// The total, as CPython returns it at the end of the items.
    public var result: Result {
        switch mode {
        case .int: .int(Int128(integer))
        case .float: .float(finishedFloat)
        case .genericInt: .int(wideInteger)
        case .genericFloat: .float(genericFloat)
        }
    }

    /// The float loop's total with its compensation added back, as CPython
    /// does when it leaves the loop: only when the compensation is non-zero
    /// and finite (so an infinite or overflowed sum stays infinite, and -0.0 keeps its sign).
    var finishedFloat: Double {
        rules.compensation != .none && compensation != 0 && compensation.isFinite ? float + compensation : float
    }

    // MARK: one item

    /// Adds an exact int or a bool (as 0 or 1) that fits 64 bits.
    @inline(__always)
    public mutating func add(integer value: Int64) {
        switch mode {
        case .int:
            let (total, overflow) = integer.addingReportingOverflow(value)
            if _fastPath(!overflow) {
                integer = total
            } else {
                mode = .genericInt
                wideInteger = Int128(integer) + Int128(value)
            }
        case .float:
            if rules.compensation == .floatsAndInts { addCompensated(Double(value)) } else { float += Double(value) }
        case .genericInt:
            wideInteger += Int128(value)
        case .genericFloat:
            genericFloat += Double(value)
        }
    }

    /// Adds an int in `2^63 ..< 2^64` (from an unsigned 64-bit buffer): beyond a
    /// C long, so the int and float loops (before 3.14) hand it to the generic loop.
    public mutating func add(wideInteger value: UInt64) {
        switch mode {
        case .int:
            mode = .genericInt
            wideInteger = Int128(integer) + Int128(value)
        case .float:
            if rules.compensation == .floatsAndInts {
                addCompensated(Double(value))
            } else {
                mode = .genericFloat
                genericFloat = finishedFloat + Double(value)
            }
        case .genericInt:
            wideInteger += Int128(value)
        case .genericFloat:
            genericFloat += Double(value)
        }
    }

    /// Adds an int of any size already converted to the nearest double, as the
    /// float loop of CPython 3.14+ adds ints (compensated); in the other loops
    /// such an int is not added here.
    public mutating func add(convertedInteger value: Double) {
        addCompensated(value)
    }

    /// Adds an exact float.
    @inline(__always)
    public mutating func add(float value: Double) {
        switch mode {
        case .int:
            // int + float: the int converted to the nearest double, one rounding; then the float loop.
            mode = .float
            float = Double(integer) + value
            compensation = 0
        case .float:
            let before = float
            if rules.compensation == .none { float += value } else { addCompensated(value) }
            if value.isNaN { float = nanOfSum(before, value, newest: rules.floatLoopKeepsNewestNaN) }
        case .genericInt:
            mode = .genericFloat
            genericFloat = roundedToDouble(wideInteger) + value
        case .genericFloat:
            let before = genericFloat
            genericFloat += value
            if value.isNaN { genericFloat = nanOfSum(before, value, newest: rules.genericLoopKeepsNewestNaN) }
        }
    }

    /// One step of CPython's Neumaier summation (the branch on magnitudes as it is written there).
    @inline(__always)
    mutating func addCompensated(_ x: Double) {
        let t = float + x
        if abs(float) >= abs(x) {
            compensation += (float - t) + x
        } else {
            compensation += (x - t) + float
        }
        float = t
    }

    // MARK: many items

    /// Adds `count` ints (exact ints or bools that fit 64 bits), in order.
    public mutating func add(integers values: UnsafePointer<Int64>, count: Int) {
        var index = 0
        while index < count && mode == .int {
            add(integer: values[index])
            index += 1
        }
        guard index < count else { return }
        switch mode {
        case .genericInt:
            wideInteger += exactSum64(values + index, count - index)
        case .float where rules.compensation != .floatsAndInts:
            var total = float
            for i in index..<count { total += Double(values[i]) }
            float = total
        default:
            for i in index..<count { add(integer: values[i]) }
        }
    }

    /// Adds `count` floats, in order.
    public mutating func add(floats values: UnsafePointer<Double>, count: Int) {
        guard count > 0 else { return }
        var start = 0
        if mode == .int || mode == .genericInt {
            add(float: values[0])
            start = 1
        }
        let saved = self
        switch mode {
        case .float where rules.compensation == .none:
            float = plainSum(float, values + start, count - start)
        case .float:
            var (total, c) = (float, compensation)
            neumaierSum(&total, &c, values + start, count - start)
            (float, compensation) = (total, c)
        default:
            genericFloat = plainSum(genericFloat, values + start, count - start)
        }
        if (mode == .float ? float : genericFloat).isNaN {
            // Which NaN: the fast loops add as the compiler likes; again, one by one.
            self = saved
            for i in start..<count { add(float: values[i]) }
        }
    }
}

extension PythonSum {
    /// Adds `count` ints and floats, in order, in the float loop or the generic loop with
    /// a float total: `numbers[i]` is the value as a double (an int converted as CPython
    /// converts it: `(double)value`, nearest, ties to even), `integerFlags[i]` says it was an
    /// int (the float loop of 3.12-3.13 adds ints plainly, floats with compensation).
    public mutating func add(numbers: UnsafePointer<Double>, integerFlags: UnsafePointer<Bool>, count: Int) {
        guard count > 0 else { return }
        guard mode == .float || mode == .genericFloat else {
            for i in 0..<count { addOne(numbers[i], isInteger: integerFlags[i]) }
            return
        }
        let saved = self
        if mode == .genericFloat || rules.compensation == .none {
            if mode == .float { float = plainSum(float, numbers, count) } else { genericFloat = plainSum(genericFloat, numbers, count) }
        } else if rules.compensation == .floatsAndInts {
            var (total, c) = (float, compensation)
            neumaierSum(&total, &c, numbers, count)
            (float, compensation) = (total, c)
        } else {
            var f = float, c = compensation
            for i in 0..<count {
                let x = numbers[i]
                if integerFlags[i] {
                    f += x
                } else {
                    let t = f + x
                    let fIsLarger = abs(f) >= abs(x)
                    let large = fIsLarger ? f : x, small = fIsLarger ? x : f
                    c += (large - t) + small
                    f = t
                }
            }
            (float, compensation) = (f, c)
        }
        if (mode == .float ? float : genericFloat).isNaN {
            // Which NaN: again, one by one (see below).
            self = saved
            for i in 0..<count { addOne(numbers[i], isInteger: integerFlags[i]) }
        }
    }

    /// One value of `add(numbers:integerFlags:count:)`. An int's value is already its
    /// double, as the float loops use it; in the int loops (not reached from there) it is
    /// added as the float it became, which is not what CPython does: callers keep ints as
    /// ints until the total is a float.
    mutating func addOne(_ value: Double, isInteger: Bool) {
        guard isInteger else { return add(float: value) }
        switch mode {
        case .float:
            if rules.compensation == .floatsAndInts { addCompensated(value) } else { float += value }
        case .genericFloat:
            genericFloat += value
        case .int, .genericInt:
            add(float: value)
        }
    }
}

// Which NaN a sum gives. When both operands of an addition are NaN, the hardware returns the
// first, and a compiler may order the operands of `total + x` either way: CPython's builds do
// (GCC's builds of 3.9-3.11 return the item's NaN in the float loop, those of 3.12 and 3.13 the
// total's; float.__add__, the generic loop's, returns the item's). `PythonSumRules` says which,
// and `add(float:)` applies it. An addition of one NaN returns that NaN, quieted, whatever the
// order; inf - inf gives the machine's default NaN.

/// `value` with its quiet bit set (an addition quiets a signaling NaN).
@inline(__always)
func quieted(_ value: Double) -> Double {
    Double(bitPattern: value.bitPattern | (1 << 51))
}

/// The NaN `total + x` gives when `x` is a NaN: the newest (x) or, when the total is a NaN too
/// and `newest` is false, the total's.
@inline(__always)
func nanOfSum(_ total: Double, _ x: Double, newest: Bool) -> Double {
    quieted(total.isNaN && !newest ? total : x)
}



/// `total + values[0] + values[1] + ...`, left to right (one rounding per addition).
@inline(__always)
func plainSum(_ total: Double, _ values: UnsafePointer<Double>, _ count: Int) -> Double {
    var total = total
    for i in 0..<count { total += values[i] }
    return total
}

/// CPython 3.12's compensated loop over `values`.
@inline(__always)
func neumaierSum(_ total: inout Double, _ compensation: inout Double, _ values: UnsafePointer<Double>, _ count: Int) {
    var f = total, c = compensation
    for i in 0..<count {
        let x = values[i]
        let t = f + x
        // Branch-free form of `abs(f) >= abs(x) ? (f - t) + x : (x - t) + f`.
        let fIsLarger = abs(f) >= abs(x)
        let large = fIsLarger ? f : x, small = fIsLarger ? x : f
        c += (large - t) + small
        f = t
    }
    total = f
    compensation = c
}

/// The double nearest to `value` (ties to even), as CPython converts an int to a float.
public func roundedToDouble(_ value: Int128) -> Double {
    if let small = Int64(exactly: value) { return Double(small) }
    let negative = value < 0
    let magnitude = value.magnitude
    let bits = 128 - magnitude.leadingZeroBitCount
    let shift = bits - 53
    var top = UInt64(truncatingIfNeeded: magnitude >> UInt128(shift))
    let remainder = magnitude & ((1 << UInt128(shift)) - 1)
    let half = UInt128(1) << UInt128(shift - 1)
    if remainder > half || (remainder == half && top & 1 == 1) { top += 1 }
    let result = Double(sign: negative ? .minus : .plus, exponent: shift, significand: Double(top))
    return result
}

// MARK: - Long sequences of ints, in parallel

/// Items per parallel block of a sequence sum.
let sequenceBlockLength = 1 << 15
/// Items a reader fills at a time.
public let sequenceChunkLength = 2048

/// The exact sum of a long sequence when every item is an int that fits 64 bits
/// (then the order of additions cannot matter: Python's int loop and generic
/// loop are both exact), its items read by several threads at once (reading a
/// list's objects is bound by memory latency, which more cores hide).
///
/// - Parameters:
///   - count: the number of items.
///   - threads: workers to use; the result does not depend on it.
///   - read: fills the buffer with the values of items `range` (at most
///     `sequenceChunkLength`) and returns true, or returns false when one of
///     them is not such an int. Called concurrently for disjoint ranges.
/// - Returns: the exact sum, or nil when some item was not an int (the caller
///   then sums in order) or the memory for the workers' buffers could not be had.
/// - Complexity: O(count) time, split among the workers; O(workers x sequenceChunkLength)
///   memory.
public func exactSumOfIntegerSequence(
    count: Int, threads: Int, read: (Range<Int>, UnsafeMutablePointer<Int64>) -> Bool
) -> Int128? {
    let blocks = (count + sequenceBlockLength - 1) / sequenceBlockLength
    guard blocks > 0 else { return 0 }
    let workers = min(effectiveWorkers(threads), blocks)
    guard let partials = CheckedBuffer(Int128.self, count: workers, repeating: 0),
          let buffers = CheckedBuffer(Int64.self, count: workers * sequenceChunkLength) else { return nil }
    let sharedPartials = SharedPointer(partials.base), sharedBuffers = SharedPointer(buffers.base)
    let mixed = StopFlag()
    withoutActuallyEscaping(read) { read in
        runWorkers(workers) { worker, workers in
            let integers = sharedBuffers.pointer + worker * sequenceChunkLength
            var total: Int128 = 0
            var block = worker
            while block < blocks && !mixed.isSet {
                var start = block * sequenceBlockLength
                let end = min(start + sequenceBlockLength, count)
                while start < end {
                    let range = start..<min(start + sequenceChunkLength, end)
                    guard read(range, integers) else {
                        mixed.set()
                        return
                    }
                    total += exactSum64(integers, range.count)
                    start = range.upperBound
                }
                block += workers
            }
            sharedPartials.pointer[worker] = total
        }
    }
    if mixed.isSet { return nil }
    var total: Int128 = 0
    for worker in 0..<workers { total += partials[worker] }
    return total
}

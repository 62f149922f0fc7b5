import FastKernels
import PythonBridge

// sum()'s adapter between Python objects and the kernels: Python's sum() in
// progress (SumInProgress: CPython's int, float and generic loops, natively
// while the items allow it), over exact lists and tuples (gathered in bulk, or
// on several threads for long lists of ints) and over numeric buffers (a
// visitor of their element type).

/// The running interpreter's rules for floats in sum(): the compensation its version uses,
/// and which NaN its build returns when two meet (asked once, of the interpreter itself).
let pythonSumRules: PythonSumRules = {
    var rules = pythonVersionHex >= 0x030E_0000 ? PythonSumRules.compensated
        : pythonVersionHex >= 0x030C_0000 ? .compensatedFloats : .plain
    // What a C compiler made of `total + x` for two NaNs: builtins.sum([a, b]) adds them in the
    // float loop, a + b in float.__add__ (the generic loop's).
    let a = Double(bitPattern: 0x7FF8_0000_0000_0001), b = Double(bitPattern: 0xFFF8_0000_0000_0002)
    do throws(PythonException) {
        let items = try PyRef.list()
        let first = try PyRef.float(a), second = try PyRef.float(b)
        try items.append(first)
        try items.append(second)
        let loop = try PyRef.builtin("sum").call(items)
        let generic = try first.adding(second.pointer)
        rules.floatLoopKeepsNewestNaN = loop.isExactFloat && loop.floatValue.bitPattern == b.bitPattern
        rules.genericLoopKeepsNewestNaN = generic.isExactFloat && generic.floatValue.bitPattern == b.bitPattern
    } catch {
        clearPendingException()  // keep the defaults
    }
    return rules
}()

/// sum() refuses str, bytes and bytearray starts (subclasses too), with the built-in's messages.
func rejectStringLikeStart(_ start: PyObjectPointer?) throws(PythonException) {
    guard let start else { return }
    if isString(start) { throw .typeError("sum() can't sum strings [use ''.join(seq) instead]") }
    if isBytes(start) { throw .typeError("sum() can't sum bytes [use b''.join(seq) instead]") }
    if isByteArray(start) { throw .typeError("sum() can't sum bytearray [use b''.join(seq) instead]") }
}

/// Python's sum() in progress: natively in CPython's int, float or generic loop
/// while the items allow it, then as a Python object.
struct SumInProgress: ~Copyable {
    var native: PythonSum
    /// The generic loop's total, once an item needed Python's own `+`.
    var generic: PyRef?

    init(start: PyObjectPointer?) throws(PythonException) {
        generic = nil
        guard let start else {
            native = PythonSum(start: Int64(0), rules: pythonSumRules)
            return
        }
        native = PythonSum(start: Int64(0), rules: pythonSumRules)
        if isExactInt(start), case .int(let value) = scalarNumber(start) {
            native = PythonSum(start: value, rules: pythonSumRules)
        } else if case .float(let value) = scalarNumber(start) {
            native = PythonSum(start: value, rules: pythonSumRules)
        } else {
            generic = PyRef(borrowing: start)  // the generic loop from the start (returned as is when empty)
        }
    }

    var isNative: Bool { generic == nil }

    /// Adds `item` natively when CPython's current loop takes it without running
    /// Python code; false (nothing done) otherwise.
    @inline(__always)
    mutating func addNatively(_ item: PyObjectPointer) -> Bool {
        guard generic == nil else { return false }
        switch native.mode {
        case .int, .genericInt, .genericFloat:
            switch scalarNumber(item) {
            case .int(let value): native.add(integer: value)
            case .float(let value): native.add(float: value)
            case .other: return false
            }
        case .float:
            switch scalarNumber(item) {
            case .float(let value): native.add(float: value)
            case .int(let value): native.add(integer: value)
            case .other:
                // The float loop takes any int (subclasses too) that fits a C long, as an int.
                guard pythonSumRules != .compensated, let value = anyIntValue(item) else { return false }
                native.add(integer: value)
            }
        }
        return true
    }

    /// Adds `items[start...]` natively while they allow it, gathered and added in bulk
    /// (a sum in a register, not an item at a time): ints while the total is an int,
    /// ints and floats as doubles once it is a float (each int as CPython converts it);
    /// returns the index of the first item that needs Python (or the count).
    mutating func addNatively(_ items: UnsafeBufferPointer<PyObjectPointer?>, from start: Int) -> Int {
        guard generic == nil else { return start }
        // At most 128 items a chunk: the three buffers then always fit the stack (beyond 1 KiB,
        // withUnsafeTemporaryAllocation may take the heap, and traps when that fails).
        let chunk = min(128, max(items.count - start, 1))
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: chunk) { integerBuffer in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: chunk) { floatBuffer in
                withUnsafeTemporaryAllocation(of: Bool.self, capacity: chunk) { flagBuffer in
                    let integers = integerBuffer.baseAddress!, numbers = floatBuffer.baseAddress!
                    let isInteger = flagBuffer.baseAddress!
                    var index = start
                    while index < items.count {
                        if native.mode == .float || native.mode == .genericFloat {
                            // The total is a float: every int and float goes to the float loop, in order.
                            var n = 0
                            var stopped = false
                            while index < items.count && n < chunk {
                                switch scalarNumber(items[index]!) {
                                case .int(let value):
                                    numbers[n] = Double(value)
                                    isInteger[n] = true
                                case .float(let value):
                                    numbers[n] = value
                                    isInteger[n] = false
                                case .other:
                                    stopped = true
                                }
                                if stopped { break }
                                n += 1
                                index += 1
                            }
                            native.add(numbers: numbers, integerFlags: isInteger, count: n)
                            if stopped {
                                guard addNatively(items[index]!) else { return index }  // an int subclass...
                                index += 1
                            }
                        } else {
                            // The total is an int: ints in bulk until a float (which makes it a float) or other.
                            var n = 0
                            var next: ScalarNumber = .other
                            while index < items.count && n < chunk {
                                next = scalarNumber(items[index]!)
                                guard case .int(let value) = next else { break }
                                integers[n] = value
                                n += 1
                                index += 1
                            }
                            native.add(integers: integers, count: n)
                            guard index < items.count, n < chunk else { continue }
                            switch next {
                            case .float(let value): native.add(float: value)
                            default: return index
                            }
                            index += 1
                        }
                    }
                    return index
                }
            }
        }
    }

    /// Adds an item this code made (kept alive during the call).
    mutating func add(_ item: borrowing PyRef) throws(PythonException) {
        try add(item.pointer)
    }

    /// Adds any item: natively when possible, otherwise as CPython does at this
    /// point (`total + item` in Python, which may run Python code).
    mutating func add(_ item: PyObjectPointer) throws(PythonException) {
        if addNatively(item) { return }
        if let total = generic.take() {
            generic = try total.adding(item)
            return
        }
        switch native.mode {
        case .float where pythonSumRules == .compensated && isAnyInt(item):
            native.add(convertedInteger: try convertToDouble(item))  // 3.14+: any int, as float(item)
        case .int:
            // The int loop ends; if `total + item` is a float, the float loop starts from it.
            let total = try pythonNumber(native.result).adding(item)
            if total.isExactFloat {
                native = PythonSum(start: total.floatValue, rules: pythonSumRules)
            } else {
                generic = consume total
            }
        default:
            generic = try pythonNumber(native.result).adding(item)
        }
    }

    consuming func finish() throws(PythonException) -> PyRef {
        if let total = generic.take() { return total }
        return try pythonNumber(native.result)
    }
}

/// The Python int or float a native sum's total is.
func pythonNumber(_ result: PythonSum.Result) throws(PythonException) -> PyRef {
    switch result {
    case .int(let value): try .int(value)
    case .float(let value): try .float(value)
    }
}

/// Lists from this long whose items are all ints are summed by several threads
/// (this thread holds the GIL, so no Python code can change the list meanwhile).
let parallelSequenceSumThreshold = 1 << 17

/// sum() of an exact list or tuple.
func sumOfSequence(_ sequence: PyObjectPointer, items: UnsafeBufferPointer<PyObjectPointer?>,
                   start: PyObjectPointer?, threads: Int) throws(PythonException) -> PyRef {
    var sum = try SumInProgress(start: start)
    if items.count >= parallelSequenceSumThreshold, sum.isNative, sum.native.mode == .int,
       let total = exactSumOfIntegerSequence(count: items.count, threads: threads, read: { range, integers in
           for (offset, index) in range.enumerated() {
               guard case .int(let value) = scalarNumber(items[index]!) else { return false }
               integers[offset] = value
           }
           return true
       }) {
        guard case .int(let startValue) = sum.native.result else { return try sum.finish() }
        return try .int(startValue + total)
    }
    // In order. While every item is added natively no Python code runs and the
    // items stay where they are; after `+` in Python (or a signal handler) the
    // list may have changed: read it again, as a list iterator does.
    var index = 0
    var items = items
    while true {
        let end = min(items.count, index + 0x10000)
        index = sum.addNatively(UnsafeBufferPointer(rebasing: items[..<end]), from: index)
        if index < end {
            let item = PyRef(borrowing: items[index]!)  // needs Python's own `+`
            index += 1
            try sum.add(item)
        } else if index >= items.count {
            break
        } else {
            try checkSignals()
        }
        guard let current = exactSequenceItems(sequence) else { break }
        items = current
    }
    return try sum.finish()
}

/// The sum of a short sequence (at most 16 items) of exact ints (and bools) within 64 bits,
/// exactly (in 128 bits: sixteen 64-bit values cannot overflow them): what CPython's int
/// loop gives, without setting up the general one. Nil for anything else. (With a 64-bit
/// total, two ints over the whole int64 range overflowed half the time and took the general
/// path: 0.98x `sum()`.)
@inline(__always)
func smallIntegerSum(_ items: UnsafeBufferPointer<PyObjectPointer?>) -> Int128? {
    guard items.count <= 16 else { return nil }
    var total: Int128 = 0
    for item in items {
        guard case .int(let value) = scalarNumber(item!) else { return nil }
        total &+= Int128(value)
    }
    return total
}

/// sum() of a numeric buffer: `builtins.sum(memoryview(values).tolist(), start)`.
func sumOfBuffer(_ buffer: borrowing BufferView, start: PyObjectPointer?, threads: Int,
                 args: borrowing Arguments) throws(PythonException) -> PyRef {
    let sum = BufferSum(start: start, threads: threads, releasingGIL: buffer.count >= arrayGILThreshold)
    return try PyRef(owning: buffer.visitElements(with: sum, args: args))
}

/// sum() of a buffer's elements, by their kind (`SumElement`); a bool buffer's as
/// Python's bools, which add as 0 and 1. Returns the result released.
struct BufferSum: ElementVisitor {
    let start: PyObjectPointer?
    let threads: Int
    let releasingGIL: Bool

    func visit<Element: NumericElement>(_ elements: StridedBuffer<Element>,
                                        args: borrowing Arguments) throws(PythonException) -> PyObjectPointer {
        try Element.pythonSum(of: elements, start: start, threads: threads, releasingGIL: releasingGIL, args: args).release()
    }

    func visit(bools: StridedBuffer<UInt8>, args: borrowing Arguments) throws(PythonException) -> PyObjectPointer {
        try sumOfIntegers(bools, start: start, threads: threads, releasingGIL: releasingGIL, asBools: true, args: args).release()
    }
}

/// The elements sum() adds natively: integers as CPython's int loop adds them,
/// floats as its float loop does.
protocol SumElement: BufferScalar {
    /// `builtins.sum(memoryview(values).tolist(), start)` of a buffer of these elements.
    static func pythonSum(of values: StridedBuffer<Self>, start: PyObjectPointer?, threads: Int,
                          releasingGIL: Bool, args: borrowing Arguments) throws(PythonException) -> PyRef
}

extension SumElement where Self: FixedWidthInteger {
    static func pythonSum(of values: StridedBuffer<Self>, start: PyObjectPointer?, threads: Int,
                          releasingGIL: Bool, args: borrowing Arguments) throws(PythonException) -> PyRef {
        try sumOfIntegers(values, start: start, threads: threads, releasingGIL: releasingGIL, args: args)
    }
}

extension SumElement where Self: BinaryFloatingPoint {
    static func pythonSum(of values: StridedBuffer<Self>, start: PyObjectPointer?, threads: Int,
                          releasingGIL: Bool, args: borrowing Arguments) throws(PythonException) -> PyRef {
        try sumOfFloats(values, start: start, releasingGIL: releasingGIL, args: args)
    }
}

/// sum() of a buffer of integers: from an int start, in parallel (ints are exact in any
/// order); from a float start, in order, in CPython's float loop; from any other start,
/// item by item in its generic loop. With `asBools`, each element is a Python bool
/// (True when not zero), as a bool buffer's items are.
func sumOfIntegers<T: FixedWidthInteger & BufferScalar>(
    _ values: StridedBuffer<T>, start: PyObjectPointer?, threads: Int, releasingGIL: Bool, asBools: Bool = false,
    args: borrowing Arguments
) throws(PythonException) -> PyRef {
    var sum = try SumInProgress(start: start)
    guard sum.isNative else {
        for index in 0..<values.count {
            let value = values.load(index)
            let item: PyRef = asBools ? .bool(value != 0) : try .int(Int128(value))
            try sum.add(item)
            if index & 0xFFFF == 0xFFFF { try checkSignals() }
        }
        return try sum.finish()
    }
    if sum.native.mode == .int, case .int(let startValue) = sum.native.result {
        // Only ints: exact whatever the order, so in parallel.
        let total = try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) -> Int128 in
            if asBools {
                return Int128(try countNonZero(StridedBuffer<UInt8>(start: values.start, count: values.count,
                                                                    byteStride: values.byteStride),
                                               threads: threads, isCancelled: isCancelled))
            }
            return try exactSum(values, threads: threads, isCancelled: isCancelled)
        }
        return try .int(startValue + total)
    }
    var native = sum.native
    try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try addInOrder(values, to: &native, asBool: asBools, isCancelled: isCancelled)
    }
    return try pythonNumber(native.result)
}

/// sum() of a buffer of floats, in order: in CPython's float loop (from an int or a
/// float start), or item by item in its generic loop (from any other start).
func sumOfFloats<T: BinaryFloatingPoint & BufferScalar>(
    _ values: StridedBuffer<T>, start: PyObjectPointer?, releasingGIL: Bool, args: borrowing Arguments
) throws(PythonException) -> PyRef {
    var sum = try SumInProgress(start: start)
    guard sum.isNative else {
        for index in 0..<values.count {
            let item = try PyRef.float(Double(values.load(index)))
            try sum.add(item)
            if index & 0xFFFF == 0xFFFF { try checkSignals() }
        }
        return try sum.finish()
    }
    var native = sum.native
    try args.runKernel(releasingGIL: releasingGIL) { isCancelled throws(KernelError) in
        try addInOrder(values, to: &native, isCancelled: isCancelled)
    }
    return try pythonNumber(native.result)
}

import FastKernels
import PythonBridge

// matmul()'s adapter between Python objects and the kernels: numpy arrays and
// buffers seen as MatrixViews (one matrix of a stack, a row or a column
// vector), and lists of lists copied into matrices of their own.

/// The common case natively, before any Python runs: two numpy arrays of one native
/// dtype among float64, float32, int64, int32, both 2-D, or a 2-D and a 1-D one (matrix
/// times vector, vector times matrix), of matching core sizes, into a new array made by
/// numpy.empty, or two 1-D ones (their dot product, a numpy scalar). Nil for anything else.
func multiplyNumpyArrays(_ a: PyObjectPointer, _ b: PyObjectPointer,
                         args: borrowing Arguments) throws(PythonException) -> PyRef? {
    guard let left = try? ArrayBufferView(a, writable: false, describe: ""),
          let right = try? ArrayBufferView(b, writable: false, describe: "") else {
        clearPendingException()
        return nil
    }
    let native = switch left.element {
    case .float64, .float32, .int64, .int32: true
    default: false
    }
    guard (1...2).contains(left.dimensions), (1...2).contains(right.dimensions), left.element == right.element,
          left.hasSameFormat(as: right), left.nativeByteOrder, right.nativeByteOrder, native, left.length(left.dimensions - 1) == right.length(0),
          let empty = PythonMatmul.numpyEmpty() else { return nil }
    let threads = try args.threadCount(3)
    let leftShape: CoreShape = left.dimensions == 2 ? .matrix : .row
    let rightShape: CoreShape = right.dimensions == 2 ? .matrix : .column
    if left.dimensions == 1 && right.dimensions == 1 {
        // Two vectors: their dot product as the numpy scalar of their dtype (its type called
        // on the Python number, which holds the computed value exactly).
        var value: UInt64 = 0
        let element = MatrixElement(left.element)
        let aView = matrixView(left, start: left.start, shape: leftShape)
        let bView = matrixView(right, start: right.start, shape: rightShape)
        try withUnsafeMutableBytes(of: &value) { bytes throws(PythonException) in
            let cView = MatrixView(start: bytes.baseAddress!, rows: 1, columns: 1, rowStride: element.byteCount,
                                   columnStride: element.byteCount, element: element)
            try args.runKernel(releasingGIL: matmulReleasesGIL(m: 1, k: left.length(0), n: 1, element: element)) { isCancelled throws(KernelError) in
                try matmul(aView, bView, into: cView, threads: threads, isCancelled: isCancelled)
            }
        }
        let number: PyRef = switch element {
        case .float64: try .float(Double(bitPattern: value))
        case .float32: try .float(Double(Float(bitPattern: UInt32(truncatingIfNeeded: value))))
        case .int32: try .int(Int(Int32(truncatingIfNeeded: value)))
        default: try .int(Int(Int64(bitPattern: value)))
        }
        let scalarType = try PyRef(borrowing: a).attribute("dtype").attribute("type")
        return try scalarType.call(number)
    }
    let resultShape: CoreShape = left.dimensions == 1 ? .row : right.dimensions == 1 ? .column : .matrix
    let m = left.dimensions == 2 ? left.length(0) : 1, n = right.dimensions == 2 ? right.length(1) : 1
    let dtype = try PyRef(borrowing: a).attribute("dtype")
    let shape = try resultShape == .matrix ? PyRef.tuple(m, n) : PyRef.int(resultShape == .row ? n : m)
    let result = try empty.call([shape.pointer, dtype.pointer])
    guard let out = try ArrayBufferView(result.pointer, writable: true, describe: "matmul() result"),
          out.dimensions == resultShape.dimensions, out.element == left.element else {
        throw PythonException.runtimeError("matmul(): numpy.empty gave an unexpected array")
    }
    let aView = matrixView(left, start: left.start, shape: leftShape)
    let bView = matrixView(right, start: right.start, shape: rightShape)
    let cView = matrixView(out, start: out.start, shape: resultShape)
    try args.runKernel(releasingGIL: matmulReleasesGIL(m: m, k: right.length(0), n: n, element: aView.element)) { isCancelled throws(KernelError) in
        try matmul(aView, bView, into: cView, threads: threads, isCancelled: isCancelled)
    }
    _ = consume out
    _ = consume left
    _ = consume right
    return result
}

/// Multiply-adds (m n k) above which a product releases the GIL (below, the release and
/// re-take cost more than 5% of the call; see docs/matmul.md).
let matmulGILThreshold = 1 << 17

/// Whether an m x k by k x n product computed in `element` is long enough to release the
/// GIL: above `matmulGILThreshold` multiply-adds (2.5 µs of float64 work), float32 counting
/// half (its kernels do twice as many a cycle: 64 x 64 x 64 takes ~2 µs, to which the
/// ~0.2 µs release added a tenth).
func matmulReleasesGIL(m: Int, k: Int, n: Int, element: MatrixElement) -> Bool {
    let work = Double(m) * Double(k) * Double(n)
    return work * (element == .float32 ? 0.5 : 1) > Double(matmulGILThreshold)
}

extension Arguments {
    /// The argument at `index` seen through the buffer protocol, as an N-dimensional array.
    func arrayBuffer(_ index: Int, writable: Bool) throws(PythonException) -> ArrayBufferView {
        guard let view = try ArrayBufferView(try object(index), writable: writable,
                                             describe: "\(functionName)() argument '\(name(index))'") else {
            throw typeError(index, expected: "an object with the buffer protocol")
        }
        return view
    }
}

/// The dimensions of an operand that the product works on.
enum CoreShape {
    case matrix, row, column, scalar

    var dimensions: Int {
        switch self {
        case .matrix: 2
        case .row, .column: 1
        case .scalar: 0
        }
    }
}

/// The matrix of `view` selected by the index tuple in argument `index`, every
/// address checked to lie in the exported buffer.
func coreMatrix(of view: borrowing ArrayBufferView, argument: Int, index: Int, shape: CoreShape,
                args: borrowing Arguments) throws(PythonException) -> MatrixView {
    let indexObject = try args.object(index)
    guard let items = exactSequenceItems(indexObject) else {
        throw args.typeError(index, expected: "a tuple of ints")
    }
    let batchDimensions = view.dimensions - shape.dimensions
    guard batchDimensions >= 0, items.count == batchDimensions else {
        throw args.error(argument, .valueError, "has \(view.dimensions) dimensions; expected "
                         + "\(shape.dimensions + items.count) for this index")
    }
    var start = view.start
    for dimension in 0..<batchDimensions {
        guard let item = items[dimension], let position = anyIntValue(item),
              position >= 0, Int(position) < view.length(dimension) else {
            throw args.error(index, .indexError, "index \(dimension) is out of range")
        }
        start += Int(position) * view.stride(dimension)
    }
    return matrixView(view, start: start, shape: shape)
}

/// The matrix of `view`'s last `shape.dimensions` dimensions, starting at `start`
/// (the view's own start, or a matrix of its stack): a row or column vector, or a
/// single element, as a 1 x n, n x 1 or 1 x 1 matrix.
func matrixView(_ view: borrowing ArrayBufferView, start: UnsafeMutableRawPointer, shape: CoreShape) -> MatrixView {
    let last = view.dimensions - 1
    let rows: Int, columns: Int, rowStride: Int, columnStride: Int
    switch shape {
    case .matrix:
        (rows, columns, rowStride, columnStride) = (view.length(last - 1), view.length(last), view.stride(last - 1), view.stride(last))
    case .row:
        (rows, columns, rowStride, columnStride) = (1, view.length(last), 0, view.stride(last))
    case .column:
        (rows, columns, rowStride, columnStride) = (view.length(last), 1, view.stride(last), 0)
    case .scalar:
        (rows, columns, rowStride, columnStride) = (1, 1, 0, 0)
    }
    return MatrixView(start: start, rows: rows, columns: columns, rowStride: rowStride, columnStride: columnStride,
                      element: MatrixElement(view.element), byteSwapped: !view.nativeByteOrder)
}

extension MatrixElement {
    init(_ element: BufferElement) {
        switch element {
        case .int8: self = .int8
        case .uint8: self = .uint8
        case .int16: self = .int16
        case .uint16: self = .uint16
        case .int32: self = .int32
        case .uint32: self = .uint32
        case .int64: self = .int64
        case .uint64: self = .uint64
        case .float32: self = .float32
        case .float64: self = .float64
        case .bool: self = .bool
        }
    }
}

/// The product of two lists of lists (or flat lists, vectors) of exact floats, or of
/// ints whose sums stay within 64 bits, as a new list of lists (a list, or a number,
/// for vectors); nil for anything else.
func multiplyLists(_ a: PyObjectPointer, _ b: PyObjectPointer, threads: Int,
                   args: borrowing Arguments) throws(PythonException) -> PyRef? {
    guard let left = try ListMatrix(a, vectorIsColumn: false), let right = try ListMatrix(b, vectorIsColumn: true),
          left.columns == right.rows, left.isFloat == right.isFloat else { return nil }
    let m = left.rows, k = left.columns, n = right.columns
    if !left.isFloat {
        // Every partial sum stays below 2^62 in magnitude: 64-bit arithmetic is exact.
        guard left.largest * right.largest * Double(k) < 0x1p62 else { return nil }
    }
    let element: MatrixElement = left.isFloat ? .float64 : .int64
    guard let result = CheckedBuffer(UInt64.self, count: m * n) else {
        throw PythonException.memoryError(in: "matmul", "%s(): not enough memory for a %zd x %zd result", m, n)
    }
    let resultView = MatrixView(start: UnsafeMutableRawPointer(result.base), rows: m, columns: n,
                                rowStride: n * 8, columnStride: 8, element: element)
    try args.runKernel(releasingGIL: matmulReleasesGIL(m: m, k: k, n: n, element: element)) { isCancelled throws(KernelError) in
        try matmul(left.view, right.view, into: resultView, threads: threads, isCancelled: isCancelled)
    }
    let values = UnsafeRawPointer(result.base), isFloat = left.isFloat
    func item(_ index: Int) throws(PythonException) -> PyRef {
        isFloat ? try .float(values.load(fromByteOffset: index * 8, as: Double.self))
                : try .int(Int(values.load(fromByteOffset: index * 8, as: Int64.self)))
    }
    // A vector's dimension is dropped from the result, as numpy drops it.
    switch (left.isVector, right.isVector) {
    case (true, true): return try item(0)
    case (true, false): return try .list(count: n) { j throws(PythonException) in try item(j) }
    case (false, true): return try .list(count: m) { i throws(PythonException) in try item(i) }
    case (false, false):
        return try .list(count: m) { i throws(PythonException) in
            try .list(count: n) { j throws(PythonException) in try item(i * n + j) }
        }
    }
}

/// The numbers of a list of lists (or of a flat list, a vector), copied row-major
/// into memory of its own (read at once with the GIL held: a consistent snapshot).
struct ListMatrix: ~Copyable {
    let rows: Int
    let columns: Int
    /// A flat list: a row vector on the left of the product, a column vector on the right.
    let isVector: Bool
    let isFloat: Bool
    /// The largest magnitude (ints only).
    let largest: Double
    let values: CheckedBuffer<UInt64>

    var view: MatrixView {
        MatrixView(start: UnsafeMutableRawPointer(values.base), rows: rows, columns: columns,
                   rowStride: columns * 8, columnStride: 8, element: isFloat ? .float64 : .int64)
    }

    /// Nil unless `object` is a non-empty exact list of exact lists of equal length, or
    /// of numbers, whose numbers are all exact floats, or all ints (bools included)
    /// within 64 bits. A flat list is a 1 x k matrix, or k x 1 when `vectorIsColumn`.
    init?(_ object: PyObjectPointer, vectorIsColumn: Bool) throws(PythonException) {
        guard isExactList(object), let rowItems = exactSequenceItems(object), rowItems.count > 0,
              let firstItem = rowItems[0] else { return nil }
        let isVector = !isExactList(firstItem)
        let rows: Int, columns: Int
        if isVector {
            (rows, columns) = vectorIsColumn ? (rowItems.count, 1) : (1, rowItems.count)
        } else {
            guard let first = exactSequenceItems(firstItem), first.count > 0 else { return nil }
            (rows, columns) = (rowItems.count, first.count)
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, let values = CheckedBuffer(UInt64.self, count: count) else {
            if overflow { return nil }
            throw PythonException.memoryError(in: "matmul", "%s(): not enough memory to read a %zd x %zd list", rows, columns)
        }
        var sawFloat = false, sawInt = false
        var largest = 0.0
        let storage = values.base  // the closure below must not capture the non-copyable owner
        /// Stores number `item` at `index`; false for anything but an exact float or a 64-bit int,
        /// or when floats and ints mix.
        func store(_ item: PyObjectPointer, at index: Int) -> Bool {
            switch scalarNumber(item) {
            case .float(let value):
                sawFloat = true
                storage[index] = value.bitPattern
            case .int(let value):
                sawInt = true
                largest = max(largest, abs(Double(value)))
                storage[index] = UInt64(bitPattern: value)
            case .other:
                return false
            }
            return !(sawFloat && sawInt)
        }
        if isVector {
            for index in 0..<count {
                guard let item = rowItems[index], store(item, at: index) else { return nil }
            }
        } else {
            for i in 0..<rows {
                guard let row = rowItems[i], isExactList(row), let items = exactSequenceItems(row),
                      items.count == columns else { return nil }
                for j in 0..<columns {
                    guard let item = items[j], store(item, at: i * columns + j) else { return nil }
                }
            }
        }
        self.rows = rows
        self.columns = columns
        self.isVector = isVector
        self.isFloat = sawFloat
        self.largest = largest
        self.values = values
    }
}

/// The addresses from the lowest to the highest byte any element of `view` occupies.
func byteRange(of view: borrowing ArrayBufferView) -> Range<Int> {
    var span = ByteSpan()
    for dimension in 0..<view.dimensions { span.add(length: view.length(dimension), stride: view.stride(dimension)) }
    return span.range(start: view.start, itemSize: view.element.byteCount)
}

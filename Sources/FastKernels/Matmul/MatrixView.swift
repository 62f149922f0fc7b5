/// The element types a matrix operand or result may hold (numpy's bool is one byte, 0 or 1).
public enum MatrixElement: Sendable, Equatable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64, bool

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    public var isFloatingPoint: Bool { self == .float32 || self == .float64 }
}

/// A 2-D array somewhere in memory, read or written in place: element (i, j)
/// is at `start + i * rowStride + j * columnStride` (strides in bytes, any sign,
/// 0 for a broadcast dimension), possibly in the opposite byte order.
///
/// The caller vouches that every element address lies in memory it may touch
/// for as long as the kernel runs (the Python layer derives views from buffer
/// exports and checks their bounds).
public struct MatrixView: @unchecked Sendable {
    public var start: UnsafeMutableRawPointer
    public var rows: Int
    public var columns: Int
    public var rowStride: Int
    public var columnStride: Int
    public var element: MatrixElement
    public var byteSwapped: Bool

    public init(start: UnsafeMutableRawPointer, rows: Int, columns: Int, rowStride: Int, columnStride: Int,
                element: MatrixElement, byteSwapped: Bool = false) {
        self.start = start
        self.rows = rows
        self.columns = columns
        self.rowStride = rowStride
        self.columnStride = columnStride
        self.element = element
        self.byteSwapped = byteSwapped
    }

    /// A contiguous row-major matrix of `T`.
    public init<T: MatrixScalar>(_ pointer: UnsafeMutablePointer<T>, rows: Int, columns: Int) {
        self.init(start: UnsafeMutableRawPointer(pointer), rows: rows, columns: columns,
                  rowStride: columns * MemoryLayout<T>.stride, columnStride: MemoryLayout<T>.stride,
                  element: T.matrixElement)
    }

    /// True when the view has no elements.
    public var isEmpty: Bool { rows == 0 || columns == 0 }

    /// The bytes the view's elements occupy, lowest to highest address (empty for an empty view).
    public var byteRange: Range<Int> {
        var span = ByteSpan()
        span.add(length: rows, stride: rowStride)
        span.add(length: columns, stride: columnStride)
        return span.range(start: start, itemSize: element.byteCount)
    }

    /// True when the two views share a byte of memory.
    public func overlaps(_ other: MatrixView) -> Bool { byteRange.overlaps(other.byteRange) }

    @inline(__always)
    func address(_ row: Int, _ column: Int) -> UnsafeMutableRawPointer {
        start + row * rowStride + column * columnStride
    }

    @inline(__always)
    func load<S: MatrixScalar>(_ row: Int, _ column: Int, as _: S.Type) -> S {
        let address = address(row, column)
        return byteSwapped ? S.loadByteSwapped(from: address) : address.loadUnaligned(as: S.self)
    }
}

/// The addresses an array's elements reach, from its dimensions: each adds
/// (length - 1) * stride bytes below or above the first element's address.
public struct ByteSpan {
    var low = 0, high = 0, isEmpty = false

    public init() {}

    /// One dimension of the array (its stride in bytes, any sign).
    public mutating func add(length: Int, stride: Int) {
        guard length > 0 else {
            isEmpty = true
            return
        }
        let span = (length - 1) * stride
        low += min(0, span)
        high += max(0, span)
    }

    /// The bytes from the lowest to the highest element's last byte (empty when a dimension is 0).
    public func range(start: UnsafeRawPointer, itemSize: Int) -> Range<Int> {
        if isEmpty { return 0..<0 }
        let base = Int(bitPattern: start)
        return (base + low)..<(base + high + itemSize)
    }
}

/// An element type a matrix can hold, and its conversions into the types the
/// kernel computes in (numpy's casts: floats from integers are rounded; integers
/// keep their two's-complement bits, so wrapping arithmetic on them gives numpy's
/// wrapped results).
public protocol MatrixScalar: BufferScalar {
    static var matrixElement: MatrixElement { get }
    var matrixDouble: Double { get }
    var matrixFloat: Float { get }
    var matrixInt64: Int64 { get }
    /// The element for a computed value (integers: truncated to the type's width).
    static func fromMatrixDouble(_ value: Double) -> Self
    static func fromMatrixInt64(_ value: Int64) -> Self
}

extension MatrixScalar where Self: FixedWidthInteger {
    @inlinable public var matrixDouble: Double { Double(self) }
    @inlinable public var matrixFloat: Float { Float(self) }
    @inlinable public var matrixInt64: Int64 { Int64(truncatingIfNeeded: self) }
    @inlinable public static func fromMatrixInt64(_ value: Int64) -> Self { Self(truncatingIfNeeded: value) }
    /// Only for exact integers below 2^53 in magnitude (the exact floating-point path).
    @inlinable public static func fromMatrixDouble(_ value: Double) -> Self {
        Self(truncatingIfNeeded: abs(value) < 0x1p62 ? Int64(value) : 0)
    }
}

extension Int8: MatrixScalar { public static var matrixElement: MatrixElement { .int8 } }
extension UInt8: MatrixScalar { public static var matrixElement: MatrixElement { .uint8 } }
extension Int16: MatrixScalar { public static var matrixElement: MatrixElement { .int16 } }
extension UInt16: MatrixScalar { public static var matrixElement: MatrixElement { .uint16 } }
extension Int32: MatrixScalar { public static var matrixElement: MatrixElement { .int32 } }
extension UInt32: MatrixScalar { public static var matrixElement: MatrixElement { .uint32 } }
extension Int64: MatrixScalar { public static var matrixElement: MatrixElement { .int64 } }
extension UInt64: MatrixScalar { public static var matrixElement: MatrixElement { .uint64 } }

extension Double: MatrixScalar {
    public static var matrixElement: MatrixElement { .float64 }
    @inlinable public var matrixDouble: Double { self }
    @inlinable public var matrixFloat: Float { Float(self) }
    @inlinable public var matrixInt64: Int64 { abs(self) < 0x1p62 ? Int64(self) : 0 }
    @inlinable public static func fromMatrixDouble(_ value: Double) -> Self { value }
    @inlinable public static func fromMatrixInt64(_ value: Int64) -> Self { Double(value) }
}

extension Float: MatrixScalar {
    public static var matrixElement: MatrixElement { .float32 }
    @inlinable public var matrixDouble: Double { Double(self) }
    @inlinable public var matrixFloat: Float { self }
    @inlinable public var matrixInt64: Int64 { abs(self) < 0x1p62 ? Int64(self) : 0 }
    @inlinable public static func fromMatrixDouble(_ value: Double) -> Self { Float(value) }
    @inlinable public static func fromMatrixInt64(_ value: Int64) -> Self { Float(value) }
}

/// numpy's bool: one byte, read as 1 when nonzero.
public struct MatrixBool: MatrixScalar, Equatable {
    public var byte: UInt8
    public init(_ value: Bool) { byte = value ? 1 : 0 }
    public static var matrixElement: MatrixElement { .bool }
    public static func loadByteSwapped(from pointer: UnsafeRawPointer) -> Self { pointer.loadUnaligned(as: Self.self) }
    public static func storeByteSwapped(_ value: Self, to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value, as: Self.self)
    }
    public var matrixDouble: Double { byte != 0 ? 1 : 0 }
    public var matrixFloat: Float { byte != 0 ? 1 : 0 }
    public var matrixInt64: Int64 { byte != 0 ? 1 : 0 }
    public static func fromMatrixDouble(_ value: Double) -> Self { Self(value != 0) }
    public static func fromMatrixInt64(_ value: Int64) -> Self { Self(value != 0) }
}

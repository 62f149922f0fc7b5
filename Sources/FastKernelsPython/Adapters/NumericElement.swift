import FastKernels
import PythonBridge

// The element types of numeric buffers, written once: one protocol every
// element type conforms to (PyO3's `Element`), one line per type, and one
// switch from a buffer's element type to its Swift type. The kernels' adapters
// (sum, fsum, sort) are visitors: one generic function each.

/// The Swift type of a numeric buffer's elements. What each kernel needs of an
/// element comes from the protocols it refines: `FSumElement` (fsum),
/// `RadixSortable` (sort), `SumElement` (sum, SumAdapter.swift).
protocol NumericElement: FSumElement, RadixSortable, SumElement {}

extension Int8: NumericElement {}
extension UInt8: NumericElement {}
extension Int16: NumericElement {}
extension UInt16: NumericElement {}
extension Int32: NumericElement {}
extension UInt32: NumericElement {}
extension Int64: NumericElement {}
extension UInt64: NumericElement {}
extension Float: NumericElement {}
extension Double: NumericElement {}

/// What an adapter does with a buffer's elements once their Swift type is known.
protocol ElementVisitor {
    /// (Copyable: an associated type cannot be `~Copyable` yet, so a visitor that
    /// makes a Python object returns it released, a `PyObjectPointer`.)
    associatedtype Result

    /// Called with the elements of a buffer of numbers.
    func visit<Element: NumericElement>(_ elements: StridedBuffer<Element>,
                                        args: borrowing Arguments) throws(PythonException) -> Result

    /// Called with the elements of a bool buffer ('?'), one byte each, true when
    /// not zero. By default they are visited as the numbers 0 and 1 (`UInt8`).
    func visit(bools: StridedBuffer<UInt8>, args: borrowing Arguments) throws(PythonException) -> Result
}

extension ElementVisitor {
    func visit(bools: StridedBuffer<UInt8>, args: borrowing Arguments) throws(PythonException) -> Result {
        try visit(bools, args: args)
    }
}

extension BufferView {
    /// Calls `visitor` with this buffer's elements typed as their Swift type.
    @inline(__always)
    func visitElements<Visitor: ElementVisitor>(with visitor: Visitor,
                                                args: borrowing Arguments) throws(PythonException) -> Visitor.Result {
        switch element {
        case .int8: try visitor.visit(elements(as: Int8.self), args: args)
        case .uint8: try visitor.visit(elements(as: UInt8.self), args: args)
        case .int16: try visitor.visit(elements(as: Int16.self), args: args)
        case .uint16: try visitor.visit(elements(as: UInt16.self), args: args)
        case .int32: try visitor.visit(elements(as: Int32.self), args: args)
        case .uint32: try visitor.visit(elements(as: UInt32.self), args: args)
        case .int64: try visitor.visit(elements(as: Int64.self), args: args)
        case .uint64: try visitor.visit(elements(as: UInt64.self), args: args)
        case .float32: try visitor.visit(elements(as: Float.self), args: args)
        case .float64: try visitor.visit(elements(as: Double.self), args: args)
        case .bool: try visitor.visit(bools: elements(as: UInt8.self), args: args)
        }
    }

    /// The elements as `Element`, which must be the Swift type of `element`.
    @inline(__always)
    func elements<Element: BufferScalar>(as _: Element.Type) -> StridedBuffer<Element> {
        StridedBuffer(start: start, count: count, byteStride: byteStride, byteSwapped: !nativeByteOrder)
    }
}

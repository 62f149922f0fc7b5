@preconcurrency import CPython

/// The element type of a 1-D numeric buffer, from its struct-module format.
public enum BufferElement: Sendable, Equatable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64, bool

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

/// A view of a Python object's memory through the buffer protocol (numpy
/// arrays, array.array, memoryview, bytes, bytearray), checked to be a 1-D
/// array of numbers.
///
/// Holding the view keeps the exporter's memory alive and unmoved (a
/// bytearray cannot resize, a numpy array cannot be freed) until the view is
/// dropped, which releases it exactly once. Drop it with the GIL held: keep
/// the view in a scope around `withGILReleased`, not inside it.
public struct BufferView: ~Copyable {
    var view: Py_buffer
    /// The element type; `nativeByteOrder` says whether its bytes are in this machine's order.
    public let element: BufferElement
    public let nativeByteOrder: Bool
    /// Number of elements.
    public let count: Int
    /// Distance between elements in bytes (may be negative, e.g. numpy's a[::-1]).
    public let byteStride: Int
    public let isReadOnly: Bool
    /// The buffer's format string, as the exporter gave it (for messages).
    public let format: String

    /// Address of element 0.
    public var start: UnsafeMutableRawPointer { view.buf }
    /// True when the elements are adjacent in memory, in order.
    public var isContiguous: Bool { byteStride == element.byteCount }

    /// Gets a buffer view of `object`, or nil when it does not export one.
    /// `describe` names the argument in error messages ("sum() argument 'values'").
    /// - Throws: TypeError for readonly buffers when `writable`, for formats that
    ///   are not one plain number (complex, object, structs, half floats...);
    ///   ValueError for 0-d and multi-dimensional buffers.
    public init?(_ object: PyObjectPointer, writable: Bool, describe: String) throws(PythonException) {
        guard fk_buffer_check(object) != 0 else { return nil }
        var view = Py_buffer()
        // Ask for strides and format, never for writability: a readonly
        // exporter would refuse with BufferError; we say it more clearly below.
        guard PyObject_GetBuffer(object, &view, PyBUF_RECORDS_RO) == 0 else { throw .pending }
        let format = view.format.map { String(cString: $0) } ?? "B"
        let shape = (0..<Int(view.ndim)).map { view.shape[$0] }
        let release = { (view: inout Py_buffer) in PyBuffer_Release(&view) }
        guard view.ndim == 1 else {
            release(&view)
            if shape.isEmpty { throw .valueError("\(describe) is a 0-dimensional buffer; expected a 1-D array") }
            throw .valueError("\(describe) is a \(shape.count)-dimensional buffer (shape "
                + "(\(shape.map(String.init).joined(separator: ", ")))); expected a 1-D array")
        }
        guard let (element, native) = BufferView.parse(format: format, itemSize: view.itemsize) else {
            release(&view)
            throw .typeError("\(describe) has buffer format '\(format)', which is not a supported number type "
                + "(b B h H i I l L q Q n N f d ?)")
        }
        if writable && view.readonly != 0 {
            release(&view)
            throw .typeError("\(describe) is a read-only buffer; it cannot be sorted in place")
        }
        self.view = view
        self.element = element
        self.nativeByteOrder = native
        self.count = shape[0]
        self.byteStride = view.strides.map { $0[0] } ?? view.itemsize
        self.isReadOnly = view.readonly != 0
        self.format = format
    }

    deinit {
        var view = self.view  // a copy of the struct: the exporter keys on view.obj and view.internal
        PyBuffer_Release(&view)
    }

    /// Maps a struct-module format to an element type, using the exporter's
    /// item size for the width (so native 'l' is 8 bytes here, standard '<l' 4).
    static func parse(format: String, itemSize: Int) -> (BufferElement, nativeByteOrder: Bool)? {
        var characters = Array(format.utf8)
        var native = true
        if let first = characters.first, "@=<>!".utf8.contains(first) {
            #if _endian(little)
            native = first != UInt8(ascii: ">") && first != UInt8(ascii: "!")
            #else
            native = first != UInt8(ascii: "<")
            #endif
            characters.removeFirst()
        }
        guard characters.count == 1 else { return nil }
        let signed: [Int: BufferElement] = [1: .int8, 2: .int16, 4: .int32, 8: .int64]
        let unsigned: [Int: BufferElement] = [1: .uint8, 2: .uint16, 4: .uint32, 8: .uint64]
        let element: BufferElement?
        switch Character(Unicode.Scalar(characters[0])) {
        case "b", "h", "i", "l", "q", "n": element = signed[itemSize]
        case "B", "H", "I", "L", "Q", "N": element = unsigned[itemSize]
        case "f": element = itemSize == 4 ? .float32 : nil
        case "d": element = itemSize == 8 ? .float64 : nil
        case "?": element = itemSize == 1 ? .bool : nil
        default: element = nil
        }
        guard let element else { return nil }
        return (element, element.byteCount == 1 ? true : native)
    }
}

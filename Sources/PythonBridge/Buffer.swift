@preconcurrency import CPython

#if _endian(little)
let isLittleEndian = true
#else
let isLittleEndian = false
#endif

/// The element type of a numeric buffer, from its struct-module format.
public enum BufferElement: Sendable, Equatable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64, bool

    /// The size of one element.
    public var byteCount: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }
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
    /// True when the exporter says the memory must not be written.
    public let isReadOnly: Bool

    /// Address of element 0.
    public var start: UnsafeMutableRawPointer { view.buf }

    /// A view of `object` when it is a 1-D array of one of the supported number
    /// types; nil for anything else (no buffer, an export that fails, other
    /// shapes or formats), with no exception left pending: the caller then
    /// treats the object through Python's protocols instead. A read-only buffer
    /// is taken too (`isReadOnly`): the caller decides what it may not do with it.
    /// - Parameter object: any object, borrowed.
    public init?(numeric object: PyObjectPointer) {
        guard fk_buffer_check(object) != 0 else { return nil }
        var view = Py_buffer()
        // Ask for strides and format, never for writability: a read-only
        // exporter would refuse with BufferError; the caller says it more clearly.
        guard PyObject_GetBuffer(object, &view, PyBUF_RECORDS_RO) == 0 else {
            PyErr_Clear()
            return nil
        }
        guard view.ndim == 1, let (element, native) = BufferView.parse(format: view.format, itemSize: view.itemsize) else {
            PyBuffer_Release(&view)
            return nil
        }
        self.view = view
        self.element = element
        self.nativeByteOrder = native
        self.count = view.shape[0]
        self.byteStride = view.strides.map { $0[0] } ?? view.itemsize
        self.isReadOnly = view.readonly != 0
    }

    deinit {
        var view = self.view  // a copy of the struct: the exporter keys on view.obj and view.internal
        PyBuffer_Release(&view)
    }

    /// The TypeError for a buffer whose format is not one plain number (naming the
    /// format); releases the buffer.
    static func unsupportedFormat(releasing view: inout Py_buffer, describe: String) -> PythonException {
        let format = view.format.map { String(cString: $0) } ?? "B"
        PyBuffer_Release(&view)
        return .typeError("\(describe) has buffer format '\(format)', which is not a supported number type "
            + "(b B h H i I l L q Q n N f d ?)")
    }

    /// Maps a struct-module format (NULL means "B") to an element type, using the
    /// exporter's item size for the width (so native 'l' is 8 bytes here, standard '<l' 4).
    static func parse(format: UnsafeMutablePointer<CChar>?, itemSize: Int) -> (BufferElement, nativeByteOrder: Bool)? {
        guard var p = format.map({ UnsafePointer<CChar>($0) }) else { return itemSize == 1 ? (.uint8, true) : nil }
        var native = true
        switch UInt8(bitPattern: p.pointee) {
        case UInt8(ascii: "@"), UInt8(ascii: "="):
            p += 1
        case UInt8(ascii: "<"):
            native = isLittleEndian
            p += 1
        case UInt8(ascii: ">"), UInt8(ascii: "!"):
            native = !isLittleEndian
            p += 1
        default:
            break
        }
        guard p.pointee != 0, p[1] == 0 else { return nil }  // exactly one type character
        let element: BufferElement?
        switch UInt8(bitPattern: p.pointee) {
        case UInt8(ascii: "b"), UInt8(ascii: "h"), UInt8(ascii: "i"), UInt8(ascii: "l"), UInt8(ascii: "q"),
             UInt8(ascii: "n"):
            element = integerElement(itemSize, signed: true)
        case UInt8(ascii: "B"), UInt8(ascii: "H"), UInt8(ascii: "I"), UInt8(ascii: "L"), UInt8(ascii: "Q"),
             UInt8(ascii: "N"):
            element = integerElement(itemSize, signed: false)
        case UInt8(ascii: "f"): element = itemSize == 4 ? .float32 : nil
        case UInt8(ascii: "d"): element = itemSize == 8 ? .float64 : nil
        case UInt8(ascii: "?"): element = itemSize == 1 ? .bool : nil
        default: element = nil
        }
        guard let element else { return nil }
        return (element, element.byteCount == 1 ? true : native)
    }

    static func integerElement(_ itemSize: Int, signed: Bool) -> BufferElement? {
        switch itemSize {
        case 1: signed ? .int8 : .uint8
        case 2: signed ? .int16 : .uint16
        case 4: signed ? .int32 : .uint32
        case 8: signed ? .int64 : .uint64
        default: nil
        }
    }
}

/// A view of an N-dimensional array through the buffer protocol (numpy arrays
/// of any layout, memoryviews cast to a shape): its element type, shape and
/// strides. Released exactly once when dropped; drop it with the GIL held.
public struct ArrayBufferView: ~Copyable {
    var view: Py_buffer
    public let element: BufferElement
    public let nativeByteOrder: Bool
    public let isReadOnly: Bool

    /// The address of element (0, 0, ...).
    public var start: UnsafeMutableRawPointer { view.buf }
    public var dimensions: Int { Int(view.ndim) }

    /// The length of dimension `dimension` (outermost first).
    public func length(_ dimension: Int) -> Int { view.shape[dimension] }

    /// Whether both buffers spell their element format alike ("l" and "q" are both 64-bit
    /// ints, but numpy's int64 and longlong: its results keep the spelling).
    public func hasSameFormat(as other: borrowing ArrayBufferView) -> Bool {
        switch (view.format, other.view.format) {
        case (nil, nil): true
        case let (mine?, theirs?): strcmp(mine, theirs) == 0
        default: false
        }
    }

    /// The distance in bytes between neighbours along `dimension` (any sign).
    public func stride(_ dimension: Int) -> Int {
        if let strides = view.strides { return strides[dimension] }
        // C-contiguous: the exporter left the strides out.
        var step = view.itemsize
        for inner in (dimension + 1)..<dimensions { step *= max(view.shape[inner], 1) }
        return step
    }

    /// A view of `object`'s buffer, of any number of dimensions.
    /// - Parameters:
    ///   - object: any object, borrowed.
    ///   - writable: whether the caller will write to the memory.
    ///   - describe: names the argument in error messages ("f() argument 'a'").
    /// - Returns: the view; nil when `object` does not export a buffer.
    /// - Throws: TypeError for formats that are not one plain number (naming the
    ///   format) and for a read-only buffer when `writable`; `.pending` with what the
    ///   exporter raised.
    public init?(_ object: PyObjectPointer, writable: Bool,
                 describe: @autoclosure () -> String) throws(PythonException) {
        guard fk_buffer_check(object) != 0 else { return nil }
        var view = Py_buffer()
        guard PyObject_GetBuffer(object, &view, PyBUF_RECORDS_RO) == 0 else { throw .pending }
        guard let (element, native) = BufferView.parse(format: view.format, itemSize: view.itemsize) else {
            throw BufferView.unsupportedFormat(releasing: &view, describe: describe())
        }
        if writable && view.readonly != 0 {
            PyBuffer_Release(&view)
            throw .typeError("\(describe()) is a read-only buffer")
        }
        self.view = view
        self.element = element
        self.nativeByteOrder = native
        self.isReadOnly = view.readonly != 0
    }

    deinit {
        var view = self.view
        PyBuffer_Release(&view)
    }
}

/// The bytes of a bytes-like object (bytes, bytearray, memoryview, mmap, array...),
/// as one contiguous run, held (and released once) like `BufferView`.
public struct BytesView: ~Copyable {
    var view: Py_buffer

    /// A view of `object`'s bytes.
    /// - Parameter object: any object, borrowed.
    /// - Returns: the view; nil when the object does not export a buffer.
    /// - Throws: `.pending`: BufferError for a buffer that is not contiguous, what
    ///   the exporter raised.
    public init?(_ object: PyObjectPointer) throws(PythonException) {
        guard fk_buffer_check(object) != 0 else { return nil }
        var view = Py_buffer()
        guard PyObject_GetBuffer(object, &view, PyBUF_SIMPLE) == 0 else { throw .pending }
        self.view = view
    }

    deinit {
        var view = self.view
        PyBuffer_Release(&view)
    }

    /// The bytes, valid while the view lives.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: view.buf, count: view.len) }

    /// True when the exporter says its memory is read-only (bytes; a read-only
    /// memoryview or mmap, whose underlying memory may still change elsewhere).
    public var isReadOnly: Bool { view.readonly != 0 }
}

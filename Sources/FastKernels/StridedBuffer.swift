/// The element types a numeric buffer can hold, and how to read and write
/// one whose bytes are in the opposite byte order.
public protocol BufferScalar: Sendable {
    /// The value stored at `pointer` with its bytes reversed.
    static func loadByteSwapped(from pointer: UnsafeRawPointer) -> Self
    /// Stores `value` at `pointer` with its bytes reversed.
    static func storeByteSwapped(_ value: Self, to pointer: UnsafeMutableRawPointer)
}

extension BufferScalar where Self: FixedWidthInteger {
    @inlinable
    public static func loadByteSwapped(from pointer: UnsafeRawPointer) -> Self {
        pointer.loadUnaligned(as: Self.self).byteSwapped
    }
    @inlinable
    public static func storeByteSwapped(_ value: Self, to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.byteSwapped, as: Self.self)
    }
}

extension Int8: BufferScalar {}
extension UInt8: BufferScalar {}
extension Int16: BufferScalar {}
extension UInt16: BufferScalar {}
extension Int32: BufferScalar {}
extension UInt32: BufferScalar {}
extension Int64: BufferScalar {}
extension UInt64: BufferScalar {}
/// A float type stored as its bit pattern: byte-swapped as that integer.
public protocol BitPatternFloat {
    associatedtype BitPattern: FixedWidthInteger
    var bitPattern: BitPattern { get }
    init(bitPattern: BitPattern)
}

extension BufferScalar where Self: BitPatternFloat {
    @inlinable
    public static func loadByteSwapped(from pointer: UnsafeRawPointer) -> Self {
        Self(bitPattern: pointer.loadUnaligned(as: BitPattern.self).byteSwapped)
    }
    @inlinable
    public static func storeByteSwapped(_ value: Self, to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: value.bitPattern.byteSwapped, as: BitPattern.self)
    }
}

extension Float: BitPatternFloat, BufferScalar {}
extension Double: BitPatternFloat, BufferScalar {}

/// A 1-D array of `Element` somewhere in memory: `count` elements, `byteStride`
/// bytes apart (negative for a reversed view), possibly in the opposite byte
/// order. Contiguous native arrays are used in place; anything else is read
/// through `gather`, a chunk at a time, so no kernel copies the whole array.
public struct StridedBuffer<Element: BufferScalar>: @unchecked Sendable {
    public let start: UnsafeMutableRawPointer
    public let count: Int
    public let byteStride: Int
    public let byteSwapped: Bool

    public init(start: UnsafeMutableRawPointer, count: Int, byteStride: Int, byteSwapped: Bool = false) {
        self.start = start
        self.count = count
        self.byteStride = byteStride
        self.byteSwapped = byteSwapped
    }

    /// A contiguous, native-order buffer.
    public init(_ buffer: UnsafeBufferPointer<Element>) {
        self.init(start: UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafePointer(bitPattern: 8)!),
                  count: buffer.count, byteStride: MemoryLayout<Element>.stride)
    }

    /// True when the elements can be used in place.
    public var isContiguous: Bool { byteStride == MemoryLayout<Element>.stride && !byteSwapped }

    /// The elements as a typed pointer; only when `isContiguous`.
    @inline(__always)
    var elements: UnsafeMutablePointer<Element> { start.assumingMemoryBound(to: Element.self) }

    /// Element `index` (0 <= index < count), in native byte order.
    @inline(__always)
    public func load(_ index: Int) -> Element {
        let address = start + index * byteStride
        return byteSwapped ? Element.loadByteSwapped(from: address) : address.loadUnaligned(as: Element.self)
    }

    @inline(__always)
    func store(_ value: Element, at index: Int) {
        let address = start + index * byteStride
        if byteSwapped {
            Element.storeByteSwapped(value, to: address)
        } else {
            address.storeBytes(of: value, as: Element.self)
        }
    }

    /// Copies elements `range` into `destination`, in native order.
    func gather(_ range: Range<Int>, into destination: UnsafeMutablePointer<Element>) {
        if isContiguous {
            destination.update(from: elements + range.lowerBound, count: range.count)
            return
        }
        for (offset, index) in range.enumerated() { destination[offset] = load(index) }
    }

    /// Calls `body` with elements `range` as contiguous native memory: in place
    /// when possible, otherwise gathered `chunk` at a time into `scratch`
    /// (which holds at least `chunk` elements).
    @inline(__always)
    func withChunks(_ range: Range<Int>, chunk: Int, scratch: UnsafeMutablePointer<Element>,
                    _ body: (UnsafePointer<Element>, Int) -> Void) {
        if isContiguous {
            body(elements + range.lowerBound, range.count)
            return
        }
        var index = range.lowerBound
        while index < range.upperBound {
            let length = min(chunk, range.upperBound - index)
            gather(index..<(index + length), into: scratch)
            body(scratch, length)
            index += length
        }
    }
}

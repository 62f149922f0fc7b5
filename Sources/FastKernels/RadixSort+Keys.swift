// The keys of numeric types: unsigned integers whose order is the values' numeric
// order (NaN after everything). See docs/sort.md.

/// Maps a value to an unsigned key whose order is the value's numeric order
/// (the radix sort reads keys on the fly, so no inverse is needed).
public protocol RadixSortable: BufferScalar, RadixKeyed, AdditiveArithmetic {
    associatedtype Key: FixedWidthInteger & UnsignedInteger & RadixKeyed
    static func key(_ value: Self) -> Key
    /// True for NaN: sorted after everything else.
    static func isUnordered(_ value: Self) -> Bool
}

extension RadixSortable where Self: FixedWidthInteger & UnsignedInteger {
    @inlinable @inline(__always) public static func key(_ value: Self) -> Self { value }
    @inlinable @inline(__always) public static func isUnordered(_ value: Self) -> Bool { false }
}

extension UInt8: RadixSortable {}
extension UInt16: RadixSortable {}
extension UInt32: RadixSortable {}
extension UInt64: RadixSortable {}

/// Signed integers: flipping the sign bit maps two's complement order to unsigned order.
extension RadixSortable where Self: FixedWidthInteger & SignedInteger {
    @inlinable @inline(__always) public static func isUnordered(_ value: Self) -> Bool { false }
}
extension Int8: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int8) -> UInt8 { UInt8(bitPattern: value) ^ 0x80 }
}
extension Int16: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int16) -> UInt16 { UInt16(bitPattern: value) ^ 0x8000 }
}
extension Int32: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int32) -> UInt32 { UInt32(bitPattern: value) ^ 0x8000_0000 }
}
extension Int64: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Int64) -> UInt64 { UInt64(bitPattern: value) ^ (1 << 63) }
}

/// IEEE floats (not NaN): 2^(w-1) + magnitude bits for positive numbers, 2^(w-1) -
/// magnitude bits for negative ones, which orders -inf < ... < -tiny < 0 < tiny < ...
/// < +inf and gives -0.0 the key of +0.0: they are equal, so a stable sort keeps them
/// in their input order, as `sorted()` does. Branch-free: the magnitude is negated
/// (two's complement) under the sign's all-ones mask.
extension Float: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Float) -> UInt32 {
        let bits = value.bitPattern
        let magnitude = bits & 0x7FFF_FFFF
        let negative = UInt32(bitPattern: Int32(bitPattern: bits) >> 31)
        return 0x8000_0000 &+ ((magnitude ^ negative) &- negative)
    }
    @inlinable @inline(__always) public static func isUnordered(_ value: Float) -> Bool { value.isNaN }
}
extension Double: RadixSortable {
    @inlinable @inline(__always) public static func key(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        let magnitude = bits & 0x7FFF_FFFF_FFFF_FFFF
        let negative = UInt64(bitPattern: Int64(bitPattern: bits) >> 63)
        return (1 << 63) &+ ((magnitude ^ negative) &- negative)
    }
    @inlinable @inline(__always) public static func isUnordered(_ value: Double) -> Bool { value.isNaN }
}

/// Numbers are radix-sorted as themselves: the key transform is applied on the
/// fly, so an array needs no pass to turn values into keys and back.
extension RadixSortable where Self: SignedInteger {
    @inlinable public var radixKey: UInt64 { UInt64(Self.key(self)) }
}
extension Int8: RadixKeyed {}
extension Int16: RadixKeyed {}
extension Int32: RadixKeyed {}
extension Int64: RadixKeyed {}
// Floats (never NaN here) compare as numbers, which is their keys' order (-0.0 equals 0.0)
// at the cost of one instruction, where the key takes several.
extension Float: RadixKeyed {
    @inlinable public var radixKey: UInt64 { UInt64(Float.key(self)) }
    @inlinable @inline(__always) public static func precedes(_ a: Float, _ b: Float) -> Bool { a < b }
}
extension Double: RadixKeyed {
    @inlinable public var radixKey: UInt64 { Double.key(self) }
    @inlinable @inline(__always) public static func precedes(_ a: Double, _ b: Double) -> Bool { a < b }
}


/// An arbitrary-precision natural number that owns its limbs: the result
/// type of the exact big-integer kernels.
///
/// The limbs are little-endian 64-bit words with no leading zero word (zero
/// has no words at all). Memory comes from `allocateChecked`, so running out of memory
/// is an error the caller sees (`KernelError.outOfMemory`), never a trap.
public struct Natural: ~Copyable {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>
    @usableFromInline let capacity: Int
    @usableFromInline var count: Int

    /// Allocates room for `capacity` limbs, holding zero.
    init(capacity: Int) throws(KernelError) {
        let capacity = max(capacity, 1)
        guard let raw = allocateChecked(UInt64.self, capacity) else { throw .outOfMemory }
        storage = raw
        self.capacity = capacity
        count = 0
    }

    /// A natural number holding one machine word.
    public init(_ value: UInt64) throws(KernelError) {
        try self.init(capacity: 1)
        storage[0] = value
        count = value == 0 ? 0 : 1
    }

    deinit { deallocateChecked(storage, count: capacity) }

    /// The limbs, least significant first, without leading zeros.
    public var words: UnsafeBufferPointer<UInt64> {
        UnsafeBufferPointer(start: storage, count: count)
    }

    /// The number of significant bits (0 for zero).
    public var bitWidth: Int {
        count == 0 ? 0 : count * 64 - storage[count - 1].leadingZeroBitCount
    }

    /// The value as a `UInt64`, or nil when it does not fit.
    public var uint64Value: UInt64? {
        switch count {
        case 0: return 0
        case 1: return storage[0]
        default: return nil
        }
    }

    mutating func normalize(_ length: Int) {
        count = normalizedLength(storage, length)
    }
}

// Eight bytes at a time (SWAR): which bytes are ASCII whitespace or end an ASCII
// run, and ASCII letters lowered, in one 64-bit word. See docs/word_count.md.

let highBits: UInt64 = 0x8080_8080_8080_8080

/// Bit 7 of each byte set where the byte is ASCII whitespace (\t-\r, \x1c-space).
@inline(__always)
func whitespaceMask(_ x: UInt64) -> UInt64 {
    let y = x & 0x7F7F_7F7F_7F7F_7F7F  // no byte can carry into the next below
    let atLeast09 = y &+ 0x7777_7777_7777_7777, atLeast0E = y &+ 0x7272_7272_7272_7272
    let atLeast1C = y &+ 0x6464_6464_6464_6464, atLeast21 = y &+ 0x5F5F_5F5F_5F5F_5F5F
    return ((atLeast09 & ~atLeast0E) | (atLeast1C & ~atLeast21)) & ~x & highBits
}

/// Bit 7 of each byte set where the byte ends an ASCII run: whitespace or a non-ASCII byte.
@inline(__always)
func separatorMask(_ x: UInt64) -> UInt64 {
    whitespaceMask(x) | (x & highBits)
}

/// ASCII letters of eight bytes lowered at once: a byte gets 0x20 added where it lies
/// in 'A'...'Z'; bytes from 0x80 on are left as they are.
@inline(__always)
func lowerASCII(_ x: UInt64) -> UInt64 {
    let y = x & 0x7F7F_7F7F_7F7F_7F7F           // no byte can carry into the next below
    let atLeastA = y &+ 0x3F3F_3F3F_3F3F_3F3F   // high bit set where byte >= 'A'
    let aboveZ = y &+ 0x2525_2525_2525_2525     // high bit set where byte > 'Z'
    return x | (((atLeastA ^ aboveZ) & ~x & highBits) >> 2)
}

/// One byte lowered as `lowerASCII` lowers each of eight.
@inline(__always)
func lowerASCII(_ byte: UInt8) -> UInt8 {
    byte &+ ((byte &- 0x41) < 26 ? 0x20 : 0)
}

/// Bytes that are whitespace on their own: \t \n \v \f \r, \x1c-\x1f, space.
@inline(__always)
func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    (byte >= 0x09 && byte <= 0x0D) || (byte >= 0x1C && byte <= 0x20)
}

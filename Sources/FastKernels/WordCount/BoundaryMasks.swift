import KernelLoops
import KernelLoopsAVX512

// Where tokens may begin and end, 64 bytes at a time: per 64-byte block of text, a
// mask of its ASCII whitespace bytes and one of its non-ASCII bytes (bit k: byte k),
// computed by the best tier the CPU has (AVX-512BW, AVX2, or SWAR in the baseline)
// for a window of blocks at a time, and read by the tokenizer's loop, which walks
// from token to token with trailing-zero counts. See docs/word_count.md.

/// Blocks of 64 bytes whose masks are computed at once (64 KiB of text, 16 KiB of
/// masks: they stay in the L1 cache while the tokenizer reads them).
let boundaryWindowBlocks = 1024

/// The tier that computes the masks, chosen once.
let boundaryMaskTier = InstructionSet.selected

/// The masks of `blocks` whole 64-byte blocks of `text`, by the selected tier (or
/// `tier`, which the CPU must have: for tests).
@inline(__always)
func computeBoundaryMasks(_ text: UnsafePointer<UInt8>, _ blocks: Int,
                          _ whitespace: UnsafeMutablePointer<UInt64>, _ nonASCII: UnsafeMutablePointer<UInt64>,
                          tier: InstructionSet = boundaryMaskTier) {
    #if arch(x86_64)
    switch tier {
    case .avx512: return wordBoundaryMasksAVX512(text, blocks, whitespace, nonASCII)
    case .avx2: return wordBoundaryMasksAVX2(text, blocks, whitespace, nonASCII)
    case .baseline: break
    }
    #endif
    wordBoundaryMasksBaseline(text, blocks, whitespace, nonASCII)
}

/// `computeBoundaryMasks`, and `lowered[0..<64 * blocks]` gets the blocks with their ASCII
/// capitals lowered, in the same pass (`tier` as there).
@inline(__always)
func computeBoundaryMasksLowering(_ text: UnsafePointer<UInt8>, _ blocks: Int, _ lowered: UnsafeMutablePointer<UInt8>,
                                  _ whitespace: UnsafeMutablePointer<UInt64>, _ nonASCII: UnsafeMutablePointer<UInt64>,
                                  tier: InstructionSet = boundaryMaskTier) {
    #if arch(x86_64)
    switch tier {
    case .avx512: return wordBoundaryMasksLoweringAVX512(text, blocks, lowered, whitespace, nonASCII)
    case .avx2: return wordBoundaryMasksLoweringAVX2(text, blocks, lowered, whitespace, nonASCII)
    case .baseline: break
    }
    #endif
    wordBoundaryMasksLoweringBaseline(text, blocks, lowered, whitespace, nonASCII)
}

/// The baseline of `computeBoundaryMasksLowering`: the masks as `wordBoundaryMasksBaseline`
/// finds them, each eight bytes lowered as they are read.
@inline(never)
func wordBoundaryMasksLoweringBaseline(_ text: UnsafePointer<UInt8>, _ blocks: Int, _ lowered: UnsafeMutablePointer<UInt8>,
                                       _ whitespace: UnsafeMutablePointer<UInt64>,
                                       _ nonASCII: UnsafeMutablePointer<UInt64>) {
    for block in 0..<blocks {
        (whitespace[block], nonASCII[block]) = baselineBlockMasks(text, block, lowering: lowered)
    }
}

/// The whitespace and non-ASCII masks of the 64 bytes of `block`, eight at a time; with
/// `lowering`, each eight also stored there (at the same offset) with its ASCII capitals lowered.
@inline(__always)
func baselineBlockMasks(_ text: UnsafePointer<UInt8>, _ block: Int,
                        lowering target: UnsafeMutablePointer<UInt8>? = nil) -> (whitespace: UInt64, nonASCII: UInt64) {
    let raw = UnsafeRawPointer(text)
    var ws: UInt64 = 0, high: UInt64 = 0
    for k in 0..<8 {
        let offset = block &* 64 &+ k &* 8
        let x = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        if let target { UnsafeMutableRawPointer(target).storeBytes(of: lowerASCII(x), toByteOffset: offset, as: UInt64.self) }
        ws |= gatherFlags(whitespaceMask(x)) << UInt64(8 * k)
        high |= gatherFlags(x & highBits) << UInt64(8 * k)
    }
    return (ws, high)
}

/// The baseline masks: eight bytes at a time (SWAR, ByteMasks.swift), the flag bits
/// (bit 7 of each byte) gathered into one byte by a multiplication.
@inline(never)
func wordBoundaryMasksBaseline(_ text: UnsafePointer<UInt8>, _ blocks: Int,
                               _ whitespace: UnsafeMutablePointer<UInt64>, _ nonASCII: UnsafeMutablePointer<UInt64>) {
    for block in 0..<blocks {
        (whitespace[block], nonASCII[block]) = baselineBlockMasks(text, block)
    }
}

/// Bit 7 of each byte of `flags` (the only bits set) gathered into bits 0-7
/// (byte k's flag to bit k): each flag lands on its own bit of the top byte of
/// the product, without carries.
@inline(__always)
func gatherFlags(_ flags: UInt64) -> UInt64 {
    ((flags >> 7) &* 0x0102_0408_1020_4080) >> 56
}

/// The masks of a text, a window of blocks at a time, read forward only (the
/// tokenizer never goes back). Bytes past the end of the text count as whitespace.
struct BoundaryMasks {
    let text: UnsafePointer<UInt8>
    let count: Int
    /// Blocks of the text, the last one perhaps partial.
    let blocks: Int
    let whitespace: UnsafeMutablePointer<UInt64>
    let nonASCII: UnsafeMutablePointer<UInt64>
    /// 64 bytes to copy a partial last block into.
    let tail: UnsafeMutablePointer<UInt8>
    /// The blocks whose masks are in the window: `windowStart..<windowEnd`.
    var windowStart = 0
    var windowEnd = 0

    /// - Parameters: `whitespace` and `nonASCII` hold `boundaryWindowBlocks` masks each, `tail` 64 bytes.
    init(_ text: UnsafePointer<UInt8>, _ count: Int, whitespace: UnsafeMutablePointer<UInt64>,
         nonASCII: UnsafeMutablePointer<UInt64>, tail: UnsafeMutablePointer<UInt8>) {
        self.text = text
        self.count = count
        blocks = (count + 63) >> 6
        self.whitespace = whitespace
        self.nonASCII = nonASCII
        self.tail = tail
    }

    /// The whitespace mask of `block` (at least the previous block asked for, below `blocks`).
    @inline(__always)
    mutating func whitespaceMask(_ block: Int) -> UInt64 {
        if block >= windowEnd { fill(from: block) }
        return whitespace[block &- windowStart]
    }

    /// The mask of the bytes of `block` that end an ASCII run: whitespace or non-ASCII.
    @inline(__always)
    mutating func separatorMask(_ block: Int) -> UInt64 {
        if block >= windowEnd { fill(from: block) }
        return whitespace[block &- windowStart] | nonASCII[block &- windowStart]
    }

    /// Computes the window that starts at `block`.
    mutating func fill(from block: Int) {
        windowStart = block
        windowEnd = min(block + boundaryWindowBlocks, blocks)
        let whole = min(windowEnd, count >> 6) - block  // blocks that can be read in full
        if whole > 0 { computeBoundaryMasks(text + block * 64, whole, whitespace, nonASCII) }
        if windowEnd > count >> 6 && windowEnd > block {
            // The partial last block, copied out (a 64-byte load could cross into an unmapped page).
            let last = windowEnd - 1, start = last * 64, length = count - start
            tail.initialize(repeating: 0, count: 64)
            tail.update(from: text + start, count: length)
            computeBoundaryMasks(tail, 1, whitespace + (last - block), nonASCII + (last - block))
            whitespace[last - block] |= ~0 << UInt64(length)  // past the end: whitespace
            nonASCII[last - block] &= (1 << UInt64(length)) - 1
        }
    }
}

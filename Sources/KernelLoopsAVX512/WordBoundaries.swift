import _Builtin_intrinsics.intel

// Word boundaries of UTF-8 text, 64 bytes at a time, with AVX-512BW: one load per
// block, compares straight into 64-bit masks. What the masks mean: see
// KernelLoops/WordBoundaries.swift (the AVX2 version).

/// Writes the masks of `blocks` 64-byte blocks of `text` (all readable) to
/// `whitespace[0..<blocks]` and `nonASCII[0..<blocks]`.
@inline(never)
public func wordBoundaryMasksAVX512(_ text: UnsafePointer<UInt8>, _ blocks: Int,
                                    _ whitespace: UnsafeMutablePointer<UInt64>,
                                    _ nonASCII: UnsafeMutablePointer<UInt64>) {
    for block in 0..<blocks {
        (whitespace[block], nonASCII[block]) = blockMasks(_mm512_loadu_si512(UnsafeRawPointer(text + block &* 64)))
    }
}

/// The whitespace and non-ASCII masks of the 64 bytes `x`.
@inline(__always)
func blockMasks(_ x: __m512i) -> (whitespace: UInt64, nonASCII: UInt64) {
    let tab = _mm512_set1_epi8(0x09), fileSeparator = _mm512_set1_epi8(0x1C), four = _mm512_set1_epi8(4)
    // Whitespace: x - 9 or x - 0x1c (mod 256) at most 4, so that subtracting 4 with
    // saturation leaves 0 (testn: the mask of the zero bytes).
    let w = _mm512_min_epu8(_mm512_subs_epu8(_mm512_sub_epi8(x, tab), four),
                            _mm512_subs_epu8(_mm512_sub_epi8(x, fileSeparator), four))
    return (_mm512_testn_epi8_mask(w, w), _mm512_movepi8_mask(x))
}

/// As `wordBoundaryMasksAVX512`, and writes the blocks to `lowered` with the ASCII capitals
/// lowered (the copy the short-text tokenizer reads: one pass over the text, not two).
@inline(never)
public func wordBoundaryMasksLoweringAVX512(_ text: UnsafePointer<UInt8>, _ blocks: Int,
                                            _ lowered: UnsafeMutablePointer<UInt8>,
                                            _ whitespace: UnsafeMutablePointer<UInt64>,
                                            _ nonASCII: UnsafeMutablePointer<UInt64>) {
    let capitalA = _mm512_set1_epi8(0x41), lettersAfterA = _mm512_set1_epi8(25), caseBit = _mm512_set1_epi8(0x20)
    for block in 0..<blocks {
        let x = _mm512_loadu_si512(UnsafeRawPointer(text + block &* 64))
        // A capital: x - 'A' (mod 256) at most 25, so that subtracting 25 with saturation leaves 0.
        let distance = _mm512_subs_epu8(_mm512_sub_epi8(x, capitalA), lettersAfterA)
        let capitals = _mm512_testn_epi8_mask(distance, distance)
        _mm512_storeu_si512(UnsafeMutableRawPointer(lowered + block &* 64), _mm512_mask_add_epi8(x, capitals, x, caseBit))
        (whitespace[block], nonASCII[block]) = blockMasks(x)
    }
}

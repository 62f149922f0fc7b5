import _Builtin_intrinsics.intel

// Word boundaries of UTF-8 text, 64 bytes at a time, for the word-count tokenizer
// (FastKernels/WordCount/Tokenizer.swift): for each 64-byte block, a mask of its
// ASCII whitespace bytes (\t-\r, \x1c-\x1f, space: bit k for byte k) and a mask of
// its non-ASCII bytes (0x80 and up). Compiled for AVX2; the AVX-512 version is in
// KernelLoopsAVX512, the baseline one in FastKernels. Raw pointers and SIMD types
// only (see docs/architecture.md, tier rules).

/// Writes the masks of `blocks` 64-byte blocks of `text` (all readable) to
/// `whitespace[0..<blocks]` and `nonASCII[0..<blocks]`.
@inline(never)
public func wordBoundaryMasksAVX2(_ text: UnsafePointer<UInt8>, _ blocks: Int,
                                  _ whitespace: UnsafeMutablePointer<UInt64>,
                                  _ nonASCII: UnsafeMutablePointer<UInt64>) {
    for block in 0..<blocks {
        let p = UnsafeRawPointer(text + block &* 64)
        let x0 = _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self))
        let x1 = _mm256_loadu_si256((p + 32).assumingMemoryBound(to: __m256i.self))
        (whitespace[block], nonASCII[block]) = blockMasks(x0, x1)
    }
}

/// The whitespace and non-ASCII masks of the 64 bytes `x0` then `x1`.
@inline(__always)
func blockMasks(_ x0: __m256i, _ x1: __m256i) -> (whitespace: UInt64, nonASCII: UInt64) {
    let tab = _mm256_set1_epi8(0x09), fileSeparator = _mm256_set1_epi8(0x1C)
    let four = _mm256_set1_epi8(4), zero = _mm256_setzero_si256()
    // A byte is whitespace when x - 9 or x - 0x1c (mod 256) is at most 4: then the
    // saturating subtraction of 4 leaves 0.
    let w0 = _mm256_min_epu8(_mm256_subs_epu8(_mm256_sub_epi8(x0, tab), four),
                             _mm256_subs_epu8(_mm256_sub_epi8(x0, fileSeparator), four))
    let w1 = _mm256_min_epu8(_mm256_subs_epu8(_mm256_sub_epi8(x1, tab), four),
                             _mm256_subs_epu8(_mm256_sub_epi8(x1, fileSeparator), four))
    let ws0 = UInt64(UInt32(bitPattern: _mm256_movemask_epi8(_mm256_cmpeq_epi8(w0, zero))))
    let ws1 = UInt64(UInt32(bitPattern: _mm256_movemask_epi8(_mm256_cmpeq_epi8(w1, zero))))
    let hi0 = UInt64(UInt32(bitPattern: _mm256_movemask_epi8(x0)))
    let hi1 = UInt64(UInt32(bitPattern: _mm256_movemask_epi8(x1)))
    return (ws0 | ws1 << 32, hi0 | hi1 << 32)
}

/// As `wordBoundaryMasksAVX2`, and writes the blocks to `lowered` with the ASCII capitals
/// lowered (the copy the short-text tokenizer reads: one pass over the text, not two).
@inline(never)
public func wordBoundaryMasksLoweringAVX2(_ text: UnsafePointer<UInt8>, _ blocks: Int, _ lowered: UnsafeMutablePointer<UInt8>,
                                          _ whitespace: UnsafeMutablePointer<UInt64>,
                                          _ nonASCII: UnsafeMutablePointer<UInt64>) {
    let zero = _mm256_setzero_si256()
    let capitalA = _mm256_set1_epi8(0x41), lettersAfterA = _mm256_set1_epi8(25), caseBit = _mm256_set1_epi8(0x20)
    @inline(__always) func lower(_ x: __m256i) -> __m256i {
        // A capital: x - 'A' (mod 256) at most 25, so that subtracting 25 with saturation leaves 0.
        let capital = _mm256_cmpeq_epi8(_mm256_subs_epu8(_mm256_sub_epi8(x, capitalA), lettersAfterA), zero)
        return _mm256_or_si256(x, _mm256_and_si256(capital, caseBit))
    }
    for block in 0..<blocks {
        let p = UnsafeRawPointer(text + block &* 64)
        let x0 = _mm256_loadu_si256(p.assumingMemoryBound(to: __m256i.self))
        let x1 = _mm256_loadu_si256((p + 32).assumingMemoryBound(to: __m256i.self))
        let q = UnsafeMutableRawPointer(lowered + block &* 64)
        _mm256_storeu_si256(q.assumingMemoryBound(to: __m256i.self), lower(x0))
        _mm256_storeu_si256((q + 32).assumingMemoryBound(to: __m256i.self), lower(x1))
        (whitespace[block], nonASCII[block]) = blockMasks(x0, x1)
    }
}

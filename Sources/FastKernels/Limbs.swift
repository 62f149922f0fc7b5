// Arbitrary-precision natural-number arithmetic on raw little-endian 64-bit
// limbs: the few operations that exact Fibonacci needs (add, subtract,
// shift, multiply, square), with Karatsuba above a threshold.
//
// Every function works on caller-owned memory (`UnsafeMutablePointer<UInt64>`)
// with explicit lengths; nothing here allocates. Operands never alias the
// result unless a function says so.

@usableFromInline typealias MutableLimbs = UnsafeMutablePointer<UInt64>
@usableFromInline typealias Limbs = UnsafePointer<UInt64>

/// Operand size (in limbs) below which schoolbook multiplication wins.
let karatsubaThreshold = 40

/// Length of `a[0..<n]` without its leading zero limbs.
@inline(__always)
func normalizedLength(_ a: Limbs, _ n: Int) -> Int {
    var n = n
    while n > 0 && a[n - 1] == 0 { n -= 1 }
    return n
}

/// `r[0..<n] = a[0..<n] + b[0..<n] + carryIn`; returns the carry out (0 or 1). `r` may alias `a` or `b`.
@inline(__always)
func addSameLength(_ r: MutableLimbs, _ a: Limbs, _ b: Limbs, _ n: Int, carry carryIn: UInt64 = 0) -> UInt64 {
    var carry = carryIn
    for i in 0..<n {
        let (s1, o1) = a[i].addingReportingOverflow(b[i])
        let (s2, o2) = s1.addingReportingOverflow(carry)
        r[i] = s2
        carry = (o1 || o2) ? 1 : 0
    }
    return carry
}

/// `r[0..<n] = a[0..<n] - b[0..<n] - borrowIn`; returns the borrow out (0 or 1). `r` may alias `a` or `b`.
@inline(__always)
func subtractSameLength(_ r: MutableLimbs, _ a: Limbs, _ b: Limbs, _ n: Int, borrow borrowIn: UInt64 = 0) -> UInt64 {
    var borrow = borrowIn
    for i in 0..<n {
        let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
        let (d2, o2) = d1.subtractingReportingOverflow(borrow)
        r[i] = d2
        borrow = (o1 || o2) ? 1 : 0
    }
    return borrow
}

/// Adds `carry` into `r[0..<n]` in place; returns the carry out of the top limb.
@inline(__always)
func propagateCarry(_ r: MutableLimbs, _ n: Int, _ carry: UInt64) -> UInt64 {
    var carry = carry
    var i = 0
    while carry != 0 && i < n {
        let (s, o) = r[i].addingReportingOverflow(carry)
        r[i] = s
        carry = o ? 1 : 0
        i += 1
    }
    return carry
}

/// Subtracts `borrow` from `r[0..<n]` in place; returns the borrow out of the top limb.
@inline(__always)
func propagateBorrow(_ r: MutableLimbs, _ n: Int, _ borrow: UInt64) -> UInt64 {
    var borrow = borrow
    var i = 0
    while borrow != 0 && i < n {
        let (d, o) = r[i].subtractingReportingOverflow(borrow)
        r[i] = d
        borrow = o ? 1 : 0
        i += 1
    }
    return borrow
}

/// `r[0..<an] = a[0..<an] + b[0..<bn]` for `an >= bn`; returns the carry out. `r` may alias `a`.
func add(_ r: MutableLimbs, _ a: Limbs, _ an: Int, _ b: Limbs, _ bn: Int) -> UInt64 {
    let carry = addSameLength(r, a, b, bn)
    if r != UnsafeMutablePointer(mutating: a) {
        (r + bn).update(from: a + bn, count: an - bn)
    }
    return propagateCarry(r + bn, an - bn, carry)
}

/// `r[0..<an] = a[0..<an] - b[0..<bn]` for `an >= bn`; returns the borrow out. `r` may alias `a`.
func subtract(_ r: MutableLimbs, _ a: Limbs, _ an: Int, _ b: Limbs, _ bn: Int) -> UInt64 {
    let borrow = subtractSameLength(r, a, b, bn)
    if r != UnsafeMutablePointer(mutating: a) {
        (r + bn).update(from: a + bn, count: an - bn)
    }
    return propagateBorrow(r + bn, an - bn, borrow)
}

/// `r[0..<n] += a[0..<n] * b`; returns the high limb that does not fit.
@inline(__always)
func addMultiple(_ r: MutableLimbs, _ a: Limbs, _ n: Int, _ b: UInt64) -> UInt64 {
    var carry: UInt64 = 0
    let multiplier = UInt128(b)
    for i in 0..<n {
        // a*b + r + carry <= (2^64-1)^2 + 2(2^64-1) = 2^128 - 1: never overflows 128 bits,
        // and in 128-bit arithmetic the compiler emits a branch-free mul/add/adc chain.
        let t = UInt128(a[i]) &* multiplier &+ UInt128(r[i]) &+ UInt128(carry)
        r[i] = UInt64(truncatingIfNeeded: t)
        carry = UInt64(truncatingIfNeeded: t &>> 64)
    }
    return carry
}

/// Schoolbook product `r[0..<an+bn] = a[0..<an] * b[0..<bn]`. `r` must not alias the operands.
func multiplySchoolbook(_ r: MutableLimbs, _ a: Limbs, _ an: Int, _ b: Limbs, _ bn: Int) {
    r.update(repeating: 0, count: an + bn)
    for j in 0..<bn {
        r[an + j] = addMultiple(r + j, a, an, b[j])
    }
}

/// Schoolbook square `r[0..<2n] = a[0..<n]^2`, computing each cross product once.
func squareSchoolbook(_ r: MutableLimbs, _ a: Limbs, _ n: Int) {
    r.update(repeating: 0, count: 2 * n)
    guard n > 0 else { return }
    // Cross products a[i]*a[j], i < j.
    for i in 0..<(n - 1) {
        r[n + i] = addMultiple(r + 2 * i + 1, a + i + 1, n - i - 1, a[i])
    }
    // Double them.
    var topBit: UInt64 = 0
    for i in 0..<(2 * n) {
        let v = r[i]
        r[i] = (v << 1) | topBit
        topBit = v >> 63
    }
    // Add the squares a[i]^2 on the diagonal.
    var carry: UInt64 = 0
    for i in 0..<n {
        let (high, low) = a[i].multipliedFullWidth(by: a[i])
        let (s1, o1) = r[2 * i].addingReportingOverflow(low)
        let (s2, o2) = s1.addingReportingOverflow(carry)
        r[2 * i] = s2
        let c1: UInt64 = (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        let (s3, o3) = r[2 * i + 1].addingReportingOverflow(high)
        let (s4, o4) = s3.addingReportingOverflow(c1)
        r[2 * i + 1] = s4
        carry = (o3 ? 1 : 0) &+ (o4 ? 1 : 0)
    }
}

/// `d[0..<m] = |x[0..<m] - y[0..<h]|` for `h <= m`; returns true when `x < y`.
func absoluteDifference(_ d: MutableLimbs, _ x: Limbs, _ m: Int, _ y: Limbs, _ h: Int) -> Bool {
    var xIsLess = false
    if normalizedLength(x + h, m - h) == 0 {
        // Compare the low h limbs from the top.
        var i = h - 1
        while i >= 0 && x[i] == y[i] { i -= 1 }
        xIsLess = i >= 0 && x[i] < y[i]
    }
    if xIsLess {
        _ = subtractSameLength(d, y, x, h)
        (d + h).update(repeating: 0, count: m - h)  // x[h..<m] is zero here
    } else {
        _ = subtract(d, x, m, y, h)
    }
    return xIsLess
}

/// Scratch limbs that `multiplyKaratsuba` and `squareKaratsuba` need for operands of `n` limbs.
func karatsubaScratchCount(_ n: Int) -> Int {
    if n < karatsubaThreshold { return 0 }
    let m = n - n / 2
    return 4 * m + max(karatsubaScratchCount(m), 2 * m + 1)
}

/// Operand size (in limbs) from which the Karatsuba recursion polls `isCancelled`
/// (a product of this size takes milliseconds).
let cancellationPollSize = 4096

/// `r[0..<2n] = a[0..<n] * b[0..<n]`; `scratch` holds `karatsubaScratchCount(n)` limbs.
/// `r` must not alias the operands or the scratch. When `isCancelled` returns
/// true the product is abandoned and `r` holds garbage: the caller must poll
/// `isCancelled` again and discard the result.
func multiplyKaratsuba(_ r: MutableLimbs, _ a: Limbs, _ b: Limbs, _ n: Int, _ scratch: MutableLimbs,
                       _ isCancelled: () -> Bool = { false }) {
    if n < karatsubaThreshold {
        multiplySchoolbook(r, a, n, b, n)
        return
    }
    if n >= cancellationPollSize && isCancelled() { return }
    // a = a0 + a1*B^h with a0 of h limbs and a1 of m >= h limbs; likewise b.
    let h = n / 2, m = n - h
    let da = scratch, db = scratch + m, t = scratch + 2 * m, next = scratch + 4 * m
    let aNegative = absoluteDifference(da, a + h, m, a, h)
    let bNegative = absoluteDifference(db, b + h, m, b, h)
    multiplyKaratsuba(r, a, b, h, next, isCancelled)                   // z0 = a0*b0 -> r[0..<2h]
    multiplyKaratsuba(r + 2 * h, a + h, b + h, m, next, isCancelled)   // z2 = a1*b1 -> r[2h..<2n]
    multiplyKaratsuba(t, da, db, m, next, isCancelled)                 // |a1-a0|*|b1-b0|
    // z1 = z0 + z2 - (a1-a0)(b1-b0), added at limb h.
    combineMiddle(r, h, m, t, subtractT: aNegative == bNegative, next)
}

/// `r[0..<2n] = a[0..<n]^2`; `scratch` holds `karatsubaScratchCount(n)` limbs.
/// Cancellation as in `multiplyKaratsuba`.
func squareKaratsuba(_ r: MutableLimbs, _ a: Limbs, _ n: Int, _ scratch: MutableLimbs,
                     _ isCancelled: () -> Bool = { false }) {
    if n < karatsubaThreshold {
        squareSchoolbook(r, a, n)
        return
    }
    if n >= cancellationPollSize && isCancelled() { return }
    let h = n / 2, m = n - h
    let da = scratch, t = scratch + 2 * m, next = scratch + 4 * m
    _ = absoluteDifference(da, a + h, m, a, h)
    squareKaratsuba(r, a, h, next, isCancelled)
    squareKaratsuba(r + 2 * h, a + h, m, next, isCancelled)
    squareKaratsuba(t, da, m, next, isCancelled)
    combineMiddle(r, h, m, t, subtractT: true, next)
}

/// With `r` holding z0 (2h limbs) and z2 (2m limbs), adds `z0 + z2 -/+ t` at limb `h`.
@inline(__always)
func combineMiddle(_ r: MutableLimbs, _ h: Int, _ m: Int, _ t: MutableLimbs, subtractT: Bool, _ u: MutableLimbs) {
    let n = h + m
    // u = z2 + z0 (2m+1 limbs).
    u[2 * m] = add(u, r + 2 * h, 2 * m, r, 2 * h)
    if subtractT {
        u[2 * m] &-= subtract(u, u, 2 * m, t, 2 * m)
    } else {
        u[2 * m] &+= add(u, u, 2 * m, t, 2 * m)
    }
    let carry = add(r + h, r + h, 2 * n - h, u, 2 * m + 1)
    assert(carry == 0, "Karatsuba middle term overflowed")  // impossible: the product fits 2n limbs
}

/// Scratch limbs that `multiply` needs for operands of `an` and `bn` limbs.
func multiplyScratchCount(_ an: Int, _ bn: Int) -> Int {
    let n = min(an, bn)
    if n < karatsubaThreshold { return 0 }
    return 2 * n + karatsubaScratchCount(n)
}

/// `r[0..<an+bn] = a[0..<an] * b[0..<bn]` for any sizes; `scratch` holds `multiplyScratchCount(an, bn)`.
/// Cancellation as in `multiplyKaratsuba`.
func multiply(_ r: MutableLimbs, _ a: Limbs, _ an: Int, _ b: Limbs, _ bn: Int, _ scratch: MutableLimbs,
              _ isCancelled: () -> Bool = { false }) {
    if an < bn { return multiply(r, b, bn, a, an, scratch, isCancelled) }
    if bn < karatsubaThreshold {
        multiplySchoolbook(r, a, an, b, bn)
        return
    }
    // Cut a into pieces of bn limbs and accumulate piece * b (balanced Karatsuba each).
    r.update(repeating: 0, count: an + bn)
    let product = scratch, next = scratch + 2 * bn
    var offset = 0
    while offset < an {
        let piece = min(bn, an - offset)
        if piece == bn {
            multiplyKaratsuba(product, a + offset, b, bn, next, isCancelled)
        } else {
            multiplySchoolbook(product, b, bn, a + offset, piece)
        }
        let carry = add(r + offset, r + offset, an + bn - offset, product, piece + bn)
        assert(carry == 0, "product overflowed its limbs")  // impossible by size
        offset += piece
    }
}

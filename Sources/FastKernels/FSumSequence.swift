import KernelLoops

// math.fsum's own algorithm, as the reference and the engine for what the superaccumulator
// cannot decide: Shewchuk's msum with CPython's rules for inf, nan and intermediate overflow.
// See docs/fsum.md.

/// math.fsum's special-value bookkeeping: `special_sum` and `inf_sum`, in the
/// same order as CPython, down to which nan comes out.
///
/// Which nan `special_sum += x` gives when both are nans is not IEEE's to say:
/// x86's addsd keeps its destination operand's, and CPython as built by GCC
/// for x86-64 (checked against python3.11 here) computes `x + special_sum`, so
/// the newer nan wins, quieted. LLVM may order a commutative addition either
/// way, so the nan cases are spelled out instead of left to `+=`.
struct FSumSpecials {
    var specialSum = 0.0
    var infSum = 0.0

    /// Records an infinity or a nan.
    @inline(__always)
    mutating func add(_ x: Double) {
        if x.isInfinite { infSum += x }  // ±inf or a nan: only the nan-ness matters
        if x.isNaN {
            specialSum = Double(bitPattern: x.bitPattern | 0x0008_0000_0000_0000)
        } else if !specialSum.isNaN {
            specialSum += x  // inf arithmetic (+inf + -inf is an error at the end anyway)
        }
    }

    /// The outcome when a special value was seen (nil when none was).
    var outcome: FSumOutcome? {
        guard specialSum != 0 else { return nil }  // nan != 0 too
        return infSum.isNaN ? .infMinusInf : .value(specialSum)
    }
}

/// math.fsum's own algorithm (msum with its special-value rules), fed in order:
/// the exact, sequential reference, for inputs the fast path cannot decide and
/// for streams (Python iterators) that can only be read once.
///
/// The partials live inline (no allocation). How many can there be? msum keeps
/// them nonzero, finite and nonoverlapping (Shewchuk 1997, Theorem 10: the
/// lowest set bit of each is above the highest set bit of the one before).
/// The set bits of a finite double lie in positions 2^-1074 ... 2^1023, 2,098
/// positions, and nonoverlapping partials use disjoint ones: at most 2,098
/// partials, the capacity here. (Far fewer in practice, but not ~40: two
/// consecutive partials can be as little as two binades apart, and random
/// inputs already reach 80 partials.) The store can therefore not run out;
/// should it ever (it would take a non-IEEE CPU), `add` folds the smallest
/// partial into the next one with a rounded addition instead of trapping.
public struct FSumSequence: ~Copyable {
    /// The most nonoverlapping finite doubles there can be.
    static let capacity = 2098

    var partials = InlineArray<2098, Double>(repeating: 0)
    var partialCount = 0
    var specials = FSumSpecials()
    var overflowed = false

    public init() {}

    /// Adds `x` (msum's loop body, as CPython's math_fsum runs it).
    ///
    /// - Returns: false once the outcome is decided as an error (an intermediate
    ///   overflow): stop feeding. "-inf + inf" is not decided before the end: a
    ///   later finite value can still overflow, and Python raises that first.
    @inline(__always)
    public mutating func add(_ x: Double) -> Bool {
        guard !overflowed else { return false }
        let count = partialCount
        let original = x
        let (kept, x) = withUnsafeMutableBytes(of: &partials) { raw in
            FSumSequence.accumulate(x, into: raw.baseAddress!.assumingMemoryBound(to: Double.self), count: count,
                                    capacity: FSumSequence.capacity)
        }
        partialCount = kept
        if x != 0 && !x.isFinite {
            // Intermediate overflow, or an inf or nan among the summands.
            if original.isFinite {
                overflowed = true
                return false
            }
            specials.add(original)
            partialCount = 0  // reset the partials
        }
        return true
    }

    /// msum's loop body: adds `x` to the `count` partials at `p` (room for
    /// `capacity`); returns how many partials there are now and the last sum,
    /// which is not finite after an overflow or for an inf or nan summand.
    @inline(__always)
    static func accumulate(_ x: Double, into p: UnsafeMutablePointer<Double>, count: Int,
                           capacity: Int) -> (kept: Int, x: Double) {
        var kept = 0
        var x = x
        for j in 0..<count {
            var y = p[j]
            if x.magnitude < y.magnitude { swap(&x, &y) }
            let hi = x + y
            let yr = hi - x
            let lo = y - yr
            if lo != 0 {
                p[kept] = lo
                kept += 1
            }
            x = hi
        }
        if x != 0 && x.isFinite {
            if kept == capacity {  // cannot happen (see the type's comment, and `outcome(of:)`)
                p[1] += p[0]
                for k in 1..<kept { p[k - 1] = p[k] }
                kept -= 1
            }
            p[kept] = x
            kept += 1
        }
        return (kept, x)
    }

    /// math.fsum of `count` values, its partials in the caller's `scratch` (room
    /// for `count + 1`): for short sequences, without the 16 KB of a sequence's
    /// own partials (there are never more partials than values added).
    /// - Complexity: O(count x partials) time, partials being the non-overlapping
    ///   partial sums kept (a few for most data, at most 40 for doubles); no allocation.
    public static func outcome(of values: UnsafePointer<Double>, count: Int,
                               scratch: UnsafeMutablePointer<Double>) -> FSumOutcome {
        var kept = 0
        var specials = FSumSpecials()
        for i in 0..<max(count, 0) {
            let original = values[i]
            let (partials, x) = accumulate(original, into: scratch, count: kept, capacity: count + 1)
            kept = partials
            if x != 0 && !x.isFinite {
                if original.isFinite { return .intermediateOverflow }
                specials.add(original)
                kept = 0
            }
        }
        if let special = specials.outcome { return special }
        return sumExact(scratch, kept)
    }

    /// Adds `count` values in order; false once an intermediate overflow decided the outcome.
    public mutating func add(_ values: UnsafePointer<Double>, count: Int) -> Bool {
        for i in 0..<max(count, 0) where !add(values[i]) { return false }
        return !overflowed
    }

    /// math.fsum's result for the values added so far.
    ///
    /// A getter of a ~Copyable struct this large works on a copy of it (16 KB);
    /// `finish()` gives the same outcome in place.
    public var outcome: FSumOutcome {
        if overflowed { return .intermediateOverflow }
        if let special = specials.outcome { return special }
        let count = partialCount
        return withUnsafeBytes(of: partials) { raw in
            FSumSequence.sumExact(raw.baseAddress!.assumingMemoryBound(to: Double.self), count)
        }
    }

    /// `outcome`, without copying the partials (the sequence can still be fed afterwards).
    public mutating func finish() -> FSumOutcome {
        if overflowed { return .intermediateOverflow }
        if let special = specials.outcome { return special }
        let count = partialCount
        return withUnsafeMutableBytes(of: &partials) { raw in
            FSumSequence.sumExact(raw.baseAddress!.assumingMemoryBound(to: Double.self), count)
        }
    }

    /// CPython's sum_exact: the correctly rounded sum of `n` nonoverlapping partials.
    static func sumExact(_ partials: UnsafePointer<Double>, _ count: Int) -> FSumOutcome {
        var n = count
        var hi = 0.0
        guard n > 0 else { return .value(hi) }
        // sum_exact from the top, stopping when the sum becomes inexact.
        n -= 1
        hi = partials[n]
        var lo = 0.0
        while n > 0 {
            let x = hi
            n -= 1
            let y = partials[n]
            hi = x + y
            let yr = hi - x
            lo = y - yr
            if lo != 0 { break }
        }
        // Half-even rounding across partials (CPython: sum([1e-16, 1, 1e16])).
        if n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0)) {
            let y = lo * 2
            let x = hi + y
            let yr = x - hi
            if y == yr { hi = x }
        }
        return .value(hi)
    }
}

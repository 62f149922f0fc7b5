
// Fibonacci numbers, F(0) = 0, F(1) = 1, F(n) = F(n-1) + F(n-2).
// See docs/fibonacci.md for the algorithms and their edge cases.

/// The largest `n` whose Fibonacci number fits in a `UInt64` (F(93) < 2^64 <= F(94)).
public var largestUInt64FibonacciIndex: Int { 93 }

/// The largest `n` that `fibonacciRecursive` accepts (F(92) is the largest that fits an `Int64`).
public var largestRecursiveFibonacciIndex: Int { 92 }

/// F(n) when it fits in 64 bits (0 <= n <= 93), otherwise nil. O(1).
///
/// A switch over literals, which the compiler turns into a table in
/// read-only data: no lazy initialisation on the hot path (a global array
/// would need one). XCTest checks every entry against the recurrence.
@inlinable @inline(__always)
public func fibonacciUInt64(_ n: Int) -> UInt64? {
    switch n {
    case 0: 0
    case 1: 1
    case 2: 1
    case 3: 2
    case 4: 3
    case 5: 5
    case 6: 8
    case 7: 13
    case 8: 21
    case 9: 34
    case 10: 55
    case 11: 89
    case 12: 144
    case 13: 233
    case 14: 377
    case 15: 610
    case 16: 987
    case 17: 1597
    case 18: 2584
    case 19: 4181
    case 20: 6765
    case 21: 10946
    case 22: 17711
    case 23: 28657
    case 24: 46368
    case 25: 75025
    case 26: 121393
    case 27: 196418
    case 28: 317811
    case 29: 514229
    case 30: 832040
    case 31: 1346269
    case 32: 2178309
    case 33: 3524578
    case 34: 5702887
    case 35: 9227465
    case 36: 14930352
    case 37: 24157817
    case 38: 39088169
    case 39: 63245986
    case 40: 102334155
    case 41: 165580141
    case 42: 267914296
    case 43: 433494437
    case 44: 701408733
    case 45: 1134903170
    case 46: 1836311903
    case 47: 2971215073
    case 48: 4807526976
    case 49: 7778742049
    case 50: 12586269025
    case 51: 20365011074
    case 52: 32951280099
    case 53: 53316291173
    case 54: 86267571272
    case 55: 139583862445
    case 56: 225851433717
    case 57: 365435296162
    case 58: 591286729879
    case 59: 956722026041
    case 60: 1548008755920
    case 61: 2504730781961
    case 62: 4052739537881
    case 63: 6557470319842
    case 64: 10610209857723
    case 65: 17167680177565
    case 66: 27777890035288
    case 67: 44945570212853
    case 68: 72723460248141
    case 69: 117669030460994
    case 70: 190392490709135
    case 71: 308061521170129
    case 72: 498454011879264
    case 73: 806515533049393
    case 74: 1304969544928657
    case 75: 2111485077978050
    case 76: 3416454622906707
    case 77: 5527939700884757
    case 78: 8944394323791464
    case 79: 14472334024676221
    case 80: 23416728348467685
    case 81: 37889062373143906
    case 82: 61305790721611591
    case 83: 99194853094755497
    case 84: 160500643816367088
    case 85: 259695496911122585
    case 86: 420196140727489673
    case 87: 679891637638612258
    case 88: 1100087778366101931
    case 89: 1779979416004714189
    case 90: 2880067194370816120
    case 91: 4660046610375530309
    case 92: 7540113804746346429
    case 93: 12200160415121876738
    default: nil
    }
}

/// The exact n-th Fibonacci number, however large.
///
/// Up to F(93) this is a table look-up; beyond it, fast doubling on
/// arbitrary-precision naturals (two squarings per bit of `n`, Karatsuba above
/// a few thousand bits; one multiplication for the last bit). The cost is a
/// small multiple of one multiplication of numbers of `0.69 n` bits.
///
/// - Parameters:
///   - n: the index, `n >= 0`.
///   - isCancelled: polled between doubling steps; returning true stops the
///     computation with `KernelError.cancelled`.
/// - Throws: `.invalidArgument` for `n < 0`; `.resultTooLarge` when the size of
///   the result cannot even be expressed; `.outOfMemory` when the working
///   memory (about 8 times the result) exceeds the machine's physical memory
///   or cannot be allocated; `.cancelled`.
/// - Returns: F(n) with no leading zero limb.
/// - Complexity: O(M(n) log n) time for M(b) the cost of multiplying b-bit numbers
///   (Karatsuba: O(b^1.585)), dominated by the last steps; O(n) bits of memory.
public func fibonacci(_ n: Int, isCancelled: () -> Bool = { false }) throws(KernelError) -> Natural {
    guard n >= 0 else { throw .invalidArgument(argument: "n", requirement: "must be >= 0") }
    if let small = fibonacciUInt64(n) { return try Natural(small) }
    return try FastDoubling(n: n).run(isCancelled: isCancelled)
}

/// Limbs certain to hold F(m): log2(phi) = 0.6942419136... bits per index, plus slack.
func fibonacciLimbBound(_ m: Int) -> Int {
    Int((Double(m) * 0.6942419136306174 / 64).rounded(.up)) + 2
}

/// Fast doubling with the pair (F(k), F(k-1)):
///   F(2k-1) = F(k)^2 + F(k-1)^2
///   F(2k+1) = 4 F(k)^2 - F(k-1)^2 + 2(-1)^k
///   F(2k)   = F(2k+1) - F(2k-1)
/// and for the last bit a single product:
///   F(2k)   = F(k) (F(k) + 2 F(k-1))
///   F(2k+1) = (2F(k) + F(k-1)) (2F(k) - F(k-1)) + 2(-1)^k
struct FastDoubling: ~Copyable {
    let n: Int
    /// One block: a, b, s1, s2 (`limbs` each), then the multiplication scratch.
    let memory: UnsafeMutablePointer<UInt64>
    let memoryCount: Int
    let a: UnsafeMutablePointer<UInt64>    // F(k)
    let b: UnsafeMutablePointer<UInt64>    // F(k-1)
    let s1: UnsafeMutablePointer<UInt64>   // squares and factors
    let s2: UnsafeMutablePointer<UInt64>
    let scratch: UnsafeMutablePointer<UInt64>
    var an = 1, bn = 1
    var k: Int

    init(n: Int) throws(KernelError) {
        guard n <= Int.max / 4 else {
            throw .resultTooLarge("F(n) for n = \(n) would have more bits than a 64-bit size can count")
        }
        let limbs = fibonacciLimbBound(n) + 2
        let half = fibonacciLimbBound(n / 2 + 1) + 2
        let scratchLimbs = max(karatsubaScratchCount(half), multiplyScratchCount(half + 1, half + 1), 1)
        // Four numbers of `limbs` and the scratch here, the result (`limbs`) later.
        let (words, overflow) = (5 * limbs).addingReportingOverflow(scratchLimbs)
        guard !overflow, words < Int.max / 8, UInt64(words * 8) <= physicalMemoryBytes(),
              let raw = allocateChecked(UInt64.self, words - limbs) else {
            throw .outOfMemory
        }
        memory = raw
        memoryCount = words - limbs
        a = memory
        b = memory + limbs
        s1 = memory + 2 * limbs
        s2 = memory + 3 * limbs
        scratch = memory + 4 * limbs
        self.n = n
        // Start from the top 6 bits of n: k in 32..<64, F(k) and F(k-1) from the table.
        k = n >> (n.bitWidth - n.leadingZeroBitCount - 6)
        a[0] = fibonacciUInt64(k)!
        b[0] = fibonacciUInt64(k - 1)!
    }

    deinit { deallocateChecked(memory, count: memoryCount) }

    consuming func run(isCancelled: () -> Bool) throws(KernelError) -> Natural {
        let totalBits = n.bitWidth - n.leadingZeroBitCount
        var bit = totalBits - 7   // the bit below the six that gave k
        while bit >= 1 {
            doublingStep(odd: (n >> bit) & 1 == 1, isCancelled)
            // A cancelled step leaves garbage behind: stop before using it.
            if isCancelled() { throw .cancelled }
            bit -= 1
        }
        let result = try lastStep(odd: n & 1 == 1, isCancelled)
        // The big products poll too and stop early when cancelled: never return what they left.
        if isCancelled() { throw .cancelled }
        return result
    }

    /// (F(k), F(k-1)) -> (F(2k), F(2k-1)), or (F(2k+1), F(2k)) when `odd`.
    mutating func doublingStep(odd: Bool, _ isCancelled: () -> Bool) {
        squareKaratsuba(s1, a, an, scratch, isCancelled)
        squareKaratsuba(s2, b, bn, scratch, isCancelled)
        let n1 = 2 * an, n2 = 2 * bn   // n1 >= n2 as F(k) >= F(k-1)
        // b = F(2k-1) = s1 + s2
        b[n1] = add(b, s1, n1, s2, n2)
        bn = normalizedLength(b, n1 + 1)
        // a = F(2k+1) = 4 s1 - s2 + 2(-1)^k
        a[n1] = shiftLeft(a, s1, n1, by: 2)
        _ = subtract(a, a, n1 + 1, s2, n2)
        addTwoSigned(a, length: n1 + 1, negative: k & 1 == 1)
        an = normalizedLength(a, n1 + 1)
        if odd {
            // (F(2k+1), F(2k)): b = a - b
            _ = subtract(b, a, an, b, bn)
            bn = normalizedLength(b, an)
            k = 2 * k + 1
        } else {
            // (F(2k), F(2k-1)): a = a - b
            _ = subtract(a, a, an, b, bn)
            an = normalizedLength(a, an)
            k = 2 * k
        }
    }

    /// F(2k) or F(2k+1) from (F(k), F(k-1)), with one product.
    func lastStep(odd: Bool, _ isCancelled: () -> Bool) throws(KernelError) -> Natural {
        var s1n: Int, s2n: Int
        if odd {
            // s1 = 2a + b, s2 = 2a - b
            s2[an] = shiftLeft(s2, a, an, by: 1)
            s1.update(from: s2, count: an + 1)
            _ = add(s1, s1, an + 1, b, bn)
            _ = subtract(s2, s2, an + 1, b, bn)
            s1n = normalizedLength(s1, an + 1)
            s2n = normalizedLength(s2, an + 1)
        } else {
            // s1 = a + 2b (b <= a, so 2b has at most an + 1 limbs)
            s2[bn] = shiftLeft(s2, b, bn, by: 1)
            (s2 + bn + 1).update(repeating: 0, count: an - bn)
            s1[an] = 0
            _ = add(s1, s2, an + 1, a, an)
            s1n = normalizedLength(s1, an + 1)
            s2.update(from: a, count: an)
            s2n = an
        }
        let length = s1n + s2n
        var result = try Natural(capacity: length + 1)
        multiply(result.storage, s1, s1n, s2, s2n, scratch, isCancelled)
        result.storage[length] = 0
        if odd { addTwoSigned(result.storage, length: length + 1, negative: k & 1 == 1) }
        result.normalize(length + 1)
        return result
    }

    /// x += 2, or x -= 2 when `negative`; x stays non-negative by the identities used.
    func addTwoSigned(_ x: UnsafeMutablePointer<UInt64>, length: Int, negative: Bool) {
        if negative {
            _ = propagateBorrow(x, length, 2)
        } else {
            _ = propagateCarry(x, length, 2)
        }
    }
}

/// `r[0..<n] = a[0..<n] << bits` for `0 < bits < 64`; returns the bits shifted out. `r` may alias `a`.
func shiftLeft(_ r: MutableLimbs, _ a: Limbs, _ n: Int, by bits: Int) -> UInt64 {
    var carry: UInt64 = 0
    for i in 0..<n {
        let v = a[i]
        r[i] = (v << UInt64(bits)) | carry
        carry = v >> UInt64(64 - bits)
    }
    return carry
}

// MARK: - Naive recursion

/// F(n) by the naive doubly recursive definition, `fib(n-1) + fib(n-2)`:
/// exponential time (a call tree of about 1.6^n nodes) and no memoisation. This is the
/// benchmark kernel of Python-versus-native comparisons; use `fibonacci` for
/// real work.
///
/// - Parameters:
///   - n: `0 <= n <= 92`.
///   - isCancelled: polled about every 50,000 calls; returning true stops
///     the recursion with `KernelError.cancelled`.
/// - Throws: `.invalidArgument` outside `0...92`; `.cancelled`.
/// - Complexity: O(φ^n) time (F(n+1) leaf calls); O(n) stack.
public func fibonacciRecursive(_ n: Int, isCancelled: () -> Bool = { false }) throws(KernelError) -> UInt64 {
    guard n >= 0 && n <= largestRecursiveFibonacciIndex else {
        throw .invalidArgument(argument: "n", requirement: "must be between 0 and \(largestRecursiveFibonacciIndex)")
    }
    return try recursiveWithChecks(UInt64(n), isCancelled)
}

/// Subtrees at or below this index run unchecked (F(22) ~ 29,000 calls, about ten microseconds).
let uncheckedRecursionDepth: UInt64 = 22

func recursiveWithChecks(_ n: UInt64, _ isCancelled: () -> Bool) throws(KernelError) -> UInt64 {
    if n <= uncheckedRecursionDepth { return naiveFibonacci(n) }
    if isCancelled() { throw .cancelled }
    return try recursiveWithChecks(n - 1, isCancelled) &+ recursiveWithChecks(n - 2, isCancelled)
}

/// The plain recursion
///
///     fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)
///
/// in the form an optimising C compiler gives it (docs/fibonacci.md has the
/// disassembly of benchmarks/c/fib.c and the counts):
///
/// - The second call is turned into a loop: fib(n) = fib(n-1) + fib(n-3) +
///   fib(n-5) + ... down the chain n, n-2, n-4, ... (gcc -O2 and clang -O2 both
///   do this).
/// - The first call is inlined into itself `InlinedRecursion` levels deep, each
///   level again a loop (gcc -O2 inlines 8 levels: a nest of 9 loops).
/// - The base case: the last node of each chain, fib(2) = fib(1) + fib(0), is the
///   sum of two leaves, added without a branch (the compiler folds the leaf
///   values, 1 + 0, into one increment), where gcc's loops run once more
///   for it, call fib(1) and add fib(0) as `n & 1`.
///
/// It is still the exponential call tree: every leaf of the naive recursion is
/// reached once, every internal node is one addition (F(n+1) leaves, F(n+1) - 1
/// additions: `NaiveRecursionTests` counts them with a value type that records
/// them), nothing is remembered between calls and no Fibonacci number is
/// looked up or computed by formula; the work per leaf is constant (6.6
/// instructions, gcc's code 13.8). What changes is the control flow around the
/// fib(2) nodes, 38% of the internal nodes: no loop iteration, call or loop exit
/// each. With fib(2) as one more loop iteration, the same nest runs at 1.0-1.2x
/// gcc's time; folded, about 0.6x.
///
/// Generic over the value so that the tests can count leaves and additions;
/// the kernel runs the `UInt64` specialisation, whose wrapping addition is
/// safe because F(92) < 2^63.
@inline(never)
func naiveFibonacci<Value: NaiveFibonacciValue>(_ n: UInt64) -> Value {
    // Four levels measured fastest here (2 to 12 tried: 4 to 8 within noise of each other).
    InlinedRecursion<InlinedRecursion<InlinedRecursion<InlinedRecursion<RecursiveCall>>>>.fibonacci(n)
}

/// What the naive recursion adds up: `UInt64` in the kernel; in the tests, a
/// value that also counts the leaves and additions of the call tree.
protocol NaiveFibonacciValue {
    /// A leaf of the call tree: fib(n) = n for n < 2.
    init(leaf n: UInt64)
    /// The empty sum (not a node of the tree).
    static var zero: Self { get }
    /// An internal node: fib(k-1) + fib(k-2), or part of a chain's sum.
    func adding(_ other: Self) -> Self
}

extension UInt64: NaiveFibonacciValue {
    @inline(__always) init(leaf n: UInt64) { self = n }
    @inline(__always) static var zero: UInt64 { 0 }
    @inline(__always) func adding(_ other: UInt64) -> UInt64 { self &+ other }
}

/// One level of the recursion: a step of `naiveFibonacci`'s loop nest.
protocol NaiveRecursionLevel {
    static func fibonacci<Value: NaiveFibonacciValue>(_ n: UInt64) -> Value
}

/// fib(n) with the second call as a loop and the first handed to `Inner`:
/// fib(n) = fib(n-1) + fib(n-3) + ... + fib(2 or 1), every term >= 2 a node.
enum InlinedRecursion<Inner: NaiveRecursionLevel>: NaiveRecursionLevel {
    @inline(__always)
    static func fibonacci<Value: NaiveFibonacciValue>(_ n: UInt64) -> Value {
        var n = n, total = Value.zero
        while n >= 3 {
            total = total.adding(Inner.fibonacci(n &- 1) as Value)   // the node n: fib(n-1) + (the rest)
            n &-= 2
        }
        return total.adding(baseCases(n) as Value)
    }
}

/// The bottom of the nest: the recursive call, for the subtrees that are not leaves or fib(2).
enum RecursiveCall: NaiveRecursionLevel {
    @inline(__always)
    static func fibonacci<Value: NaiveFibonacciValue>(_ n: UInt64) -> Value {
        n < 3 ? baseCases(n) : naiveFibonacci(n)
    }
}

/// fib(n) for n <= 2: a leaf, or fib(2) = fib(1) + fib(0), the sum of two leaves.
@inline(__always)
func baseCases<Value: NaiveFibonacciValue>(_ n: UInt64) -> Value {
    n < 2 ? Value(leaf: n) : Value(leaf: n &- 1).adding(Value(leaf: n &- 2))
}

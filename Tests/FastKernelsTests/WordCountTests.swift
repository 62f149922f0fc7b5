import XCTest
@testable import FastKernels

/// `blocks` 64-byte blocks: first 16 blocks of byte values spread over every offset of a
/// block (byte i is i / 16 + step * i: all 256 values, each at 16 offsets or more), then
/// pseudo-random bytes from `seed`.
func everyByteAtEveryOffset(blocks: Int, step: Int, seed: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: blocks * 64)
    var state = seed
    for i in bytes.indices {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes[i] = i < 256 * 16 ? UInt8(truncatingIfNeeded: i / 16 + step * i) : UInt8(truncatingIfNeeded: state >> 56)
    }
    return bytes
}

final class WordCountTests: XCTestCase {
    /// The words of `result` in order, with their counts and ASCII flags.
    func words(_ result: consuming WordCountResult) -> [(String, Int, Bool)] {
        switch consume result {
        case .invalid(let at, _):
            XCTFail("invalid UTF-8 at \(at)")
            return []
        case .words(let list):
            var words: [(String, Int, Bool)] = []
            for index in 0..<list.count {
                list.withToken(index) { bytes, count, ascii in
                    words.append((String(decoding: bytes, as: UTF8.self), count, ascii == .ascii))
                }
            }
            return words
        }
    }

    func counts(_ text: String, threads: Int = 1) throws -> [(String, Int)] {
        var text = text
        return try text.withUTF8 { utf8 in
            words(try countWords(UnsafeRawBufferPointer(utf8), threads: threads)).map { ($0.0, $0.1) }
        }
    }

    /// What Python's Counter(text.split()) holds for ASCII text (lowered): first occurrence order.
    func expected(_ tokens: [String]) -> [(String, Int)] {
        var order: [String] = [], counts: [String: Int] = [:]
        for token in tokens {
            if counts[token] == nil { order.append(token) }
            counts[token, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    func assertSame(_ a: [(String, Int)], _ b: [(String, Int)], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) where x != y {
            XCTFail("\(x) != \(y)", file: file, line: line)
            return
        }
    }

    func testSplitsOnEveryPythonWhitespace() throws {
        let whitespace: [Character] = ["\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{1C}", "\u{1D}", "\u{1E}", "\u{1F}", " ",
                                       "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{200A}", "\u{2028}", "\u{2029}",
                                       "\u{202F}", "\u{205F}", "\u{3000}"]
        let text = whitespace.map { "a\($0)" }.joined() + "a"
        assertSame(try counts(text), [("a", whitespace.count + 1)])
        // Not whitespace: zero-width space, word joiner, BOM, NUL.
        assertSame(try counts("a\u{200B}b a\u{2060}b \u{FEFF}c a\u{0}b"),
                   [("a\u{200B}b", 1), ("a\u{2060}b", 1), ("\u{FEFF}c", 1), ("a\u{0}b", 1)])
    }

    func testLowersASCIIAndFlagsTheRest() throws {
        var text = "Hello HELLO hello Straße ΣΑΣ"
        let seen = try text.withUTF8 { words(try countWords(UnsafeRawBufferPointer($0), threads: 1)) }
        XCTAssertEqual(seen.map(\.0), ["hello", "straße", "ΣΑΣ"])
        XCTAssertEqual(seen.map(\.1), [3, 1, 1])
        XCTAssertEqual(seen.map(\.2), [true, false, false])  // ASCII letters lowered, the rest left for str.lower()
    }

    func testFirstOccurrenceOrderForEveryWorkerCount() throws {
        var rng = SystemRandomNumberGenerator()
        var tokens: [String] = []
        for i in 0..<400_000 {
            let long = i % 97 == 0
            let word = long ? "a-rather-long-token-number-\(Int.random(in: 0..<5000, using: &rng))"
                : "w\(Int.random(in: 0..<100_000, using: &rng))"
            tokens.append(word)
        }
        let text = tokens.joined(separator: " ") + " " + String(repeating: "z", count: 3_000_000)
        let reference = expected(tokens + [String(repeating: "z", count: 3_000_000)])
        for threads in [1, 2, 3, 8] { assertSame(try counts(text, threads: threads), reference) }
    }

    func testInvalidUTF8Offsets() throws {
        let cases: [([UInt8], Int)] = [
            ([0x61, 0x20, 0xFF], 2), ([0xC0, 0xAF], 0), ([0x61, 0xE0, 0x80, 0xAF], 1), ([0xED, 0xA0, 0x80], 0),
            ([0xF4, 0x90, 0x80, 0x80], 0), ([0x20, 0x20, 0xE2, 0x82], 2), ([0xF0, 0x9F, 0x98, 0x41], 0),
        ]
        for (bytes, offset) in cases {
            let outcome: (Int, [UInt8])? = try bytes.withUnsafeBytes { raw in
                let result = try countWords(raw, threads: 1)
                switch consume result {
                case .invalid(let at, let following): return (at, following.array)
                case .words: return nil
                }
            }
            XCTAssertEqual(outcome?.0, offset, "\(bytes)")
            XCTAssertEqual(outcome?.1, Array(bytes[offset...].prefix(4)), "\(bytes)")
        }
    }

    func testTableGrowsAndKeepsOrdinals() throws {
        guard let table = WordTable() else { return XCTFail("memory") }
        for i in 0..<100_000 {
            // Short words inline, long ones (every tenth) in the arena; zero padding to 16 bytes.
            let word = Array((i % 10 == 0 ? "a-rather-long-word-\(i)" : "w\(i)").utf8) + [UInt8](repeating: 0, count: 16)
            word.withUnsafeBufferPointer { table.add($0.baseAddress!, word.count - 16) }
            if i % 2 == 0 { word.withUnsafeBufferPointer { table.add($0.baseAddress!, word.count - 16, count: 3) } }
        }
        XCTAssertEqual(table.distinctCount, 100_000)
        XCTAssertEqual(table.totalCount, 100_000 + 50_000 * 3)
        table.forEach { bytes, count, ordinal in
            let word = String(decoding: bytes, as: UTF8.self)
            let i = Int(word.hasPrefix("w") ? String(word.dropFirst()) : String(word.split(separator: "-").last!))!
            XCTAssertEqual(count, i % 2 == 0 ? 4 : 1, word)
            XCTAssertEqual(ordinal, i, word)  // the order of arrival
        }
    }

    func testTablesForLargeTextsStartSmallAndGrowWithTheVocabulary() throws {
        // The first slots follow the text's size up to one huge page of them, never beyond:
        // a table for 40 MB of text holds 2 MiB until its vocabulary needs more.
        for (bytes, slots) in [(0, WordTable.minimumCapacity), (2_000, 1_024), (200_000, 4_096),
                               (40_000_000, WordTable.largestInitialCapacity), (Int.max, WordTable.largestInitialCapacity)] {
            guard let table = WordTable(expectedBytes: bytes) else { return XCTFail("memory") }
            XCTAssertEqual(table.capacity, slots, "\(bytes) bytes")
        }
        // Three doublings past the first slots, the counts and the order of arrival kept.
        guard let table = WordTable(expectedBytes: 40_000_000) else { return XCTFail("memory") }
        let distinct = WordTable.largestInitialCapacity * 4
        for i in 0..<distinct {
            let word = Array("v\(i)".utf8) + [UInt8](repeating: 0, count: 16)
            word.withUnsafeBufferPointer { table.add($0.baseAddress!, word.count - 16, count: i % 7 + 1) }
        }
        XCTAssertFalse(table.outOfMemory)
        XCTAssertEqual(table.distinctCount, distinct)
        XCTAssertGreaterThanOrEqual(table.capacity * 7, distinct * 10)  // at most 70% full
        var seen = 0
        table.forEach { bytes, count, ordinal in
            let i = Int(String(decoding: bytes.dropFirst(), as: UTF8.self))!
            XCTAssertEqual(ordinal, i)
            XCTAssertEqual(count, i % 7 + 1)
            seen += 1
        }
        XCTAssertEqual(seen, distinct)
    }

    func testBoundaryMasksOfEveryTierAgreeWithTheBytes() {
        // Every byte value at every position of a block: the masks of each tier the CPU
        // has (the baseline always) mark ASCII whitespace and non-ASCII bytes, nothing else.
        let blocks = 64
        let bytes = everyByteAtEveryOffset(blocks: blocks, step: 1, seed: 0x9E37_79B9_7F4A_7C15)
        let tiers = InstructionSet.allCases.filter { $0 <= InstructionSet.supported }
        for tier in tiers {
            let name = tier.name
            var whitespace = [UInt64](repeating: 0, count: blocks), nonASCII = [UInt64](repeating: 0, count: blocks)
            bytes.withUnsafeBufferPointer { text in
                whitespace.withUnsafeMutableBufferPointer { ws in
                    nonASCII.withUnsafeMutableBufferPointer { high in
                        computeBoundaryMasks(text.baseAddress!, blocks, ws.baseAddress!, high.baseAddress!, tier: tier)
                    }
                }
            }
            for (i, byte) in bytes.enumerated() {
                let bit = UInt64(1) << UInt64(i % 64)
                XCTAssertEqual(whitespace[i / 64] & bit != 0, isASCIIWhitespace(byte), "\(name): byte \(byte)")
                XCTAssertEqual(nonASCII[i / 64] & bit != 0, byte >= 0x80, "\(name): byte \(byte)")
            }
        }
    }

    func testBoundaryMasksWhileLoweringOfEveryTierAgreeWithTheBytes() {
        // Every byte value at every position of a block: each tier the CPU has copies the blocks
        // with exactly the ASCII capitals lowered, and finds the same masks as without copying.
        let blocks = 64
        let bytes = everyByteAtEveryOffset(blocks: blocks, step: 3, seed: 0x2545_F491_4F6C_DD1D)
        let expectedCopy = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for tier in InstructionSet.allCases.filter({ $0 <= InstructionSet.supported }) {
            var whitespace = [UInt64](repeating: 0, count: blocks), nonASCII = [UInt64](repeating: 0, count: blocks)
            var plainWhitespace = whitespace, plainNonASCII = nonASCII
            var copy = [UInt8](repeating: 0xEE, count: blocks * 64 + 64)
            bytes.withUnsafeBufferPointer { text in
                copy.withUnsafeMutableBufferPointer { lowered in
                    whitespace.withUnsafeMutableBufferPointer { ws in
                        nonASCII.withUnsafeMutableBufferPointer { high in
                            computeBoundaryMasksLowering(text.baseAddress!, blocks, lowered.baseAddress!, ws.baseAddress!,
                                                         high.baseAddress!, tier: tier)
                        }
                    }
                }
                plainWhitespace.withUnsafeMutableBufferPointer { ws in
                    plainNonASCII.withUnsafeMutableBufferPointer { high in
                        computeBoundaryMasks(text.baseAddress!, blocks, ws.baseAddress!, high.baseAddress!, tier: tier)
                    }
                }
            }
            XCTAssertEqual(Array(copy[..<(blocks * 64)]), expectedCopy, tier.name)
            XCTAssertEqual(Array(copy[(blocks * 64)...]), [UInt8](repeating: 0xEE, count: 64), "\(tier.name): wrote past the blocks")
            XCTAssertEqual(whitespace, plainWhitespace, tier.name)
            XCTAssertEqual(nonASCII, plainNonASCII, tier.name)
        }
    }

    func testTokensAtEveryBlockAlignment() throws {
        // A token ending, starting or cut by Unicode whitespace at each offset of a 64-byte
        // block, and texts ending at each offset of their last block.
        for space in ["\t", " ", "\u{1C}", "\u{A0}", "\u{3000}"] {
            for offset in 0..<130 {
                let text = String(repeating: "x", count: offset) + space + "Ab" + space + "é" + " q"
                let tokens = text.split(whereSeparator: { $0.isWhitespace || $0 == "\u{1C}" }).map { $0.lowercased() }
                assertSame(try counts(text), expected(tokens))
            }
        }
        for length in 0..<200 {
            let text = String(String(repeating: "Ab cD ", count: 40).prefix(length))
            assertSame(try counts(text), expected(text.split(separator: " ").map { $0.lowercased() }))
        }
    }

    func testMergingManyTablesIsLinear() throws {
        // Distinct words only, on 2 workers: the merge must not cluster (it once took quadratic time).
        let tokens = (0..<600_000).map { "w\($0)" }
        let text = tokens.joined(separator: " ")
        let start = DispatchTime.now()
        assertSame(try counts(text, threads: 2), tokens.map { ($0, 1) })
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        XCTAssertLessThan(seconds, 30)  // a generous bound: quadratic merging took minutes
    }

    func testCancellationStopsCountingAndMerging() {
        let text = String(repeating: "word ", count: 1 << 20)
        var utf8 = text
        let outcome: KernelError? = utf8.withUTF8 { bytes -> KernelError? in
            do throws(KernelError) {
                _ = try countWords(UnsafeRawBufferPointer(bytes), threads: 2, isCancelled: { true })
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(outcome, .cancelled)
    }

    func testLatin1Transcoding() {
        let source: [UInt8] = [0x43, 0x61, 0x66, 0xE9, 0x20, 0xA0]
        var destination = [UInt8](repeating: 0, count: 12)
        let n = source.withUnsafeBufferPointer { latin1ToUTF8($0.baseAddress!, $0.count, &destination) }
        XCTAssertEqual(String(decoding: destination[0..<n], as: UTF8.self), "Café \u{A0}")
    }

    func testFilesInRegionsAndStreams() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fastkernels-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokens = (0..<500_000).map { "t\($0 % 70_001)" + ($0 % 1000 == 0 ? "Ω" : "") }
        let path = directory.appendingPathComponent("text.txt").path
        try (tokens.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let reference = expected(tokens)
        for threads in [1, 2, 5] {
            let descriptor = open(path, O_RDONLY)
            defer { close(descriptor) }
            let result = words(try countWords(fileDescriptor: descriptor, encoding: .utf8, threads: threads))
            assertSame(result.map { ($0.0, $0.1) }, reference)
        }
    }

    /// The short-text path's tokens, counts and kinds, or nil when it declined the text.
    func shortWords(_ text: [UInt8], workers: Int = 1) -> [(String, Int, TokenLowering)]? {
        text.withUnsafeBytes { bytes in
            withShortTextWords(bytes, workers: workers, counting: { count in count() }) { (list: inout ShortTextWords) -> [(String, Int, TokenLowering)] in
                (0..<list.count).map { index in
                    list.withToken(index) { bytes, count, kind in (String(decoding: bytes, as: UTF8.self), count, kind) }
                }
            }
        }
    }

    func testShortTextsCountAsTheGeneralKernelDoes() {
        // ASCII: the same words, counts and order as the general kernel, at lengths around 8 and 16.
        var generator = SystemRandomNumberGenerator()
        let vocabulary = (1...40).map { String(repeating: "aB", count: $0).prefix($0) }.map(String.init)
            + ["x", "X", "y\u{0}", "\u{1c}z", "zz"]
        for _ in 0..<200 {
            let count = Int.random(in: 0...300, using: &generator)
            let separators = [" ", "\n", "\t\t", "\u{1f}", "\u{3000}", "\u{a0}"]
            let text = (0..<count).map { _ in vocabulary.randomElement(using: &generator)! + separators.randomElement(using: &generator)! }
                .joined()
            let short = shortWords(Array(text.utf8))!
            XCTAssertEqual(short.map { $0.0 }, (try? counts(text).map { $0.0 }) ?? [], text)
            XCTAssertEqual(short.map { $0.1 }, (try? counts(text).map { $0.1 }) ?? [], text)
        }
    }

    /// The fast path's masks of a token of 1 to 16 bytes: its low `length` bytes, as
    /// `lowBytesMask` of the two words gives them.
    /// The long-token path hashes, compares and copies straight from the text, lowering as
    /// it reads, by whole words (17 to 32 bytes: the first 16 and the last 16, overlapping):
    /// every byte of every length counts, at any alignment, and reading with lowering equals
    /// reading the lowered bytes. (A hash table only compares keys whose hashes collide, so
    /// the comparison is tested here, not through the counts.)
    func testLongTokenHashesComparisonsAndCopiesCoverEveryByte() {
        var state: UInt64 = 7
        func nextByte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        func lowered(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
        for length in 0...80 {
            for offset in 0..<3 {
                // Mixed case letters and arbitrary bytes; `lower` is their lowering, one byte past
                // the end of an allocation of exactly what is read (the sanitizers see overreads).
                let text = (0..<length).map { _ in nextByte() & 1 == 0 ? 0x41 + nextByte() % 58 : nextByte() }
                let upper = UnsafeMutablePointer<UInt8>.allocate(capacity: offset + length)
                let lower = UnsafeMutablePointer<UInt8>.allocate(capacity: length + 1)
                let copied = UnsafeMutablePointer<UInt8>.allocate(capacity: length + 1)
                defer { upper.deallocate(); lower.deallocate(); copied.deallocate() }
                for i in 0..<length {
                    upper[offset + i] = text[i]
                    lower[i] = lowered(text[i])
                }
                copied[length] = 0xEE
                copyLoweringASCII(upper + offset, length, to: copied)
                XCTAssertEqual(Array(UnsafeBufferPointer(start: copied, count: length)),
                               Array(UnsafeBufferPointer(start: lower, count: length)), "length \(length)")
                XCTAssertEqual(copied[length], 0xEE, "wrote past the token, length \(length)")
                XCTAssertEqual(wordHash(upper + offset, length, lowering: true), wordHash(lower, length))
                XCTAssertTrue(bytesEqual(lower, upper + offset, length, lowering: true))
                XCTAssertEqual(bytesEqual(lower, upper + offset, length),
                               (0..<length).allSatisfy { lower[$0] == upper[offset + $0] })
                for position in 0..<length {
                    let saved = lower[position]
                    lower[position] = saved ^ 0x80  // never equal after lowering either
                    XCTAssertFalse(bytesEqual(lower, upper + offset, length, lowering: true),
                                   "length \(length), byte \(position)")
                    XCTAssertNotEqual(wordHash(lower, length), wordHash(upper + offset, length, lowering: true),
                                      "length \(length), byte \(position)")
                    lower[position] = saved
                }
            }
        }
    }

    func testTokenMasksKeepTheTokensBytes() {
        for length in 1...16 {
            let (first, second) = tokenMasks(length)
            XCTAssertEqual(first, lowBytesMask(length), "\(length)")
            XCTAssertEqual(second, lowBytesMask(length - 8), "\(length)")
            XCTAssertEqual(first.nonzeroBitCount + second.nonzeroBitCount, 8 * length)
        }
    }

    func testShortTextsLowerLatin1AndKeepPunctuation() {
        let words = shortWords(Array("\u{C9}T\u{C9} \u{E9}t\u{E9} \u{D7} \u{2019}Q \u{3A3}A caf\u{C9}\u{2026}".utf8))!
        XCTAssertEqual(words.map { $0.0 }, ["\u{E9}t\u{E9}", "\u{D7}", "\u{2019}q", "\u{3A3}a", "caf\u{E9}\u{2026}"])
        XCTAssertEqual(words.map { $0.1 }, [2, 1, 1, 1, 1])
        XCTAssertEqual(words.map { $0.2 }, [.lowered, .lowered, .lowered, .needsLower, .lowered])
    }

    /// `mayNeedLower` is false exactly when no token is `.needsLower` (the adapter then skips
    /// its search for them), in one pass and in two halves.
    func testShortTextsKnowWhetherAnyTokenNeedsLowering() {
        func mayNeedLower(_ text: String, workers: Int = 1) -> Bool? {
            Array(text.utf8).withUnsafeBytes { bytes in
                withShortTextWords(bytes, workers: workers, counting: { count in count() }) { (list: inout ShortTextWords) in
                    list.mayNeedLower
                }
            }
        }
        XCTAssertEqual(mayNeedLower(""), false)
        XCTAssertEqual(mayNeedLower("Plain ASCII text, Only"), false)
        XCTAssertEqual(mayNeedLower("caf\u{C9} \u{2019}Q \u{D7} na\u{EF}ve"), false)  // lowered in place
        XCTAssertEqual(mayNeedLower("a \u{3A3}A b"), true)
        XCTAssertEqual(mayNeedLower("K\u{212A}"), true)
        let ascii = String(repeating: "some Words here ", count: 4000)
        XCTAssertEqual(mayNeedLower(ascii, workers: 2), false)
        XCTAssertEqual(mayNeedLower(ascii + "\u{3A3}", workers: 2), true)  // only in the second half
        XCTAssertEqual(mayNeedLower("\u{3A3} " + ascii, workers: 2), true)  // only in the first
    }

    func testShortTextsInHalvesCountAsOneThreadDoes() {
        // Texts from the size counted in two halves: the same tokens, counts, kinds and order,
        // whatever sits at the cut (a Latin-1 capital, a long token, Unicode whitespace), and a
        // vocabulary shared by both halves or new in the second.
        var generator = SystemRandomNumberGenerator()
        let vocabulary = (1...40).map { String(repeating: "aB", count: $0).prefix($0) }.map(String.init)
            + ["\u{C9}T\u{C9}", "\u{C0}\u{C0}\u{C0}\u{C0}\u{C0}\u{C0}\u{C0}\u{C0}\u{C0}", "x\u{3A3}", "caf\u{E9}"]
        let separators = [" ", "\n", "\u{3000}", "\u{a0}", "\u{85}"]
        for round in 0..<60 {
            let size = shortTextHalvesMinimum + Int.random(in: -64...4096, using: &generator)
            var text = ""
            var words = 0
            while text.utf8.count < size {
                // The second half mostly has words of its own.
                let word = vocabulary.randomElement(using: &generator)! + (text.utf8.count > size / 2 ? "\(words % 97)" : "")
                text += word + separators.randomElement(using: &generator)!
                words += 1
            }
            if round % 3 == 0 { text.removeLast() }  // no whitespace at the end
            let bytes = Array(text.utf8)
            guard let one = shortWords(bytes, workers: 1), let two = shortWords(bytes, workers: 2) else {
                return XCTFail("declined a valid text")
            }
            XCTAssertEqual(two.map { $0.0 }, one.map { $0.0 })
            XCTAssertEqual(two.map { $0.1 }, one.map { $0.1 })
            XCTAssertEqual(two.map { $0.2 }, one.map { $0.2 })
            XCTAssertEqual(two.map { $0.1 }.reduce(0, +), words)
        }
        // Latin-1 capitals right after the middle, where the first half's last keys are read.
        let half = shortTextHalvesMinimum / 2
        for offset in -20...20 {
            var bytes = [UInt8](repeating: 0x61, count: shortTextHalvesMinimum + 64)
            for i in stride(from: 7, to: bytes.count, by: 8) { bytes[i] = 0x20 }
            let at = half + offset
            bytes.replaceSubrange(at..<at + 4, with: [0xC3, 0x89, 0xC3, 0x80])  // ÉÀ
            XCTAssertEqual(shortWords(bytes, workers: 2)?.map { $0.0 }, shortWords(bytes, workers: 1)?.map { $0.0 })
            XCTAssertEqual(shortWords(bytes, workers: 2)?.map { $0.1 }, shortWords(bytes, workers: 1)?.map { $0.1 })
        }
        // One token from the middle on (no whitespace to cut at), and invalid UTF-8 in either half.
        var long = [UInt8](repeating: 0x20, count: shortTextHalvesMinimum)
        long.replaceSubrange(10..<12, with: [0x61, 0x62])
        long.replaceSubrange(half - 3..<long.count, with: [UInt8](repeating: 0x62, count: long.count - half + 3))
        XCTAssertEqual(shortWords(long, workers: 2)?.map { $0.1 }, [1, 1])
        for position in [100, half + 100] {
            var bytes = [UInt8](repeating: 0x61, count: shortTextHalvesMinimum * 2)
            for i in stride(from: 5, to: bytes.count, by: 6) { bytes[i] = 0x0A }
            bytes[position] = 0xFF
            XCTAssertNil(shortWords(bytes, workers: 2))
        }
    }

    func testShortTextsDeclineInvalidUTF8AndLongTexts() {
        XCTAssertNil(shortWords([0x61, 0x20, 0xFF]))
        XCTAssertNil(shortWords([0x61, 0x20, 0xC3]))  // cut off by the end
        XCTAssertNil(shortWords([0xED, 0xA0, 0x80]))  // a surrogate
        XCTAssertNil(shortWords([UInt8](repeating: 0x61, count: shortTextLimit + 1)))
        XCTAssertEqual(shortWords([UInt8](repeating: 0x61, count: shortTextLimit))?.first?.1, 1)
        XCTAssertEqual(shortWords([])?.count, 0)
    }
}

/// The merge of fastkernels.dask's encoded partial counts.
final class EncodedWordCountsTests: XCTestCase {
    func merge(_ parts: [(String, [Int64])]) throws(KernelError) -> (String, [Int64]) {
        // Each part in memory of its own (exactly its size, so that ASan sees any read past it).
        var memory = [UnsafeMutableRawBufferPointer]()
        defer { memory.forEach { $0.deallocate() } }
        func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            buffer.copyMemory(from: bytes)
            memory.append(buffer)
            return UnsafeRawBufferPointer(buffer)
        }
        let encoded = parts.map { words, counts in
            EncodedWordCounts(words: Array(words.utf8).withUnsafeBytes(copy), counts: counts.withUnsafeBytes(copy))
        }
        return try encoded.withUnsafeBufferPointer { buffer throws(KernelError) -> (String, [Int64]) in
            let result = try mergeWordCounts(buffer)
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(result.byteCount, 1), alignment: 8)
            let numbers = UnsafeMutableBufferPointer<Int64>.allocate(capacity: max(result.count, 1))
            defer { bytes.deallocate(); numbers.deallocate() }
            result.write(words: bytes.baseAddress!, counts: UnsafeMutableRawPointer(numbers.baseAddress!))
            return (String(decoding: bytes.prefix(result.byteCount), as: UTF8.self), Array(numbers.prefix(result.count)))
        }
    }

    func testMergesInFirstOccurrenceOrder() throws {
        let (words, counts) = try merge([("the cat sat", [2, 1, 1]), ("", []), ("sat on the mat", [1, 1, 1, 1]),
                                         ("ΣΑΣ cat", [5, -1])])
        XCTAssertEqual(words, "the cat sat on mat ΣΑΣ")
        XCTAssertEqual(counts, [3, 0, 2, 1, 1, 5])
        XCTAssertEqual(try merge([]).0, "")
    }

    func testManyWordsGrowTheTable() throws {
        let vocabulary = (0..<5000).map { "w\($0)" + String(repeating: "x", count: $0 % 40) }
        let first = vocabulary.joined(separator: " ")
        let second = vocabulary.reversed().joined(separator: " ")
        let (words, counts) = try merge([(first, Array(repeating: 1, count: 5000)), (second, Array(repeating: 2, count: 5000))])
        XCTAssertEqual(words, first)
        XCTAssertEqual(counts, Array(repeating: 3, count: 5000))
    }

    func testRejectsMalformedPartsAndOverflow() {
        for (words, counts) in [("a b", [Int64(1)]), ("a", [1, 2]), ("a  b", [1, 1]), (" a", [1]), ("a ", [1]), ("", [1])] {
            XCTAssertThrowsError(try merge([(words, counts)]), "\(words) \(counts)") { error in
                guard case KernelError.invalidArgument = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertThrowsError(try merge([("a", [Int64.max]), ("a", [1])])) { error in
            guard case KernelError.resultTooLarge = error else { return XCTFail("\(error)") }
        }
    }

    /// `utf8Length` and `encodeUTF8` on a str's stored characters (1, 2 or 4 bytes each) give
    /// what Swift's own UTF-8 encoding gives; a surrogate makes `utf8Length` nil.
    func testStoredCharactersEncodeAsUTF8() {
        var generator = SystemRandomNumberGenerator()
        let ranges: [(width: Int, limit: UInt32)] = [(1, 0xFF), (2, 0xFFFF), (4, 0x10FFFF)]
        for (width, limit) in ranges {
            for length in [0, 1, 2, 7, 8, 9, 15, 16, 64, 1000, 1001] {
                for _ in 0..<20 {
                    var scalars: [UInt32] = []
                    for _ in 0..<length {
                        // ASCII, two-, three- and four-byte characters about equally often.
                        // (Mostly ASCII in half of the texts: runs long enough for the fast paths.)
                        let ascii = length % 2 == 0 && Int.random(in: 0..<10, using: &generator) < 8
                        let bound = ascii ? 0x7F : [0x7F, 0x7FF, 0xFFFF, limit].map { min($0, limit) }.randomElement(using: &generator)!
                        var c = UInt32.random(in: 0...bound, using: &generator)
                        if (0xD800...0xDFFF).contains(c) { c = 0xE000 }
                        scalars.append(c)
                    }
                    let expected = Array(String(String.UnicodeScalarView(scalars.map { Unicode.Scalar($0)! })).utf8)
                    let stored = UnsafeMutableRawPointer.allocate(byteCount: max(1, length * width), alignment: 4)
                    defer { stored.deallocate() }
                    for (i, c) in scalars.enumerated() {
                        switch width {
                        case 1: stored.storeBytes(of: UInt8(c), toByteOffset: i, as: UInt8.self)
                        case 2: stored.storeBytes(of: UInt16(c), toByteOffset: 2 * i, as: UInt16.self)
                        default: stored.storeBytes(of: c, toByteOffset: 4 * i, as: UInt32.self)
                        }
                    }
                    XCTAssertEqual(utf8Length(characters: stored, count: length, width: width), expected.count)
                    // One guard byte past the end, which encoding must leave alone.
                    let output = UnsafeMutablePointer<UInt8>.allocate(capacity: expected.count + 1)
                    output[expected.count] = 0xA5
                    defer { output.deallocate() }
                    let written = encodeUTF8(characters: stored, count: length, width: width, into: output)
                    XCTAssertEqual(Array(UnsafeBufferPointer(start: output, count: written)), expected)
                    XCTAssertEqual(output[expected.count], 0xA5)
                    if width > 1 && length > 0 {  // a lone surrogate anywhere
                        let at = Int.random(in: 0..<length, using: &generator)
                        if width == 2 {
                            stored.storeBytes(of: UInt16(0xDC00), toByteOffset: 2 * at, as: UInt16.self)
                        } else {
                            stored.storeBytes(of: UInt32(0xD800), toByteOffset: 4 * at, as: UInt32.self)
                        }
                        XCTAssertNil(utf8Length(characters: stored, count: length, width: width))
                    }
                }
            }
        }
    }

    /// The workers' encoding (each measures its part, then writes it at its offset) gives the
    /// same bytes for every thread count, nil for a surrogate in any part, and stops when cancelled.
    func testStoredCharactersEncodeOnWorkers() {
        let count = 3 * encodingCharactersPerWorker + 12_345
        let pattern: [UInt16] = [0x41, 0x20, 0x41F, 0x440, 0x438, 0x20, 0x65E5, 0x672C, 0x3B1, 0x20, 0x7A, 0x7FF, 0x800]
        let stored = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
        defer { stored.deallocate() }
        for i in 0..<count { stored[i] = pattern[(i * 7 + i / 13) % pattern.count] }
        let expected = Array(String(decoding: UnsafeBufferPointer(start: stored, count: count), as: UTF16.self).utf8)
        /// The bytes, nil for a surrogate, or the error (EncodedText is not copyable: no XCTUnwrap).
        func outcome(threads: Int, cancelled: Bool = false) -> Result<[UInt8]?, KernelError> {
            do throws(KernelError) {
                guard let encoded = try encodeUTF8(characters: stored, count: count, width: 2, threads: threads,
                                                   isCancelled: { cancelled }) else { return .success(nil) }
                return .success(encoded.withBytes { Array($0) })
            } catch {
                return .failure(error)
            }
        }
        for threads in [1, 2, 3] {
            guard case .success(let bytes?) = outcome(threads: threads) else { return XCTFail("threads \(threads)") }
            XCTAssertTrue(bytes == expected, "threads \(threads)")
        }
        stored[count - 3] = 0xDFFF  // in the last worker's part
        guard case .success(nil) = outcome(threads: 3) else { return XCTFail("a surrogate must give nil") }
        guard case .failure(.cancelled) = outcome(threads: 2, cancelled: true) else { return XCTFail("not cancelled") }
    }
}

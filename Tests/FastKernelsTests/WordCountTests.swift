import XCTest
@testable import FastKernels

final class WordCountTests: XCTestCase {
    func counts(_ text: String, threads: Int = 1) throws -> [String: Int] {
        var text = text
        return try text.withUTF8 { utf8 in
            let result = try countWords(UnsafeRawBufferPointer(utf8), threads: threads)
            XCTAssertNil(result.invalidAt)
            var counts: [String: Int] = [:]
            result.table.forEach { bytes, count, _ in counts[String(decoding: bytes, as: UTF8.self), default: 0] += count }
            return counts
        }
    }

    func testSplitsOnEveryPythonWhitespace() throws {
        let whitespace: [Character] = ["\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{1C}", "\u{1D}", "\u{1E}", "\u{1F}", " ",
                                       "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}", "\u{200A}", "\u{2028}", "\u{2029}",
                                       "\u{202F}", "\u{205F}", "\u{3000}"]
        let text = whitespace.map { "a\($0)" }.joined() + "a"
        XCTAssertEqual(try counts(text), ["a": whitespace.count + 1])
        // Not whitespace: zero-width space, word joiner, BOM, NUL.
        XCTAssertEqual(try counts("a\u{200B}b a\u{2060}b \u{FEFF}c a\u{0}b"),
                       ["a\u{200B}b": 1, "a\u{2060}b": 1, "\u{FEFF}c": 1, "a\u{0}b": 1])
    }

    func testLowersASCIIAndFlagsTheRest() throws {
        var text = "Hello HELLO hello Straße ΣΑΣ"
        try text.withUTF8 { utf8 in
            let table = try countWords(UnsafeRawBufferPointer(utf8), threads: 1).table
            var seen: [String: (Int, Bool)] = [:]
            table.forEach { bytes, count, ascii in seen[String(decoding: bytes, as: UTF8.self)] = (count, ascii) }
            XCTAssertEqual(seen["hello"]?.0, 3)
            XCTAssertEqual(seen["hello"]?.1, true)
            XCTAssertEqual(seen["straße"]?.1, false)  // ASCII letters lowered, the rest left for str.lower()
            XCTAssertEqual(seen["ΣΑΣ"]?.1, false)
            XCTAssertEqual(table.totalCount, 5)
        }
    }

    func testInvalidUTF8Offsets() throws {
        let cases: [([UInt8], Int)] = [
            ([0x61, 0x20, 0xFF], 2), ([0xC0, 0xAF], 0), ([0x61, 0xE0, 0x80, 0xAF], 1), ([0xED, 0xA0, 0x80], 0),
            ([0xF4, 0x90, 0x80, 0x80], 0), ([0x20, 0x20, 0xE2, 0x82], 2), ([0xF0, 0x9F, 0x98, 0x41], 0),
        ]
        for (bytes, offset) in cases {
            let result = try bytes.withUnsafeBytes { try countWords($0, threads: 1) }
            XCTAssertEqual(result.invalidAt, offset, "\(bytes)")
        }
    }

    func testSharesAndSlicesGiveTheSameCounts() throws {
        var pieces: [String] = []
        for i in 0..<400_000 { pieces.append(["alpha", "Beta", "γάμμα", "日本", "x"][i % 5] + (i % 7 == 0 ? "\u{3000}" : " ")) }
        pieces.append(String(repeating: "z", count: 3_000_000))  // one token longer than a slice
        let text = pieces.joined()
        let one = try counts(text, threads: 1)
        for threads in [2, 3, 8] { XCTAssertEqual(try counts(text, threads: threads), one) }
        XCTAssertEqual(one["alpha"], 80_000)
        XCTAssertEqual(one[String(repeating: "z", count: 3_000_000)], 1)
    }

    func testTableGrowsAndMerges() throws {
        let a = WordTable(), b = WordTable()
        for i in 0..<100_000 {
            // Short words inline, long ones (every tenth) in the arena; zero padding to 16 bytes.
            let word = Array((i % 10 == 0 ? "a-rather-long-word-\(i)" : "w\(i)").utf8) + [UInt8](repeating: 0, count: 16)
            let length = word.count - 16
            word.withUnsafeBufferPointer { a.add($0.baseAddress!, length) }
            if i % 2 == 0 { word.withUnsafeBufferPointer { b.add($0.baseAddress!, length, count: 3) } }
        }
        a.merge(b)
        XCTAssertEqual(a.distinctCount, 100_000)
        XCTAssertEqual(a.totalCount, 100_000 + 50_000 * 3)
        var total = 0
        a.forEach { bytes, count, ascii in
            XCTAssertTrue(ascii)
            let word = String(decoding: bytes, as: UTF8.self)
            let i = Int(word.hasPrefix("w") ? String(word.dropFirst()) : String(word.split(separator: "-").last!))!
            XCTAssertEqual(count, i % 2 == 0 ? 4 : 1, word)
            total += count
        }
        XCTAssertEqual(total, a.totalCount)
    }

    func testTakeWordsHandsEveryTokenOverInHashOrder() {
        let table = WordTable()
        var expected: [String: Int] = [:]
        func add(_ word: String, _ count: Int) {
            let bytes = Array(word.utf8) + [UInt8](repeating: 0, count: 16)
            bytes.withUnsafeBufferPointer { table.add($0.baseAddress!, bytes.count - 16, count: count) }
            expected[word, default: 0] += count
        }
        // 120,000 tokens: 32-byte slots span several 2 MiB pages, so release(before:) gives some back.
        for i in 0..<120_000 {
            add(i % 7 == 0 ? "a-rather-long-word-\(i)" : "w\(i)", i % 5 + 1)
            if i % 1000 == 0 { add(i % 2000 == 0 ? "straße-\(i)" : "ΣΑΣ-a-long-non-ascii-\(i)", 2) }
        }
        // Any hash will do: FNV-1a, so that the order is checkable here.
        func fnv(_ bytes: UnsafeRawBufferPointer) -> Int {
            Int(bitPattern: UInt(bytes.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }))
        }
        var words = table.takeWords(orderingASCIIBy: fnv, bits: 17)
        XCTAssertEqual(table.distinctCount, 0)
        XCTAssertEqual(words.count, expected.count)
        XCTAssertEqual(words.asciiCount, expected.keys.filter { $0.utf8.allSatisfy { $0 < 0x80 } }.count)
        var seen: [String: Int] = [:]
        var previous = -1
        for index in 0..<words.count {
            words.withToken(index) { bytes, count in
                let word = String(decoding: bytes, as: UTF8.self)
                XCTAssertEqual(bytes.allSatisfy { $0 < 0x80 }, index < words.asciiCount, word)
                if index < words.asciiCount {
                    let slot = fnv(UnsafeRawBufferPointer(bytes)) & ((1 << 17) - 1)
                    XCTAssertGreaterThanOrEqual(slot, previous, word)
                    previous = slot
                }
                XCTAssertNil(seen.updateValue(count, forKey: word), word)
            }
            words.release(before: index)
        }
        XCTAssertEqual(seen, expected)
        // The emptied table counts again.
        add("again", 1)
        XCTAssertEqual(table.distinctCount, 1)
    }

    func testLatin1Transcoding() {
        let source: [UInt8] = [0x43, 0x61, 0x66, 0xE9, 0x20, 0xA0]
        var destination = [UInt8](repeating: 0, count: 12)
        let n = source.withUnsafeBufferPointer { latin1ToUTF8($0.baseAddress!, $0.count, &destination) }
        XCTAssertEqual(String(decoding: destination[0..<n], as: UTF8.self), "Café \u{A0}")
    }
}

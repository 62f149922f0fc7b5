// The block sizes of the blocked product, from this CPU's cache sizes. See docs/matmul.md.

/// The cache blocking of one product: KC deep panels, MC x KC blocks of A (in
/// L3), KC x NC panels of B (in L2), from the cache sizes of this CPU.
struct MatmulBlocks {
    /// The most rows of A packed at once (a multiple of the kernel's rows).
    let mc: Int
    /// The depth of the packed panels.
    let kc: Int
    /// The most columns of B packed at once (a multiple of the kernel's columns).
    let nc: Int
    let rowMultiple: Int
    let columnMultiple: Int

    init<T>(kernel: MicroKernel<T>, elementSize: Int, m: Int, n: Int, k: Int) {
        let caches = CacheSizes.current
        // The MR x KC micro-panel of A and the NR x KC micro-panel of B that one kernel
        // call reads take two thirds of L1 together, a KC x NC panel of B half of L2, an
        // MC x KC block of A an eighth of L3 (shared by the cores). Then each is evened
        // out over the blocks its dimension needs, so that no last block is a sliver
        // (k = 300 is 150 + 150, not 256 + 44). Sized for the A micro-panel alone (KC 384
        // for 8 x 24 float64), the B micro-panel streaming through L1 evicted it before the
        // next call reused it: a 2048 product took 4-6% longer than at KC 128.
        let microPanels = (kernel.rows + kernel.columns) * elementSize
        let kcLimit = max(64, min(caches.level1 * 2 / 3 / microPanels, 384))
        let kc = balanced(k, limit: kcLimit, multiple: 1)
        let ncLimit = max(kernel.columns, caches.level2 / 2 / (kc * elementSize))
        let mcLimit = max(kernel.rows, min(caches.level3 / 8 / (kc * elementSize), 2048))
        self.kc = kc
        self.mc = balanced(m, limit: mcLimit, multiple: kernel.rows)
        self.nc = balanced(n, limit: ncLimit, multiple: kernel.columns)
        rowMultiple = kernel.rows
        columnMultiple = kernel.columns
    }

    /// The blocks for a worker's part of C: never larger than these, evened out over its part.
    func fitted(rows: Int, columns: Int) -> (mc: Int, nc: Int) {
        (balanced(rows, limit: mc, multiple: rowMultiple), balanced(columns, limit: nc, multiple: columnMultiple))
    }
}

/// The block length for `length` elements in blocks of at most about `limit`:
/// as many blocks as `limit` needs, equal in size, rounded up to `multiple`.
func balanced(_ length: Int, limit: Int, multiple: Int) -> Int {
    let limit = max(multiple, limit / multiple * multiple)
    let blocks = max(1, (length + limit - 1) / limit)
    let size = (length + blocks - 1) / blocks
    return max(multiple, (size + multiple - 1) / multiple * multiple)
}

/// Data cache sizes in bytes, read once from sysfs (typical values when it cannot be read).
struct CacheSizes: Equatable {
    let level1: Int
    let level2: Int
    let level3: Int

    /// The caches of CPU 0.
    static let current = CacheSizes(sysfs: "/sys/devices/system/cpu/cpu0/cache")

    /// 32 KiB, 512 KiB and 8 MiB: what is used for a level that cannot be read.
    static let fallback = CacheSizes(level1: 32 << 10, level2: 512 << 10, level3: 8 << 20)

    init(level1: Int, level2: Int, level3: Int) {
        (self.level1, self.level2, self.level3) = (level1, level2, level3)
    }

    /// Reads `directory/index<N>/{level,type,size}` as Linux lays out a CPU's caches (each
    /// file one line, ending in a newline), the data and unified caches only; each level
    /// is then kept within sane bounds (16 KiB-256 KiB, 128 KiB-8 MiB, 1 MiB-256 MiB).
    init(sysfs directory: String) {
        var sizes = [1: CacheSizes.fallback.level1, 2: CacheSizes.fallback.level2, 3: CacheSizes.fallback.level3]
        for index in 0..<8 {
            let folder = "\(directory)/index\(index)/"
            func field(_ name: String) -> String? { readSmallFile(folder + name)?.trimmingWhitespace() }
            guard let level = field("level").flatMap({ Int($0) }), let type = field("type"), type != "Instruction",
                  let size = field("size").flatMap(parseCacheSize), size > 0 else { continue }
            sizes[level] = size
        }
        self.init(level1: min(max(sizes[1]!, 16 << 10), 256 << 10),
                  level2: min(max(sizes[2]!, 128 << 10), 8 << 20),
                  level3: min(max(sizes[3]!, 1 << 20), 256 << 20))
    }
}

/// "32K", "512K", "32768K", "1M" -> bytes.
func parseCacheSize(_ text: String) -> Int? {
    guard let unit = text.last else { return nil }
    switch unit {
    case "K": return Int(text.dropLast()).map { $0 << 10 }
    case "M": return Int(text.dropLast()).map { $0 << 20 }
    default: return Int(text)
    }
}

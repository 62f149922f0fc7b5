// Packing: copies a block of an operand into the order the register kernel
// reads it, converting elements to the compute type. Both operands go through
// the same routine (B as its transpose): panels of `width` rows, each stored
// depth-major (`width` consecutive values per step), the last panel padded
// with zeros.

/// Packs rows `panels` x columns `depth` of `view` into panels of `width` rows.
func packPanels<T: MatmulCompute>(_ view: MatrixView, panels: Range<Int>, depth: Range<Int>, width: Int,
                                  into destination: UnsafeMutablePointer<T>) {
    if readableInPlace(view, T.self) || readableInPlace(view.transposed, T.self) {
        // The common case: the operand already holds T, in order along one dimension.
        switch width {
        case 4: return packPanels(view, panels: panels, depth: depth, into: destination, width: InlineArray<4, Int>.self)
        case 6: return packPanels(view, panels: panels, depth: depth, into: destination, width: InlineArray<6, Int>.self)
        case 8: return packPanels(view, panels: panels, depth: depth, into: destination, width: InlineArray<8, Int>.self)
        case 16: return packPanels(view, panels: panels, depth: depth, into: destination, width: InlineArray<16, Int>.self)
        case 24: return packPanels(view, panels: panels, depth: depth, into: destination, width: InlineArray<24, Int>.self)
        case 48: return packPanels(view, panels: panels, depth: depth, into: destination, width: InlineArray<48, Int>.self)
        default: break
        }
    }
    switch view.element {
    case .float64: packPanels(view, Double.self, panels: panels, depth: depth, width: width, into: destination)
    case .float32: packPanels(view, Float.self, panels: panels, depth: depth, width: width, into: destination)
    case .int64: packPanels(view, Int64.self, panels: panels, depth: depth, width: width, into: destination)
    case .uint64: packPanels(view, UInt64.self, panels: panels, depth: depth, width: width, into: destination)
    case .int32: packPanels(view, Int32.self, panels: panels, depth: depth, width: width, into: destination)
    case .uint32: packPanels(view, UInt32.self, panels: panels, depth: depth, width: width, into: destination)
    case .int16: packPanels(view, Int16.self, panels: panels, depth: depth, width: width, into: destination)
    case .uint16: packPanels(view, UInt16.self, panels: panels, depth: depth, width: width, into: destination)
    case .int8: packPanels(view, Int8.self, panels: panels, depth: depth, width: width, into: destination)
    case .uint8: packPanels(view, UInt8.self, panels: panels, depth: depth, width: width, into: destination)
    case .bool: packPanels(view, MatrixBool.self, panels: panels, depth: depth, width: width, into: destination)
    }
}

@inline(__always)
func packPanels<S: MatrixScalar, T: MatmulCompute>(_ view: MatrixView, _: S.Type, panels: Range<Int>,
                                                   depth: Range<Int>, width: Int,
                                                   into destination: UnsafeMutablePointer<T>) {
    if view.byteSwapped {
        packPanels(view, S.self, swapped: true, panels: panels, depth: depth, width: width, into: destination)
    } else {
        packPanels(view, S.self, swapped: false, panels: panels, depth: depth, width: width, into: destination)
    }
}

@inline(__always)
func packPanels<S: MatrixScalar, T: MatmulCompute>(_ view: MatrixView, _: S.Type, swapped: Bool, panels: Range<Int>,
                                                   depth: Range<Int>, width: Int,
                                                   into destination: UnsafeMutablePointer<T>) {
    @inline(__always) func load(_ address: UnsafeRawPointer) -> T {
        T.converting(swapped ? S.loadByteSwapped(from: address) : address.loadUnaligned(as: S.self))
    }
    let steps = depth.count
    // Read along the smaller stride: along a row's depth when it is contiguous
    // (A in C order), across the panel's rows otherwise (B in C order).
    let depthMajor = abs(view.columnStride) <= abs(view.rowStride)
    var out = destination
    var first = panels.lowerBound
    while first < panels.upperBound {
        let valid = min(width, panels.upperBound - first)
        if depthMajor {
            for r in 0..<valid {
                var address = UnsafeRawPointer(view.address(first + r, depth.lowerBound))
                for step in 0..<steps {
                    out[step * width + r] = load(address)
                    address += view.columnStride
                }
            }
        } else {
            var rowStart = UnsafeRawPointer(view.address(first, depth.lowerBound))
            for step in 0..<steps {
                var address = rowStart
                for r in 0..<valid {
                    out[step * width + r] = load(address)
                    address += view.rowStride
                }
                rowStart += view.columnStride
            }
        }
        if valid < width {
            for step in 0..<steps {
                for r in valid..<width { out[step * width + r] = T.zero }
            }
        }
        out += steps * width
        first += width
    }
}

/// `packPanels` for an operand of type T in native order whose elements are
/// adjacent along the depth (A in C order) or across the panel (B in C order),
/// for a panel width known at compile time.
@inline(__always)
func packPanels<T: MatmulCompute, let W: Int>(_ view: MatrixView, panels: Range<Int>, depth: Range<Int>,
                                              into destination: UnsafeMutablePointer<T>,
                                              width _: InlineArray<W, Int>.Type) {
    let steps = depth.count
    let rowStride = view.rowStride / MemoryLayout<T>.stride
    let columnStride = view.columnStride / MemoryLayout<T>.stride
    let whole = (panels.count / W) * W  // the panels filled entirely
    let rest = panels.count - whole
    if columnStride != 1 {
        // Each step's values are adjacent across the panels (B in C order): read step by
        // step along the source, a run of `panels.count` values, writing W of them to each
        // panel and the last few, padded with zeros, to a partial one. (Panel by panel,
        // the reads would jump a whole source row every W values: a cache miss each,
        // which the prefetchers do not follow across pages.)
        let panelCount = whole / W
        var source = UnsafePointer(view.address(panels.lowerBound, depth.lowerBound).assumingMemoryBound(to: T.self))
        var step = 0
        while step < steps {
            var out = destination + step &* W
            var from = source
            for _ in 0..<panelCount {
                copyRun(from, to: out, InlineArray<W, T>.self)
                out += steps &* W
                from += W
            }
            if rest > 0 {
                for r in 0..<rest { out[r] = from[r] }
                for r in rest..<W { out[r] = T.zero }
            }
            source += columnStride
            step += 1
        }
        return
    }
    // W rows, each contiguous along the depth (A in C order): read them side by side.
    var out = destination
    var panel = panels.lowerBound
    while panel < panels.lowerBound + whole {
        let origin = view.address(panel, depth.lowerBound).assumingMemoryBound(to: T.self)
        var step = 0
        // Four steps at a time: one 4-wide load from each row, written out as W 4-wide
        // stores (lane q of store p is element 4p + q of the 4 x W block: step (4p + q) / W,
        // row (4p + q) % W), the compiler's shuffles in between; element by element, the
        // loop was a load and a store an element.
        while step &+ 4 <= steps {
            var rows = InlineArray<W, SIMD4<T>>(repeating: SIMD4<T>())
            for r in 0..<W {
                rows[r] = UnsafeRawPointer(origin + (r &* rowStride &+ step)).loadUnaligned(as: SIMD4<T>.self)
            }
            let target = UnsafeMutableRawPointer(out + step &* W)
            for p in 0..<W {
                let e = 4 * p
                let block = SIMD4<T>(rows[e % W][e / W], rows[(e + 1) % W][(e + 1) / W],
                                     rows[(e + 2) % W][(e + 2) / W], rows[(e + 3) % W][(e + 3) / W])
                target.storeBytes(of: block, toByteOffset: p * MemoryLayout<SIMD4<T>>.stride, as: SIMD4<T>.self)
            }
            step &+= 4
        }
        while step < steps {
            for r in 0..<W { out[step &* W &+ r] = origin[r &* rowStride &+ step] }
            step &+= 1
        }
        out += steps &* W
        panel &+= W
    }
    if rest > 0 {
        // The last rows, padded with zeros (a separate loop: testing each row inside the
        // one above made the whole panels 4-8% slower to pack).
        let origin = view.address(panel, depth.lowerBound).assumingMemoryBound(to: T.self)
        for step in 0..<steps {
            for r in 0..<W { out[step &* W &+ r] = r < rest ? origin[r &* rowStride &+ step] : T.zero }
        }
    }
}

/// Copies W values from `source` to `target` in 16-byte moves (a `memmove` call costs
/// more than the copy for runs this short; an element loop stays scalar, as the
/// compiler cannot rule out that the two overlap).
@inline(__always)
func copyRun<T, let W: Int>(_ source: UnsafePointer<T>, to target: UnsafeMutablePointer<T>,
                            _: InlineArray<W, T>.Type) {
    let bytes = W * MemoryLayout<T>.stride
    let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
    var offset = 0
    while offset + 16 <= bytes {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: SIMD2<UInt64>.self), toByteOffset: offset,
                      as: SIMD2<UInt64>.self)
        offset += 16
    }
    while offset < bytes {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
        offset += 1
    }
}

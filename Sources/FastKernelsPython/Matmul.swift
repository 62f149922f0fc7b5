import FastKernels
import PythonBridge

// The native parts of matmul(): a product of two buffers into a third, one
// matrix of a stack at a time (fastkernels' Python layer works out numpy's
// shape rules and the result type), and the product of two lists of lists of
// exact floats or of small exact ints. See docs/matmul.md.

let matmulFunction = Function("matmul", "a, b, /, *, out=None, threads=None", doc: """
    Return the matrix product of a and b, as ``numpy.matmul(a, b)`` (``a @ b``) gives it.

    - numpy arrays (any layout: C or Fortran order, slices, negative strides,
      either byte order) give a new numpy array, or a numpy scalar for two 1-D
      operands. Shapes follow numpy: 2-D @ 2-D; a 1-D operand is a row (on the
      left) or column (on the right) vector whose dimension is dropped from the
      result; N-D operands are stacks of matrices whose leading dimensions
      broadcast. The result dtype is numpy's (``numpy.result_type(a, b)``).
    - Other objects with the buffer protocol (``memoryview(...).cast(fmt,
      shape)``, ``array.array``) of formats b B h H i I l L q Q n N f d ? give a
      ``memoryview`` of that shape over new memory (a Python number for two 1-D
      operands), with numpy's result type.
    - Lists of lists of numbers (rows; a flat list is a vector; two dimensions
      at most: stacks of matrices are numpy arrays) give a list of lists: ``result[i][j] == sum(a[i][p] * b[p][j] for p in range(k))``
      exactly for ints of any size, and for floats within the error bound of a
      blocked product (see below). A list mixed with a numpy array is converted
      with ``numpy.asarray``, as numpy does.

    Integers (numpy int64, int32...) are exact modulo 2**bits, as numpy's wrap.
    Floats: float64 and float32 products are blocked and vectorised, so their
    rounding differs from a sequential sum by at most a small multiple of
    ``k * eps * (|A| @ |B|)`` elementwise; NaN and inf propagate as in numpy.
    numpy dtypes the kernel does not compute in (float16, complex, object,
    longdouble...) and numpy subclasses (masked arrays, ``numpy.matrix``) get
    ``numpy.matmul`` itself.

    ``out``: a writable array (numpy array or buffer) of exactly the result's
    shape and dtype (a numpy array in either byte order), filled and returned;
    it may overlap a or b. ``threads``:
    workers (None = all cores, 1 = this thread only); the result does not
    depend on it. The GIL is released while a product of more than about 130K
    multiply-adds (260K for float32) runs, and Ctrl-C stops a large one with
    KeyboardInterrupt.

    Raises ValueError for 0-d operands, mismatched core dimensions (naming both
    sizes), batch shapes that do not broadcast, ragged lists and an ``out`` of the
    wrong shape or read-only; TypeError for operands that are neither (strings,
    dicts, unsupported buffer formats, non-numbers in lists) and an ``out`` of
    another dtype; MemoryError when the result cannot be had.
    """) { args throws(PythonException) in
    let a = try args.object(0), b = try args.object(1)
    if !args.isGiven(2), hasExactType(a, named: "numpy.ndarray"), hasExactType(b, named: "numpy.ndarray"),
       let product = try multiplyNumpyArrays(a, b, args: args) {
        return product
    }
    if !args.isGiven(2), isExactList(a), isExactList(b),
       let product = try multiplyLists(a, b, threads: try args.threadCount(3), args: args) {
        return product
    }
    // Everything else: numpy's rules worked out in Python (fastkernels/_matmul.py), the products here.
    let general = try PythonMatmul.general()
    return try general.call([a, b, args[2] ?? noneObject(), args[3] ?? noneObject()])
}

let matmulBufferFunction = Function("_matmul", "a, b, out, a_index, b_index, out_index, vectors, threads=None",
                                    messageName: "matmul", doc: """
    The native part of fastkernels.matmul() for buffers: writes the product of
    a[a_index] and b[b_index] into out[out_index], computing in out's element
    type. Each index is a tuple selecting one matrix of a stack (its length is
    the operand's dimensions minus its core dimensions). vectors: bit 0 set when
    a's core is 1-D (a row vector), bit 1 when b's is (a column vector); out's
    core then drops that dimension. Returns None.
    """) { args throws(PythonException) in
    let threads = try args.threadCount(7)
    let vectors = try args.int(6)
    guard (0...3).contains(vectors) else { throw args.error(6, .valueError, "must be 0, 1, 2 or 3") }
    let a = try args.arrayBuffer(0, writable: false)
    let b = try args.arrayBuffer(1, writable: false)
    let out = try args.arrayBuffer(2, writable: true)
    guard out.nativeByteOrder else {
        throw args.error(2, .typeError, "must be in native byte order")
    }
    let left = try coreMatrix(of: a, argument: 0, index: 3, shape: vectors & 1 != 0 ? .row : .matrix, args: args)
    let right = try coreMatrix(of: b, argument: 1, index: 4, shape: vectors & 2 != 0 ? .column : .matrix, args: args)
    let resultShape: CoreShape = switch vectors {
    case 0: .matrix
    case 1: .row
    case 2: .column
    default: .scalar
    }
    let result = try coreMatrix(of: out, argument: 2, index: 5, shape: resultShape, args: args)
    guard left.columns == right.rows else {
        throw args.error(argument: "a, b", .valueError,
                         "core dimensions do not match: a has \(left.columns) columns, b has \(right.rows) rows")
    }
    guard result.rows == left.rows, result.columns == right.columns else {
        throw args.error(2, .valueError, "has the wrong shape for a product of \(left.rows) x \(right.columns)")
    }
    try args.runKernel(releasingGIL: matmulReleasesGIL(m: left.rows, k: left.columns, n: right.columns, element: result.element)) { isCancelled throws(KernelError) in
        try matmul(left, right, into: result, threads: threads, isCancelled: isCancelled)
    }
    _ = consume a
    _ = consume b
    _ = consume out
    return .none
}

let matmulListsFunction = Function("_matmul_lists", "a, b, /, threads=None", messageName: "matmul", doc: """
    The native part of fastkernels.matmul() for two lists of lists (rows):
    their product as a new list of lists when every item of both is an exact
    float, or every item an int (or bool) small enough that no sum can leave 64
    bits; None otherwise (ragged rows, other types, larger ints), for the exact
    Python path.
    """) { args throws(PythonException) in
    try multiplyLists(try args.object(0), try args.object(1), threads: try args.threadCount(2), args: args) ?? .none
}

let buffersOverlapFunction = Function("_buffers_overlap", "a, b, /", messageName: "matmul", doc: """
    True when the memory of the two buffers' elements (from the lowest to the
    highest address each can reach) overlaps.
    """) { args throws(PythonException) in
    let a = try args.arrayBuffer(0, writable: false)
    let b = try args.arrayBuffer(1, writable: false)
    let overlap = byteRange(of: a).overlaps(byteRange(of: b))
    _ = consume a
    _ = consume b
    return .bool(overlap)
}

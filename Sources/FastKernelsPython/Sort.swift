import PythonBridge

// sort() and sort_inplace(). Lists and tuples whose items are all exact ints
// within 64 bits (bools included) or all exact floats are sorted on keys (up
// to 256 items with the GIL held and the keys on the stack); numpy arrays and
// numeric buffers in place. Anything else goes to fastkernels/_general.py,
// which sorts it with sorted(). See docs/sort.md.

let sortFunction = Function("sort", "values, /, *, reverse=False, threads=None", doc: """
    Return a new sorted container of values.

    - A list, tuple or any other iterable gives a new list equal to
      ``sorted(values, reverse=reverse)``: the same objects, equal items in their
      original order (also with ``reverse=True``; ``-0.0`` and ``0.0`` are equal),
      compared as Python compares them; what ``sorted`` raises, this raises.
    - A 1-D numeric buffer (numpy array, ``array.array``, ``bytes``, ``bytearray``,
      ``memoryview``; formats b B h H i I l L q Q n N f d ?) gives a new container
      of the same type and dtype (subclasses are iterables: a list). Other numpy dtypes (float16, object, datetime64...)
      are sorted as ``sorted()`` sorts their items, into a list.

    NaN: every NaN (a float whose value is NaN, a numpy floating NaN, NaT) goes
    last, in its original order, whether reverse or not (numpy's rule; ``sorted``
    leaves NaNs wherever its comparisons happen to put them). Nothing else is
    asked whether it is one: no user ``__ne__`` is called.

    Lists and tuples of ints within 64 bits, or of floats, and numeric buffers are
    radix sorted (buffers of 32- and 64-bit numbers, on CPUs with AVX2, by a vector
    quicksort whose result is the same); large ones with the GIL released, in
    parallel over threads (None = all cores, 1 = this thread only; the result does
    not depend on it). Anything else takes ``sorted()`` itself. Raises TypeError
    for numpy masked arrays (their buffer does not carry the mask), ValueError for
    threads < 1.
    """) { args throws(PythonException) in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    let values = try args.object(0)
    if let items = exactSequenceItems(values) {
        if items.count <= smallSortLimit {  // (in order already: found by the keyed sort's merge of runs)
            if let sorted = try sortedSmallSequence(items, reverse: reverse) { return sorted }
        } else if let sorted = try sortedMonotonicSequence(items, reverse: reverse) {
            return sorted
        } else if let sorted = try sortedFewRuns(items, reverse: reverse) {
            return sorted
        } else if let sorted = try SortedItems(values, reverse: reverse, threads: threads, args: args) {
            return try sorted.makeList()
        }
    } else if hasExactType(values, named: "numpy.ndarray"), try args.numericBuffer(values, argument: 0) != nil {
        // C order, same dtype and byte order.
        let copy = try PyRef(borrowing: values).callMethod("copy", cache: &PythonFallback.copyName)
        _ = try sortBufferInPlace(copy.pointer, reverse: reverse, threads: threads, args: args)
        return copy
    }
    // Everything else (other buffers, other items, other iterables): fastkernels/_general.py.
    return try PythonFallback.sort().call([values, args[1] ?? falseObject(), args[2] ?? noneObject()])
}

let sortInPlaceFunction = Function("sort_inplace", "values, /, *, reverse=False, threads=None", doc: """
    Sort values in place: a list (like ``list.sort``, with NaNs last as in
    :func:`sort`) or a writable 1-D numeric buffer (numpy array, ``array.array``,
    ``bytearray``, writable ``memoryview``).

    A list that another thread changes while it is being radix sorted raises
    ``ValueError("list modified during sort")``, as ``list.sort`` does, and keeps
    what that thread put in it: nothing is lost. A list of other items (strs,
    Fractions, mixed types) and any list subclass is sorted by ``list.sort``
    itself, on the list's storage: what a failing or list-changing comparison
    leaves is list.sort's. Raises TypeError for read-only buffers, numpy masked
    arrays and other types.
    """) { args throws(PythonException) in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    let values = try args.object(0)
    if isExactList(values), let items = exactSequenceItems(values) {
        if items.count <= smallSortLimit {
            if try sortSmallList(items, reverse: reverse) { return .none }
        } else if sortMonotonicList(values, items, reverse: reverse) {
            return .none
        } else if let sorted = try SortedItems(values, reverse: reverse, threads: threads, args: args) {
            try sorted.store(into: values)
            return .none
        }
    } else if try sortBufferInPlace(values, reverse: reverse, threads: threads, args: args) {
        return .none
    }
    return try PythonFallback.sortInPlace().call([values, args[1] ?? falseObject(), args[2] ?? noneObject()])
}

/// sort() of a buffer: sorts the copy the Python layer made (a writable buffer) in place.
let sortBufferFunction = Function("_sort_buffer", "values, /, reverse=False, threads=None", messageName: "sort",
                                  doc: """
    The native part of fastkernels.sort() for a buffer: sorts the writable copy
    values in place and returns True; None when it is not a 1-D numeric buffer.
    """) { args throws(PythonException) in
    let reverse = try args.flag(1, default: false)
    let threads = try args.threadCount(2)
    return try sortBufferInPlace(try args.object(0), reverse: reverse, threads: threads, args: args) ? .bool(true) : .none
}

let replaceListFunction = Function("_replace_list", "target, expected, replacement, /", messageName: "sort_inplace",
                                   doc: """
    target[:] = replacement, if target (a list, or a list subclass: its own storage,
    as list.sort sees it) still holds exactly the items of expected, in order;
    otherwise ValueError("list modified during sort") and target is left as it is.
    The check and the replacement happen together, with the GIL held: no other
    thread can change target in between.
    """) { args throws(PythonException) in
    let target = try args.object(0), expected = try args.object(1), replacement = try args.object(2)
    guard let current = listStorage(target), let old = exactSequenceItems(expected) else {
        throw args.typeError(0, expected: "list")
    }
    guard old.count == current.count, (0..<old.count).allSatisfy({ old[$0] == current[$0] }) else {
        throw PythonException.valueError("list modified during sort")
    }
    try replaceListContents(target, with: replacement)
    return .none
}

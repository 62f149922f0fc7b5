import FastKernels
import PythonBridge

let parallelThresholdsFunction = Function("_parallel_thresholds", "", doc: """
    The sizes from which each kernel uses more than one worker (when threads
    allows it), as a dict: 'sort' (elements of a list, or of an array the radix
    sort takes), 'sort_array_avx2' (elements of an int32/int64/float32/float64
    array on a CPU with AVX2: the vector quicksort), 'sum_list' (items of an int list),
    'sum_int_array' and 'fsum_array' (elements), 'word_count' (bytes of text),
    'matmul' (multiply-adds of a product whose every worker packs all of B),
    'matmul_shared_float64' and 'matmul_shared_float32' (multiply-adds of a product
    whose workers share one packed B: the products whose packed B fits the
    workers' panels, n up to about 256); 'word_count_short', the most bytes of text
    word_count counts in one pass over one block of scratch memory (no tables
    kept), and 'word_count_short_halves', the bytes from which such a text is
    counted in two halves on two workers. For benchmarks/calibrate_threads.py
    and bug reports.
    """) { _ throws(PythonException) in
    try parallelThresholds()
}

/// The dict `_parallel_thresholds()` returns.
func parallelThresholds() throws(PythonException) -> PyRef {
    let dict = try PyRef.dict()
    for (name, value) in [("sort", singleLevelSortLimit), ("sort_array_avx2", parallelVectorSortMinimum),
                          ("sum_list", parallelSequenceSumThreshold),
                          ("sum_int_array", parallelIntegerSumThreshold), ("fsum_array", parallelFSumThreshold),
                          ("word_count", parallelWordCountThreshold), ("matmul", 2 * matmulParallelThreshold),
                          ("matmul_shared_float64", 2 * matmulSharedBWork / MemoryLayout<Double>.stride),
                          ("matmul_shared_float32", 2 * matmulSharedBWork / MemoryLayout<Float>.stride),
                          ("word_count_short", shortTextLimit), ("word_count_short_halves", shortTextHalvesMinimum)] {
        try dict.setItem(PyRef.string(name), PyRef.int(value))
    }
    return dict
}

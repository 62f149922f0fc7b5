import FastKernels

// The two functions threadpoolctl calls (through ctypes, as it calls OpenBLAS's
// `openblas_get_num_threads`): fastkernels/_threadpoolctl.py registers a controller
// for this library, so that `threadpool_limits(n)` caps fastkernels' workers too
// and `threadpool_info()` lists them. Exported by name (exports.map); they touch
// atomics only, so they need no GIL.

/// The most threads a kernel uses now: what `threads=None` means.
@_cdecl("fastkernels_get_num_threads")
public func fastkernelsGetNumThreads() -> Int32 {
    Int32(clamping: availableCores())
}

/// Caps the threads every kernel uses from now on at `limit` (>= 1); 0 or less
/// removes the cap.
@_cdecl("fastkernels_set_num_threads")
public func fastkernelsSetNumThreads(_ limit: Int32) {
    setThreadLimit(Int(limit))
}

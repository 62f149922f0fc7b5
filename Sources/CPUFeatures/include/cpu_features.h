/* What the CPU running the process can do, for picking a kernel variant at run time,
   and the one CPU hint Swift cannot spell: prefetch. */
#ifndef FASTKERNELS_CPU_FEATURES_H
#define FASTKERNELS_CPU_FEATURES_H

/* 1 when the CPU (and OS) support AVX2 and FMA, the instruction set FastKernelsAVX2 is compiled for. */
int fk_cpu_has_avx2_fma(void);

/* 1 when the CPU (and OS) support the AVX-512 subsets F, CD, DQ, BW and VL (Skylake-SP and newer), the
   instruction set KernelLoopsAVX512 is compiled for. */
int fk_cpu_has_avx512(void);

/* The number of CPUs in this process's affinity mask (sched_getaffinity), or 0 when it
   cannot be read: what the process may run on, which can be fewer than the machine has. */
int fk_affinity_cpu_count(void);

/* Starts loading the cache line at `address` (for writing soon): hides the latency of
   random probes into a large table when issued a few lookups ahead. */
static inline void fk_prefetch_for_write(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 1, 3);
#endif
}

/* Starts loading the cache line at `address` into every cache level (for reading soon):
   for a copy whose next source rows lie pages apart, where the hardware prefetchers
   would start each row with a miss. */
static inline void fk_prefetch_for_read(const void *address) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address, 0, 3);
#endif
}

#endif

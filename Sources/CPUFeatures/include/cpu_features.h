/* What the CPU running the process can do, for picking a kernel variant at run time. */
#ifndef FASTKERNELS_CPU_FEATURES_H
#define FASTKERNELS_CPU_FEATURES_H

/* 1 when the CPU (and OS) support AVX2 and FMA, the instruction set FastKernelsAVX2 is compiled for. */
int fk_cpu_has_avx2_fma(void);

#endif

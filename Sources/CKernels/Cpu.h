#ifndef NEATMSKIT_CKERNELS_CPU_H
#define NEATMSKIT_CKERNELS_CPU_H
// Private to CKernels.

/// Whether the processor has AVX-512 (F, VL, BW, DQ): exactly where the x86-64-v4 clones run. Their
/// 512-bit forms need the 32 vector registers that the other clones (16 registers) do not have, so
/// those take them only when this holds.
static inline int nmk_has_avx512(void) {
#if defined(__x86_64__) && defined(__clang__)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

#endif

// A matrix product for inference whose right operand is packed once (see CKernels.h): the NeatMS
// network's dense_1 kernel (7,680 × 128) and the Winograd points' kernels. BLAS would repack that
// operand on every call, 3.9 MB for dense_1, as much memory traffic as the product of a small batch.
// Tiles of 6 rows × 16 columns keep their sums in six 512-bit (x86-64-v4) or twelve 256-bit (x86-64-v3)
// vector registers; on processors with AVX-512 (the x86-64-v4 clone) every 4 full panels are taken
// together in tiles of 4 rows × 64 columns (sixteen 512-bit sums: each broadcast element of A serves 4
// multiply-adds and each panel row 4 rows of A, so the loads no longer hold back the multiply-adds; on
// the NeatMS network's dense_1, 0.89 of the machine's peak instead of 0.73). The depth is taken in
// blocks of 256, the running sums stored in C between blocks and loaded back, which leaves every
// element one multiply-add chain over the whole depth, in order, whatever the tile: the same numbers
// for any tile shape.
#include "CKernels.h"
#include "Cpu.h"

#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define NMK_GEMM_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NMK_GEMM_MULTIVERSION
#endif

// One panel row: one 512-bit register on the x86-64-v4 clone, two 256-bit ones on x86-64-v3.
typedef float f16 __attribute__((ext_vector_type(16)));
#define LOAD(p) __extension__({ f16 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE(p, x) do { f16 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)

// Panel width, tile rows, depth block, row block (a row block's depth block of A, 72 × 256 floats,
// stays in L2 while every panel passes over it; a panel's depth block, 16 KB, stays in L1).
enum { NR = 16, MR = 6, KC = 256, MC = 72 };
// The wide tiles: GR rows × GP panels.
enum { GR = 4, GP = 4 };

ptrdiff_t nmk_packed_panels_size(ptrdiff_t k, ptrdiff_t n) { return (n + NR - 1) / NR * NR * k; }

NMK_GEMM_MULTIVERSION
void nmk_pack_panels(const float *b, ptrdiff_t ldb, ptrdiff_t k, ptrdiff_t n, float *bp) {
    const ptrdiff_t panels = (n + NR - 1) / NR;
    for (ptrdiff_t p = 0; p < panels; p++) {
        const ptrdiff_t j0 = p * NR;
        const ptrdiff_t cols = n - j0 < NR ? n - j0 : NR;
        float *dst = bp + p * k * NR;
        if (cols == NR) {
            // Whole panel rows in registers (a memcpy call per 64-byte row cost more than the copy).
            for (ptrdiff_t r = 0; r < k; r++) STORE(dst + r * NR, LOAD(b + r * ldb + j0));
            continue;
        }
        for (ptrdiff_t r = 0; r < k; r++) {
            memcpy(dst + r * NR, b + r * ldb + j0, (size_t)cols * sizeof(float));
            for (ptrdiff_t j = cols; j < NR; j++) dst[r * NR + j] = 0;
        }
    }
}

// `rows` (≤ MR) rows of A times one panel over depth 0 ..< k, added to acc, one
// multiply-add after the other in depth order.
static inline __attribute__((always_inline)) void chain(
    const int rows, f16 *acc, const float *a, ptrdiff_t lda, const float *panel, ptrdiff_t k) {
    const float *ar[MR];
    for (int r = 0; r < rows; r++) ar[r] = a + r * lda;
    // Four depth steps at a time, so that each row's address serves four broadcasts.
    ptrdiff_t kk = 0;
    for (; kk + 4 <= k; kk += 4) {
        const f16 w0 = LOAD(panel + kk * NR), w1 = LOAD(panel + (kk + 1) * NR);
        const f16 w2 = LOAD(panel + (kk + 2) * NR), w3 = LOAD(panel + (kk + 3) * NR);
        for (int r = 0; r < rows; r++) {
            const float *x = ar[r] + kk;
            acc[r] += x[0] * w0;
            acc[r] += x[1] * w1;
            acc[r] += x[2] * w2;
            acc[r] += x[3] * w3;
        }
    }
    for (; kk < k; kk++) {
        const f16 w = LOAD(panel + kk * NR);
        for (int r = 0; r < rows; r++) acc[r] += ar[r][kk] * w;
    }
}

// `rows` (≤ MR) rows × one panel (`cols` ≤ NR of its columns real) over depth k0 ..< k1. The sums
// start from 0 on the first block, else from C; on the last block the bias and ReLU are applied.
// Inlined with a constant `rows`, so the arrays become registers.
static inline __attribute__((always_inline)) void tile(
    const int rows, ptrdiff_t k0, ptrdiff_t k1, const float *a, ptrdiff_t lda, const float *panel, int cols,
    int first, int last, const float *bias, int relu, float *c, ptrdiff_t ldc) {
    f16 acc[MR];
    for (int r = 0; r < MR; r++) acc[r] = 0;
    if (!first) {
        for (int r = 0; r < rows; r++) {
            float t[NR] = {0};
            memcpy(t, c + r * ldc, (size_t)cols * sizeof(float));
            acc[r] = LOAD(t);
        }
    }
    chain(rows, acc, a + k0, lda, panel + k0 * NR, k1 - k0);
    f16 b = 0;
    if (last && bias) {
        float t[NR] = {0};
        memcpy(t, bias, (size_t)cols * sizeof(float));
        b = LOAD(t);
    }
    for (int r = 0; r < rows; r++) {
        f16 v = acc[r];
        if (last) {
            v += b;
            if (relu) v = __builtin_elementwise_max(v, (f16)0);
        }
        if (cols == NR) {
            STORE(c + r * ldc, v);
        } else {
            float t[NR];
            STORE(t, v);
            memcpy(c + r * ldc, t, (size_t)cols * sizeof(float));
        }
    }
}

// `rows` (≤ GR) rows of A times GP panels (`pstride` floats apart) over depth 0 ..< k, added to acc:
// per element the same multiply-add chain in depth order as `chain`.
static inline __attribute__((always_inline)) void group_chain(
    const int rows, f16 (*acc)[GP], const float *a, ptrdiff_t lda, const float *panel, ptrdiff_t pstride,
    ptrdiff_t k) {
    const float *ar[GR];
    for (int r = 0; r < rows; r++) ar[r] = a + r * lda;
    for (ptrdiff_t kk = 0; kk < k; kk++) {
        f16 w[GP];
        for (int p = 0; p < GP; p++) w[p] = LOAD(panel + p * pstride + kk * NR);
        for (int r = 0; r < rows; r++) {
            const float x = ar[r][kk];
            for (int p = 0; p < GP; p++) acc[r][p] += x * w[p];
        }
    }
}

// `tile` for `rows` (≤ GR) rows × GP full panels.
static inline __attribute__((always_inline)) void group_tile(
    const int rows, ptrdiff_t k0, ptrdiff_t k1, const float *a, ptrdiff_t lda, const float *panel, ptrdiff_t pstride,
    int first, int last, const float *bias, int relu, float *c, ptrdiff_t ldc) {
    f16 acc[GR][GP];
    for (int r = 0; r < GR; r++) {
        for (int p = 0; p < GP; p++) acc[r][p] = !first && r < rows ? LOAD(c + r * ldc + p * NR) : (f16)0;
    }
    group_chain(rows, acc, a + k0, lda, panel + k0 * NR, pstride, k1 - k0);
    for (int p = 0; p < GP; p++) {
        const f16 b = last && bias ? LOAD(bias + p * NR) : (f16)0;
        for (int r = 0; r < rows; r++) {
            f16 v = acc[r][p];
            if (last) {
                v += b;
                if (relu) v = __builtin_elementwise_max(v, (f16)0);
            }
            STORE(c + r * ldc + p * NR, v);
        }
    }
}

NMK_GEMM_MULTIVERSION
void nmk_gemm_panels(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *bp,
                     const float *bias, int relu, float *c, ptrdiff_t ldc) {
    const ptrdiff_t panels = (n + NR - 1) / NR;
    if (k == 0) {
        for (ptrdiff_t i = 0; i < m; i++) {
            for (ptrdiff_t j = 0; j < n; j++) {
                const float v = bias ? bias[j] : 0;
                c[i * ldc + j] = relu && v < 0 ? 0 : v;
            }
        }
        return;
    }
    // Panels taken GP at a time in wide tiles; the rest (or all) one at a time.
    const ptrdiff_t grouped = nmk_has_avx512() ? n / NR / GP * GP : 0;
    for (ptrdiff_t k0 = 0; k0 < k; k0 += KC) {
        const ptrdiff_t k1 = k0 + KC < k ? k0 + KC : k;
        const int first = k0 == 0, last = k1 == k;
        for (ptrdiff_t i0 = 0; i0 < m; i0 += MC) {
            const ptrdiff_t i1 = i0 + MC < m ? i0 + MC : m;
            for (ptrdiff_t p = 0; p < grouped; p += GP) {
                const float *panel = bp + p * k * NR;
                const float *pb = bias ? bias + p * NR : 0;
                for (ptrdiff_t i = i0; i < i1; i += GR) {
                    const float *ai = a + i * lda;
                    float *ci = c + i * ldc + p * NR;
#define GROUP_TILE(R) group_tile(R, k0, k1, ai, lda, panel, k * NR, first, last, pb, relu, ci, ldc)
                    switch (i1 - i < GR ? (int)(i1 - i) : GR) {
                    case 4: GROUP_TILE(4); break;
                    case 3: GROUP_TILE(3); break;
                    case 2: GROUP_TILE(2); break;
                    default: GROUP_TILE(1); break;
                    }
#undef GROUP_TILE
                }
            }
            for (ptrdiff_t p = grouped; p < panels; p++) {
                const float *panel = bp + p * k * NR;
                const int cols = (int)(n - p * NR < NR ? n - p * NR : NR);
                const float *pb = bias ? bias + p * NR : 0;
                for (ptrdiff_t i = i0; i < i1; i += MR) {
                    const float *ai = a + i * lda;
                    float *ci = c + i * ldc + p * NR;
                    switch (i1 - i < MR ? (int)(i1 - i) : MR) {
                    case 6: tile(6, k0, k1, ai, lda, panel, cols, first, last, pb, relu, ci, ldc); break;
                    case 5: tile(5, k0, k1, ai, lda, panel, cols, first, last, pb, relu, ci, ldc); break;
                    case 4: tile(4, k0, k1, ai, lda, panel, cols, first, last, pb, relu, ci, ldc); break;
                    case 3: tile(3, k0, k1, ai, lda, panel, cols, first, last, pb, relu, ci, ldc); break;
                    case 2: tile(2, k0, k1, ai, lda, panel, cols, first, last, pb, relu, ci, ldc); break;
                    default: tile(1, k0, k1, ai, lda, panel, cols, first, last, pb, relu, ci, ldc); break;
                    }
                }
            }
        }
    }
}

// One tile of `nmk_gemm_shared`: P for `rows` rows × one panel, kept in registers, then each output.
static inline __attribute__((always_inline)) void shared_tile(
    const int rows, ptrdiff_t k, const float *s, ptrdiff_t lds, const float *a0, const float *a1, ptrdiff_t lda,
    const float *ps, const float *p0, const float *p1, int cols, float *c0, float *c1, ptrdiff_t ldc) {
    // P goes through memory (L1) between the chains, so that it holds no registers during them (the
    // x86-64-v3 clone has 16).
    float common[MR][NR];
    {
        f16 acc[MR];
        for (int r = 0; r < MR; r++) acc[r] = 0;
        chain(rows, acc, s, lds, ps, k);
        for (int r = 0; r < rows; r++) STORE(common[r], acc[r]);
    }
    __asm__ volatile("" : : "r"(common) : "memory");
    for (int out = 0; out < 2; out++) {
        f16 acc[MR];
        for (int r = 0; r < MR; r++) acc[r] = r < rows ? LOAD(common[r]) : (f16)0;
        chain(rows, acc, out ? a1 : a0, lda, out ? p1 : p0, k);
        float *c = out ? c1 : c0;
        for (int r = 0; r < rows; r++) {
            if (cols == NR) {
                STORE(c + r * ldc, acc[r]);
            } else {
                float t[NR];
                STORE(t, acc[r]);
                memcpy(c + r * ldc, t, (size_t)cols * sizeof(float));
            }
        }
    }
}

// `shared_tile` for `rows` (≤ GR) rows × GP full panels (`pstride` floats apart).
static inline __attribute__((always_inline)) void shared_group_tile(
    const int rows, ptrdiff_t k, const float *s, ptrdiff_t lds, const float *a0, const float *a1, ptrdiff_t lda,
    const float *ps, const float *p0, const float *p1, ptrdiff_t pstride, float *c0, float *c1, ptrdiff_t ldc) {
    f16 common[GR][GP];
    for (int r = 0; r < GR; r++) {
        for (int p = 0; p < GP; p++) common[r][p] = 0;
    }
    group_chain(rows, common, s, lds, ps, pstride, k);
    for (int out = 0; out < 2; out++) {
        f16 acc[GR][GP];
        for (int r = 0; r < GR; r++) {
            for (int p = 0; p < GP; p++) acc[r][p] = common[r][p];
        }
        group_chain(rows, acc, out ? a1 : a0, lda, out ? p1 : p0, pstride, k);
        float *c = out ? c1 : c0;
        for (int r = 0; r < rows; r++) {
            for (int p = 0; p < GP; p++) STORE(c + r * ldc + p * NR, acc[r][p]);
        }
    }
}

NMK_GEMM_MULTIVERSION
void nmk_gemm_shared(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *s, ptrdiff_t lds, const float *a0,
                     const float *a1, ptrdiff_t lda, const float *bs, const float *b0, const float *b1, float *c0,
                     float *c1, ptrdiff_t ldc) {
    const ptrdiff_t panels = (n + NR - 1) / NR;
    const ptrdiff_t grouped = nmk_has_avx512() ? n / NR / GP * GP : 0;
    for (ptrdiff_t i0 = 0; i0 < m; i0 += MC) {
        const ptrdiff_t i1 = i0 + MC < m ? i0 + MC : m;
        for (ptrdiff_t p = 0; p < grouped; p += GP) {
            const ptrdiff_t o = p * k * NR;
            for (ptrdiff_t i = i0; i < i1; i += GR) {
#define SHARED_GROUP(R)                                                                                   \
    shared_group_tile(R, k, s + i * lds, lds, a0 + i * lda, a1 + i * lda, lda, bs + o, b0 + o, b1 + o, k * NR, \
                      c0 + i * ldc + p * NR, c1 + i * ldc + p * NR, ldc)
                switch (i1 - i < GR ? (int)(i1 - i) : GR) {
                case 4: SHARED_GROUP(4); break;
                case 3: SHARED_GROUP(3); break;
                case 2: SHARED_GROUP(2); break;
                default: SHARED_GROUP(1); break;
                }
#undef SHARED_GROUP
            }
        }
        for (ptrdiff_t p = grouped; p < panels; p++) {
            const ptrdiff_t o = p * k * NR;
            const int cols = (int)(n - p * NR < NR ? n - p * NR : NR);
            for (ptrdiff_t i = i0; i < i1; i += MR) {
#define SHARED_TILE(R)                                                                                    \
    shared_tile(R, k, s + i * lds, lds, a0 + i * lda, a1 + i * lda, lda, bs + o, b0 + o, b1 + o, cols,      \
                c0 + i * ldc + p * NR, c1 + i * ldc + p * NR, ldc)
                switch (i1 - i < MR ? (int)(i1 - i) : MR) {
                case 6: SHARED_TILE(6); break;
                case 5: SHARED_TILE(5); break;
                case 4: SHARED_TILE(4); break;
                case 3: SHARED_TILE(3); break;
                case 2: SHARED_TILE(2); break;
                default: SHARED_TILE(1); break;
                }
#undef SHARED_TILE
            }
        }
    }
}

NMK_GEMM_MULTIVERSION
void nmk_add_blocks(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                    float *s, ptrdiff_t lds) {
    for (ptrdiff_t i = 0; i < rows; i++) {
        const float *ai = a + i * lda, *bi = b + i * ldb;
        float *si = s + i * lds;
        for (ptrdiff_t j = 0; j < cols; j++) si[j] = ai[j] + bi[j];
    }
}

// An 8 × 8 block: d[c][r] = s[r][c] (rows lds and ldd floats apart), in eight 8-lane registers.
typedef float f8 __attribute__((ext_vector_type(8)));
#define LOAD8(p) __extension__({ f8 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE8(p, x) do { f8 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)
static inline __attribute__((always_inline)) void transpose8(const float *s, ptrdiff_t lds, float *d, ptrdiff_t ldd) {
    const f8 r0 = LOAD8(s), r1 = LOAD8(s + lds), r2 = LOAD8(s + 2 * lds), r3 = LOAD8(s + 3 * lds);
    const f8 r4 = LOAD8(s + 4 * lds), r5 = LOAD8(s + 5 * lds), r6 = LOAD8(s + 6 * lds), r7 = LOAD8(s + 7 * lds);
    // Pairs of rows interleaved, then pairs of pairs, then the two halves.
    const f8 a0 = __builtin_shufflevector(r0, r1, 0, 8, 1, 9, 4, 12, 5, 13);
    const f8 a1 = __builtin_shufflevector(r0, r1, 2, 10, 3, 11, 6, 14, 7, 15);
    const f8 a2 = __builtin_shufflevector(r2, r3, 0, 8, 1, 9, 4, 12, 5, 13);
    const f8 a3 = __builtin_shufflevector(r2, r3, 2, 10, 3, 11, 6, 14, 7, 15);
    const f8 a4 = __builtin_shufflevector(r4, r5, 0, 8, 1, 9, 4, 12, 5, 13);
    const f8 a5 = __builtin_shufflevector(r4, r5, 2, 10, 3, 11, 6, 14, 7, 15);
    const f8 a6 = __builtin_shufflevector(r6, r7, 0, 8, 1, 9, 4, 12, 5, 13);
    const f8 a7 = __builtin_shufflevector(r6, r7, 2, 10, 3, 11, 6, 14, 7, 15);
    const f8 b0 = __builtin_shufflevector(a0, a2, 0, 1, 8, 9, 4, 5, 12, 13);
    const f8 b1 = __builtin_shufflevector(a0, a2, 2, 3, 10, 11, 6, 7, 14, 15);
    const f8 b2 = __builtin_shufflevector(a1, a3, 0, 1, 8, 9, 4, 5, 12, 13);
    const f8 b3 = __builtin_shufflevector(a1, a3, 2, 3, 10, 11, 6, 7, 14, 15);
    const f8 b4 = __builtin_shufflevector(a4, a6, 0, 1, 8, 9, 4, 5, 12, 13);
    const f8 b5 = __builtin_shufflevector(a4, a6, 2, 3, 10, 11, 6, 7, 14, 15);
    const f8 b6 = __builtin_shufflevector(a5, a7, 0, 1, 8, 9, 4, 5, 12, 13);
    const f8 b7 = __builtin_shufflevector(a5, a7, 2, 3, 10, 11, 6, 7, 14, 15);
    STORE8(d, __builtin_shufflevector(b0, b4, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(d + ldd, __builtin_shufflevector(b1, b5, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(d + 2 * ldd, __builtin_shufflevector(b2, b6, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(d + 3 * ldd, __builtin_shufflevector(b3, b7, 0, 1, 2, 3, 8, 9, 10, 11));
    STORE8(d + 4 * ldd, __builtin_shufflevector(b0, b4, 4, 5, 6, 7, 12, 13, 14, 15));
    STORE8(d + 5 * ldd, __builtin_shufflevector(b1, b5, 4, 5, 6, 7, 12, 13, 14, 15));
    STORE8(d + 6 * ldd, __builtin_shufflevector(b2, b6, 4, 5, 6, 7, 12, 13, 14, 15));
    STORE8(d + 7 * ldd, __builtin_shufflevector(b3, b7, 4, 5, 6, 7, 12, 13, 14, 15));
}

NMK_GEMM_MULTIVERSION
void nmk_transpose(const float *a, ptrdiff_t rows, ptrdiff_t cols, float *t) {
    // 8 × 8 blocks in registers, the edges element by element.
    const ptrdiff_t rows8 = rows / 8 * 8, cols8 = cols / 8 * 8;
    for (ptrdiff_t r0 = 0; r0 < rows8; r0 += 8) {
        for (ptrdiff_t c0 = 0; c0 < cols8; c0 += 8) transpose8(a + r0 * cols + c0, cols, t + c0 * rows + r0, rows);
    }
    for (ptrdiff_t r = 0; r < rows; r++) {
        for (ptrdiff_t c = r < rows8 ? cols8 : 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
    }
}

// Inference kernels (see CKernels.h): the direct convolution of one-channel images, and max pooling.
// With one input channel an im2col GEMM is only kh·kw deep, so BLAS spends more time packing its
// operands and zeroing its output than multiplying; here each output position keeps its filters in
// vector registers instead.
#include "CKernels.h"
#include "Cpu.h"

#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
// x86-64-v3: AVX2 with FMA. The sums are then fused multiply-adds, rounded once per tap. x86-64-v4 (AVX-512)
// also takes 32 filters at a time in 512-bit registers.
#define NMK_CONV_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NMK_CONV_MULTIVERSION
#endif

typedef float f8 __attribute__((ext_vector_type(8)));
typedef float f16 __attribute__((ext_vector_type(16)));
#define LOAD(p) __extension__({ f8 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE(p, x) do { f8 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)
#define LOAD16(p) __extension__({ f16 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE16(p, x) do { f16 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)

// A macro, not a function: an f8 argument would change the calling convention between the clones.
#define RELU8(v) (relu ? __builtin_elementwise_max((v), (f8)0) : (v))
#define RELU16(v) (relu ? __builtin_elementwise_max((v), (f16)0) : (v))

// Four output columns ow … ow + 3 for filters q … q + 2L − 1, in vectors of type V (L lanes): bias, the
// taps in (i, j) order (fused multiply-adds), then the ReLU (or the pooled maximum of each pair of
// columns). Inside `nmk_conv2d_one_channel`'s column loop (`continue` ends a pooled block).
#define COLUMNS4(V, L, LD, ST, ACT)                                                                       \
    {                                                                                                     \
        const V b0 = bias ? LD(bias + q) : (V)0, b1 = bias ? LD(bias + q + L) : (V)0;                     \
        V a0 = b0, a1 = b0, a2 = b0, a3 = b0, c0 = b1, c1 = b1, c2 = b1, c3 = b1;                         \
        for (int i = i0; i < i1; i++) {                                                                   \
            const float *xr = padded + (ptrdiff_t)(top + i) * pwidth + (ptrdiff_t)ow * sw;                \
            const float *kr = kernel + (ptrdiff_t)i * kw * f + q;                                         \
            for (int j = 0; j < kw; j++) {                                                                \
                const V k0 = LD(kr + (ptrdiff_t)j * f), k1 = LD(kr + (ptrdiff_t)j * f + L);               \
                const float x0 = xr[j], x1 = xr[sw + j], x2 = xr[2 * sw + j], x3 = xr[3 * sw + j];        \
                a0 += x0 * k0;                                                                            \
                c0 += x0 * k1;                                                                            \
                a1 += x1 * k0;                                                                            \
                c1 += x1 * k1;                                                                            \
                a2 += x2 * k0;                                                                            \
                c2 += x2 * k1;                                                                            \
                a3 += x3 * k0;                                                                            \
                c3 += x3 * k1;                                                                            \
            }                                                                                             \
        }                                                                                                 \
        if (pool) {                                                                                       \
            float *o = out + (ptrdiff_t)(ow >> 1) * f + q;                                                \
            ST(o, ACT(__builtin_elementwise_max(a0, a1)));                                                \
            ST(o + L, ACT(__builtin_elementwise_max(c0, c1)));                                            \
            ST(o + f, ACT(__builtin_elementwise_max(a2, a3)));                                            \
            ST(o + f + L, ACT(__builtin_elementwise_max(c2, c3)));                                        \
            continue;                                                                                     \
        }                                                                                                 \
        ST(out + (ptrdiff_t)ow * f + q, ACT(a0));                                                         \
        ST(out + (ptrdiff_t)ow * f + q + L, ACT(c0));                                                     \
        ST(out + (ptrdiff_t)(ow + 1) * f + q, ACT(a1));                                                   \
        ST(out + (ptrdiff_t)(ow + 1) * f + q + L, ACT(c1));                                               \
        ST(out + (ptrdiff_t)(ow + 2) * f + q, ACT(a2));                                                   \
        ST(out + (ptrdiff_t)(ow + 2) * f + q + L, ACT(c2));                                               \
        ST(out + (ptrdiff_t)(ow + 3) * f + q, ACT(a3));                                                   \
        ST(out + (ptrdiff_t)(ow + 3) * f + q + L, ACT(c3));                                               \
    }

ptrdiff_t nmk_conv2d_one_channel_scratch(int h, int wo, int kw, int sw) {
    return (ptrdiff_t)h * ((ptrdiff_t)(wo - 1) * sw + kw);
}

NMK_CONV_MULTIVERSION
void nmk_conv2d_one_channel(const float *x, float *y, ptrdiff_t count, int h, int w, int ho, int wo, int kh,
                            int kw, int sh, int sw, int ph, int pw, const float *kernel, const float *bias,
                            int filters, int relu, int pool, float *padded) {
    // Each sample's rows, zero-padded so that every tap of every output column is inside the row.
    const ptrdiff_t pwidth = (ptrdiff_t)(wo - 1) * sw + kw;
    const int f = filters;
    const int f8end = f - f % 8;
    // With `pool`, output column ow is stored at column ow / 2, as the maximum of the pair (max before
    // the bias-free ReLU is the same number as after it: both are monotonic and exact).
    const int shift = pool ? 1 : 0;
    const ptrdiff_t wy = wo >> shift;
    const int wide = nmk_has_avx512();
    for (ptrdiff_t n = 0; n < count; n++) {
        const float *xs = x + n * (ptrdiff_t)h * w;
        float *ys = y + n * (ptrdiff_t)ho * wy * f;
        for (int r = 0; r < h; r++) {
            // Columns −pw … of the input land at 0 …; columns beyond the input stay zero.
            float *row = padded + r * pwidth;
            for (ptrdiff_t c = 0; c < pwidth; c++) {
                const ptrdiff_t ic = c - pw;
                row[c] = ic >= 0 && ic < w ? xs[(ptrdiff_t)r * w + ic] : 0;
            }
        }
        for (int oh = 0; oh < ho; oh++) {
            // Kernel rows whose input row lies inside the image (the others multiply zeros).
            const int top = oh * sh - ph;
            const int i0 = top < 0 ? -top : 0;
            const int i1 = top + kh > h ? h - top : kh;
            float *out = ys + (ptrdiff_t)oh * wy * f;
            int ow = 0;
            // Four output columns at a time share each kernel vector; with 16 filters at a time the eight
            // accumulators are independent chains enough to keep both FMA units busy.
            for (; ow + 4 <= wo; ow += 4) {
                int q = 0;
                // 32 filters at a time in 512-bit registers (the same sums, lane for lane), then 16 in 256-bit ones.
                for (; wide && q + 32 <= f; q += 32) COLUMNS4(f16, 16, LOAD16, STORE16, RELU16);
                for (; q + 16 <= f; q += 16) COLUMNS4(f8, 8, LOAD, STORE, RELU8);
                for (; q < f8end; q += 8) {
                    const f8 b = bias ? LOAD(bias + q) : (f8)0;
                    f8 a0 = b, a1 = b, a2 = b, a3 = b;
                    for (int i = i0; i < i1; i++) {
                        const float *xr = padded + (ptrdiff_t)(top + i) * pwidth + (ptrdiff_t)ow * sw;
                        const float *kr = kernel + (ptrdiff_t)i * kw * f + q;
                        for (int j = 0; j < kw; j++) {
                            const f8 k = LOAD(kr + (ptrdiff_t)j * f);
                            a0 += xr[j] * k;
                            a1 += xr[sw + j] * k;
                            a2 += xr[2 * sw + j] * k;
                            a3 += xr[3 * sw + j] * k;
                        }
                    }
                    if (pool) {
                        float *o = out + (ptrdiff_t)(ow >> 1) * f + q;
                        STORE(o, RELU8(__builtin_elementwise_max(a0, a1)));
                        STORE(o + f, RELU8(__builtin_elementwise_max(a2, a3)));
                        continue;
                    }
                    STORE(out + (ptrdiff_t)ow * f + q, RELU8(a0));
                    STORE(out + (ptrdiff_t)(ow + 1) * f + q, RELU8(a1));
                    STORE(out + (ptrdiff_t)(ow + 2) * f + q, RELU8(a2));
                    STORE(out + (ptrdiff_t)(ow + 3) * f + q, RELU8(a3));
                }
            }
            for (; ow < wo; ow++) {
                for (int q = 0; q < f8end; q += 8) {
                    f8 a = bias ? LOAD(bias + q) : (f8)0;
                    for (int i = i0; i < i1; i++) {
                        const float *xr = padded + (ptrdiff_t)(top + i) * pwidth + (ptrdiff_t)ow * sw;
                        const float *kr = kernel + (ptrdiff_t)i * kw * f + q;
                        for (int j = 0; j < kw; j++) { a += xr[j] * LOAD(kr + (ptrdiff_t)j * f); }
                    }
                    // Pooled: the pair's first column stores, its second takes the maximum.
                    float *o = out + (ptrdiff_t)(ow >> shift) * f + q;
                    if (pool && (ow & 1)) a = __builtin_elementwise_max(a, RELU8(LOAD(o)));
                    STORE(o, RELU8(a));
                }
            }
            // Filters past the last multiple of 8, one at a time.
            for (int q = f8end; q < f; q++) {
                for (ow = 0; ow < wo; ow++) {
                    float a = bias ? bias[q] : 0;
                    for (int i = i0; i < i1; i++) {
                        const float *xr = padded + (ptrdiff_t)(top + i) * pwidth + (ptrdiff_t)ow * sw;
                        const float *kr = kernel + (ptrdiff_t)i * kw * f + q;
                        for (int j = 0; j < kw; j++) { a += xr[j] * kr[(ptrdiff_t)j * f]; }
                    }
                    a = relu && a < 0 ? 0 : a;
                    float *o = out + (ptrdiff_t)(ow >> shift) * f + q;
                    *o = pool && (ow & 1) && *o > a ? *o : a;
                }
            }
        }
    }
}

NMK_CONV_MULTIVERSION
void nmk_max_pool(const float *x, float *y, ptrdiff_t count, int h, int w, int c, int ho, int wo, int kh, int kw,
                  int sh, int sw, int ph, int pw) {
    const int c8end = c - c % 8;
    for (ptrdiff_t n = 0; n < count; n++) {
        const float *xs = x + n * (ptrdiff_t)h * w * c;
        float *out = y + n * (ptrdiff_t)ho * wo * c;
        for (int oh = 0; oh < ho; oh++) {
            const int top = oh * sh - ph;
            const int r0 = top < 0 ? 0 : top, r1 = top + kh > h ? h : top + kh;
            for (int ow = 0; ow < wo; ow++, out += c) {
                const int left = ow * sw - pw;
                const int c0 = left < 0 ? 0 : left, c1 = left + kw > w ? w : left + kw;
                if (r0 >= r1 || c0 >= c1) {
                    memset(out, 0, (size_t)c * sizeof(float));
                    continue;
                }
                const float *first = xs + ((ptrdiff_t)r0 * w + c0) * c;
                int q = 0;
                for (; q < c8end; q += 8) {
                    f8 m = LOAD(first + q);
                    for (int r = r0; r < r1; r++) {
                        for (int j = c0; j < c1; j++) {
                            m = __builtin_elementwise_max(m, LOAD(xs + ((ptrdiff_t)r * w + j) * c + q));
                        }
                    }
                    STORE(out + q, m);
                }
                for (; q < c; q++) {
                    float m = first[q];
                    for (int r = r0; r < r1; r++) {
                        for (int j = c0; j < c1; j++) {
                            const float v = xs[((ptrdiff_t)r * w + j) * c + q];
                            m = v > m ? v : m;
                        }
                    }
                    out[q] = m;
                }
            }
        }
    }
}

NMK_CONV_MULTIVERSION
void nmk_max_pool_argmax(const float *x, float *y, int *argmax, ptrdiff_t count, int h, int w, int c, int ho, int wo,
                         int kh, int kw, int sh, int sw, int ph, int pw) {
    for (ptrdiff_t n = 0; n < count; n++) {
        const float *xs = x + n * (ptrdiff_t)h * w * c;
        float *out = y + n * (ptrdiff_t)ho * wo * c;
        int *am = argmax + n * (ptrdiff_t)ho * wo * c;
        for (int oh = 0; oh < ho; oh++) {
            const int top = oh * sh - ph;
            const int r0 = top < 0 ? 0 : top, r1 = top + kh > h ? h : top + kh;
            for (int ow = 0; ow < wo; ow++, out += c, am += c) {
                const int left = ow * sw - pw;
                const int c0 = left < 0 ? 0 : left, c1 = left + kw > w ? w : left + kw;
                if (r0 >= r1 || c0 >= c1) {
                    memset(out, 0, (size_t)c * sizeof(float));
                    continue;
                }
                const int base = (r0 * w + c0) * c;
                for (int q = 0; q < c; q++) {
                    out[q] = xs[base + q];
                    am[q] = base + q;
                }
                for (int r = r0; r < r1; r++) {
                    for (int j = c0; j < c1; j++) {
                        const int idx = (r * w + j) * c;
                        if (idx == base) continue;
                        const float *src = xs + idx;
                        for (int q = 0; q < c; q++) {
                            const int greater = src[q] > out[q];
                            out[q] = greater ? src[q] : out[q];
                            am[q] = greater ? idx + q : am[q];
                        }
                    }
                }
            }
        }
    }
}

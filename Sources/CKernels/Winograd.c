// The input and output transforms of Winograd's F(2, 3) and F(4, 3) along the width (see
// NeuralNet/Conv2DWinograd.swift and CKernels.h). The products between them are panel products (PanelGemm.c).
#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define NMK_WINOGRAD_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NMK_WINOGRAD_MULTIVERSION
#endif

typedef float f8 __attribute__((ext_vector_type(8)));
typedef float f16 __attribute__((ext_vector_type(16)));
#define LOAD(p) __extension__({ f8 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE(p, x) do { f8 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)
#define LOAD16(p) __extension__({ f16 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE16(p, x) do { f16 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)

// One lane group (T = f8 or float) of the input transforms, from the tile's input columns d[i] + q
// to the points' rows v[ξ] + o + q.
#define INPUT2(T, LD, ST)                                                                                 \
    do {                                                                                                  \
        const T d0 = LD(d[0] + q), d1 = LD(d[1] + q), d2 = LD(d[2] + q), d3 = LD(d[3] + q);             \
        ST(v[0] + o + q, d0 - d2);                                                                       \
        ST(v[1] + o + q, d1 + d2);                                                                       \
        ST(v[2] + o + q, d2 - d1);                                                                       \
        ST(v[3] + o + q, d1 - d3);                                                                       \
    } while (0)
#define INPUT4(T, LD, ST)                                                                                 \
    do {                                                                                                  \
        const T d0 = LD(d[0] + q), d1 = LD(d[1] + q), d2 = LD(d[2] + q);                                \
        const T d3 = LD(d[3] + q), d4 = LD(d[4] + q), d5 = LD(d[5] + q);                                \
        const T a = d4 - 4 * d2, b = d3 - 4 * d1, e = d4 - d2, h = 2 * (d3 - d1);                        \
        ST(v[0] + o + q, 4 * d0 - 5 * d2 + d4);                                                          \
        ST(v[1] + o + q, a + b);                                                                         \
        ST(v[2] + o + q, a - b);                                                                         \
        ST(v[3] + o + q, e + h);                                                                         \
        ST(v[4] + o + q, e - h);                                                                         \
        ST(v[5] + o + q, 4 * d1 - 5 * d3 + d5);                                                          \
    } while (0)
#define LOAD1(p) (*(p))
#define STORE1(p, x) (*(p) = (x))
// BODY over lanes idx … n − 1: sixteen (one 512-bit register on the x86-64-v4 clone) and eight at a
// time up to n8, then one at a time. Every lane computes the same operations whatever its group.
#define LANES(idx, n8, n, BODY)                                                                           \
    do {                                                                                                  \
        for (; idx + 16 <= (n8); idx += 16) { BODY(f16, LOAD16, STORE16); }                              \
        for (; idx < (n8); idx += 8) { BODY(f8, LOAD, STORE); }                                          \
        for (; idx < (n); idx++) { BODY(float, LOAD1, STORE1); }                                         \
    } while (0)

NMK_WINOGRAD_MULTIVERSION
void nmk_winograd_input_rows(int tile_width, const float *x, ptrdiff_t samples, ptrdiff_t input_size,
                             const int *rows, int row_count, int wi, int c, int tiles, int pad_before,
                             const float *zeros, float *const *v) {
    const int alpha = tile_width + 2;
    const ptrdiff_t k = (ptrdiff_t)row_count * c;
    const int c8end = c - c % 8;
    const float *d[6];
    for (ptrdiff_t n = 0; n < samples; n++) {
        const float *xs = x + n * input_size;
        for (int t = 0; t < tiles; t++) {
            const int start = tile_width * t - pad_before;
            for (int r = 0; r < row_count; r++) {
                const float *line = xs + (ptrdiff_t)rows[r] * wi * c;
                for (int i = 0; i < alpha; i++) {
                    const int column = start + i;
                    d[i] = column >= 0 && column < wi ? line + (ptrdiff_t)column * c : zeros;
                }
                const ptrdiff_t o = (n * tiles + t) * k + (ptrdiff_t)r * c;
                int q = 0;
                if (tile_width == 4) {
                    LANES(q, c8end, c, INPUT4);
                } else {
                    LANES(q, c8end, c, INPUT2);
                }
            }
        }
    }
}

void nmk_winograd_input(int tile_width, const float *x, ptrdiff_t samples, ptrdiff_t input_size, int first_row,
                        int row_count, int wi, int c, int tiles, int pad_before, const float *zeros,
                        float *const *v) {
    int rows[row_count > 0 ? row_count : 1];
    for (int r = 0; r < row_count; r++) rows[r] = first_row + r;
    nmk_winograd_input_rows(tile_width, x, samples, input_size, rows, row_count, wi, c, tiles, pad_before, zeros,
                            v);
}

// One lane group of the output transforms' transposes: from a tile's output gradients dy_i at
// out + i·f + j (0 beyond the `count` real outputs) to the points' rows dm[ξ] + o + j.
#define DY(T, LD, i) (count > (i) ? LD(out + (i) * f + j) : (T)0)
#define GRADIENT2(T, LD, ST)                                                                              \
    do {                                                                                                  \
        const T y0 = DY(T, LD, 0), y1 = DY(T, LD, 1);                                                     \
        ST(dm[0] + o + j, y0);                                                                            \
        ST(dm[1] + o + j, y0 + y1);                                                                       \
        ST(dm[2] + o + j, y0 - y1);                                                                       \
        ST(dm[3] + o + j, -y1);                                                                           \
    } while (0)
#define GRADIENT4(T, LD, ST)                                                                              \
    do {                                                                                                  \
        const T y0 = DY(T, LD, 0), y1 = DY(T, LD, 1), y2 = DY(T, LD, 2), y3 = DY(T, LD, 3);              \
        const T s02 = y0 + y2, s13 = y1 + y3, a02 = y0 + 4 * y2, a13 = 2 * y1 + 8 * y3;                  \
        ST(dm[0] + o + j, y0);                                                                            \
        ST(dm[1] + o + j, s02 + s13);                                                                     \
        ST(dm[2] + o + j, s02 - s13);                                                                     \
        ST(dm[3] + o + j, a02 + a13);                                                                     \
        ST(dm[4] + o + j, a02 - a13);                                                                     \
        ST(dm[5] + o + j, y3);                                                                            \
    } while (0)

NMK_WINOGRAD_MULTIVERSION
void nmk_winograd_output_gradient(int tile_width, const float *dy, ptrdiff_t samples, ptrdiff_t output_size,
                                  int members, const int *output_rows, int tiles, int wo, int f,
                                  float *const *dm) {
    const ptrdiff_t w = (ptrdiff_t)members * f;
    const int f8end = f - f % 8;
    for (ptrdiff_t n = 0; n < samples; n++) {
        for (int mi = 0; mi < members; mi++) {
            const float *row = dy + n * output_size + (ptrdiff_t)output_rows[mi] * wo * f;
            for (int t = 0; t < tiles; t++) {
                const ptrdiff_t o = (n * tiles + t) * w + (ptrdiff_t)mi * f;
                const int left = wo - tile_width * t;
                const int count = left < tile_width ? left : tile_width;
                const float *out = row + (ptrdiff_t)tile_width * t * f;
                int j = 0;
                if (tile_width == 4) {
                    LANES(j, f8end, f, GRADIENT4);
                } else {
                    LANES(j, f8end, f, GRADIENT2);
                }
            }
        }
    }
}

// One lane group of the output transforms: from the products m[ξ] + o + j to `count` outputs at
// y + j, y + f + j, …, bias added and ReLU applied when `relu` is set.
#define RELU(T, x) (relu ? __builtin_elementwise_max((x), (T)0) : (x))
#define OUTPUT2(T, LD, ST)                                                                                \
    do {                                                                                                  \
        const T m1 = LD(m[1] + o + j), m2 = LD(m[2] + o + j), b = LD(bias + j);                          \
        const T y0 = LD(m[0] + o + j) + m1 + m2 + b;                                                     \
        ST(out + j, RELU(T, y0));                                                                        \
        if (count > 1) {                                                                                 \
            const T y1 = m1 - m2 - LD(m[3] + o + j) + b;                                                 \
            ST(out + f + j, RELU(T, y1));                                                                \
        }                                                                                                 \
    } while (0)
#define OUTPUT4(T, LD, ST)                                                                                \
    do {                                                                                                  \
        const T m1 = LD(m[1] + o + j), m2 = LD(m[2] + o + j), m3 = LD(m[3] + o + j);                    \
        const T m4 = LD(m[4] + o + j), b = LD(bias + j);                                                 \
        const T s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;                              \
        const T y0 = LD(m[0] + o + j) + s12 + s34 + b;                                                   \
        ST(out + j, RELU(T, y0));                                                                        \
        if (count > 1) {                                                                                 \
            const T y1 = d12 + 2 * d34 + b;                                                              \
            ST(out + f + j, RELU(T, y1));                                                                \
        }                                                                                                 \
        if (count > 2) {                                                                                 \
            const T y2 = s12 + 4 * s34 + b;                                                              \
            ST(out + 2 * f + j, RELU(T, y2));                                                            \
        }                                                                                                 \
        if (count > 3) {                                                                                 \
            const T y3 = d12 + 8 * d34 + LD(m[5] + o + j) + b;                                           \
            ST(out + 3 * f + j, RELU(T, y3));                                                            \
        }                                                                                                 \
    } while (0)

NMK_WINOGRAD_MULTIVERSION
void nmk_winograd_output(int tile_width, const float *const *m, ptrdiff_t samples, int members,
                         const int *output_rows, int tiles, int wo, int f, float *y, ptrdiff_t output_size,
                         const float *bias, int relu) {
    const ptrdiff_t w = (ptrdiff_t)members * f;
    const int f8end = f - f % 8;
    for (ptrdiff_t n = 0; n < samples; n++) {
        // The members of a tile one after the other: their products are neighbours in m[ξ].
        for (int t = 0; t < tiles; t++) {
            for (int mi = 0; mi < members; mi++) {
                float *row = y + n * output_size + (ptrdiff_t)output_rows[mi] * wo * f;
                const ptrdiff_t o = (n * tiles + t) * w + (ptrdiff_t)mi * f;
                const int left = wo - tile_width * t;
                const int count = left < tile_width ? left : tile_width;
                float *out = row + (ptrdiff_t)tile_width * t * f;
                int j = 0;
                if (tile_width == 4) {
                    LANES(j, f8end, f, OUTPUT4);
                } else {
                    LANES(j, f8end, f, OUTPUT2);
                }
            }
        }
    }
}

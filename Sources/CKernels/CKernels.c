#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define NMK_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define NMK_MULTIVERSION
#endif

// Eight lanes at a time (two SSE registers, or one AVX register), then a scalar tail with the same
// expressions. No FMA contraction is possible in either clone (no FMA target feature), so both clones
// round identically.
typedef float f8 __attribute__((ext_vector_type(8)));
#define LOAD(p) __extension__({ f8 x_; memcpy(&x_, (p), sizeof x_); x_; })
#define STORE(p, x) do { f8 y_ = (x); memcpy((p), &y_, sizeof y_); } while (0)
#define SIGN(x, T) (__builtin_convertvector((x) < 0, T) - __builtin_convertvector((x) > 0, T))
// Partial float sums of the regulariser over at most BLOCK elements; the total is a double.
enum { BLOCK = 4096 };

static inline float sign1(float x) { return (float)(x > 0) - (float)(x < 0); }

NMK_MULTIVERSION
double nmk_adam_update(float *w, const float *g, float *m, float *v, float *vhat, ptrdiff_t n,
                       float alpha, float c1, float c2, float eps, float l1, float l2) {
    const float two_l2 = 2 * l2;
    double total = 0;
    ptrdiff_t i = 0;
    while (i < n) {
        const ptrdiff_t end = i + BLOCK < n ? i + BLOCK : n;
        f8 acc = 0;
        for (; i + 8 <= end; i += 8) {
            f8 wi = LOAD(w + i);
            f8 gi = LOAD(g + i) + (two_l2 * wi + l1 * SIGN(wi, f8));
            f8 mi = LOAD(m + i), vi = LOAD(v + i);
            mi = mi + (gi - mi) * c1;
            vi = vi + (gi * gi - vi) * c2;
            STORE(m + i, mi);
            STORE(v + i, vi);
            f8 d = vi;
            if (vhat) {
                d = __builtin_elementwise_max(LOAD(vhat + i), vi);
                STORE(vhat + i, d);
            }
            f8 nw = wi - (mi * alpha) / (__builtin_elementwise_sqrt(d) + eps);
            STORE(w + i, nw);
            acc += l2 * nw * nw + l1 * __builtin_elementwise_abs(nw);
        }
        float sum = 0;
        for (; i < end; i++) {
            float wi = w[i];
            float gi = g[i] + (two_l2 * wi + l1 * sign1(wi));
            float mi = m[i] + (gi - m[i]) * c1;
            float vi = v[i] + (gi * gi - v[i]) * c2;
            m[i] = mi;
            v[i] = vi;
            float d = vi;
            if (vhat) {
                d = vhat[i] > vi ? vhat[i] : vi;
                vhat[i] = d;
            }
            float nw = wi - (mi * alpha) / (__builtin_sqrtf(d) + eps);
            w[i] = nw;
            sum += l2 * nw * nw + l1 * __builtin_fabsf(nw);
        }
        for (int k = 0; k < 8; k++) total += acc[k];
        total += sum;
    }
    return total;
}

NMK_MULTIVERSION
double nmk_sgd_update(float *w, const float *g, float *u, ptrdiff_t n, float lr, float mu, int nesterov,
                      float l1, float l2) {
    const float two_l2 = 2 * l2;
    double total = 0;
    ptrdiff_t i = 0;
    while (i < n) {
        const ptrdiff_t end = i + BLOCK < n ? i + BLOCK : n;
        f8 acc = 0;
        for (; i + 8 <= end; i += 8) {
            f8 wi = LOAD(w + i);
            f8 gi = LOAD(g + i) + (two_l2 * wi + l1 * SIGN(wi, f8));
            f8 nw;
            if (u) {
                f8 ui = mu * LOAD(u + i) - lr * gi;
                STORE(u + i, ui);
                nw = nesterov ? wi + mu * ui - lr * gi : wi + ui;
            } else {
                nw = wi - lr * gi;
            }
            STORE(w + i, nw);
            acc += l2 * nw * nw + l1 * __builtin_elementwise_abs(nw);
        }
        float sum = 0;
        for (; i < end; i++) {
            float wi = w[i];
            float gi = g[i] + (two_l2 * wi + l1 * sign1(wi));
            float nw;
            if (u) {
                float ui = mu * u[i] - lr * gi;
                u[i] = ui;
                nw = nesterov ? wi + mu * ui - lr * gi : wi + ui;
            } else {
                nw = wi - lr * gi;
            }
            w[i] = nw;
            sum += l2 * nw * nw + l1 * __builtin_fabsf(nw);
        }
        for (int k = 0; k < 8; k++) total += acc[k];
        total += sum;
    }
    return total;
}

void nmk_add_regularizer_gradient(const float *w, float *g, ptrdiff_t n, float l1, float l2) {
    const float two_l2 = 2 * l2;
    for (ptrdiff_t i = 0; i < n; i++) g[i] += two_l2 * w[i] + l1 * sign1(w[i]);
}

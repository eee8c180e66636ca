#ifndef NEATMSKIT_CKERNELS_H
#define NEATMSKIT_CKERNELS_H
// Element-wise optimiser kernels for the NeuralNet engine; the direct convolution of one-channel images,
// max pooling and the Winograd transforms (inference and training); and the process's CPU affinity count.
// C so that the loops are vectorised (Swift on Linux cannot lower a vector square root without libm's
// errno path, and builds for baseline x86-64, SSE2); on x86-64 Linux an AVX2 clone (inference
// kernels: x86-64-v3, AVX2 + FMA; the panel products, Winograd transforms and direct convolution also
// x86-64-v4, AVX-512) is picked at load time, with an SSE2 default.
// Matrix products: BLAS, except the inference products whose right operand is packed once (PanelGemm.c).

#include <stddef.h>

/// Keras/tf-keras Adam on n elements: g' = g + 2·l2·w + l1·sign(w); m += (g' − m)·c1;
/// v += (g'² − v)·c2; (amsgrad, when vhat is non-NULL: vhat = max(vhat, v), used instead of v);
/// w −= (m·alpha) / (√v + eps). Returns Σ l1·|w| + l2·w² of the updated weights.
double nmk_adam_update(float *w, const float *g, float *m, float *v, float *vhat, ptrdiff_t n,
                       float alpha, float c1, float c2, float eps, float l1, float l2);

/// Keras SGD on n elements with g' as above: without momentum (u NULL) w −= lr·g'; with momentum
/// u = mu·u − lr·g', then w += u (nesterov: w += mu·u − lr·g'). Returns the regulariser sum as above.
double nmk_sgd_update(float *w, const float *g, float *u, ptrdiff_t n, float lr, float mu, int nesterov,
                      float l1, float l2);

/// g += 2·l2·w + l1·sign(w) over n elements (sign(0) = 0, as TensorFlow).
void nmk_add_regularizer_gradient(const float *w, float *g, ptrdiff_t n, float l1, float l2);

/// Inference of a `Conv2D` layer on one-channel images (NHWC, `count` samples of h × w), writing
/// y[n][oh][ow][f] = act(bias[f] + Σ_(i, j) x[n][oh·sh + i − ph][ow·sw + j − pw] · kernel[i][j][f]) for
/// ho × wo outputs and `filters` filters (kernel HWIO, kh × kw × 1 × filters), taps outside the image
/// counting as zero; act is ReLU when `relu` is non-zero, else the identity; `bias` may be NULL. With
/// `pool` non-zero (wo even) it writes instead MaxPooling2D((1, 2), strides (1, 2))'s output of that:
/// ho × wo/2 × filters per sample, y[n][oh][p][f] = max of columns 2p and 2p + 1 (the same numbers as
/// pooling afterwards). `padded` is the caller's scratch of `nmk_conv2d_one_channel_scratch(h, wo, kw, sw)` floats (one
/// sample's rows with their zero padding); calls running at the same time need their own.
void nmk_conv2d_one_channel(const float *x, float *y, ptrdiff_t count, int h, int w, int ho, int wo, int kh,
                            int kw, int sh, int sw, int ph, int pw, const float *kernel, const float *bias,
                            int filters, int relu, int pool, float *padded);

/// The floats of `nmk_conv2d_one_channel`'s scratch.
ptrdiff_t nmk_conv2d_one_channel_scratch(int h, int wo, int kw, int sw);

/// The input transform of Winograd's F(tile_width, 3) along the width (tile_width 2 or 4; the
/// formulas are in NeuralNet/Conv2DWinograd.swift) for `samples` NHWC samples at x (input_size floats
/// apart, rows wi × c): for tile t, input row first_row + r and channel q, the tile_width + 2 points'
/// values go to v[ξ][((n·tiles + t)·row_count + r)·c + q]. Columns outside the input read `zeros` (c
/// floats of 0); the tile's first column is tile_width·t − pad_before.
void nmk_winograd_input(int tile_width, const float *x, ptrdiff_t samples, ptrdiff_t input_size, int first_row,
                        int row_count, int wi, int c, int tiles, int pad_before, const float *zeros,
                        float *const *v);

/// `nmk_winograd_input` with the input rows given by a table: row r of the transform reads input row
/// rows[r] (for r < row_count).
void nmk_winograd_input_rows(int tile_width, const float *x, ptrdiff_t samples, ptrdiff_t input_size,
                             const int *rows, int row_count, int wi, int c, int tiles, int pad_before,
                             const float *zeros, float *const *v);

/// The transpose of `nmk_winograd_output` (training's backward pass): from the output gradients of
/// each member's output row output_rows[member] of sample n at dy (output_size floats apart, rows
/// wo × f), the points' gradients dm[ξ][(n·tiles + t)·members·f + member·f + j] = Σ_i A[ξ][i]·dy_i
/// over the tile's outputs i (outputs past wo count as 0); no bias, no activation.
void nmk_winograd_output_gradient(int tile_width, const float *dy, ptrdiff_t samples, ptrdiff_t output_size,
                                  int members, const int *output_rows, int tiles, int wo, int f,
                                  float *const *dm);

/// The output transform matching `nmk_winograd_input`: from the points' products
/// m[ξ][(n·tiles + t)·members·f + member·f + j], the outputs tile_width·t … (up to wo) of each member's
/// output row output_rows[member] of sample n at y (output_size floats apart, rows wo × f), bias added
/// and, when `relu` is non-zero, ReLU applied.
void nmk_winograd_output(int tile_width, const float *const *m, ptrdiff_t samples, int members,
                         const int *output_rows, int tiles, int wo, int f, float *y, ptrdiff_t output_size,
                         const float *bias, int relu);

/// Inference of `MaxPooling2D` (NHWC, `count` samples of h × w × c): each of the ho × wo outputs is
/// the maximum over the window's taps inside the image (padded taps never win), or 0 where the window
/// holds none. Windows kh × kw, strides sh, sw, padding ph, pw before.
void nmk_max_pool(const float *x, float *y, ptrdiff_t count, int h, int w, int c, int ho, int wo, int kh, int kw,
                  int sh, int sw, int ph, int pw);

/// `nmk_max_pool` for training: also writes, for each output, the index within its sample's input
/// (h·w·c floats) of the window's first maximum (`argmax`, ho·wo·c ints per sample); windows with no
/// tap inside the image output 0 and leave their indices unwritten.
void nmk_max_pool_argmax(const float *x, float *y, int *argmax, ptrdiff_t count, int h, int w, int c, int ho, int wo,
                         int kh, int kw, int sh, int sw, int ph, int pw);

/// Floats of a k × n matrix packed by `nmk_pack_panels`: panels of 16 columns, the last one zero-padded.
ptrdiff_t nmk_packed_panels_size(ptrdiff_t k, ptrdiff_t n);

/// Packs row-major B (k × n, rows ldb floats apart) for `nmk_gemm_panels`: bp[p][r][j] = B[r][16p + j],
/// 0 beyond column n − 1.
void nmk_pack_panels(const float *b, ptrdiff_t ldb, ptrdiff_t k, ptrdiff_t n, float *bp);

/// t = aᵀ: a is rows × cols (row-major), t cols × rows.
void nmk_transpose(const float *a, ptrdiff_t rows, ptrdiff_t cols, float *t);

/// C = A·B (+ bias, then ReLU when `relu` is non-zero) for row-major A (m × k, rows lda floats apart),
/// B packed by `nmk_pack_panels`, C (m × n, rows ldc floats apart); `bias` (n floats) may be NULL. Each
/// element is one multiply-add chain over r = 0 … k − 1 in order, from 0 (fused on the x86-64-v3
/// clone), the bias added after it, so a row's values do not depend on the other rows or on m.
void nmk_gemm_panels(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *bp,
                     const float *bias, int relu, float *c, ptrdiff_t ldc);

/// Winograd's shared rows (NeuralNet/Conv2DWinograd.swift): for row i of m, P = s_i·Bs, then
/// c0_i = P + a0_i·B0 and c1_i = P + a1_i·B1, with s, a0, a1 rows of depth k (lds and lda floats apart),
/// Bs, B0, B1 k × n packed by `nmk_pack_panels`, c0 and c1 rows ldc floats apart. Each element of P is
/// one multiply-add chain from 0 over r = 0 … k − 1, continued over a0's (a1's) r = 0 … k − 1.
void nmk_gemm_shared(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *s, ptrdiff_t lds, const float *a0,
                     const float *a1, ptrdiff_t lda, const float *bs, const float *b0, const float *b1, float *c0,
                     float *c1, ptrdiff_t ldc);

/// s = a + b element-wise for rows × cols blocks (rows lda, ldb, lds floats apart).
void nmk_add_blocks(const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb, ptrdiff_t rows, ptrdiff_t cols,
                    float *s, ptrdiff_t lds);

#endif

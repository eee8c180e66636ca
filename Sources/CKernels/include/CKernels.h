#ifndef NEATMSKIT_CKERNELS_H
#define NEATMSKIT_CKERNELS_H
// Element-wise optimiser kernels for the NeuralNet engine, and the process's CPU affinity count. C so that the update loop is vectorised
// (Swift on Linux cannot lower a vector square root without libm's errno path); on x86-64 Linux an
// AVX2 clone is picked at load time, with an SSE2 default. No matrix products here: those are BLAS.

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

/// The number of CPUs in the calling process's affinity mask (Linux `sched_getaffinity`), or 0 where
/// the platform has no such mask or the call fails.
int nmk_available_cpus(void);

#endif

#ifndef NEATMSKIT_CBLAS_SHIM_H
#define NEATMSKIT_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, include path from pkg-config `openblas`).
#include <cblas.h>

// OpenBLAS's threaded builds export blas_thread_shutdown_ (what OpenBLAS itself runs before fork): it ends
// the worker threads that the library started when it was loaded; the next threaded call starts them
// again. Serial builds do not have it, hence the weak reference.
extern int blas_thread_shutdown_(void) __attribute__((weak));

/// Ends OpenBLAS's idle worker threads, where the build has them; returns 0, or 1 when there are none.
static inline int neatmskit_openblas_stop_threads(void) {
    if (!blas_thread_shutdown_) { return 1; }
    return blas_thread_shutdown_() == 0 ? 0 : 1;
}
#endif

#ifndef NEATMSKIT_CBLAS_SHIM_H
#define NEATMSKIT_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, include path from pkg-config `openblas`).
#include <cblas.h>
#endif

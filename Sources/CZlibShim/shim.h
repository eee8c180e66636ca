#ifndef NEATMSKIT_CZLIB_SHIM_H
#define NEATMSKIT_CZLIB_SHIM_H
#include <zlib.h>
#endif

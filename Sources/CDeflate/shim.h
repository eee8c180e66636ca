#ifndef NEATMSKIT_CDEFLATE_SHIM_H
#define NEATMSKIT_CDEFLATE_SHIM_H
#include <libdeflate.h>
#endif

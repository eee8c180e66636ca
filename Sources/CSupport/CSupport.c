// sched_getaffinity and CPU_COUNT are GNU extensions.
#define _GNU_SOURCE
#include "CSupport.h"

#if defined(__linux__)
#include <sched.h>
#endif

int nmk_available_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) { return CPU_COUNT(&set); }
#endif
    return 0;
}

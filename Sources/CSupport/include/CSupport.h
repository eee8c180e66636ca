#ifndef NEATMSKIT_CSUPPORT_H
#define NEATMSKIT_CSUPPORT_H

/// The number of CPUs in the calling process's affinity mask (Linux `sched_getaffinity`), or 0 where
/// the platform has no such mask or the call fails. (`sched_getaffinity` and `CPU_COUNT` need
/// `_GNU_SOURCE`, which Swift's Glibc module does not define.)
int nmk_available_cpus(void);

#endif

/* random.h - random bytes for getrandom() and AT_RANDOM. */
#ifndef UNIK_RT_RANDOM_H
#define UNIK_RT_RANDOM_H

#include "kernel.h"

/* Seeds the generator (RDSEED/RDRAND when present, else TSC jitter). */
void random_init(void);
void random_fill(void *buf, size_t n);
/* What seeded the generator, e.g. "rdrand" or "tsc-jitter". */
const char *random_source(void);

#endif

/* spt_clock.h - spt's clocks (spt_clock.c): the host's clock_gettime until
 * an invariant TSC's rate is known, then the TSC. */
#ifndef UNIK_RT_SPT_CLOCK_H
#define UNIK_RT_SPT_CLOCK_H

#include "../../core/kernel.h"

/* At boot. */
void spt_clock_setup(void);
/* ns since spt_clock_setup(); never goes back. */
u64 spt_clock_monotonic(void);
/* ns since the Unix epoch. */
u64 spt_clock_wall(void);
const char *spt_clock_source_name(void);

#endif

/* lwip_port.c - what lwIP (NO_SYS) needs from the runtime: a millisecond
 * clock and random numbers (its memory: net_heap.c). */
#include <stdlib.h>

#include "lwip/sys.h"

#include "../core/random.h"
#include "../platform/platform.h"

u32_t sys_now(void)
{
	return (u32_t)(plat_monotonic_ns() / 1000000);
}

unsigned int net_random32(void)
{
	unsigned int v;

	random_fill(&v, sizeof(v));
	return v;
}

int lwip_port_atoi(const char *s)
{
	int v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

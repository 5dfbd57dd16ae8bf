/* lwip_port.c - what lwIP (NO_SYS) needs from the runtime: a millisecond
 * clock, random numbers and the memory of its heap (lwipopts.h). */
#include <stdlib.h>

#include "lwip/sys.h"

#include "../core/random.h"
#include "../platform/platform.h"

unsigned char *lwip_heap;

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

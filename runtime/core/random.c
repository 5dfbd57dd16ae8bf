/* random.c - randomness without a device.
 *
 * With RDRAND (or RDSEED) every request is served from the CPU.  Without
 * RDRAND we seed a xoshiro256** generator from TSC jitter (the low bits of the
 * time taken by varying amounts of work, sampled many times), the wall
 * clock and the boot time, so values differ from boot to boot, and say on
 * the console that the source is weak.
 */
#include "random.h"
#include "arch.h"
#include "../platform/platform.h"

static const char *source = "tsc-jitter";
static bool use_rdrand;
static u64 state[4];

static u64 rotl(u64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** step. */
static u64 next(void)
{
	u64 r = rotl(state[1] * 5, 7) * 9, t = state[1] << 17;

	state[2] ^= state[0];
	state[3] ^= state[1];
	state[1] ^= state[2];
	state[0] ^= state[3];
	state[2] ^= t;
	state[3] = rotl(state[3], 45);
	return r;
}

static void mix(u64 v)
{
	state[0] ^= v;
	for (int i = 0; i < 4; i++)
		next();
}

void random_init(void)
{
	u64 v, v2, wall, tsc = rdtsc();

	state[0] = 0x9e3779b97f4a7c15UL;
	state[1] = 0xbf58476d1ce4e5b9UL;
	state[2] = 0x94d049bb133111ebUL;
	state[3] = 0x2545f4914f6cdd1dUL ^ tsc;
	use_rdrand = cpu_has_rdrand() && cpu_rdrand64(&v) && cpu_rdrand64(&v2);
	if (use_rdrand) {
		/* Every value is RDRAND's (random_fill): the generator only
		 * whitens it, so RDRAND seeds it, with no mixing rounds, no
		 * clock and no RDSEED at boot. */
		source = "rdrand";
		state[0] ^= v;
		state[1] ^= v2;
		return;
	}
	wall = plat_wall_ns();
	mix(wall);
	mix(tsc);
	if (cpu_has_rdseed() && cpu_rdseed64(&v)) {
		source = "rdseed";
		mix(v);
	}
	for (int i = 0; i < 256; i++) {
		u64 t0 = rdtsc();
		volatile u64 x = 0;

		for (int j = 0; j < (int)(t0 & 31); j++)
			x += j;
		mix(rdtsc() - t0);
	}
}

const char *random_source(void)
{
	return source;
}

void random_fill(void *buf, size_t n)
{
	u8 *p = buf;

	while (n) {
		u64 v;
		size_t k = MIN(n, 8);

		if (use_rdrand && cpu_rdrand64(&v))
			v ^= next();
		else
			v = next() ^ rdtsc();
		if (k == 8)
			__builtin_memcpy(p, &v, 8); /* one store */
		else
			memcpy(p, &v, k);
		p += k;
		n -= k;
	}
}

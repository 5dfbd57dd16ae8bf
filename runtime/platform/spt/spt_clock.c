/* spt_clock.c - time on spt without a host system call per reading.
 *
 * The clocks start as the host's clock_gettime (a real system call, ~1 µs
 * and more under nested virtualisation; a server reads the time several
 * times per request: the scheduler, lwIP's timers, the program).  When the
 * CPU's TSC is invariant (CPUID 0x80000007 EDX bit 8: constant rate, runs
 * in every C-state), time becomes the TSC scaled to nanoseconds at the
 * rate measured here: the TSC against the host's CLOCK_MONOTONIC from boot
 * to the first reading after each of calib_at[] (2 ms: within ~0.05 %,
 * so that a boot's few hundred readings are mostly cheap already; 100 ms;
 * 10 s: ~1 ppm).  (The kernel's own rate, perf_event_mmap_page's
 * time_mult, is not offered on this development host's nested KVM, so it
 * is not used.)
 * A new rate keeps the clock continuous (the anchor is the value the old
 * rate gives at that instant) and never lets it go back.  Wall time is
 * the monotonic clock plus an offset taken from the host's CLOCK_REALTIME
 * at most once per SPT_WALL_SYNC_NS, so a host clock step or NTP slew is
 * followed within that much.
 *
 * One host thread runs the runtime, but SIGALRM's handler can read the
 * clock in the middle of an update: the parameters are two slots, the
 * handler reads the published one, and an update in progress (`busy`) is
 * never started again from the handler.
 */
#include "../../arch/x86_64/arch.h"
#include "../../core/kernel.h"
#include "spt_clock.h"

#define NR_CLOCK_GETTIME 228
#define H_CLOCK_REALTIME 0
#define H_CLOCK_MONOTONIC 1
#define NCALIB 3
#define SPT_WALL_SYNC_NS 1000000000UL /* 1 s */

struct tsc_param {
	u64 tsc, ns; /* at TSC `tsc`, the clock read ns (guest monotonic) */
	u64 mult; /* ns = ns + ((tsc delta * mult) >> 32) */
};

static struct tsc_param slot[2];
static volatile int cur = -1; /* published slot; -1: host calls */
static volatile bool busy;
static const u64 calib_at[NCALIB] = { 2000000UL, 100000000UL, 10000000000UL };
static bool invariant;
static u64 host_boot_ns, tsc_boot, last_ns, calib_done;
static u64 wall_off, wall_sync_ns;
static bool wall_valid;

static u64 host_clock(int clock)
{
	struct {
		s64 sec, nsec;
	} ts = { 0, 0 };
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(NR_CLOCK_GETTIME), "D"((long)clock), "S"(&ts)
			 : "rcx", "r11", "memory");
	(void)ret;
	return (u64)ts.sec * 1000000000UL + (u64)ts.nsec;
}

/* The host's monotonic clock with the TSC at that instant: the tightest
 * of three readings, the TSC taken half-way. */
static u64 host_pair(u64 *tsc)
{
	u64 best = ~0UL, ns = 0;

	for (int k = 0; k < 3; k++) {
		u64 a = rdtsc(), t = host_clock(H_CLOCK_MONOTONIC), b = rdtsc();

		if (b - a < best) {
			best = b - a;
			ns = t;
			*tsc = a + (b - a) / 2;
		}
	}
	return ns;
}

static u64 scaled(const struct tsc_param *p, u64 tsc)
{
	return p->ns + (u64)(((unsigned __int128)(tsc - p->tsc) * p->mult) >> 32);
}

/* (n << 32) / d, for n >> 32 < d (the quotient fits in 64 bits): divq,
 * as freestanding code has no 128-bit division helper. */
static u64 div_shift32(u64 n, u64 d)
{
	u64 q, r;

	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(n << 32), "d"(n >> 32), "rm"(d));
	(void)r;
	return q;
}

/* Publishes a rate, continuous with the clock as it reads at `tsc`. */
static void publish(u64 tsc, u64 ns, u64 mult)
{
	int n = cur < 0 ? 0 : !cur;

	slot[n] = (struct tsc_param){ tsc, ns, mult };
	__asm__ volatile("" ::: "memory");
	cur = n;
}

void spt_clock_setup(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000007) {
		cpuid(0x80000007, 0, &a, &b, &c, &d);
		invariant = d & (1u << 8);
	}
	host_boot_ns = host_pair(&tsc_boot);
}

/* A rate from the TSC against the host over [boot, now]. */
static void calibrate(u64 now_ns)
{
	u64 tsc, host = host_pair(&tsc), dt = tsc - tsc_boot, dn = host - host_boot_ns;

	if (!dt || dn < calib_at[0] / 2 || dn >> 32 >= dt) {
		calib_done = NCALIB; /* a TSC that does not advance: stay with host calls */
		return;
	}
	publish(tsc, cur < 0 ? dn : MAX(now_ns, scaled(&slot[cur], tsc)), div_shift32(dn, dt));
	while (calib_done < NCALIB && dn >= calib_at[calib_done])
		calib_done++;
}

u64 spt_clock_monotonic(void)
{
	int c = cur;
	u64 ns;

	if (c >= 0)
		ns = scaled(&slot[c], rdtsc());
	else
		ns = host_clock(H_CLOCK_MONOTONIC) - host_boot_ns;
	if (invariant && calib_done < NCALIB && ns >= calib_at[calib_done] && !busy) {
		busy = true;
		calibrate(ns);
		busy = false;
		if (cur >= 0)
			ns = MAX(ns, scaled(&slot[cur], rdtsc()));
	}
	/* never back (a new rate, a signal handler's reading in between) */
	if (ns < last_ns)
		return last_ns;
	last_ns = ns;
	return ns;
}

u64 spt_clock_wall(void)
{
	u64 mono = spt_clock_monotonic(); /* (which may calibrate) */

	if (cur < 0)
		return host_clock(H_CLOCK_REALTIME);
	if (!wall_valid || mono - wall_sync_ns >= SPT_WALL_SYNC_NS) {
		u64 real = host_clock(H_CLOCK_REALTIME);

		wall_off = real - mono;
		wall_sync_ns = mono;
		wall_valid = true;
		return real;
	}
	return mono + wall_off;
}

const char *spt_clock_source_name(void)
{
	if (cur < 0)
		return invariant && calib_done < NCALIB
			   ? "host clock_gettime (TSC calibration pending)"
			   : "host clock_gettime";
	return "tsc (host clock_gettime to calibrate)";
}

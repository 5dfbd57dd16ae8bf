/* sys_time.c - clocks and sleeping. */
#include "errno.h"
#include "syscall.h"
#include "sched.h"
#include "../platform/platform.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1
#define NSEC 1000000000L

struct k_timespec {
	s64 sec, nsec;
};

/* The time of `clk` in ns, or -EINVAL.  The one CPU never idles, so the
 * CPU-time clocks equal the monotonic clock. */
static s64 clock_ns(long clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE: return (s64)plat_wall_ns();
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID: return (s64)plat_monotonic_ns();
	default: return -EINVAL;
	}
}

SYSCALL(clock_gettime)
{
	struct k_timespec *ts = (struct k_timespec *)a1;
	s64 ns = clock_ns(a0);

	if (ns < 0)
		return ns;
	if (!user_ok(a1, sizeof(*ts), true))
		return -EFAULT;
	ts->sec = ns / NSEC;
	ts->nsec = ns % NSEC;
	return 0;
}

SYSCALL(clock_getres)
{
	struct k_timespec *ts = (struct k_timespec *)a1;
	s64 ns = clock_ns(a0);

	if (ns < 0)
		return ns;
	if (!ts)
		return 0;
	if (!user_ok(a1, sizeof(*ts), true))
		return -EFAULT;
	ts->sec = 0;
	ts->nsec = (s64)plat_clock_res_ns();
	return 0;
}

SYSCALL(gettimeofday)
{
	s64 *tv = (s64 *)a0;
	u64 ns = plat_wall_ns();

	if (tv) {
		if (!user_ok(a0, 16, true))
			return -EFAULT;
		tv[0] = (s64)(ns / NSEC);
		tv[1] = (s64)(ns % NSEC) / 1000;
	}
	if (a1) {
		if (!user_ok(a1, 8, true))
			return -EFAULT;
		memset((void *)a1, 0, 8); /* UTC */
	}
	return 0;
}

SYSCALL(time)
{
	s64 t = (s64)(plat_wall_ns() / NSEC);

	if (a0) {
		if (!user_ok(a0, 8, true))
			return -EFAULT;
		*(s64 *)a0 = t;
	}
	return t;
}

static bool never(void *arg)
{
	return false;
}

/* A sleep ends at its deadline or early for a signal's handler (EINTR, with
 * the time left in *urem for relative sleeps). */
static long sleep_ns(long clk, bool absolute, long ureq, long urem)
{
	const struct k_timespec *req = (const struct k_timespec *)ureq;
	s64 now = clock_ns(clk), rel;
	u64 deadline, left;
	long rc = 0;

	if (now < 0)
		return now;
	if (!user_ok(ureq, sizeof(*req), false))
		return -EFAULT;
	if (req->sec < 0 || req->nsec < 0 || req->nsec >= NSEC)
		return -EINVAL;
	rel = req->sec > (s64)(~0UL >> 2) / NSEC ? (s64)(~0UL >> 2) : req->sec * NSEC + req->nsec;
	if (absolute)
		rel -= now; /* a relative wait on the monotonic clock */
	if (rel <= 0)
		return 0;
	deadline = plat_monotonic_ns() + (u64)rel;
	if (sched_wait(never, NULL, deadline, "nanosleep") == -EINTR)
		rc = -EINTR;
	if (rc && urem && !absolute && user_ok(urem, sizeof(*req), true)) {
		struct k_timespec *rem = (struct k_timespec *)urem;

		now = (s64)plat_monotonic_ns();
		left = deadline > (u64)now ? deadline - (u64)now : 0;
		rem->sec = (s64)(left / NSEC);
		rem->nsec = (s64)(left % NSEC);
	}
	return rc;
}

SYSCALL(nanosleep)
{
	return sleep_ns(CLOCK_MONOTONIC, false, a0, a1);
}

SYSCALL(clock_nanosleep)
{
	return sleep_ns(a0, a1 & TIMER_ABSTIME, a2, a3);
}

/* sched.c - blocking (sched.h), for the one thread the runtime runs today. */
#include "errno.h"
#include "fd.h"
#include "netstack.h"
#include "sched.h"
#include "../platform/platform.h"

long sched_wait(sched_ready_fn ready, void *arg, u64 deadline_ns, const char *what)
{
	for (;;) {
		/* an armed timerfd may make something ready before the deadline */
		u64 wake = MIN(deadline_ns, timerfd_next_expiry());

		netstack_poll();
		if (ready(arg))
			return 0;
		if (deadline_ns != SCHED_FOREVER && plat_monotonic_ns() >= deadline_ns)
			return -ETIMEDOUT;
		if (wake == SCHED_FOREVER && !netstack_active())
			panic("%s would block forever: nothing else runs (one thread, no network)",
			      what);
		netstack_wait(wake);
	}
}

void sched_wake(void)
{
	/* One thread: the waiter re-checks its condition after every event. */
}

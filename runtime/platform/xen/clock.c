/* clock.c - time on Xen: the pvclock of vcpu_info[0] in the shared info
 * page (system time = system_time + scaled TSC delta, read under its
 * version counter), the wall clock from the page's wc_* fields, and Xen's
 * one-shot timer (VCPUOP_set_singleshot_timer), which raises VIRQ_TIMER.
 * The one timer serves both the scheduler's deadline (timer_set) and the
 * idle loop's (wait_until): it is armed for the earlier of the two. */
#include "xen.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/sched.h"

#define VCPUOP_SET_SINGLESHOT_TIMER 8
#define VCPUOP_STOP_SINGLESHOT_TIMER 9

static u64 boot_system_ns;
static u64 armed = ~0UL; /* the scheduler's deadline (monotonic ns) */
static u64 waiting = ~0UL; /* wait_until's deadline, while it waits */
static u64 programmed; /* what the Xen timer is set to (monotonic), 0: none */

u64 xen_system_ns(void)
{
	volatile struct xen_vcpu_time_info *t = &xen_shared->vcpu_info[0].time;
	u32 version;
	u64 ns;

	do {
		u64 delta;

		version = t->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		delta = rdtsc() - t->tsc_timestamp;
		if (t->tsc_shift >= 0)
			delta <<= t->tsc_shift;
		else
			delta >>= -t->tsc_shift;
		ns =
		    t->system_time + (u64)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != t->version);
	return ns;
}

void xen_clock_init(void)
{
	boot_system_ns = xen_system_ns();
}

u64 xen_monotonic_ns(void)
{
	return xen_system_ns() - boot_system_ns;
}

u64 xen_wall_ns(void)
{
	volatile struct xen_shared_info *s = xen_shared;
	u32 version;
	u64 sec, nsec;

	do {
		version = s->wc_version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		sec = (u64)s->wc_sec_hi << 32 | s->wc_sec;
		nsec = s->wc_nsec;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != s->wc_version);
	return sec * 1000000000UL + nsec + xen_system_ns();
}

u64 xen_clock_res_ns(void)
{
	return 1;
}

const char *xen_clock_source(void)
{
	return "xen-pvclock";
}

/* The TSC rate the pvclock scaling implies: 2^32 / mul ns per (shifted) tick. */
u64 xen_clock_hz(void)
{
	volatile struct xen_vcpu_time_info *t = &xen_shared->vcpu_info[0].time;
	u64 hz;

	if (!t->tsc_to_system_mul)
		return 0;
	hz = (u64)((1000000000ULL << 32) / t->tsc_to_system_mul);
	return t->tsc_shift >= 0 ? hz >> t->tsc_shift : hz << -t->tsc_shift;
}

/* Programs the Xen timer for the earlier of the two deadlines. */
static void program(void)
{
	u64 want = MIN(armed, waiting);
	struct {
		u64 timeout_abs_ns;
		u32 flags, pad;
	} t = { want + boot_system_ns, 0, 0 };

	if (want == programmed)
		return;
	programmed = want;
	if (want == ~0UL)
		xen_hypercall(XEN_HC_VCPU_OP, VCPUOP_STOP_SINGLESHOT_TIMER, 0, 0, 0, 0);
	else
		xen_hypercall(XEN_HC_VCPU_OP, VCPUOP_SET_SINGLESHOT_TIMER, 0, (u64)(uintptr_t)&t, 0,
			      0);
}

void xen_timer_event(u32 port)
{
	u64 now = xen_monotonic_ns();

	programmed = 0; /* it fired: a one-shot timer is unarmed now */
	if (now >= armed) {
		armed = ~0UL;
		sched_irq_timer();
	}
	if (armed != ~0UL || (waiting != ~0UL && now < waiting))
		program();
}

void xen_timer_set(u64 deadline_ns)
{
	armed = deadline_ns;
	program();
}

void xen_wait_until(u64 deadline_ns)
{
	if (xen_monotonic_ns() >= deadline_ns)
		return;
	waiting = deadline_ns;
	program();
	cpu_idle(); /* the timer, an event or the stop request wakes us */
	waiting = ~0UL;
}

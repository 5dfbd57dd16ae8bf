/* console.c - the Xen console: a page shared with the console daemon
 * (xenconsoled in dom0) holding an output ring of 2048 bytes, and an event
 * channel to tell it there is more.  Both come from HVM parameters.  Until
 * the ring is found, output goes to Xen's debug port. */
#include "xen.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"

#define RING_SIZE 2048
#define FLUSH_NS 2000000000UL /* never forever */

static volatile struct xen_console_ring *ring;
static u32 port;

void xen_console_init(void)
{
	u64 pfn, evtchn;

	if (xen_hvm_get_param(XEN_HVM_PARAM_CONSOLE_PFN, &pfn) || !pfn ||
	    xen_hvm_get_param(XEN_HVM_PARAM_CONSOLE_EVTCHN, &evtchn))
		return; /* no console: the debug port stays */
	ring = arch_map_mmio(pfn << 12, 4096);
	port = (u32)evtchn;
}

void xen_console_write(const char *s, size_t n)
{
	if (!ring) {
		xen_debug_write(s, n);
		return;
	}
	while (n) {
		u32 cons = ring->out_cons, prod = ring->out_prod, room, k;

		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		room = RING_SIZE - (prod - cons);
		if (room > RING_SIZE) { /* a corrupt index from the other side */
			ring = NULL;
			xen_debug_write(s, n);
			return;
		}
		if (!room) {
			xen_evtchn_send(port);
			xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_YIELD, 0, 0, 0, 0);
			continue;
		}
		for (k = 0; k < room && k < n; k++)
			ring->out[(prod + k) % RING_SIZE] = s[k];
		__atomic_thread_fence(__ATOMIC_RELEASE);
		ring->out_prod = prod + k;
		xen_evtchn_send(port);
		s += k;
		n -= k;
	}
}

void xen_console_flush(void)
{
	if (!ring)
		return;
	u64 until = xen_monotonic_ns() + FLUSH_NS;

	while (ring->out_cons != ring->out_prod && xen_monotonic_ns() < until) {
		xen_evtchn_send(port);
		xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_YIELD, 0, 0, 0, 0);
	}
}

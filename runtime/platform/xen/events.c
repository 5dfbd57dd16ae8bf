/* events.c - the shared info page and event channels.
 *
 * Xen marks a port pending in the shared info page (a bit per port, a
 * selector bit per word, and vcpu_info.evtchn_upcall_pending) and injects
 * the callback vector; the upcall below clears and dispatches what is
 * pending and unmasked.  The callback vector needs no EOI: Xen injects it
 * directly, not through the local APIC. */
#include "xen.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/runtime.h"

#define XEN_VECTOR 0x3e /* a device vector (32-63) the other platforms leave alone */
#define MAX_BOUND 16

volatile struct xen_shared_info *xen_shared;
static u8 shared_page[4096] __attribute__((aligned(4096)));

static struct {
	u32 port;
	void (*fn)(u32 port);
} bound[MAX_BOUND];
static int nbound;

static void dispatch(u32 port)
{
	for (int i = 0; i < nbound; i++)
		if (bound[i].port == port) {
			bound[i].fn(port);
			return;
		}
}

static void upcall(int vector)
{
	volatile struct xen_vcpu_info *v = &xen_shared->vcpu_info[0];

	while (v->evtchn_upcall_pending) {
		u64 sel;

		v->evtchn_upcall_pending = 0;
		sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		while (sel) {
			int w = __builtin_ctzl(sel);
			u64 pend;

			sel &= sel - 1;
			pend = xen_shared->evtchn_pending[w] & ~xen_shared->evtchn_mask[w];
			while (pend) {
				int b = __builtin_ctzl(pend);

				pend &= pend - 1;
				__atomic_and_fetch(&xen_shared->evtchn_pending[w], ~(1UL << b),
						   __ATOMIC_SEQ_CST);
				dispatch((u32)(w * 64 + b));
			}
		}
	}
}

void xen_event_bind(u32 port, void (*fn)(u32 port))
{
	u32 p = port;

	if (nbound == MAX_BOUND || port >= 64 * 64)
		panic("xen: cannot bind event channel %u", port);
	bound[nbound].port = port;
	bound[nbound++].fn = fn;
	__atomic_and_fetch(&xen_shared->evtchn_mask[port / 64], ~(1UL << (port % 64)),
			   __ATOMIC_SEQ_CST);
	xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_UNMASK, (u64)(uintptr_t)&p, 0, 0, 0);
}

void xen_events_init(void)
{
	struct xen_add_to_physmap m = {
		.domid = XEN_DOMID_SELF,
		.space = XEN_XENMAPSPACE_SHARED_INFO,
		.idx = 0,
		.gpfn = (u64)(uintptr_t)shared_page >> 12, /* the runtime runs 1:1 */
	};
	struct xen_evtchn_bind_virq virq = { .virq = XEN_VIRQ_TIMER, .vcpu = 0 };
	long rc;

	rc =
	    xen_hypercall(XEN_HC_MEMORY_OP, XEN_XENMEM_ADD_TO_PHYSMAP, (u64)(uintptr_t)&m, 0, 0, 0);
	if (rc)
		panic("xen: mapping the shared info page failed (%ld)", rc);
	xen_shared = (volatile struct xen_shared_info *)shared_page;
	/* every port masked until something binds it */
	for (int i = 0; i < 64; i++)
		xen_shared->evtchn_mask[i] = ~0UL;
	xen_shared->vcpu_info[0].evtchn_upcall_mask = 0;
	arch_set_irq_handler(XEN_VECTOR, upcall);
	rc = xen_hvm_set_param(XEN_HVM_PARAM_CALLBACK_IRQ, XEN_HVM_CALLBACK_VECTOR(XEN_VECTOR));
	if (rc)
		panic("xen: setting the event callback vector failed (%ld)", rc);
	rc = xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_BIND_VIRQ, (u64)(uintptr_t)&virq,
			   0, 0, 0);
	if (rc)
		panic("xen: binding VIRQ_TIMER failed (%ld)", rc);
	xen_event_bind(virq.port, xen_timer_event);
}

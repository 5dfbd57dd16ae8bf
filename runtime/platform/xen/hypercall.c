/* hypercall.c - finding Xen, its hypercall page, and the few hypercalls
 * every part of the platform uses. */
#include "xen.h"
#include "hvm.h"
#include "../../arch/x86_64/arch.h"

extern u8 xen_hypercall_page[4096];
static u32 cpuid_base;

static void cpu_cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	cpuid(leaf, 0, a, b, c, d);
}

bool xen_detect(void)
{
	cpuid_base = xen_cpuid_base(cpu_cpuid);
	return cpuid_base != 0;
}

void xen_hypercall_init(void)
{
	u32 pages, msr, c, d;

	cpuid(cpuid_base + 2, 0, &pages, &msr, &c, &d);
	/* The runtime runs at its physical address: the page's address is its
	 * guest-physical one. */
	wrmsr(msr, (u64)(uintptr_t)xen_hypercall_page);
}

long xen_hypercall(int nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	register u64 rdi __asm__("rdi") = a1;
	register u64 rsi __asm__("rsi") = a2;
	register u64 rdx __asm__("rdx") = a3;
	register u64 r10 __asm__("r10") = a4;
	register u64 r8 __asm__("r8") = a5;
	long ret;

	/* Xen may clobber the argument registers (debug builds do). */
	__asm__ volatile("call *%[stub]"
			 : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			 : [stub] "r"(xen_hypercall_page + nr * 32)
			 : "memory", "rcx", "r9", "r11");
	return ret;
}

long xen_hvm_get_param(u32 index, u64 *value)
{
	struct xen_hvm_param p = { .domid = XEN_DOMID_SELF, .index = index };
	long rc = xen_hypercall(XEN_HC_HVM_OP, XEN_HVMOP_GET_PARAM, (u64)(uintptr_t)&p, 0, 0, 0);

	*value = rc ? 0 : p.value;
	return rc;
}

long xen_hvm_set_param(u32 index, u64 value)
{
	struct xen_hvm_param p = { .domid = XEN_DOMID_SELF, .index = index, .value = value };

	return xen_hypercall(XEN_HC_HVM_OP, XEN_HVMOP_SET_PARAM, (u64)(uintptr_t)&p, 0, 0, 0);
}

long xen_evtchn_send(u32 port)
{
	u32 p = port;

	return xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, XEN_EVTCHNOP_SEND, (u64)(uintptr_t)&p, 0, 0,
			     0);
}

void xen_debug_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		outb(0xe9, (u8)s[i]);
}

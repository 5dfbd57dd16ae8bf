/* xen_probe.c - the parts of finding and preparing Xen that need no
 * hardware, so the host's unit tests run them (tests/unit/t_xen_hvm.c):
 * the CPUID scan for Xen's leaves, the emulated-device unplug protocol
 * over the caller's port I/O, and the Xen HVM platform's default network
 * word.  Freestanding: kernel.h and abi/boot.h only. */
#include "hvm.h"
#include "../../../abi/boot.h"

u32 xen_cpuid_base(void (*cpuid_fn)(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d))
{
	/* Xen's leaves start at 0x40000000, or 0x100 higher (and so on) when it
	 * also presents another hypervisor's (Viridian for Windows guests) */
	for (u32 leaf = 0x40000000; leaf < 0x40010000; leaf += 0x100) {
		u32 a, b, c, d;

		cpuid_fn(leaf, &a, &b, &c, &d);
		/* "XenVMMXenVMM", and the leaves up to +2 (the hypercall MSR) */
		if (b == 0x566e6558 && c == 0x65584d4d && d == 0x4d4d566e && a >= leaf + 2)
			return leaf;
	}
	return 0;
}

#define UNPLUG_PORT 0x10
#define PROTO_PORT 0x12
#define UNPLUG_MAGIC 0x49d2
/* 0xffff: the experimental range of the document's product numbers */
#define PRODUCT_NUMBER 0xffff
#define BUILD_NUMBER 1

int xen_hvm_unplug(const struct xen_hvm_ports *io, u16 mask)
{
	u8 proto;

	if (io->in16(UNPLUG_PORT) != UNPLUG_MAGIC)
		return -1; /* no unplug protocol (an old device model) */
	proto = io->in8(PROTO_PORT);
	if (proto == 1) {
		io->out16(PROTO_PORT, PRODUCT_NUMBER);
		io->out32(UNPLUG_PORT, BUILD_NUMBER);
		if (io->in16(UNPLUG_PORT) != UNPLUG_MAGIC)
			return -2; /* this driver is blacklisted: the emulated devices stay */
	}
	io->out16(UNPLUG_PORT, mask);
	return 0;
}

/* True when word w (of n bytes) starts with prefix p. */
static bool starts(const char *w, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && !memcmp(w, p, k);
}

bool xen_hvm_wants_dhcp(const char *cmdline)
{
	for (const char *p = cmdline; *p;) {
		size_t n;

		while (*p == ' ')
			p++;
		for (n = 0; p[n] && p[n] != ' '; n++)
			;
		if (starts(p, n, UNIK_BOOT_IP) || starts(p, n, "unik.net="))
			return false;
		p += n;
	}
	return true;
}

bool xen_hvm_add_dhcp(char *cmdline, size_t size)
{
	size_t len = strlen(cmdline), k = strlen(" " UNIK_BOOT_DHCP);

	if (!xen_hvm_wants_dhcp(cmdline))
		return false;
	if (len + k + 1 > size)
		return false;
	memcpy(cmdline + len, " " UNIK_BOOT_DHCP, k + 1);
	return true;
}

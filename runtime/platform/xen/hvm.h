/* hvm.h - the runtime as a Xen HVM guest: the PC platform (GRUB, Multiboot2)
 * with Xen's event channels, clock, xenstore and PV devices (hvm.c), and the
 * parts that need no hardware (xen_probe.c). */
#ifndef UNIK_RT_XEN_HVM_H
#define UNIK_RT_XEN_HVM_H

#include "../../core/kernel.h"

/* Port I/O for xen_hvm_unplug (the CPU's in the guest, a fake in tests). */
struct xen_hvm_ports {
	u8 (*in8)(u16 port);
	u16 (*in16)(u16 port);
	void (*out16)(u16 port, u16 v);
	void (*out32)(u16 port, u32 v);
};

/* The unplug mask's bits (hvm-emulated-unplug): every emulated IDE disk,
 * every emulated NIC. */
#define XEN_UNPLUG_IDE_DISKS 1
#define XEN_UNPLUG_NICS 2

/* The first of Xen's CPUID leaves ("XenVMMXenVMM" with at least the two
 * after it), scanning 0x40000000 up in steps of 0x100; 0 when none. */
u32 xen_cpuid_base(void (*cpuid_fn)(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d));

/* Unplugs the emulated devices in mask through the Xen platform device's
 * ports: 0, -1 when the device model has no unplug protocol, -2 when it
 * refuses this driver. */
int xen_hvm_unplug(const struct xen_hvm_ports *io, u16 mask);

/* True when the command line has no unik.ip= or unik.net= word: on Xen HVM
 * (EC2) the network is then asked of DHCP. */
bool xen_hvm_wants_dhcp(const char *cmdline);
/* Appends " unik.net=dhcp" to cmdline (of size bytes) when it wants DHCP
 * and has room; true when it did. */
bool xen_hvm_add_dhcp(char *cmdline, size_t size);

/* hvm.c: called by the PC platform's Multiboot2 entry once the CPU is set
 * up (cpu_init, the local APIC, ACPI) when Xen's leaves are there: makes
 * the Xen HVM platform the running one and brings up events, the clock,
 * the unplug, the xenstore; may append the DHCP word to cmdline. */
void xen_hvm_init(char *cmdline, size_t size);

#endif

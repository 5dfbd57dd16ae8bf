/* hvm.c - the PC platform as a Xen HVM guest (an EC2 t2/m4/c4 instance,
 * or `xl create` with type="hvm"): GRUB boots the staged disk's Multiboot2
 * entry, so the QEMU platform's multiboot path runs, sees Xen's CPUID
 * leaves and brings up what a Xen guest needs besides the emulated PC (COM1,
 * local APIC, ACPI power button, which stay): the hypercall page, the
 * shared info page and the event upcall through the callback vector
 * (events.c), Xen's clock and one-shot timer (clock.c), the xenstore and
 * its control/shutdown watch (control.c), and the PV devices: netfront for
 * the network and blkfront for disks, the drivers of the PVH platform.
 *
 * The emulated devices of the same disks and vifs (QEMU's IDE disks and
 * NICs in the device model) are unplugged first through the Xen platform
 * PCI device's I/O ports, as PV drivers do (Xen's
 * docs/misc/hvm-emulated-unplug.pandoc): magic 0x49d2 read at port 0x10,
 * protocol version at 0x12; for version 1 the product number is written to
 * 0x12 and the driver's build number to 0x10, and the magic read again (a
 * blacklisted driver reads something else); then the unplug mask written to
 * 0x10.  An EC2 Xen instance has no emulated NIC at all, only netfront. */
#include "xen.h"
#include "hvm.h"
#include "netfront.h"
#include "../qemu/qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/runtime.h"

static u8 io_in8(u16 port)
{
	return inb(port);
}

static u16 io_in16(u16 port)
{
	return inw(port);
}

static void io_out16(u16 port, u16 v)
{
	outw(port, v);
}

static void io_out32(u16 port, u32 v)
{
	outl(port, v);
}

static const struct xen_hvm_ports pc_ports = { io_in8, io_in16, io_out16, io_out32 };

/* The exit line on the serial console (what EC2's GetConsoleOutput and
 * `xl console` show), then the domain powers off. */
static void hvm_exit(int status) __noreturn;
static void hvm_exit(int status)
{
	qemu_exit_line(status);
	for (;;) {
		u32 reason = XEN_SHUTDOWN_POWEROFF;

		xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_SHUTDOWN, (u64)(uintptr_t)&reason, 0, 0,
			      0);
	}
}

static const struct platform_ops hvm_platform = {
	.name = "xen-hvm",
	.console_write = qemu_console_write,
	.console_err_write = qemu_console_err,
	.clock_init = xen_clock_init,
	.monotonic_ns = xen_monotonic_ns,
	.wall_ns = xen_wall_ns,
	.clock_res_ns = xen_clock_res_ns,
	.wait_until = xen_wait_until,
	.timer_set = xen_timer_set,
	.exit = hvm_exit,
	.clock_source = xen_clock_source,
	.clock_hz = xen_clock_hz,
	.net_open = netfront_open,
	.net_send = netfront_send,
	.net_recv = netfront_recv,
	.blk_probe = xen_blk_probe,
};

void xen_hvm_init(char *cmdline, size_t size)
{
	int rc;

	platform = &hvm_platform;
	xen_hypercall_init();
	xen_events_init();
	xen_clock_init(); /* for the xenstore client's timeouts; the core calibrates again */
	rc = xen_hvm_unplug(&pc_ports, XEN_UNPLUG_IDE_DISKS | XEN_UNPLUG_NICS);
	if (rc)
		kprintf("unikernel: xen: the emulated disks and NICs stay (%s)\n",
			rc == -1 ? "no unplug protocol" : "unplug refused");
	xen_control_init();
	/* EC2 gives addresses by DHCP only: a network without words asks it */
	xen_hvm_add_dhcp(cmdline, size);
}

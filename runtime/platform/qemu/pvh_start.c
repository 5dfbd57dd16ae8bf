/* pvh_start.c - the QEMU platform's C entries: reads the PVH start info
 * (command line, memory map), or the Multiboot2 information when GRUB booted
 * us from a disk on the same machine types, and hands over to the core. */
#include "qemu.h"
#include "../../core/errno.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "../multiboot/multiboot.h"
#include "pcdev.h"
#include "../pvh/pvh.h"
#include "../xen/xen.h"
#include "../xen/hvm.h"

static char cmdline[8192];
static struct boot_info info;

const char *qemu_cmdline(void)
{
	return cmdline;
}

/* The disks, when the core asks (the command line mounts volumes): the
 * virtio-mmio ones (microvm), then the virtio-blk PCI functions, the AHCI
 * disks and the NVMe namespaces (pc, q35), each kind in slot order. */
void qemu_blk_disks(void)
{
	virtio_blk_mmio_probe(cmdline, apic_route_irq);
	virtio_blk_pci_probe(apic_route_irq);
	ahci_probe(apic_route_irq);
	nvme_probe(apic_route_irq);
}

static const struct platform_ops qemu_platform = {
	.name = "qemu-pvh",
	.console_write = qemu_console_write,
	.console_err_write = qemu_console_err,
	.console_read = serial_console_read,
	.clock_init = qemu_clock_init,
	.monotonic_ns = qemu_monotonic_ns,
	.wall_ns = qemu_wall_ns,
	.clock_res_ns = qemu_clock_res_ns,
	.wait_until = qemu_wait_until,
	.timer_set = qemu_timer_set,
	.exit = qemu_exit,
	.clock_source = qemu_clock_source,
	.clock_hz = qemu_clock_hz,
	.net_open = qemu_net_open,
	.net_send = qemu_net_send,
	.net_recv = qemu_net_recv,
	.blk_probe = qemu_blk_probe,
};

/* What both entries share once info holds the command line and RAM. */
/* rsdp_pa: where the loader says ACPI's RSDP is, or 0 (then it is looked
 * for in the BIOS areas). */
/* xen: a Xen HVM guest (GRUB booted the staged disk on EC2 or `xl create`
 * type="hvm"): the Xen parts join the PC's (platform/xen/hvm.c). */
static void qemu_main(u64 rsdp_pa, bool xen) __noreturn;
static void qemu_main(u64 rsdp_pa, bool xen)
{
	arch_dmap_extend(pvh_ram_top(&info));
	cpu_init();
	apic_init();
	serial_input_init();
	/* the power button (-M pc, q35: QMP system_powerdown; EC2's
	 * StopInstances on Xen) stops gracefully */
	acpi_init(rsdp_pa, ALIGN_UP(pvh_ram_top(&info), 1UL << 21));
	if (xen) {
		xen_hvm_init(cmdline, sizeof(cmdline));
		info.platform = "xen-hvm";
	}
	runtime_main(&info);
}

void qemu_pvh_main(u32 start_info_pa)
{
	platform = &qemu_platform;
	serial_init();
	/* The boot direct map covers [0, 4 MiB): where QEMU puts these. */
	if (pvh_start_info(start_info_pa, 0x400000, cmdline, sizeof(cmdline), &info))
		panic("PVH start info has no memory map");
	info.platform = "qemu-pvh";
	info.ram_zeroed = true; /* QEMU guest RAM starts zeroed */
	qemu_main(((const struct hvm_start_info *)phys_to_virt(start_info_pa))->rsdp_paddr, false);
}

void qemu_multiboot_main(void)
{
	platform = &qemu_platform;
	serial_init();
	if (multiboot_boot_info(cmdline, sizeof(cmdline), &info))
		panic("the Multiboot2 information has neither a memory map nor memory sizes");
	info.platform = "qemu-multiboot";
	info.ram_zeroed = false; /* the firmware and the loader used it */
	qemu_main(0, xen_detect());
}

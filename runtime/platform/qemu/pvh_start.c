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
#include "../pvh/pvh.h"

static char cmdline[8192];
static struct boot_info info;

/* The network device is looked for only when the core asks (the program
 * has network words): a virtio-mmio one from QEMU's command-line words
 * (microvm), else a virtio-net PCI function (pc). */
static int qemu_net_open(u8 mac[6], u32 *mtu)
{
	if (virtio_net_mmio_probe(cmdline, apic_route_irq))
		return virtio_net_mmio_open(mac, mtu);
	if (virtio_net_pci_probe(apic_route_irq))
		return virtio_net_pci_open(mac, mtu);
	kprintf("unik: net: no virtio-net device: none among the virtio_mmio.device= words "
		"(QEMU adds them for -M microvm,acpi=off) and none on the PCI bus\n");
	return -ENODEV;
}

/* The disks, when the core asks (the command line mounts volumes): the
 * virtio-mmio ones (microvm), then the virtio-blk PCI functions (pc). */
static void qemu_blk_probe(void)
{
	virtio_blk_mmio_probe(cmdline, apic_route_irq);
	virtio_blk_pci_probe(apic_route_irq);
}

static const struct platform_ops qemu_platform = {
	.name = "qemu-pvh",
	.console_write = qemu_console_write,
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
	.net_send = virtio_net_send,
	.net_recv = virtio_net_recv,
	.blk_probe = qemu_blk_probe,
};

/* What both entries share once info holds the command line and RAM. */
static void qemu_main(void) __noreturn;
static void qemu_main(void)
{
	arch_dmap_extend(pvh_ram_top(&info));
	cpu_init();
	apic_init();
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
	qemu_main();
}

void qemu_multiboot_main(void)
{
	platform = &qemu_platform;
	serial_init();
	if (multiboot_boot_info(cmdline, sizeof(cmdline), &info))
		panic("the Multiboot2 information has neither a memory map nor memory sizes");
	info.platform = "qemu-multiboot";
	info.ram_zeroed = false; /* the firmware and the loader used it */
	qemu_main();
}

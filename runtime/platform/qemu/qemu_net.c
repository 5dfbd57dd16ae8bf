/* qemu_net.c - the QEMU platform's network device behind platform_ops'
 * net_open, net_send and net_recv (see platform/platform.h).  It is part of
 * unik-net.o (runtime/runtime.mk), linked only into images whose program
 * makes sockets: in the others the entries are NULL (weak, qemu.h) and the
 * link's --gc-sections leaves the drivers (virtio-net, e1000) out. */
#include "qemu.h"
#include "../../core/errno.h"
#include "virtio_net.h"
#include "pcdev.h"

static bool use_e1000;

/* The network device is looked for only when the core asks (the program
 * has network words): a virtio-mmio one from QEMU's command-line words
 * (microvm), else a virtio-net PCI function, else an Intel PRO/1000 (pc,
 * q35, VirtualBox). */
int qemu_net_open(u8 mac[6], u32 *mtu)
{
	if (virtio_net_mmio_probe(qemu_cmdline(), apic_route_irq))
		return virtio_net_mmio_open(mac, mtu);
	if (virtio_net_pci_probe(apic_route_irq))
		return virtio_net_pci_open(mac, mtu);
	if (e1000_probe(apic_route_irq)) {
		use_e1000 = true;
		return e1000_open(mac, mtu);
	}
	kprintf("unikernel: net: no network device: no virtio-net among the virtio_mmio.device= "
		"words (QEMU adds them for -M microvm,acpi=off), no virtio-net or e1000 on the "
		"PCI bus\n");
	return -ENODEV;
}

int qemu_net_send(const void *frame, size_t len)
{
	return use_e1000 ? e1000_send(frame, len) : virtio_net_send(frame, len);
}

long qemu_net_recv(void *buf, size_t size)
{
	return use_e1000 ? e1000_recv(buf, size) : virtio_net_recv(buf, size);
}

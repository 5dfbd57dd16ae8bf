/* virtio_net_legacy.c - virtio-net over the legacy (virtio 0.9.5) PCI
 * interface: VirtualBox's "paravirtualized network" adapter (it offers only
 * this one up to 7.0) and QEMU's virtio-net-pci with disable-modern=on.
 *
 * The registers are in I/O BAR 0 (the "Legacy Interfaces" of the virtio
 * 1.x specification): features, the queue's page frame number, its size
 * (the device's: the driver cannot choose it), select, notify, status, ISR
 * and, without MSI-X, the device configuration (the MAC) at 0x14.  The
 * queues use the legacy layout of virtio_net_queue.c (page-aligned device
 * ring), the 10-byte virtio-net header.  Features: MAC only.  The INTx
 * line is served as for the modern transport: reading the ISR lowers it.
 */
#include "virtio.h"
#include "../../core/sched.h"
#include "virtio_net.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/random.h"
#include "pci.h"

#define L_DEVICE_FEATURES 0x00
#define L_GUEST_FEATURES 0x04
#define L_QUEUE_PFN 0x08
#define L_QUEUE_SIZE 0x0c
#define L_QUEUE_SELECT 0x0e
#define L_QUEUE_NOTIFY 0x10
#define L_STATUS 0x12
#define L_ISR 0x13
#define L_CONFIG 0x14 /* without MSI-X */
#define L_REGS_SIZE 0x20
#define F_MAC (1u << 5)
#define HDR_LEN 10
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 2) /* the PCI transport's: one or the other */
#define PCI_BAR0 0x10
#define PCI_COMMAND_IO (1u << 0)

static u16 io; /* the base port, 0: none */

static void irq_handler(int vector)
{
	(void)vector;
	(void)inb((u16)(io + L_ISR)); /* reading acknowledges and lowers INTx */
	apic_eoi();
	sched_irq_net();
}

bool virtio_net_legacy_probe(const struct pci_fn *f,
			     bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	u32 bar = pci_read32(*f, PCI_BAR0);
	int gsi;

	/* an I/O BAR the firmware assigned, its registers within the port space */
	if (!(bar & 1u) || !(bar & ~3u) || (bar & ~3u) > 0x10000 - L_REGS_SIZE)
		return false;
	io = (u16)(bar & ~3u);
	pci_write16(*f, PCI_COMMAND,
		    (pci_read16(*f, PCI_COMMAND) | PCI_COMMAND_IO | PCI_COMMAND_MASTER) &
			(u16)~PCI_COMMAND_INTX_DISABLE);
	gsi = pci_intx_gsi(*f);
	if (route && (gsi < 0 || !route((u32)gsi, IRQ_VECTOR, irq_handler)))
		kprintf("unikernel: virtio-net: cannot route its PCI interrupt; waits will poll\n");
	return true;
}

static void notify(int q)
{
	outw((u16)(io + L_QUEUE_NOTIFY), (u16)q);
}

/* Sets up queue q at the device's size; false when we cannot take it. */
static bool vq_init(int q)
{
	struct vq *v;
	u16 size;

	outw((u16)(io + L_QUEUE_SELECT), (u16)q);
	size = inw((u16)(io + L_QUEUE_SIZE));
	if (!(v = vnet_queue_alloc(q, size))) {
		kprintf("unikernel: virtio-net (legacy): queue %d of %u entries is not usable\n", q,
			size);
		return false;
	}
	if ((v->desc_pa >> 12) >> 32)
		return false; /* the PFN register has 32 bits */
	outl((u16)(io + L_QUEUE_PFN), (u32)(v->desc_pa >> 12));
	return true;
}

int virtio_net_legacy_open(u8 mac[6], u32 *mtu)
{
	u32 feat;

	if (!io)
		return -ENODEV;
	outb((u16)(io + L_STATUS), 0); /* reset */
	outb((u16)(io + L_STATUS), ST_ACK);
	outb((u16)(io + L_STATUS), ST_ACK | ST_DRIVER);
	feat = inl((u16)(io + L_DEVICE_FEATURES)) & F_MAC;
	outl((u16)(io + L_GUEST_FEATURES), feat);
	if (!vq_init(VNET_RXQ) || !vq_init(VNET_TXQ)) {
		outb((u16)(io + L_STATUS), ST_FAILED);
		io = 0;
		return -ENODEV;
	}
	vnet_queues_start(HDR_LEN, notify);
	if (feat & F_MAC) {
		for (int i = 0; i < 6; i++)
			mac[i] = inb((u16)(io + L_CONFIG + i));
	} else {
		mac[0] = 0x02; /* locally administered; the device did not say */
		random_fill(mac + 1, 5);
	}
	*mtu = 1500;
	outb((u16)(io + L_STATUS), ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	notify(VNET_RXQ);
	return 0;
}

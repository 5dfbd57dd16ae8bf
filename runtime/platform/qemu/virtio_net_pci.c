/* virtio_net_pci.c - a virtio-net driver over the modern (1.0) virtio-pci
 * transport (QEMU machine pc: virtio-net-pci, transitional or not); a
 * device without it (legacy only: VirtualBox, disable-modern=on) goes to
 * virtio_net_legacy.c.
 *
 * The function is found on bus 0 (vendor 0x1af4, device 0x1041, or the
 * transitional 0x1000 with subsystem 1); its vendor capabilities locate
 * the common configuration, notification, ISR and device configuration
 * structures in its memory BARs (platform/qemu/pci.c maps those below
 * 4 GiB).  Features: VERSION_1 and MAC only.  No MSI-X: the INTx line,
 * routed through the I/O APIC, only wakes the halted CPU (the handler
 * reads the ISR, which lowers it); frames are taken by polling the used
 * rings (virtio_net_queue.c).
 */
#include "virtio.h"
#include "../../core/sched.h"
#include "virtio_net.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/random.h"
#include "pci.h"

#define DEV_NET_MODERN 0x1041
#define DEV_NET_TRANSITIONAL 0x1000
#define SUBSYS_NET 1
#define F_MAC (1u << 5)
#define HDR_LEN 12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 2)

static struct pci_fn dev;
static volatile u8 *common, *isr, *devcfg, *notify_base;
static u32 notify_mult;
static u16 notify_off[2];
static bool legacy; /* the device has only the legacy interface */

static bool is_virtio_net(struct pci_fn f, u16 vendor, u16 device)
{
	if (vendor != VIRTIO_VENDOR)
		return false;
	return device == DEV_NET_MODERN ||
	       (device == DEV_NET_TRANSITIONAL && pci_read16(f, PCI_SUBSYSTEM_ID) == SUBSYS_NET);
}

/* Maps the structure a vendor capability at `cap` points to; NULL when its
 * BAR is unusable. */
static volatile u8 *cap_map(u8 cap, u32 *len)
{
	u8 bar = pci_read8(dev, (u8)(cap + 4));
	u32 off = pci_read32(dev, (u8)(cap + 8));
	u64 base;

	*len = pci_read32(dev, (u8)(cap + 12));
	if (bar > 5 || !*len || !(base = pci_bar_address(dev, bar)))
		return NULL;
	return arch_map_mmio(base + off, *len);
}

/* Finds and maps the four structures; false when one is missing. */
static bool caps_map(void)
{
	u32 len;

	if (!(pci_read16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return false;
	for (u8 cap = pci_read8(dev, PCI_CAP_PTR) & 0xfc, n = 0; cap && n < 48;
	     cap = pci_read8(dev, (u8)(cap + 1)) & 0xfc, n++) {
		if (pci_read8(dev, cap) != CAP_VENDOR)
			continue;
		switch (pci_read8(dev, (u8)(cap + 3))) {
		case CFG_COMMON:
			if (!common)
				common = cap_map(cap, &len);
			break;
		case CFG_NOTIFY:
			if (!notify_base) {
				notify_base = cap_map(cap, &len);
				notify_mult = pci_read32(dev, (u8)(cap + 16));
			}
			break;
		case CFG_ISR:
			if (!isr)
				isr = cap_map(cap, &len);
			break;
		case CFG_DEVICE:
			if (!devcfg)
				devcfg = cap_map(cap, &len);
			break;
		}
	}
	return common && notify_base && isr && devcfg;
}

static void irq_handler(int vector)
{
	(void)rd8(isr, 0); /* reading acknowledges and lowers INTx */
	apic_eoi();
	sched_irq_net();
}

bool virtio_net_pci_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	int gsi;

	if (!pci_find(is_virtio_net, &dev))
		return false;
	if (!caps_map()) {
		common = NULL;
		if (virtio_net_legacy_probe(&dev, route)) {
			legacy = true;
			return true;
		}
		kprintf("unikernel: virtio-net at PCI 00:%02x.%x: neither the modern (virtio 1.0) "
			"nor the legacy interface is usable\n",
			dev.dev, dev.fn);
		return false;
	}
	pci_write16(dev, PCI_COMMAND,
		    (pci_read16(dev, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
			(u16)~PCI_COMMAND_INTX_DISABLE);
	gsi = pci_intx_gsi(dev);
	if (route && (gsi < 0 || !route((u32)gsi, IRQ_VECTOR, irq_handler)))
		kprintf("unikernel: virtio-net: cannot route its PCI interrupt; waits will poll\n");
	return true;
}

static void notify(int q)
{
	wr16(notify_base, (u32)notify_off[q] * notify_mult, (u16)q);
}

/* Sets up queue q and enables it; false on failure. */
static bool vq_init(int q)
{
	struct vq *v;
	u16 max;

	wr16(common, C_QUEUE_SELECT, (u16)q);
	max = rd16(common, C_QUEUE_SIZE);
	if (max < VQ_SIZE || !(v = vnet_queue_alloc(q, VQ_SIZE)))
		return false;
	wr16(common, C_QUEUE_SIZE, VQ_SIZE);
	wr16(common, C_QUEUE_MSIX_VECTOR, NO_VECTOR);
	wr64(common, C_QUEUE_DESC, v->desc_pa);
	wr64(common, C_QUEUE_DRIVER, v->avail_pa);
	wr64(common, C_QUEUE_DEVICE, v->used_pa);
	notify_off[q] = rd16(common, C_QUEUE_NOTIFY_OFF);
	wr16(common, C_QUEUE_ENABLE, 1);
	return true;
}

int virtio_net_pci_open(u8 mac[6], u32 *mtu)
{
	u32 feat;

	if (legacy)
		return virtio_net_legacy_open(mac, mtu);
	if (!common)
		return -ENODEV;
	wr8(common, C_DEVICE_STATUS, 0);
	while (rd8(common, C_DEVICE_STATUS)) /* the reset completes */
		cpu_relax();
	wr8(common, C_DEVICE_STATUS, ST_ACK);
	wr8(common, C_DEVICE_STATUS, ST_ACK | ST_DRIVER);
	mmio_write32(common + C_DEVICE_FEATURE_SELECT, 0);
	feat = mmio_read32(common + C_DEVICE_FEATURE) & F_MAC;
	mmio_write32(common + C_DEVICE_FEATURE_SELECT, 1);
	if (!(mmio_read32(common + C_DEVICE_FEATURE) & F_VERSION_1_HI))
		goto failed;
	mmio_write32(common + C_DRIVER_FEATURE_SELECT, 0);
	mmio_write32(common + C_DRIVER_FEATURE, feat);
	mmio_write32(common + C_DRIVER_FEATURE_SELECT, 1);
	mmio_write32(common + C_DRIVER_FEATURE, F_VERSION_1_HI);
	wr8(common, C_DEVICE_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd8(common, C_DEVICE_STATUS) & ST_FEATURES_OK))
		goto failed;
	wr16(common, C_MSIX_CONFIG, NO_VECTOR);
	if (!vq_init(VNET_RXQ) || !vq_init(VNET_TXQ))
		goto failed;
	vnet_queues_start(HDR_LEN, notify);
	if (feat & F_MAC) {
		for (int i = 0; i < 6; i++)
			mac[i] = rd8(devcfg, (u32)i);
	} else {
		mac[0] = 0x02; /* locally administered; the device did not say */
		random_fill(mac + 1, 5);
	}
	*mtu = 1500;
	wr8(common, C_DEVICE_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	notify(VNET_RXQ);
	return 0;
failed:
	wr8(common, C_DEVICE_STATUS, ST_FAILED);
	kprintf("unikernel: virtio-net at PCI 00:%02x.%x: the device refused our setup\n", dev.dev,
		dev.fn);
	common = NULL;
	return -ENODEV;
}

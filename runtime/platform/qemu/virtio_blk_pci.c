/* virtio_blk_pci.c - virtio-blk over the modern (1.0) virtio-pci transport
 * (QEMU machine pc: virtio-blk-pci, transitional or not).
 *
 * Every such function on bus 0 (vendor 0x1af4, device 0x1042, or the
 * transitional 0x1001 with subsystem 2) becomes a disk, in slot order:
 * QEMU gives -device options without addr= the next free slot, so that is
 * the command line's order.  Its vendor capabilities locate the common
 * configuration, notification, ISR and device configuration structures in
 * its memory BARs (pci.c maps those below 4 GiB).  Features: VERSION_1, RO
 * and FLUSH.  No MSI-X: the INTx line, routed through the I/O APIC, wakes
 * the waits (the handler reads every disk's ISR, which lowers it).
 */
#include "virtio.h"
#include "virtio_blk.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "pci.h"

#define DEV_BLK_MODERN 0x1042
#define DEV_BLK_TRANSITIONAL 0x1001
#define SUBSYS_BLK 2
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 5)

static struct vblk devs[VBLK_MAX];
static struct pci_fn fns[VBLK_MAX];
static int nfns, ndevs;

/* Collects every virtio-blk function (returns false: go on). */
static bool collect(struct pci_fn f, u16 vendor, u16 device)
{
	if (vendor == VIRTIO_VENDOR && nfns < VBLK_MAX &&
	    (device == DEV_BLK_MODERN ||
	     (device == DEV_BLK_TRANSITIONAL && pci_read16(f, PCI_SUBSYSTEM_ID) == SUBSYS_BLK)))
		fns[nfns++] = f;
	return false;
}

static volatile u8 *cap_map(struct pci_fn f, u8 cap)
{
	u8 bar = pci_read8(f, (u8)(cap + 4));
	u32 off = pci_read32(f, (u8)(cap + 8)), len = pci_read32(f, (u8)(cap + 12));
	u64 base;

	if (bar > 5 || !len || !(base = pci_bar_address(f, bar)))
		return NULL;
	return arch_map_mmio(base + off, len);
}

/* Maps the four structures into v; false when one is missing.  v->regs is
 * the common configuration. */
static bool caps_map(struct pci_fn f, struct vblk *v, u32 *notify_mult)
{
	volatile u8 *notify_base = NULL;

	if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return false;
	for (u8 cap = pci_read8(f, PCI_CAP_PTR) & 0xfc, n = 0; cap && n < 48;
	     cap = pci_read8(f, (u8)(cap + 1)) & 0xfc, n++) {
		if (pci_read8(f, cap) != CAP_VENDOR)
			continue;
		switch (pci_read8(f, (u8)(cap + 3))) {
		case CFG_COMMON:
			if (!v->regs)
				v->regs = cap_map(f, cap);
			break;
		case CFG_NOTIFY:
			if (!notify_base) {
				notify_base = cap_map(f, cap);
				*notify_mult = pci_read32(f, (u8)(cap + 16));
			}
			break;
		case CFG_ISR:
			if (!v->isr)
				v->isr = cap_map(f, cap);
			break;
		case CFG_DEVICE:
			if (!v->devcfg)
				v->devcfg = cap_map(f, cap);
			break;
		}
	}
	v->notify_addr = notify_base;
	return v->regs && notify_base && v->isr && v->devcfg;
}

static void notify(struct vblk *v)
{
	wr16(v->notify_addr, 0, 0);
}

static void irq_handler(int vector)
{
	for (int i = 0; i < ndevs; i++)
		(void)rd8(devs[i].isr, 0); /* reading acknowledges and lowers INTx */
	apic_eoi();
	vblk_irq();
}

static bool setup(struct vblk *v, u32 notify_mult, bool *ro)
{
	volatile u8 *c = v->regs;
	u32 want;

	wr8(c, C_DEVICE_STATUS, 0);
	while (rd8(c, C_DEVICE_STATUS)) /* the reset completes */
		cpu_relax();
	wr8(c, C_DEVICE_STATUS, ST_ACK);
	wr8(c, C_DEVICE_STATUS, ST_ACK | ST_DRIVER);
	mmio_write32(c + C_DEVICE_FEATURE_SELECT, 0);
	want = mmio_read32(c + C_DEVICE_FEATURE) & (VBLK_F_RO | VBLK_F_FLUSH);
	mmio_write32(c + C_DEVICE_FEATURE_SELECT, 1);
	if (!(mmio_read32(c + C_DEVICE_FEATURE) & F_VERSION_1_HI))
		return false;
	mmio_write32(c + C_DRIVER_FEATURE_SELECT, 0);
	mmio_write32(c + C_DRIVER_FEATURE, want);
	mmio_write32(c + C_DRIVER_FEATURE_SELECT, 1);
	mmio_write32(c + C_DRIVER_FEATURE, F_VERSION_1_HI);
	wr8(c, C_DEVICE_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd8(c, C_DEVICE_STATUS) & ST_FEATURES_OK))
		return false;
	wr16(c, C_MSIX_CONFIG, NO_VECTOR);
	wr16(c, C_QUEUE_SELECT, 0);
	if (rd16(c, C_QUEUE_SIZE) < VQ_SIZE || !vblk_queue_alloc(v))
		return false;
	wr16(c, C_QUEUE_SIZE, VQ_SIZE);
	wr16(c, C_QUEUE_MSIX_VECTOR, NO_VECTOR);
	wr64(c, C_QUEUE_DESC, v->ring_pa);
	wr64(c, C_QUEUE_DRIVER, v->avail_pa);
	wr64(c, C_QUEUE_DEVICE, v->used_pa);
	v->notify_addr += (u32)rd16(c, C_QUEUE_NOTIFY_OFF) * notify_mult;
	wr16(c, C_QUEUE_ENABLE, 1);
	v->flush_ok = want & VBLK_F_FLUSH;
	v->notify = notify;
	*ro = want & VBLK_F_RO;
	wr8(c, C_DEVICE_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return true;
}

void virtio_blk_pci_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	struct pci_fn dummy;

	pci_find(collect, &dummy);
	for (int i = 0; i < nfns; i++) {
		struct pci_fn f = fns[i];
		struct vblk *v = &devs[ndevs];
		char name[32];
		u32 mult = 0;
		bool ro;
		int gsi;

		ksnprintf(name, sizeof(name), "virtio-blk at PCI 00:%02x.%x", f.dev, f.fn);
		*v = (struct vblk){ 0 };
		if (!caps_map(f, v, &mult)) {
			kprintf("unikernel: %s: no modern (virtio 1.0) interface\n", name);
			continue;
		}
		pci_write16(f, PCI_COMMAND,
			    (pci_read16(f, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
				(u16)~PCI_COMMAND_INTX_DISABLE);
		if (!setup(v, mult, &ro)) {
			wr8(v->regs, C_DEVICE_STATUS, ST_FAILED);
			kprintf("unikernel: %s: the device refused our setup\n", name);
			continue;
		}
		ndevs++;
		gsi = pci_intx_gsi(f);
		v->irq_ok = route && gsi >= 0 && route((u32)gsi, IRQ_VECTOR, irq_handler);
		vblk_register(v,
			      (u64)mmio_read32(v->devcfg) | (u64)mmio_read32(v->devcfg + 4) << 32,
			      ro, name);
	}
}

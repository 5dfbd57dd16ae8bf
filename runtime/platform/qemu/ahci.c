/* ahci.c - SATA disks behind AHCI controllers (PCI class 01/06/01: Intel
 * ICH9, QEMU's -device ahci and q35's built-in one, VirtualBox's "SATA"
 * controller), after the AHCI 1.3.1 specification and ATA8-ACS.
 *
 * The controller's registers are its memory BAR 5 (ABAR).  At probe it is
 * reset (GHC.HR), put in AHCI mode, and every implemented port (PI) with a
 * device present (PxSSTS.DET = 3) and a disk's signature (PxSIG 0x101: not
 * ATAPI, not a port multiplier) gets one page for its command list, its
 * received-FIS area and one command table, and is started (FRE, ST).  The
 * disk's IDENTIFY DEVICE data gives its size (LBA48: words 100-103) and
 * logical sector size (words 106, 117-118); disks without LBA48 or with a
 * sector size other than 512 or 4096 are left alone, named on the console.
 *
 * I/O: one command at a time per port, slot 0, one PRD entry over a
 * physically contiguous bounce buffer of BOUNCE bytes (the disk's max_io):
 * READ DMA EXT, WRITE DMA EXT, FLUSH CACHE EXT.  Completion is PxCI's bit
 * clearing; an error (PxIS.TFES, PxTFD ERR/DF) is -EIO, after which the
 * port is restarted.  Waiting is as with virtio-blk: sched_wait_noint,
 * woken by the INTx interrupt (routed through the I/O APIC; the handler
 * clears PxIS and IS) and a 10 ms deadline, or polling at boot and
 * shutdown.  Every wait is bounded (CMD_TIMEOUT_NS): a controller that
 * never answers gives -EIO, not a hang.
 */
#include "pcdev.h"
#include "qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/blk.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/sched.h"
#include "../platform.h"
#include "pci.h"

#define IRQ_VECTOR (IRQ_VECTOR_BASE + 7)
#define AHCI_MAX 8 /* disks */
#define HBA_MAX 4
#define BOUNCE (128 * 1024)
#define POLL_NS 10000000UL
#define CMD_TIMEOUT_NS 30000000000UL /* TCG is slow; a real disk answers in ms */
#define CLASS_AHCI 0x010601u

/* generic host control */
#define CAP 0x00
#define GHC 0x04
#define IS 0x08
#define PI 0x0c
#define CAP_S64A (1u << 31)
#define GHC_HR (1u << 0)
#define GHC_IE (1u << 1)
#define GHC_AE (1u << 31)
/* port registers, at 0x100 + 0x80 * port */
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0c
#define PX_IS 0x10
#define PX_IE 0x14
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SIG 0x24
#define PX_SSTS 0x28
#define PX_SERR 0x30
#define PX_CI 0x38
#define CMD_ST (1u << 0)
#define CMD_SUD (1u << 1)
#define CMD_POD (1u << 2)
#define CMD_FRE (1u << 4)
#define CMD_FR (1u << 14)
#define CMD_CR (1u << 15)
#define IS_TFES (1u << 30)
#define IE_ALL 0x7d40004fu /* completions, errors, port changes */
#define TFD_ERR 0x01
#define TFD_DRQ 0x08
#define TFD_DF 0x20
#define TFD_BSY 0x80
#define SIG_ATA 0x00000101u
/* ATA */
#define ATA_IDENTIFY 0xec
#define ATA_READ_DMA_EXT 0x25
#define ATA_WRITE_DMA_EXT 0x35
#define ATA_FLUSH_EXT 0xea
#define FIS_H2D 0x27
/* one page per port: command list, received FISes, command table, IDENTIFY */
#define OFF_CL 0
#define OFF_FIS 1024
#define OFF_CT 1280
#define OFF_ID 2048

struct cmd_hdr {
	u32 dw0; /* CFL (FIS dwords), W, PRDTL << 16 */
	u32 prdbc;
	u32 ctba, ctbau;
	u32 reserved[4];
};

struct prd {
	u32 dba, dbau, reserved, dbc; /* byte count - 1 */
};

struct hba {
	volatile u8 *regs;
	u32 ports; /* the ports with a disk we drive */
	bool s64;
};

struct port {
	struct blkdev bd;
	struct hba *hba;
	volatile u8 *pr; /* its registers */
	u8 *mem, *bounce;
	u64 mem_pa, bounce_pa;
	bool irq_ok;
	volatile bool busy, failed;
};

static struct hba hbas[HBA_MAX];
static struct pci_fn fns[HBA_MAX];
static struct port ports[AHCI_MAX];
static int nhbas, nports;

static u32 rd(volatile u8 *b, u32 reg)
{
	return mmio_read32(b + reg);
}

static void wr(volatile u8 *b, u32 reg, u32 v)
{
	mmio_write32(b + reg, v);
}

static bool collect(struct pci_fn f, u16 vendor, u16 device)
{
	(void)vendor;
	(void)device;
	if (nhbas < HBA_MAX && pci_read32(f, 0x08) >> 8 == CLASS_AHCI)
		fns[nhbas++] = f;
	return false;
}

/* Until (reg & mask) == want, at most ms milliseconds. */
static bool wait_reg(volatile u8 *b, u32 reg, u32 mask, u32 want, u64 ms)
{
	u64 end = plat_monotonic_ns() + ms * 1000000UL;

	while ((rd(b, reg) & mask) != want) {
		if (plat_monotonic_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static void irq_handler(int vector)
{
	(void)vector;
	for (int h = 0; h < nhbas; h++) {
		volatile u8 *r = hbas[h].regs;
		u32 is;

		if (!r)
			continue;
		is = rd(r, IS);
		for (int i = 0; i < nports; i++) {
			struct port *p = &ports[i];
			u32 pis;

			if (p->hba != &hbas[h])
				continue;
			pis = rd(p->pr, PX_IS);
			if (pis & IS_TFES)
				p->failed = true;
			wr(p->pr, PX_IS, pis);
		}
		wr(r, IS, is);
	}
	apic_eoi();
	sched_irq_io();
}

/* Stops the port's command engine and FIS receive: false when it does not
 * stop (500 ms each, as the specification allows). */
static bool port_stop(volatile u8 *pr)
{
	wr(pr, PX_CMD, rd(pr, PX_CMD) & ~CMD_ST);
	if (!wait_reg(pr, PX_CMD, CMD_CR, 0, 500))
		return false;
	wr(pr, PX_CMD, rd(pr, PX_CMD) & ~CMD_FRE);
	return wait_reg(pr, PX_CMD, CMD_FR, 0, 500);
}

/* Starts the command engine once the device is not busy. */
static bool port_start(volatile u8 *pr)
{
	wr(pr, PX_SERR, 0xffffffffu);
	wr(pr, PX_IS, 0xffffffffu);
	wr(pr, PX_CMD, rd(pr, PX_CMD) | CMD_FRE);
	if (!wait_reg(pr, PX_TFD, TFD_BSY | TFD_DRQ, 0, 1000))
		return false;
	wr(pr, PX_CMD, rd(pr, PX_CMD) | CMD_ST);
	return true;
}

static bool cmd_done(void *arg)
{
	struct port *p = arg;

	return !(rd(p->pr, PX_CI) & 1u) || p->failed || rd(p->pr, PX_IS) & IS_TFES;
}

static bool not_busy(void *arg)
{
	return !((struct port *)arg)->busy;
}

/* Issues the ATA command `cmd` in slot 0 (lba and count in sectors; bytes
 * of data through `pa`, to the disk when write) and waits: 0 or -EIO. */
static int issue(struct port *p, u8 cmd, u64 lba, u32 count, u64 pa, u32 bytes, bool write)
{
	struct cmd_hdr *h = (struct cmd_hdr *)(p->mem + OFF_CL);
	u8 *fis = p->mem + OFF_CT;
	struct prd *prd = (struct prd *)(p->mem + OFF_CT + 0x80);
	u64 ct_pa = p->mem_pa + OFF_CT, end = plat_monotonic_ns() + CMD_TIMEOUT_NS;
	bool timed_out = false;
	u32 tfd;

	if (p->busy) /* another thread's command (never at boot: one thread) */
		sched_wait_noint(not_busy, p, SCHED_FOREVER, "a busy disk");
	p->busy = true;
	memset(fis, 0, 0x80 + sizeof(*prd));
	fis[0] = FIS_H2D;
	fis[1] = 0x80; /* a command */
	fis[2] = cmd;
	fis[4] = (u8)lba;
	fis[5] = (u8)(lba >> 8);
	fis[6] = (u8)(lba >> 16);
	fis[7] = 0x40; /* LBA */
	fis[8] = (u8)(lba >> 24);
	fis[9] = (u8)(lba >> 32);
	fis[10] = (u8)(lba >> 40);
	fis[12] = (u8)count;
	fis[13] = (u8)(count >> 8);
	if (bytes) {
		prd->dba = (u32)pa;
		prd->dbau = (u32)(pa >> 32);
		prd->dbc = bytes - 1;
	}
	memset(h, 0, sizeof(*h));
	h->dw0 = 5u | (write ? 1u << 6 : 0) | (bytes ? 1u << 16 : 0);
	h->ctba = (u32)ct_pa;
	h->ctbau = (u32)(ct_pa >> 32);
	p->failed = false;
	__asm__ volatile("mfence" : : : "memory");
	wr(p->pr, PX_CI, 1u);
	if (p->irq_ok && blk_may_sleep()) {
		blk_wait_begin();
		while (sched_wait_noint(cmd_done, p, plat_monotonic_ns() + POLL_NS, "disk I/O") &&
		       !(timed_out = plat_monotonic_ns() > end))
			;
		blk_wait_end();
	}
	while (!timed_out && !cmd_done(p)) { /* at boot or shutdown, or without an interrupt */
		if (plat_monotonic_ns() > end)
			timed_out = true;
		cpu_relax();
	}
	__asm__ volatile("" : : : "memory");
	tfd = rd(p->pr, PX_TFD);
	if (timed_out || p->failed || rd(p->pr, PX_IS) & IS_TFES || tfd & (TFD_ERR | TFD_DF) ||
	    rd(p->pr, PX_CI) & 1u) {
		kprintf("unikernel: %s: ATA command 0x%x failed (%s, status 0x%x)\n", p->bd.name,
			cmd, timed_out ? "timed out" : "device error", tfd & 0xff);
		/* the port restarts, dropping the command */
		if (!port_stop(p->pr) || !port_start(p->pr))
			kprintf("unikernel: %s: the port does not restart\n", p->bd.name);
		p->busy = false;
		sched_wake();
		return -EIO;
	}
	p->busy = false;
	sched_wake();
	return 0;
}

static int ahci_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	struct port *p = d->priv;
	int err;

	if (write)
		memcpy(p->bounce, buf, len);
	err = issue(p, write ? ATA_WRITE_DMA_EXT : ATA_READ_DMA_EXT, sector,
		    (u32)(len / d->sector_size), p->bounce_pa, (u32)len, write);
	if (!err && !write)
		memcpy(buf, p->bounce, len);
	return err;
}

static int ahci_flush(struct blkdev *d)
{
	return issue(d->priv, ATA_FLUSH_EXT, 0, 0, 0, 0, false);
}

static const struct blk_ops ahci_ops = {
	.rw = ahci_rw,
	.flush = ahci_flush,
};

static u16 id_word(const u8 *id, int w)
{
	return (u16)(id[2 * w] | id[2 * w + 1] << 8);
}

/* IDENTIFY DEVICE, then the disk's size and sector size from it (device
 * data: checked, a disk we cannot drive is left alone); true when it was
 * registered. */
static bool port_identify(struct port *p)
{
	const u8 *id = p->mem + OFF_ID;
	u64 sectors = 0;
	u32 ssize = BLK_SECTOR;
	u16 w106;

	if (issue(p, ATA_IDENTIFY, 0, 0, p->mem_pa + OFF_ID, 512, false))
		return false;
	if (!(id_word(id, 83) & (1u << 10))) {
		kprintf("unikernel: %s: the disk has no 48-bit addressing; not used\n", p->bd.name);
		return false;
	}
	for (int i = 3; i >= 0; i--)
		sectors = sectors << 16 | id_word(id, 100 + i);
	w106 = id_word(id, 106);
	if ((w106 & 0xc000) == 0x4000 && w106 & (1u << 12))
		ssize = 2u * ((u32)id_word(id, 117) | (u32)id_word(id, 118) << 16);
	if (ssize != 512 && ssize != 4096) {
		kprintf("unikernel: %s: logical sectors of %u bytes; not used\n", p->bd.name,
			ssize);
		return false;
	}
	if (!sectors || sectors >= (1UL << 48) || sectors > ~0UL / ssize) {
		kprintf("unikernel: %s: a size of %lu sectors; not used\n", p->bd.name,
			(unsigned long)sectors);
		return false;
	}
	p->bd.ops = &ahci_ops;
	p->bd.priv = p;
	p->bd.sectors = sectors; /* logical sectors, as the block layer counts them */
	p->bd.sector_size = ssize;
	p->bd.max_io = BOUNCE;
	p->bd.ro = false;
	return blk_register(&p->bd) == 0;
}

/* Sets up port `i` of h if it has a disk; true when it became one. */
static bool port_init(struct hba *h, struct pci_fn f, u32 i, bool irq_ok)
{
	struct port *p = &ports[nports];
	volatile u8 *pr = h->regs + 0x100 + 0x80 * i;
	u32 sig;

	if ((rd(pr, PX_SSTS) & 0xf) != 3) /* no device, or no link */
		return false;
	memset(p, 0, sizeof(*p));
	ksnprintf(p->bd.name, sizeof(p->bd.name), "ahci 00:%02x.%x port %u", f.dev, f.fn, i);
	p->hba = h;
	p->pr = pr;
	p->irq_ok = irq_ok;
	p->mem_pa = frames_alloc_contig(1);
	p->bounce_pa = frames_alloc_contig(BOUNCE / PAGE_SIZE);
	if (!p->mem_pa || !p->bounce_pa)
		return false;
	if (!h->s64 && ((p->mem_pa + PAGE_SIZE) >> 32 || (p->bounce_pa + BOUNCE) >> 32))
		return false;
	p->mem = phys_to_virt(p->mem_pa);
	p->bounce = phys_to_virt(p->bounce_pa);
	memset(p->mem, 0, PAGE_SIZE);
	if (!port_stop(pr)) {
		kprintf("unikernel: %s: the port does not stop; not used\n", p->bd.name);
		return false;
	}
	wr(pr, PX_CLB, (u32)(p->mem_pa + OFF_CL));
	wr(pr, PX_CLBU, (u32)((p->mem_pa + OFF_CL) >> 32));
	wr(pr, PX_FB, (u32)(p->mem_pa + OFF_FIS));
	wr(pr, PX_FBU, (u32)((p->mem_pa + OFF_FIS) >> 32));
	wr(pr, PX_CMD, rd(pr, PX_CMD) | CMD_SUD | CMD_POD);
	if (!port_start(pr)) {
		kprintf("unikernel: %s: the device stays busy; not used\n", p->bd.name);
		return false;
	}
	sig = rd(pr, PX_SIG);
	if (sig != SIG_ATA) { /* ATAPI, a port multiplier, ... */
		port_stop(pr);
		return false;
	}
	wr(pr, PX_IE, irq_ok ? IE_ALL : 0);
	if (!port_identify(p)) {
		wr(pr, PX_IE, 0);
		port_stop(pr);
		return false;
	}
	nports++;
	return true;
}

static void hba_init(struct hba *h, struct pci_fn f,
		     bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	u64 base;
	u32 pi, cap;
	int gsi;
	bool irq_ok;

	if (!(base = pci_bar_address(f, 5)) || !(h->regs = arch_map_mmio(base, 0x1100))) {
		kprintf("unikernel: ahci at PCI 00:%02x.%x: its ABAR (BAR 5) is unusable\n", f.dev,
			f.fn);
		h->regs = NULL;
		return;
	}
	pci_write16(f, PCI_COMMAND,
		    (pci_read16(f, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
			(u16)~PCI_COMMAND_INTX_DISABLE);
	wr(h->regs, GHC, GHC_AE);
	wr(h->regs, GHC, GHC_AE | GHC_HR);
	if (!wait_reg(h->regs, GHC, GHC_HR, 0, 1000)) {
		kprintf("unikernel: ahci at PCI 00:%02x.%x: the reset does not finish\n", f.dev,
			f.fn);
		h->regs = NULL;
		return;
	}
	wr(h->regs, GHC, GHC_AE);
	cap = rd(h->regs, CAP);
	pi = rd(h->regs, PI);
	h->s64 = cap & CAP_S64A;
	gsi = pci_intx_gsi(f);
	irq_ok = route && gsi >= 0 && route((u32)gsi, IRQ_VECTOR, irq_handler);
	if (!irq_ok)
		kprintf("unikernel: ahci: cannot route its PCI interrupt; disk waits will poll\n");
	for (u32 i = 0; i < 32 && nports < AHCI_MAX; i++) {
		volatile u8 *pr = h->regs + 0x100 + 0x80 * i;

		if (!(pi & (1u << i)))
			continue;
		if ((rd(pr, PX_SSTS) & 0xf) != 3) { /* spun up (staggered spin-up), link up */
			wr(pr, PX_CMD, rd(pr, PX_CMD) | CMD_SUD | CMD_POD);
			wait_reg(pr, PX_SSTS, 0xf, 3, 10);
		}
		if (port_init(h, f, i, irq_ok))
			h->ports |= 1u << i;
	}
	wr(h->regs, IS, 0xffffffffu);
	if (irq_ok)
		wr(h->regs, GHC, GHC_AE | GHC_IE);
}

void ahci_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	struct pci_fn unused;

	pci_find(collect, &unused);
	for (int i = 0; i < nhbas; i++)
		hba_init(&hbas[i], fns[i], route);
}

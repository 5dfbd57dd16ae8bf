/* nvme.c - NVMe namespaces as disks (PCI class 01/08/02: QEMU's -device
 * nvme, the EBS volumes and instance stores of AWS Nitro instances), after
 * the NVM Express Base Specification 1.4.
 *
 * The controller's registers are its memory BAR 0.  At probe it is
 * disabled (CC.EN = 0, CSTS.RDY = 0 within CAP.TO), given an admin queue
 * pair and enabled with 4 KiB pages and 64/16-byte queue entries; then
 * Identify Controller (MDTS, SQES/CQES, NN, VWC), Set Features Number of
 * Queues (one pair) and the I/O queue pair (queue 1).  Namespaces: the
 * active list (Identify CNS 2; 1..NN on a 1.0 controller), each one's
 * Identify Namespace giving its size (NSZE) and LBA format (FLBAS): 512 or
 * 4096-byte blocks without metadata become a disk, write protected
 * (NSATTR) ones read-only.  Controllers in slot order, namespaces in NSID
 * order, after the virtio and AHCI disks (pvh_start.c).
 *
 * I/O: one command at a time per controller, through a physically
 * contiguous bounce buffer of BOUNCE bytes; PRP1 is its first page, PRP2
 * the second or a PRP list of the rest.  max_io is BOUNCE or MDTS if
 * smaller (blk.c splits transfers).  Read, Write, and Flush when the
 * controller has a volatile write cache.  Waiting is as with AHCI: INTx
 * through the I/O APIC, unmasked (INTMC) only while a thread sleeps for a
 * completion, masked again (INTMS) by the handler, with a 10 ms deadline;
 * polling at boot and shutdown.  Every completion entry is checked (phase,
 * command id, submission queue id and head); a wrong one or a timeout (30 s
 * for admin commands, 255 s for I/O: EBS volumes can stall for long) makes
 * the controller dead (disabled, every later command -EIO), so a late DMA
 * lands only in its own buffers.  What the device says of itself (CAP, the
 * identify data) is checked before use: doorbells inside BAR 0, known
 * entry sizes and LBA formats, namespace lists ascending and within NN.
 */
#include "pcdev.h"
#include "qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/blk.h"
#include "../../core/byteorder.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/sched.h"
#include "../platform.h"
#include "pci.h"

#define IRQ_VECTOR (IRQ_VECTOR_BASE + 9)
#define CTRL_MAX 8
#define NS_MAX 16
#define QSIZE 16
#define BOUNCE (128 * 1024)
#define POLL_NS 10000000UL
#define ADMIN_TIMEOUT_NS 30000000000UL
/* I/O: what Windows allows at most; AWS asks for long ones (EBS can stall) */
#define IO_TIMEOUT_NS 255000000000UL
#define CLASS_NVME 0x010802u

/* registers */
#define CAP 0x00
#define VS 0x08
#define INTMS 0x0c
#define INTMC 0x10
#define CC 0x14
#define CSTS 0x1c
#define AQA 0x24
#define ASQ 0x28
#define ACQ 0x30
#define DOORBELLS 0x1000
#define CC_EN 1u
#define CC_ENTRIES (6u << 16 | 4u << 20) /* IOSQES 64, IOCQES 16 bytes */
#define CSTS_RDY 1u
#define CSTS_CFS 2u
/* commands */
#define ADM_CREATE_SQ 0x01
#define ADM_CREATE_CQ 0x05
#define ADM_IDENTIFY 0x06
#define ADM_SET_FEATURES 0x09
#define FEAT_NUM_QUEUES 0x07
#define IO_FLUSH 0x00
#define IO_WRITE 0x01
#define IO_READ 0x02
/* memory pages of a controller */
enum { PG_ASQ, PG_ACQ, PG_IOSQ, PG_IOCQ, PG_PRP, PG_ID, PAGES };

struct sqe {
	u32 cdw0, nsid, rsvd[2];
	u64 mptr, prp1, prp2;
	u32 cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	u32 dw0, dw1, dw2, dw3;
};

struct queue {
	struct sqe *sq;
	volatile struct cqe *cq;
	u16 id, tail, head;
	u32 phase;
};

struct ctrl {
	volatile u8 *regs;
	struct pci_fn f;
	u64 stride; /* between doorbells */
	u8 *mem, *bounce;
	u64 mem_pa, bounce_pa;
	u16 qsize, cid;
	struct queue aq, ioq;
	u32 max_io;
	bool irq_ok, vwc, dead;
	volatile bool busy;
};

struct ns {
	struct blkdev bd;
	struct ctrl *c;
	u32 nsid, shift;
};

static struct ctrl ctrls[CTRL_MAX];
static struct ns nss[NS_MAX];
static int nctrls, nnss;

static u32 rd(struct ctrl *c, u32 reg)
{
	return mmio_read32(c->regs + reg);
}

static void wr(struct ctrl *c, u32 reg, u32 v)
{
	mmio_write32(c->regs + reg, v);
}

static void wr64(struct ctrl *c, u32 reg, u64 v)
{
	wr(c, reg, (u32)v);
	wr(c, reg + 4, (u32)(v >> 32));
}

static bool collect(struct pci_fn f, u16 vendor, u16 device)
{
	(void)vendor;
	(void)device;
	if (nctrls < CTRL_MAX && pci_read32(f, 0x08) >> 8 == CLASS_NVME)
		ctrls[nctrls++].f = f;
	return false;
}

static bool cq_ready(void *arg);

/* A controller raises INTx while its I/O completion queue has an entry the
 * waiter has not taken (the admin queue's are taken at boot, polled): that
 * one is masked until its waiter unmasks it again. */
static void irq_handler(int vector)
{
	(void)vector;
	for (int i = 0; i < nctrls; i++)
		if (ctrls[i].irq_ok && !ctrls[i].dead && cq_ready(&ctrls[i].ioq))
			wr(&ctrls[i], INTMS, 1u);
	apic_eoi();
	sched_irq_io();
}

/* Until CSTS.RDY is `rdy` (or fatal), at most ms milliseconds. */
static bool wait_ready(struct ctrl *c, u32 rdy, u64 ms)
{
	u64 end = plat_monotonic_ns() + ms * 1000000UL;

	for (;;) {
		u32 s = rd(c, CSTS);

		if (s == 0xffffffffu || s & CSTS_CFS)
			return false;
		if ((s & CSTS_RDY) == rdy)
			return true;
		if (plat_monotonic_ns() > end)
			return false;
		cpu_relax();
	}
}

static void ctrl_fail(struct ctrl *c, const char *why)
{
	kprintf("unikernel: nvme 00:%02x.%x: %s; its disks give I/O errors\n", c->f.dev, c->f.fn,
		why);
	c->dead = true;
	wr(c, CC, 0); /* aborts what it still has */
}

static bool cq_ready(void *arg)
{
	struct queue *q = arg;

	return (q->cq[q->head].dw3 >> 16 & 1u) == q->phase;
}

static bool not_busy(void *arg)
{
	return !((struct ctrl *)arg)->busy;
}

/* Submits *cmd on q and waits for its completion: 0, or -EIO (a failed
 * command, or the controller is dead). */
static int submit(struct ctrl *c, struct queue *q, struct sqe *cmd)
{
	u64 end = plat_monotonic_ns() + (q->id ? IO_TIMEOUT_NS : ADMIN_TIMEOUT_NS);
	bool timed_out = false;
	struct cqe e;
	u16 cid;
	u32 sc;

	if (c->dead)
		return -EIO;
	c->cid = (u16)((c->cid + 1) % 0xffffu); /* 0xffff is reserved */
	cid = c->cid;
	cmd->cdw0 |= (u32)cid << 16;
	q->sq[q->tail] = *cmd;
	q->tail = (u16)((q->tail + 1) % c->qsize);
	__asm__ volatile("mfence" : : : "memory");
	wr(c, (u32)(DOORBELLS + 2 * q->id * c->stride), q->tail);
	if (c->irq_ok && q == &c->ioq && blk_may_sleep()) {
		blk_wait_begin();
		do
			wr(c, INTMC, 1u);
		while (sched_wait_noint(cq_ready, q, plat_monotonic_ns() + POLL_NS, "disk I/O") &&
		       !(timed_out = plat_monotonic_ns() > end));
		wr(c, INTMS, 1u);
		blk_wait_end();
	}
	while (!timed_out && !cq_ready(q)) { /* at boot or shutdown, or without an interrupt */
		if (plat_monotonic_ns() > end)
			timed_out = true;
		cpu_relax();
	}
	if (timed_out) {
		ctrl_fail(c, "a command timed out");
		return -EIO;
	}
	__asm__ volatile("" : : : "memory");
	e = (struct cqe){ 0, 0, q->cq[q->head].dw2, q->cq[q->head].dw3 };
	if ((e.dw3 & 0xffff) != cid || e.dw2 >> 16 != q->id || (e.dw2 & 0xffff) != q->tail) {
		ctrl_fail(c, "a completion entry for no command of ours");
		return -EIO;
	}
	if (++q->head == c->qsize) {
		q->head = 0;
		q->phase ^= 1u;
	}
	wr(c, (u32)(DOORBELLS + (2 * q->id + 1) * c->stride), q->head);
	sc = e.dw3 >> 17 & 0x7fff;
	if (sc) {
		kprintf("unikernel: nvme 00:%02x.%x: command 0x%x failed (status 0x%x)\n", c->f.dev,
			c->f.fn, cmd->cdw0 & 0xff, sc);
		return -EIO;
	}
	return 0;
}

/* One command on the I/O queue, for a thread at a time. */
static int io_cmd(struct ctrl *c, struct sqe *cmd)
{
	int err;

	while (c->busy) /* another thread's command (never at boot: one thread) */
		sched_wait_noint(not_busy, c, SCHED_FOREVER, "a busy disk");
	c->busy = true;
	err = submit(c, &c->ioq, cmd);
	c->busy = false;
	sched_wake();
	return err;
}

static int nvme_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	struct ns *n = d->priv;
	struct ctrl *c = n->c;
	struct sqe cmd = { .cdw0 = write ? IO_WRITE : IO_READ, .nsid = n->nsid };
	int err;

	cmd.prp1 = c->bounce_pa;
	if (len > 2 * PAGE_SIZE)
		cmd.prp2 = c->mem_pa + PG_PRP * PAGE_SIZE;
	else if (len > PAGE_SIZE)
		cmd.prp2 = c->bounce_pa + PAGE_SIZE;
	cmd.cdw10 = (u32)sector;
	cmd.cdw11 = (u32)(sector >> 32);
	cmd.cdw12 = (u32)((len >> n->shift) - 1);
	if (write)
		memcpy(c->bounce, buf, len);
	err = io_cmd(c, &cmd);
	if (!err && !write)
		memcpy(buf, c->bounce, len);
	return err;
}

static int nvme_flush(struct blkdev *d)
{
	struct ns *n = d->priv;
	struct sqe cmd = { .cdw0 = IO_FLUSH, .nsid = n->nsid };

	return n->c->vwc ? io_cmd(n->c, &cmd) : 0;
}

static const struct blk_ops nvme_ops = {
	.rw = nvme_rw,
	.flush = nvme_flush,
};

/* Identify (cns, nsid) into the PG_ID page: 0 or -EIO. */
static int identify(struct ctrl *c, u32 cns, u32 nsid)
{
	struct sqe cmd = { .cdw0 = ADM_IDENTIFY, .nsid = nsid, .cdw10 = cns };

	cmd.prp1 = c->mem_pa + PG_ID * PAGE_SIZE;
	return submit(c, &c->aq, &cmd);
}

/* Namespace nsid of c: a disk when its format is one we drive. */
static void ns_add(struct ctrl *c, u32 nsid)
{
	const u8 *id = c->mem + PG_ID * PAGE_SIZE;
	struct ns *n = &nss[nnss];
	u64 nsze;
	u32 lbaf, fmt;

	if (nnss == NS_MAX || identify(c, 0, nsid))
		return;
	nsze = le32(id) | (u64)le32(id + 4) << 32;
	fmt = id[26] & 0xf;
	lbaf = le32(id + 128 + 4 * fmt);
	if (!nsze) /* allocated, not attached */
		return;
	n->shift = lbaf >> 16 & 0xff;
	ksnprintf(n->bd.name, sizeof(n->bd.name), "nvme 00:%02x.%x ns %u lba %u", c->f.dev, c->f.fn,
		  nsid, n->shift < 32 ? 1u << n->shift : 0);
	if (fmt > id[25] || lbaf & 0xffff || (n->shift != 9 && n->shift != 12) ||
	    nsze > ~0UL >> n->shift) {
		kprintf("unikernel: %s: LBA format %u (0x%x) of %lu blocks; not used\n", n->bd.name,
			fmt, lbaf, (unsigned long)nsze);
		return;
	}
	n->c = c;
	n->nsid = nsid;
	n->bd.ops = &nvme_ops;
	n->bd.priv = n;
	n->bd.sectors = nsze;
	n->bd.sector_size = 1u << n->shift;
	n->bd.max_io = c->max_io;
	n->bd.ro = id[99] & 1u; /* write protected */
	if (blk_register(&n->bd) == 0)
		nnss++;
}

/* The active namespaces, in NSID order. */
static void ns_scan(struct ctrl *c, u32 nn)
{
	const u8 *id = c->mem + PG_ID * PAGE_SIZE;
	u32 prev = 0, n = 0;

	if ((rd(c, VS) >> 8) < 0x101) { /* 1.0: no active list */
		for (u32 nsid = 1; nsid <= nn && nsid <= 1024; nsid++)
			ns_add(c, nsid);
		return;
	}
	/* each list holds the active NSIDs above the command's, ascending */
	while (nnss < NS_MAX && n++ < 1024 && !identify(c, 2, prev)) {
		u32 nsid = le32(id);

		if (!nsid)
			return;
		if (nsid <= prev || (nn && nsid > nn) || nsid >= 0xfffffffeu) {
			kprintf("unikernel: nvme 00:%02x.%x: a bad namespace list\n", c->f.dev,
				c->f.fn);
			return;
		}
		ns_add(c, nsid);
		prev = nsid;
	}
}

static bool queue_create(struct ctrl *c)
{
	struct sqe cq = { .cdw0 = ADM_CREATE_CQ, .cdw10 = (u32)(c->qsize - 1) << 16 | 1u };
	struct sqe sq = { .cdw0 = ADM_CREATE_SQ, .cdw10 = (u32)(c->qsize - 1) << 16 | 1u };
	struct sqe nq = { .cdw0 = ADM_SET_FEATURES, .cdw10 = FEAT_NUM_QUEUES };

	cq.prp1 = c->mem_pa + PG_IOCQ * PAGE_SIZE;
	cq.cdw11 = 1u | (c->irq_ok ? 2u : 0); /* contiguous, interrupts (vector 0) */
	sq.prp1 = c->mem_pa + PG_IOSQ * PAGE_SIZE;
	sq.cdw11 = 1u << 16 | 1u; /* completions to queue 1, contiguous */
	return !submit(c, &c->aq, &nq) && !submit(c, &c->aq, &cq) && !submit(c, &c->aq, &sq);
}

static void queue_init(struct ctrl *c, struct queue *q, u16 id, int sq_page, int cq_page)
{
	q->sq = (struct sqe *)(c->mem + sq_page * PAGE_SIZE);
	q->cq = (volatile struct cqe *)(c->mem + cq_page * PAGE_SIZE);
	q->id = id;
	q->phase = 1;
}

/* Resets and enables c with its admin queue: false when it cannot be used. */
static bool ctrl_enable(struct ctrl *c, u64 base, u64 bar_size)
{
	u64 cap = rd(c, CAP) | (u64)rd(c, CAP + 4) << 32, to_ms = MAX(cap >> 24 & 0xff, 1UL) * 500;

	if (cap == ~0UL || !(cap >> 37 & 1) || cap >> 48 & 0xf || !(cap & 0xffff)) {
		kprintf("unikernel: nvme 00:%02x.%x: capabilities 0x%lx (no NVM command set, 4 KiB "
			"pages or queues of two); not used\n",
			c->f.dev, c->f.fn, (unsigned long)cap);
		return false;
	}
	c->stride = 4UL << (cap >> 32 & 0xf);
	c->qsize = (u16)MIN((cap & 0xffff) + 1, (u64)QSIZE);
	if (DOORBELLS + 4 * c->stride > bar_size) {
		kprintf("unikernel: nvme 00:%02x.%x: its doorbells lie past its BAR 0; not used\n",
			c->f.dev, c->f.fn);
		return false;
	}
	if (!(c->regs = arch_map_mmio(base, DOORBELLS + 4 * c->stride))) /* the doorbells too */
		return false;
	wr(c, CC, 0);
	if (!wait_ready(c, 0, to_ms)) {
		kprintf("unikernel: nvme 00:%02x.%x: it does not reset\n", c->f.dev, c->f.fn);
		return false;
	}
	queue_init(c, &c->aq, 0, PG_ASQ, PG_ACQ);
	queue_init(c, &c->ioq, 1, PG_IOSQ, PG_IOCQ);
	wr(c, AQA, (u32)(c->qsize - 1) << 16 | (u32)(c->qsize - 1));
	wr64(c, ASQ, c->mem_pa + PG_ASQ * PAGE_SIZE);
	wr64(c, ACQ, c->mem_pa + PG_ACQ * PAGE_SIZE);
	wr(c, INTMS, 1u);
	wr(c, CC, CC_ENTRIES | CC_EN);
	if (!wait_ready(c, 1, to_ms)) {
		kprintf("unikernel: nvme 00:%02x.%x: it does not become ready (status 0x%x)\n",
			c->f.dev, c->f.fn, rd(c, CSTS));
		wr(c, CC, 0);
		return false;
	}
	return true;
}

static void ctrl_init(struct ctrl *c, bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	const u8 *id;
	u64 base, size = pci_bar_size(c->f, 0), *prp;
	u32 nn;
	int gsi;

	if (size < DOORBELLS || !(base = pci_bar_address(c->f, 0)) ||
	    !(c->regs = arch_map_mmio(base, DOORBELLS))) {
		kprintf("unikernel: nvme 00:%02x.%x: its BAR 0 is unusable\n", c->f.dev, c->f.fn);
		c->regs = NULL;
		return;
	}
	pci_write16(c->f, PCI_COMMAND,
		    (pci_read16(c->f, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
			(u16)~PCI_COMMAND_INTX_DISABLE);
	c->mem_pa = frames_alloc_contig(PAGES);
	c->bounce_pa = frames_alloc_contig(BOUNCE / PAGE_SIZE);
	if (!c->mem_pa || !c->bounce_pa) {
		c->regs = NULL;
		return;
	}
	c->mem = phys_to_virt(c->mem_pa);
	c->bounce = phys_to_virt(c->bounce_pa);
	memset(c->mem, 0, PAGES * PAGE_SIZE);
	prp = (u64 *)(c->mem + PG_PRP * PAGE_SIZE);
	for (u64 i = 1; i < BOUNCE / PAGE_SIZE; i++)
		prp[i - 1] = c->bounce_pa + i * PAGE_SIZE;
	if (!ctrl_enable(c, base, size)) {
		c->regs = NULL;
		return;
	}
	id = c->mem + PG_ID * PAGE_SIZE;
	if (identify(c, 1, 0))
		return;
	nn = le32(id + 516);
	c->vwc = id[525] & 1u;
	c->max_io = BOUNCE;
	if (id[77] && id[77] < 5) /* MDTS: 2^n pages; 5 is BOUNCE */
		c->max_io = (u32)(PAGE_SIZE << id[77]);
	if ((id[512] & 0xf) > 6 || id[512] >> 4 < 6 || (id[513] & 0xf) > 4 || id[513] >> 4 < 4) {
		kprintf("unikernel: nvme 00:%02x.%x: queue entry sizes 0x%x/0x%x; not used\n",
			c->f.dev, c->f.fn, id[512], id[513]);
		wr(c, CC, 0);
		c->regs = NULL;
		return;
	}
	gsi = pci_intx_gsi(c->f);
	c->irq_ok = route && gsi >= 0 && route((u32)gsi, IRQ_VECTOR, irq_handler);
	if (!c->irq_ok)
		kprintf("unikernel: nvme: cannot route its PCI interrupt; disk waits will poll\n");
	if (!queue_create(c)) {
		ctrl_fail(c, "its I/O queues cannot be created");
		return;
	}
	ns_scan(c, nn);
}

void nvme_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	struct pci_fn unused;

	pci_find(collect, &unused);
	for (int i = 0; i < nctrls; i++)
		ctrl_init(&ctrls[i], route);
}

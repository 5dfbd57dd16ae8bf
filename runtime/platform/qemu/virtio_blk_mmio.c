/* virtio_blk_mmio.c - virtio-blk over the virtio-mmio transport (QEMU
 * microvm), legacy (version 1, QEMU's default) and modern (version 2).
 *
 * Every `virtio_mmio.device=SIZE@ADDR:IRQ` word of the kernel command line
 * whose device is a block device becomes a disk, in the order of the
 * devices on QEMU's command line (QEMU fills the transports from the
 * highest address down, so that is by descending address).  Features: RO
 * and FLUSH (and VERSION_1 on a modern device).  The interrupt of each is
 * routed to one vector whose handler acknowledges every disk and wakes
 * the waits (virtio_blk_queue.c).
 */
#include "virtio.h"
#include "virtio_blk.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"

#define DEV_BLK 2
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 4)

static struct vblk devs[VBLK_MAX];
static int ndevs;

static u32 rd(struct vblk *v, u32 reg)
{
	return mmio_read32(v->regs + reg);
}

static void wr(struct vblk *v, u32 reg, u32 val)
{
	mmio_write32(v->regs + reg, val);
}

static void notify(struct vblk *v)
{
	wr(v, R_QUEUE_NOTIFY, 0);
}

static void irq_handler(int vector)
{
	for (int i = 0; i < ndevs; i++)
		wr(&devs[i], R_INTERRUPT_ACK, rd(&devs[i], R_INTERRUPT_STATUS));
	apic_eoi();
	vblk_irq();
}

/* Negotiates and sets up queue 0: true with *ro, or false (refused). */
static bool setup(struct vblk *v, bool *ro)
{
	u32 feat, want;

	wr(v, R_STATUS, 0);
	wr(v, R_STATUS, ST_ACK);
	wr(v, R_STATUS, ST_ACK | ST_DRIVER);
	wr(v, R_DEVICE_FEATURES_SEL, 0);
	feat = rd(v, R_DEVICE_FEATURES);
	want = feat & (VBLK_F_RO | VBLK_F_FLUSH);
	wr(v, R_DRIVER_FEATURES_SEL, 0);
	wr(v, R_DRIVER_FEATURES, want);
	if (v->version == 2) {
		wr(v, R_DEVICE_FEATURES_SEL, 1);
		if (!(rd(v, R_DEVICE_FEATURES) & F_VERSION_1_HI))
			return false;
		wr(v, R_DRIVER_FEATURES_SEL, 1);
		wr(v, R_DRIVER_FEATURES, F_VERSION_1_HI);
		wr(v, R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
		if (!(rd(v, R_STATUS) & ST_FEATURES_OK))
			return false;
	} else {
		wr(v, R_GUEST_PAGE_SIZE, PAGE_SIZE);
	}
	wr(v, R_QUEUE_SEL, 0);
	if (rd(v, R_QUEUE_NUM_MAX) < VQ_SIZE || !vblk_queue_alloc(v))
		return false;
	wr(v, R_QUEUE_NUM, VQ_SIZE);
	if (v->version == 1) {
		wr(v, R_QUEUE_ALIGN, PAGE_SIZE);
		wr(v, R_QUEUE_PFN, (u32)(v->ring_pa / PAGE_SIZE));
	} else {
		wr(v, R_QUEUE_DESC, (u32)v->ring_pa);
		wr(v, R_QUEUE_DESC + 4, (u32)(v->ring_pa >> 32));
		wr(v, R_QUEUE_AVAIL, (u32)v->avail_pa);
		wr(v, R_QUEUE_AVAIL + 4, (u32)(v->avail_pa >> 32));
		wr(v, R_QUEUE_USED, (u32)v->used_pa);
		wr(v, R_QUEUE_USED + 4, (u32)(v->used_pa >> 32));
		wr(v, R_QUEUE_READY, 1);
	}
	v->flush_ok = want & VBLK_F_FLUSH;
	v->notify = notify;
	*ro = want & VBLK_F_RO;
	wr(v, R_STATUS, rd(v, R_STATUS) | ST_DRIVER_OK);
	return true;
}

void virtio_blk_mmio_probe(const char *cmdline,
			   bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	const char *key = "virtio_mmio.device=";
	size_t kl = strlen(key);
	u64 gsis[VBLK_MAX];

	for (const char *p = cmdline; *p && ndevs < VBLK_MAX;) {
		const char *w;
		u64 addr, size, gsi;
		volatile u8 *r;
		int at;

		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) <= kl || memcmp(w, key, kl) ||
		    !virtio_mmio_parse_device(w + kl, (size_t)(p - w) - kl, &addr, &size, &gsi))
			continue;
		r = arch_map_mmio(addr, size);
		if (!r || mmio_read32(r + R_MAGIC) != VIRTIO_MAGIC ||
		    mmio_read32(r + R_DEVICE_ID) != DEV_BLK)
			continue;
		/* by descending address: QEMU's command-line order */
		for (at = ndevs; at > 0 && devs[at - 1].base_pa < addr; at--) {
			devs[at] = devs[at - 1];
			gsis[at] = gsis[at - 1];
		}
		devs[at] = (struct vblk){ .regs = r,
					  .base_pa = addr,
					  .version = mmio_read32(r + R_VERSION) };
		gsis[at] = gsi;
		ndevs++;
	}
	for (int i = 0; i < ndevs; i++) {
		struct vblk *v = &devs[i];
		char name[32];
		bool ro;

		ksnprintf(name, sizeof(name), "virtio-blk at 0x%lx", v->base_pa);
		if ((v->version != 1 && v->version != 2) || !setup(v, &ro)) {
			wr(v, R_STATUS, ST_FAILED);
			kprintf("unikernel: %s: the device refused our setup\n", name);
			continue; /* its DISK index goes to the next one: said above */
		}
		v->irq_ok = route && route((u32)gsis[i], IRQ_VECTOR, irq_handler);
		vblk_register(v,
			      (u64)mmio_read32(v->regs + R_CONFIG) |
				  (u64)mmio_read32(v->regs + R_CONFIG + 4) << 32,
			      ro, name);
	}
}

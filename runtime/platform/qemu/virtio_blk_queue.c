/* virtio_blk_queue.c - the request path of the virtio-blk driver, shared
 * by its transports (virtio_blk_mmio.c, virtio_blk_pci.c).
 *
 * One request at a time per device, through a physically contiguous
 * bounce buffer of VBLK_BOUNCE bytes (the disk's max_io): three
 * descriptors, the request header (type, sector), the data and the status
 * byte.  A caller that may sleep (blk_may_sleep) waits for the completion
 * through sched_wait, woken by the device's interrupt (sched_irq_io) and,
 * should an interrupt be lost or shared away, by a 10 ms deadline; signals
 * do not end that wait (sched_wait_noint).  At boot, at shutdown or without
 * an interrupt it polls the used ring.  A second thread wanting the device while a request is in
 * flight sleeps until it is free.
 */
#include "virtio_blk.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/sched.h"
#include "../platform.h"

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define S_OK 0
#define POLL_NS 10000000UL

struct req_hdr {
	u32 type, reserved;
	u64 sector;
};

bool vblk_queue_alloc(struct vblk *v)
{
	u64 used_off =
	    ALIGN_UP(sizeof(struct vq_desc) * VQ_SIZE + sizeof(struct vq_avail), PAGE_SIZE);
	u8 *ring;

	if (!v->desc) {
		v->ring_pa = frames_alloc_contig((used_off + PAGE_SIZE) / PAGE_SIZE);
		v->req_pa = frames_alloc_contig(1);
		v->bounce_pa = frames_alloc_contig(VBLK_BOUNCE / PAGE_SIZE);
		if (!v->ring_pa || !v->req_pa || !v->bounce_pa)
			return false;
	}
	ring = phys_to_virt(v->ring_pa);
	memset(ring, 0, used_off + PAGE_SIZE);
	v->desc = (struct vq_desc *)ring;
	v->avail = (struct vq_avail *)(ring + sizeof(struct vq_desc) * VQ_SIZE);
	v->used = (volatile struct vq_used *)(ring + used_off);
	v->avail_pa = v->ring_pa + sizeof(struct vq_desc) * VQ_SIZE;
	v->used_pa = v->ring_pa + used_off;
	v->req = phys_to_virt(v->req_pa);
	v->bounce = phys_to_virt(v->bounce_pa);
	v->avail_idx = v->used_seen = 0;
	return true;
}

static bool done(void *arg)
{
	struct vblk *v = arg;

	return v->used->idx != v->used_seen;
}

static bool not_busy(void *arg)
{
	return !((struct vblk *)arg)->busy;
}

/* Until the device has used the request just posted. */
static void wait_done(struct vblk *v)
{
	if (v->irq_ok && blk_may_sleep()) {
		blk_wait_begin();
		while (sched_wait_noint(done, v, plat_monotonic_ns() + POLL_NS, "disk I/O"))
			;
		blk_wait_end();
	}
	while (!done(v)) /* at boot or shutdown, or without an interrupt */
		cpu_relax();
	__asm__ volatile("" : : : "memory");
	v->used_seen++;
}

/* Posts one request (type, sector; data of len bytes in the bounce buffer,
 * written by the device for T_IN) and waits: 0 or -EIO. */
static int request(struct vblk *v, u32 type, u64 sector, u32 len)
{
	struct req_hdr *h = (struct req_hdr *)v->req;
	volatile u8 *status = v->req + 64;
	int n = 0;

	if (v->busy) /* another thread's request (never at boot: one thread) */
		sched_wait_noint(not_busy, v, SCHED_FOREVER, "a busy disk");
	v->busy = true;
	*h = (struct req_hdr){ .type = type, .sector = sector };
	*status = 0xff;
	v->desc[0] = (struct vq_desc){ v->req_pa, sizeof(*h), DESC_F_NEXT, 1 };
	if (len) {
		v->desc[1] =
		    (struct vq_desc){ v->bounce_pa, len,
				      (u16)(DESC_F_NEXT | (type == T_IN ? DESC_F_WRITE : 0)), 2 };
		n = 1;
	}
	v->desc[n + 1] = (struct vq_desc){ v->req_pa + 64, 1, DESC_F_WRITE, 0 };
	v->avail->ring[v->avail_idx % VQ_SIZE] = 0;
	__asm__ volatile("" : : : "memory"); /* the entry before the index (x86: TSO) */
	v->avail->idx = ++v->avail_idx;
	__asm__ volatile("mfence" : : : "memory");
	v->notify(v);
	wait_done(v);
	v->busy = false;
	sched_wake();
	return *status == S_OK ? 0 : -EIO;
}

static int vblk_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	struct vblk *v = d->priv;
	int err;

	if (write)
		memcpy(v->bounce, buf, len);
	err = request(v, write ? T_OUT : T_IN, sector, (u32)len);
	if (!err && !write)
		memcpy(buf, v->bounce, len);
	return err;
}

static int vblk_flush(struct blkdev *d)
{
	struct vblk *v = d->priv;

	return v->flush_ok ? request(v, T_FLUSH, 0, 0) : 0;
}

static const struct blk_ops vblk_ops = {
	.rw = vblk_rw,
	.flush = vblk_flush,
};

void vblk_register(struct vblk *v, u64 capacity, bool ro, const char *name)
{
	v->bd.ops = &vblk_ops;
	v->bd.priv = v;
	v->bd.sectors = capacity;
	v->bd.sector_size = BLK_SECTOR;
	v->bd.max_io = VBLK_BOUNCE;
	v->bd.ro = ro;
	strlcpy(v->bd.name, name, sizeof(v->bd.name));
	blk_register(&v->bd);
}

void vblk_irq(void)
{
	sched_irq_io();
}

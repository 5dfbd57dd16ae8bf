/* virtio_blk.h - the virtio-blk driver of the QEMU platform: the request
 * path (virtio_blk_queue.c) and two transports, virtio-mmio
 * (virtio_blk_mmio.c, microvm) and modern virtio-pci (virtio_blk_pci.c,
 * pc).  Each device found becomes one disk of the block layer
 * (core/blk.h), in the order its transport finds them. */
#ifndef UNIK_RT_VIRTIO_BLK_H
#define UNIK_RT_VIRTIO_BLK_H

#include "../../core/blk.h"
#include "virtio_net.h" /* the split virtqueue layout: struct vq_desc, ... */

#define VBLK_MAX 8 /* devices per transport */
#define VBLK_BOUNCE (128 * 1024) /* bytes per request (blkdev.max_io) */
/* Feature bits (low word). */
#define VBLK_F_RO (1u << 5)
#define VBLK_F_FLUSH (1u << 9)

/* One device: its disk, queue 0 and the transport's registers. */
struct vblk {
	struct blkdev bd;
	/* the queue (legacy layout: descriptors, driver ring, device ring on
	 * the next page), physically contiguous */
	struct vq_desc *desc;
	struct vq_avail *avail;
	volatile struct vq_used *used;
	u64 ring_pa, avail_pa, used_pa;
	u16 avail_idx, used_seen;
	/* the request header and status (one page) and the data bounce buffer */
	u8 *req, *bounce;
	u64 req_pa, bounce_pa;
	bool flush_ok; /* VIRTIO_BLK_F_FLUSH negotiated */
	bool irq_ok; /* its interrupt wakes waits (else: poll) */
	volatile bool busy; /* a request is in flight */
	void (*notify)(struct vblk *v);
	/* the transport's */
	volatile u8 *regs, *isr, *devcfg, *notify_addr;
	u32 version;
	u64 base_pa;
};

/* virtio_blk_queue.c: allocates v's queue and buffers (VQ_SIZE entries):
 * false without memory. */
bool vblk_queue_alloc(struct vblk *v);
/* virtio_blk_queue.c: fills v->bd (capacity in 512-byte sectors, ro,
 * name) and registers the disk; the transport set up the queue, features
 * and notify, and set DRIVER_OK. */
void vblk_register(struct vblk *v, u64 capacity, bool ro, const char *name);
/* virtio_blk_queue.c: the interrupt of a device: a request may be done. */
void vblk_irq(void);

/* virtio_blk_mmio.c: finds, sets up and registers every virtio-mmio block
 * device among the `virtio_mmio.device=` words of the command line. */
void virtio_blk_mmio_probe(const char *cmdline,
			   bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));
/* virtio_blk_pci.c: the same for modern virtio-blk PCI functions on bus 0. */
void virtio_blk_pci_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));

#endif

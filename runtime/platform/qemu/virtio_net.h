/* virtio_net.h - the virtio-net driver of the QEMU platform: the queues
 * and frame path (virtio_net_queue.c) and two transports, virtio-mmio
 * (virtio_net_mmio.c, microvm) and modern virtio-pci (virtio_net_pci.c,
 * pc).  The platform wires these into its platform_ops (net_open, net_send,
 * net_recv, same contracts, see platform/platform.h). */
#ifndef UNIK_RT_VIRTIO_NET_H
#define UNIK_RT_VIRTIO_NET_H

#include "../../core/kernel.h"

#define VQ_SIZE 128
#define VQ_BUF_SIZE 2048
#define VNET_RXQ 0
#define VNET_TXQ 1

struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};

struct vq_avail {
	u16 flags, idx;
	u16 ring[VQ_SIZE];
	u16 used_event;
};

struct vq_used_elem {
	u32 id, len;
};

struct vq_used {
	u16 flags, idx;
	struct vq_used_elem ring[VQ_SIZE];
	u16 avail_event;
};

/* One split virtqueue of `size` entries (a power of 2, at most VQ_MAX) in
 * the legacy layout (descriptors, then the driver ring, then the device
 * ring on the next page), physically contiguous.  The modern transports
 * choose VQ_SIZE; legacy virtio-pci takes the device's size. */
#define VQ_MAX 256
struct vq {
	struct vq_desc *desc;
	volatile u16 *avail; /* flags, idx, ring[size], used_event */
	volatile u16 *used; /* flags, idx, then the elements */
	volatile struct vq_used_elem *used_ring;
	u8 *bufs; /* size buffers of VQ_BUF_SIZE, physically contiguous */
	u64 desc_pa, avail_pa, used_pa, bufs_pa;
	u16 size, cap; /* entries in use, entries allocated for */
	u16 avail_idx, used_seen;
};

/* virtio_net_queue.c: (re)initialises queue q (VNET_RXQ or VNET_TXQ) with
 * `size` entries (a power of 2, at most VQ_MAX) and their buffers,
 * allocated at the first call: the queue for the transport to tell the
 * device about, or NULL without memory or for a size it cannot take. */
struct vq *vnet_queue_alloc(int q, u16 size);
/* virtio_net_queue.c: posts every receive buffer; from now on frames go
 * through virtio_net_send/recv, which call notify(q) when the device wants
 * to hear about new buffers of queue q.  header_len: 10 (legacy) or 12
 * (VIRTIO_F_VERSION_1).  The transport notifies the receive queue once
 * after DRIVER_OK. */
void vnet_queues_start(u32 header_len, void (*notify)(int q));
/* One frame out: 0, -EAGAIN (queue full), -EIO (too large), -ENODEV. */
int virtio_net_send(const void *frame, size_t len);
/* One frame in: its length, or 0 when none is waiting. */
long virtio_net_recv(void *buf, size_t size);

/* virtio_net_mmio.c: finds the first virtio-mmio network device among the
 * `virtio_mmio.device=SIZE@ADDR:IRQ` words of the kernel command line and
 * maps its registers; `route` (may be NULL) connects its interrupt to a
 * vector and handler, which wakes waits.  True when one was found. */
bool virtio_net_mmio_probe(const char *cmdline,
			   bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));
/* virtio_net_mmio.c: parses the "SIZE@ADDR:IRQ" of a virtio_mmio.device=
 * word (len bytes at w; SIZE may end in K or M), for virtio-blk too. */
bool virtio_mmio_parse_device(const char *w, size_t len, u64 *addr, u64 *size, u64 *gsi);
/* virtio_net_mmio.c: negotiates features, sets up the queues and posts
 * receive buffers: 0 with the MAC and MTU, or -ENODEV (none probed, or it
 * refused). */
int virtio_net_mmio_open(u8 mac[6], u32 *mtu);

/* virtio_net_pci.c: finds the first virtio-net PCI function on bus 0,
 * enables it and maps its registers (the modern 1.0 interface, assigning
 * memory BARs the firmware left unassigned or above 4 GiB; else the legacy
 * one in its I/O BAR 0, virtio_net_legacy.c); `route` as above, for its
 * INTx line.  True when one was found. */
bool virtio_net_pci_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));
/* virtio_net_pci.c: as virtio_net_mmio_open, for the probed PCI device. */
int virtio_net_pci_open(u8 mac[6], u32 *mtu);
/* virtio_net_legacy.c: the legacy (0.9.5) interface of function f, whose
 * I/O BAR 0 holds its registers: probe (true when usable) and open. */
struct pci_fn;
bool virtio_net_legacy_probe(const struct pci_fn *f,
			     bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));
int virtio_net_legacy_open(u8 mac[6], u32 *mtu);

/* The QEMU platform's local APIC end-of-interrupt (platform/qemu/apic.c),
 * which the device's interrupt handler must signal. */
void apic_eoi(void);

#endif

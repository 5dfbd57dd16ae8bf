/* virtio_net.h - the virtio-net driver of the QEMU platform
 * (virtio_net_mmio.c: the virtio-mmio transport of microvm).  The
 * platform wires these into its platform_ops (net_open, net_send,
 * net_recv, same contracts, see platform/platform.h). */
#ifndef UNIK_RT_VIRTIO_NET_H
#define UNIK_RT_VIRTIO_NET_H

#include "../core/kernel.h"

/* Finds the first virtio-mmio network device among the
 * `virtio_mmio.device=SIZE@ADDR:IRQ` words of the kernel command line and
 * maps its registers; `route` (may be NULL) connects its interrupt to a
 * vector and handler, which wakes waits.  True when one was found. */
bool virtio_net_mmio_probe(const char *cmdline,
			   bool (*route)(u32 gsi, int vector, void (*fn)(int vector)));
/* Negotiates features, sets up the queues and posts receive buffers: 0
 * with the MAC and MTU, or -ENODEV (none probed, or it refused). */
int virtio_net_open(u8 mac[6], u32 *mtu);
/* One frame out: 0, -EAGAIN (queue full), -EIO (too large). */
int virtio_net_send(const void *frame, size_t len);
/* One frame in: its length, or 0 when none is waiting. */
long virtio_net_recv(void *buf, size_t size);

/* The QEMU platform's local APIC end-of-interrupt (platform/qemu/apic.c),
 * which the device's interrupt handler must signal. */
void apic_eoi(void);

#endif

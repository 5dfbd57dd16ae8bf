/* netfront.h - the Xen PV network front end (netfront.c): the first vif
 * the toolstack gave the domain, behind the platform's net_open, net_send
 * and net_recv (same contracts, see platform/platform.h).  netfront.c is
 * part of unik-net.o (runtime/runtime.mk): in an image without the network
 * stack these are NULL (weak) and so are the platform's net entries. */
#ifndef UNIK_RT_XEN_NETFRONT_H
#define UNIK_RT_XEN_NETFRONT_H

#include "../../core/kernel.h"

/* Finds device/vif/<lowest id>, connects it to its back end: 0 with the
 * MAC and MTU, or -ENODEV (no vif, or the back end did not connect). */
__attribute__((weak)) int netfront_open(u8 mac[6], u32 *mtu);
/* One frame out: 0, -EAGAIN (ring or buffers full), -EIO (too large),
 * -ENODEV (not open). */
__attribute__((weak)) int netfront_send(const void *frame, size_t len);
/* One frame in: its length, or 0 when none is waiting. */
__attribute__((weak)) long netfront_recv(void *buf, size_t size);

#endif

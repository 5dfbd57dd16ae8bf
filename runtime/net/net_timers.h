/* net_timers.h - lwIP's timers on demand (net_timers.c). */
#ifndef UNIK_RT_NET_TIMERS_H
#define UNIK_RT_NET_TIMERS_H

#include "../core/kernel.h"

/* Runs the lwIP timers that are due (ARP ticks owed first). */
void net_timers_run(void);

/* When a timer is next needed (monotonic ns), SCHED_FOREVER: none. */
u64 net_timers_next(void);

/* A frame taken from the device, before lwIP sees it (fragments start the
 * reassembly timer). */
void net_timers_frame_in(const u8 *frame, long len);

/* A frame handed to the device (ARP requests start the ARP timer). */
void net_timers_frame_out(const u8 *frame, long len);

#endif

/* net.h - the runtime's network: lwIP over the platform's network device.
 *
 * One interface, IPv4, configured from the boot command line (unik.ip=,
 * unik.gw=, unik.dns=, unik.net=dhcp; docs/networking.md).  lwIP runs
 * without threads (NO_SYS): frames are taken from the device and lwIP's
 * timers are run by net_poll(), which the socket calls and every wait of
 * the runtime call.  Nothing runs while the program computes without
 * making system calls.
 */
#ifndef UNIK_RT_NET_H
#define UNIK_RT_NET_H

#include "../core/kernel.h"
#include "../core/runtime.h"

/* Weak: the core (core/netstack.c) finds them NULL in images linked
 * without unik-net.o. */
#define NET_WEAK __attribute__((weak))

/* Starts the network when `cmd` has network words: finds the platform's
 * device, brings lwIP up with the static address or DHCP (waiting up to
 * 10 s for a lease), and publishes /etc/resolv.conf for unik.dns= servers.
 * Without network words it does nothing.  Problems (bad words, no device)
 * are printed and leave the program without a network; never fails. */
NET_WEAK void net_init(const struct cmdline *cmd);

/* Initialises lwIP (its heap) if net_init() has not; sockets call it so
 * that a program without a network can still create them.  0, or -ENOMEM
 * when the heap cannot be allocated. */
int net_stack_init(void);

/* True when an interface is up (frames can come in). */
NET_WEAK bool net_active(void);

/* Takes waiting frames from the device into lwIP and runs due timers. */
NET_WEAK void net_poll(void);

/* One step of waiting: net_poll(); when that took frames in, return at once
 * (they may have readied what the caller waits for); else sleep until
 * deadline_ns (monotonic), lwIP's next timer, or device input, whichever
 * comes first, then net_poll() again.  May return early; callers re-check what they wait for
 * and loop.  Without a network it is plat_wait_until(deadline_ns). */
NET_WEAK void net_wait(u64 deadline_ns);

/* imds.c: EC2's instance user data through IMDSv2 (a session token, then
 * GET /latest/user-data at 169.254.169.254), for unik.userdata=imds: its
 * length in buf (NUL-terminated; 0: the instance has none), or -errno (no
 * network, no answer, a malformed or oversized one), said on the console. */
#define IMDS_USER_DATA_MAX 16384
NET_WEAK long net_imds_user_data(char *buf, size_t size);

#endif

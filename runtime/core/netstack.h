/* netstack.h - the network stack, when the image has one.
 *
 * runtime/net (lwIP, the socket system calls) is built into its own object,
 * unik-net.o, which the c compiler links only into images whose program
 * makes sockets: a program that never opens one carries no network stack.
 * The core reaches the stack only through these calls, which fall back to
 * the platform's clock when it is absent (net/net.h has the full story).
 */
#ifndef UNIK_RT_NETSTACK_H
#define UNIK_RT_NETSTACK_H

#include "kernel.h"
#include "runtime.h"

/* True when unik-net.o is linked into this image. */
bool netstack_linked(void);

/* net_init(); without a stack, network words on the command line are
 * ignored (and said so under unik.verbose). */
void netstack_init(const struct cmdline *cmd);
/* With unik.userdata=imds: the words of EC2's user data (net_imds_user_data)
 * applied to cmd (cmdline_apply_user_data); without a network stack, a
 * line saying none can be read. */
void netstack_user_data(struct cmdline *cmd);

/* net_active(); false without a stack. */
bool netstack_active(void);

/* net_poll(); nothing without a stack. */
void netstack_poll(void);

/* net_wait(); plat_wait_until() without a stack. */
void netstack_wait(u64 deadline_ns);

#endif

/* netstack.c - calls into runtime/net when it is linked (see netstack.h).
 *
 * net/net.h declares the stack's entry points weak: in an image without
 * unik-net.o they are NULL, and these calls do what an image whose network
 * is switched off does.
 */
#include "netstack.h"
#include "sched.h"

#include "../net/net.h"
#include "../platform/platform.h"

bool netstack_linked(void)
{
	return net_init != NULL;
}

void netstack_init(const struct cmdline *cmd)
{
	if (net_init) {
		net_init(cmd);
		return;
	}
	/* unikd gives every instance an address: say so only when asked */
	if (cmd->verbose && (cmd->net_ip || cmd->net_dhcp || cmd->net_gw || cmd->ndns))
		kprintf("unikernel: net: this image has no network stack (its program makes no "
			"sockets); network settings ignored\n");
}

void netstack_user_data(struct cmdline *cmd)
{
	static char data[IMDS_USER_DATA_MAX + 1];
	long n;

	if (!cmd->userdata_imds)
		return;
	if (!net_imds_user_data) {
		kprintf("unikernel: unik.userdata=imds: this image has no network stack (its "
			"program makes no sockets): no user data\n");
		return;
	}
	n = net_imds_user_data(data, sizeof(data));
	if (n > 0)
		cmdline_apply_user_data(data, cmd);
	if (cmd->verbose && n >= 0)
		kprintf("unikernel: imds: %ld bytes of user data\n", n);
}

bool netstack_active(void)
{
	return net_active && net_active();
}

void netstack_poll(void)
{
	if (net_poll) {
		net_poll();
		sched_wake(); /* frames may have made sockets ready */
	}
}

void netstack_wait(u64 deadline_ns)
{
	/* One frame of any NIC the platform has (MTU 1500 + header). */
	static u8 sink[2048];

	if (net_wait) {
		net_wait(deadline_ns);
		return;
	}
	if (plat_monotonic_ns() >= deadline_ns)
		return;
	plat_wait_until(deadline_ns);
	/* Without a stack the platform may still have a NIC (unikd gives every
	 * instance one): a wait that ended early may have been woken by frames
	 * nobody will read, which would wake every later wait at once. */
	if (platform->net_recv && plat_monotonic_ns() < deadline_ns)
		while (platform->net_recv(sink, sizeof(sink)) > 0)
			;
}

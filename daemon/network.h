/* network.h - instance networking, owned by the daemon.
 *
 * Mode "bridge" (root): the daemon owns bridge unik0 with the subnet's first
 * address, one tap per running instance (or, for providers whose hypervisor
 * makes the guest's interface itself, such as Xen's vif back end, just the
 * bridge's name for the provider to attach it to), the addresses (the lowest free one
 * of the subnet, never one a running instance holds; released when the
 * instance exits, so stop/rm free it), and the published ports (host
 * listeners relaying to the guest).  Mode "user" (no root): the provider's
 * own user-mode network, which publishes the ports itself (the daemon
 * checks they are free).  Mode "none": no network.
 * Everything is derived from the store, so it survives restarts. */
#ifndef UNIKD_NETWORK_H
#define UNIKD_NETWORK_H

#include "../api/types.h"
#include "../lib/error.h"
#include "../lib/portspec.h"
#include "../providers/provider.h"

struct unikd;
struct network;

/* What start() gets for one instance; release with net_attach_release. */
struct net_attach {
	struct unik_net_spec spec;
	char tap[16];
	char mac[18];
	char address[16], gateway[16];
	char bridge[16]; /* the bridge of the address's segment */
	struct portspec *ports; /* user mode: what the provider publishes */
};

void net_attach_release(struct net_attach *na);

/* Reads [network] from the config and sets the bridge up (bridge mode). */
int network_init(struct unikd *d, struct unik_err *err);
void network_fini(struct unikd *d);
/* "bridge 10.87.0.0/24 on unik0" etc., for logs and GET /v1/health. */
const char *network_describe(struct unikd *d);

/* How a guest of provider p is networked: on the daemon's bridge
 * (bridged) through a tap the daemon makes, or else an interface the
 * provider attaches itself (BRIDGE); without a bridge on the provider's
 * user-mode network; NONE when p has no such mode. */
enum unik_net_mode network_mode_for(int bridged, const struct unik_provider *p);

/* Before start (d->lock held): gives `in` an address, a tap (or for a
 * BRIDGE provider the bridge's name) and its published ports (CONFLICT when a port is taken; nothing is left behind on
 * error).  With no network (mode none, a provider without this mode, a
 * format whose guests do not read the network words, or an image without a
 * network stack: network_image_uses_net) na->spec.mode is
 * UNIK_NET_NONE and ports are refused. */
int network_attach(struct unikd *d, struct unik_instance *in, const struct unik_provider *p,
		   const char *format, const char *kernel, struct net_attach *na,
		   struct unik_err *err);
/* 0 when the unik-elf image `kernel` has no network stack (its symbol table
 * lacks net_init: the program makes no sockets, compilers/common/pack.c), 1
 * when it has one or cannot tell (an image stripped of every symbol). */
int network_image_uses_net(const char *format, const char *kernel);
/* After the VM ended or failed to start (d->lock held): closes the ports,
 * deletes the tap, frees the address (in->address = NULL). */
void network_detach(struct unikd *d, struct unik_instance *in);
/* The tap a summoned instance keeps between its runs (network_detach
 * leaves it) goes: at its removal, or at daemon stop while its VM is down. */
void network_forget(struct unikd *d, const char *id);
/* 1 in bridge mode (the daemon relays the published ports itself). */
int network_bridged(struct unikd *d);
/* For a VM adopted after a restart: opens its published ports again
 * (not those of a summoned instance: daemon/summon.c has them). */
int network_readopt(struct unikd *d, const struct unik_instance *in, struct unik_err *err);

#endif

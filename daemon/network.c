/* network.c - addresses, taps and published ports (see network.h). */
#include "network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../api/formats.h"
#include "../lib/elf_syms.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "daemon.h"
#include "netdev.h"
#include "network_host.h"
#include "portfwd.h"
#include "store.h"
#include "summon_nat.h"

enum net_kind { NET_NONE, NET_BRIDGE, NET_USER };

#define SEG_PREFIX 22 /* 1,021 guests a segment, under the bridge's 1,024 ports */

struct fwd {
	char *id;
	struct portfwd *fw;
	struct fwd *next;
};

struct network {
	enum net_kind kind;
	char bridge[16];
	struct in_addr net; /* network address (network byte order) */
	struct in_addr gw;
	int prefix;
	/* A Linux bridge takes at most 1,024 ports: a subnet wider than
	 * SEG_PREFIX is cut into segments of that size, segment k on bridge
	 * `bridge` (k = 0) or `bridge`s<k>, each with its own gateway (its
	 * first address) and broadcast address; seg_prefix is what guests get. */
	int seg_prefix;
	unsigned char *seg_made; /* bit k: segment k's bridge was set up */
	int claim; /* the bridge's claim (network_host.h), -1 when none */
	int keep_bridge; /* network.keep_bridge: the bridges stay at exit */
	char *dns;
	char describe[160];
	struct fwd *fwds;
};

void net_attach_release(struct net_attach *na)
{
	free(na->ports);
	memset(na, 0, sizeof(*na));
}

static int parse_subnet(const char *s, struct in_addr *net, int *prefix, struct unik_err *err)
{
	char buf[32], *slash;
	long p;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	p = strtol(slash + 1, NULL, 10);
	if (p < 8 || p > 29 || inet_pton(AF_INET, buf, net) != 1)
		goto bad;
	*prefix = (int)p;
	net->s_addr &= htonl(~0u << (32 - p));
	return 0;
bad:
	return unik_err_set(err, UNIK_E_INVALID,
			    "network.subnet '%s' must be an IPv4 CIDR between /8 and /29", s);
}

/* network.segment: the prefix length of a bridge's share of the subnet,
 * "22" or "/22" (the widest: a bridge's 1,024 ports) to "29". */
static int parse_segment(const char *s, int *out, struct unik_err *err)
{
	const char *p = *s == '/' ? s + 1 : s;
	char *end = NULL;
	long v = strtol(p, &end, 10);

	if (end == p || *end || v < SEG_PREFIX || v > 29)
		return unik_err_set(err, UNIK_E_INVALID,
				    "network.segment '%s' must be a prefix length from %d to 29", s,
				    SEG_PREFIX);
	*out = (int)v;
	return 0;
}

int network_init(struct unikd *d, struct unik_err *err)
{
	struct network *n = xcalloc(1, sizeof(*n));
	const char *mode = unik_config_get(&d->cfg, "network.mode", "auto");
	const char *subnet = unik_config_get(&d->cfg, "network.subnet", "10.87.0.0/24");
	const char *bridge = unik_config_get(&d->cfg, "network.bridge", "unik0");
	struct unik_err berr = UNIK_ERR_INIT;
	char net_s[16];
	const char *v;
	int seg = SEG_PREFIX;

	d->net = n;
	n->claim = -1;
	n->dns = xstrdup(unik_config_get(&d->cfg, "network.dns", ""));
	if (parse_subnet(subnet, &n->net, &n->prefix, err))
		return -1;
	if (strlen(bridge) >= sizeof(n->bridge))
		return unik_err_set(err, UNIK_E_INVALID, "network.bridge '%s' is too long", bridge);
	snprintf(n->bridge, sizeof(n->bridge), "%s", bridge);
	n->gw.s_addr = htonl(ntohl(n->net.s_addr) + 1);
	if (parse_segment(unik_config_get(&d->cfg, "network.segment", "22"), &seg, err))
		return -1;
	n->seg_prefix = n->prefix < seg ? seg : n->prefix;
	n->seg_made = xcalloc(((size_t)1 << (n->seg_prefix - n->prefix)) / 8 + 1, 1);
	inet_ntop(AF_INET, &n->net, net_s, sizeof(net_s));
	if (!strcmp(mode, "none")) {
		n->kind = NET_NONE;
		snprintf(n->describe, sizeof(n->describe), "none");
		return 0;
	}
	if (!strcmp(mode, "user")) {
		n->kind = NET_USER;
		snprintf(n->describe, sizeof(n->describe),
			 "user (the providers' user-mode networks)");
		return 0;
	}
	if (strcmp(mode, "auto") && strcmp(mode, "bridge"))
		return unik_err_set(err, UNIK_E_INVALID,
				    "network.mode must be auto, bridge, user or none, not '%s'",
				    mode);
	if (n->seg_prefix != n->prefix) {
		char last[32];
		int len = snprintf(last, sizeof(last), "%ss%u", bridge,
				   (1u << (n->seg_prefix - n->prefix)) - 1);

		if (len < 0 || (size_t)len >= sizeof(n->bridge))
			return unik_err_set(err, UNIK_E_INVALID,
					    "network.bridge '%s' is too long: a subnet wider than "
					    "/%d has a bridge every /%d, the last one named %s "
					    "(more than %zu characters)",
					    bridge, SEG_PREFIX, SEG_PREFIX, last,
					    sizeof(n->bridge) - 1);
	}
	v = unik_config_get(&d->cfg, "network.keep_bridge", "false");
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		n->keep_bridge = 1;
	else if (strcmp(v, "false") && strcmp(v, "no") && strcmp(v, "0"))
		return unik_err_set(err, UNIK_E_INVALID,
				    "network.keep_bridge '%s' must be true or false", v);
	/* before touching any device: the bridge is not another daemon's, the
	 * subnet is no other interface's */
	if (nethost_claim(n->bridge, &n->claim, &berr) ||
	    nethost_check_subnet(n->bridge, n->net, n->prefix, &berr)) {
		/* a clash is fatal, unless this daemon could not make a bridge
		 * anyway (auto, not root): it then runs on user networking */
		if (strcmp(mode, "auto") || geteuid() == 0) {
			*err = berr;
			return -1;
		}
	} else if (netdev_bridge_ensure(n->bridge, n->gw, n->seg_prefix, &berr) == 0) {
		n->kind = NET_BRIDGE;
		if (n->seg_prefix == n->prefix)
			snprintf(n->describe, sizeof(n->describe), "bridge %s/%d on %s", net_s,
				 n->prefix, n->bridge);
		else
			snprintf(n->describe, sizeof(n->describe),
				 "bridge %s/%d on %s, %ss1, ... (a bridge every /%d)", net_s,
				 n->prefix, n->bridge, n->bridge, n->seg_prefix);
		return 0;
	}
	if (n->claim >= 0)
		close(n->claim);
	n->claim = -1;
	if (!strcmp(mode, "bridge") || berr.code == UNIK_E_INVALID)
		return unik_err_set(
		    err, berr.code == UNIK_E_INVALID ? UNIK_E_INVALID : UNIK_E_UNAVAILABLE,
		    "network.mode %s: %s", mode, berr.msg);
	n->kind = NET_USER;
	snprintf(n->describe, sizeof(n->describe), "user (no bridge: %s)", berr.msg);
	return 0;
}

/* At exit: the bridges go unless configured to stay or an instance still
 * runs on them (instances outlive the daemon; the next one adopts them). */
static void remove_bridges(struct unikd *d, struct network *n)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct strv held;
	uint32_t nseg = 1u << (n->seg_prefix - n->prefix);

	if (n->kind != NET_BRIDGE)
		return;
	if (n->keep_bridge) {
		unikd_log("network: keeping bridge %s (network.keep_bridge)", n->bridge);
		return;
	}
	strv_init(&held);
	if (store_instance_addresses(d->store, NULL, &held, &err) || held.n) {
		if (held.n)
			unikd_log("network: keeping bridge %s: %zu instance%s still run%s on it",
				  n->bridge, held.n, held.n == 1 ? "" : "s",
				  held.n == 1 ? "s" : "");
		else
			unikd_log("network: keeping bridge %s: %s", n->bridge, err.msg);
		strv_release(&held);
		return;
	}
	strv_release(&held);
	for (uint32_t k = nseg; k-- > 1;) {
		char name[32];

		snprintf(name, sizeof(name), "%ss%u", n->bridge, k);
		if (netdev_exists(name) && netdev_bridge_delete(name, &err))
			unikd_log("network: %s", err.msg);
	}
	if (netdev_bridge_delete(n->bridge, &err))
		unikd_log("network: %s", err.msg);
	else
		unikd_log("network: removed bridge %s", n->bridge);
}

void network_fini(struct unikd *d)
{
	struct network *n = d->net;

	if (!n)
		return;
	remove_bridges(d, n);
	if (n->claim >= 0)
		close(n->claim);
	while (n->fwds) {
		struct fwd *f = n->fwds;

		n->fwds = f->next;
		portfwd_close(f->fw);
		free(f->id);
		free(f);
	}
	free(n->dns);
	free(n->seg_made);
	free(n);
	d->net = NULL;
}

const char *network_describe(struct unikd *d)
{
	return d->net ? d->net->describe : "none";
}

enum unik_net_mode network_mode_for(int bridged, const struct unik_provider *p)
{
	if (!bridged)
		return unik_provider_networks(p, UNIK_NET_USER) ? UNIK_NET_USER : UNIK_NET_NONE;
	if (unik_provider_networks(p, UNIK_NET_TAP))
		return UNIK_NET_TAP;
	return unik_provider_networks(p, UNIK_NET_BRIDGE) ? UNIK_NET_BRIDGE : UNIK_NET_NONE;
}

/* Host number h of the subnet is a segment's own address (its network
 * address, its gateway, its broadcast address). */
static int seg_reserved(const struct network *n, uint32_t h)
{
	uint32_t size = 1u << (32 - n->seg_prefix), l = h & (size - 1);

	return l == 0 || l == 1 || l == size - 1;
}

/* Segment k's bridge name, and its gateway.  Segment 0's bridge is made by
 * network_init; a further one is made (or checked) here. */
static int segment(struct network *n, struct in_addr a, struct net_attach *na, struct unik_err *err)
{
	uint32_t h = ntohl(a.s_addr) - ntohl(n->net.s_addr), k = h >> (32 - n->seg_prefix);
	struct in_addr gw = { htonl(ntohl(n->net.s_addr) + (k << (32 - n->seg_prefix)) + 1) };

	if (k == 0)
		snprintf(na->bridge, sizeof(na->bridge), "%s", n->bridge);
	else
		snprintf(na->bridge, sizeof(na->bridge), "%ss%u", n->bridge, k);
	inet_ntop(AF_INET, &gw, na->gateway, sizeof(na->gateway));
	if (k && !(n->seg_made[k / 8] & (1u << (k % 8)))) {
		if (netdev_bridge_ensure(na->bridge, gw, n->seg_prefix, err))
			return -1;
		n->seg_made[k / 8] |= (unsigned char)(1u << (k % 8));
	}
	return 0;
}

/* The lowest address of the subnet that no live instance holds (starting
 * ones too: two creates at once must not get the same one): one
 * query for the held addresses (not a decode of every record) and a bitmap
 * of the subnet's hosts, so a create costs O(instances + hosts), not their
 * product. */
static int allocate(struct unikd *d, const char *self, struct in_addr *out, struct unik_err *err)
{
	struct network *n = d->net;
	uint32_t base = ntohl(n->net.s_addr), hosts = (1u << (32 - n->prefix)) - 1;
	struct strv held;
	unsigned char *used;
	int rc = -1;

	strv_init(&held);
	if (store_instance_addresses(d->store, self, &held, err)) {
		strv_release(&held);
		return -1;
	}
	used = xcalloc(hosts / 8 + 1, 1);
	for (size_t i = 0; i < held.n; i++) {
		struct in_addr a;
		uint32_t h;

		if (inet_pton(AF_INET, held.v[i], &a) != 1)
			continue;
		h = ntohl(a.s_addr) - base;
		if (h < hosts)
			used[h / 8] |= (unsigned char)(1u << (h % 8));
	}
	for (uint32_t h = 2; h < hosts && rc; h++)
		if (!seg_reserved(n, h) && !(used[h / 8] & (1u << (h % 8)))) {
			char ip[INET_ADDRSTRLEN];

			out->s_addr = htonl(base + h);
			/* not while a summoned VM's forwarding to it is being removed */
			rc = summon_nat_address_draining(inet_ntop(AF_INET, out, ip, sizeof(ip)),
							 self);
		}
	free(used);
	strv_release(&held);
	if (rc)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "no free address left in the subnet");
	return 0;
}

static void close_ports(struct network *n, const char *id)
{
	for (struct fwd **pp = &n->fwds; *pp;) {
		struct fwd *f = *pp;

		if (strcmp(f->id, id)) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		portfwd_close(f->fw);
		free(f->id);
		free(f);
	}
}

static int open_ports(struct network *n, const struct unik_instance *in, struct unik_err *err)
{
	for (size_t i = 0; i < in->ports.n; i++) {
		struct portspec ps;
		struct fwd *f;
		struct portfwd *fw;

		if (portspec_parse(in->ports.v[i], &ps, err) ||
		    portfwd_open(&ps, in->address, &fw, err)) {
			close_ports(n, in->id);
			return -1;
		}
		f = xcalloc(1, sizeof(*f));
		f->id = xstrdup(in->id);
		f->fw = fw;
		f->next = n->fwds;
		n->fwds = f;
	}
	return 0;
}

int network_image_uses_net(const char *format, const char *kernel)
{
	struct unik_err err = UNIK_ERR_INIT;
	int has_symtab = 0, rc;

	if (!format || !kernel || strcmp(format, UNIK_FORMAT_UNIK_ELF))
		return 1;
	rc = elf_defines_function(kernel, "net_init", &has_symtab, &err);
	return rc != 0 || !has_symtab;
}

int network_attach(struct unikd *d, struct unik_instance *in, const struct unik_provider *p,
		   const char *format, const char *kernel, struct net_attach *na,
		   struct unik_err *err)
{
	struct network *n = d->net;
	enum unik_net_mode mode = network_mode_for(n && n->kind == NET_BRIDGE, p);
	int provider_can = mode != UNIK_NET_NONE;
	/* the unik runtime and our Linux init set eth0 up from the boot words */
	int capable = provider_can && unik_format_has(format, UNIK_FORMAT_NET_WORDS);
	int uses = capable && n && n->kind != NET_NONE && network_image_uses_net(format, kernel);
	struct in_addr a;

	memset(na, 0, sizeof(*na));
	if (!n || n->kind == NET_NONE || !capable || !uses) {
		if (in->ports.n)
			return unik_err_set(
			    err, UNIK_E_UNSUPPORTED, "cannot publish ports: %s",
			    !n || n->kind == NET_NONE ? "the daemon runs without network"
			    : !provider_can ? "this provider has no network support in this mode"
			    : !capable	    ? "images of this format have no network support"
					    : "the image has no network stack (its program makes "
					      "no sockets)");
		return 0;
	}
	snprintf(na->mac, sizeof(na->mac), "02:%.2s:%.2s:%.2s:%.2s:%.2s", in->id, in->id + 2,
		 in->id + 4, in->id + 6, in->id + 8);
	na->spec.mac = na->mac;
	na->spec.dns = *n->dns ? n->dns : NULL;
	if (n->kind == NET_USER) {
		na->ports = xcalloc(in->ports.n + 1, sizeof(*na->ports));
		for (size_t i = 0; i < in->ports.n; i++)
			if (portspec_parse(in->ports.v[i], &na->ports[i], err) ||
			    portfwd_probe(&na->ports[i], err)) {
				net_attach_release(na);
				return -1;
			}
		na->spec.mode = UNIK_NET_USER;
		na->spec.ports = na->ports;
		na->spec.n_ports = in->ports.n;
		return 0;
	}
	if (allocate(d, in->id, &a, err))
		return -1;
	inet_ntop(AF_INET, &a, na->address, sizeof(na->address));
	if (segment(n, a, na, err))
		return -1;
	free(in->address);
	in->address = xstrdup(na->address);
	if (!in->summon.enabled && open_ports(n, in, err)) /* summon.c listens for those */
		goto fail;
	if (mode == UNIK_NET_TAP) {
		snprintf(na->tap, sizeof(na->tap), "uk%.12s", in->id);
		/* a summoned instance's tap stays between its runs (creating one
		 * is most of a start: docs/summon.md), if still on its bridge */
		if (in->summon.enabled && netdev_master_is(na->tap, na->bridge)) {
			/* kept from its last run, up */
		} else if ((netdev_exists(na->tap) && netdev_tap_delete(na->tap, err)) ||
			   netdev_tap_create(na->tap, na->bridge, err)) {
			close_ports(n, in->id);
			goto fail;
		}
		na->spec.tap = na->tap;
	} else {
		na->spec.bridge = na->bridge; /* the provider attaches its own interface */
	}
	na->spec.mode = mode;
	na->spec.address = na->address;
	na->spec.prefix = n->seg_prefix;
	na->spec.gateway = na->gateway;
	return 0;
fail:
	free(in->address);
	in->address = NULL;
	net_attach_release(na);
	return -1;
}

void network_detach(struct unikd *d, struct unik_instance *in)
{
	struct network *n = d->net;
	char tap[16];

	if (!n)
		return;
	close_ports(n, in->id);
	snprintf(tap, sizeof(tap), "uk%.12s", in->id);
	if (n->kind == NET_BRIDGE && !in->summon.enabled) /* summoned: network_forget */
		netdev_tap_delete(tap, NULL);
	free(in->address);
	in->address = NULL;
}

void network_forget(struct unikd *d, const char *id)
{
	char tap[16];

	if (!d->net || d->net->kind != NET_BRIDGE)
		return;
	snprintf(tap, sizeof(tap), "uk%.12s", id);
	netdev_tap_delete(tap, NULL);
}

int network_readopt(struct unikd *d, const struct unik_instance *in, struct unik_err *err)
{
	struct network *n = d->net;

	if (!n || n->kind != NET_BRIDGE || !in->address || !in->ports.n || in->summon.enabled)
		return 0;
	return open_ports(n, in, err);
}

int network_bridged(struct unikd *d)
{
	return d->net && d->net->kind == NET_BRIDGE;
}

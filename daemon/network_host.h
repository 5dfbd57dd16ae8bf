/* network_host.h - what a daemon's bridge and subnet must not clash with on
 * the host: another unikd owning the same bridge in this network namespace,
 * and addresses or routes of other interfaces inside the subnet. */
#ifndef UNIKD_NETWORK_HOST_H
#define UNIKD_NETWORK_HOST_H

#include <netinet/in.h>

#include "../lib/error.h"

/* Claims bridge `bridge` for this daemon: an abstract unix socket named for
 * it, which exists as long as this process does (a crashed daemon leaves no
 * claim behind) and is private to the network namespace, as the bridge is.
 * *fd is the claim (close it to give it up).  CONFLICT, naming the owner's
 * pid, when another process holds it. */
int nethost_claim(const char *bridge, int *fd, struct unik_err *err);

/* 1 if interface `ifname` is `bridge` or one of its segment bridges
 * (`bridge`s<k>): the daemon's own. */
int nethost_is_ours(const char *bridge, const char *ifname);

/* CONFLICT when subnet net/prefix overlaps an IPv4 address of an interface
 * that is not ours, or a route (other than a default route) through one. */
int nethost_check_subnet(const char *bridge, struct in_addr net, int prefix, struct unik_err *err);

/* Pure helpers, for tests: 1 when a/pa and b/pb share an address. */
int nethost_overlaps(struct in_addr a, int pa, struct in_addr b, int pb);
/* Parses one data line of /proc/net/route: the interface (up to 15
 * characters), destination and prefix length of its mask; -1 on a bad line. */
int nethost_route_line(const char *line, char ifname[16], struct in_addr *dst, int *prefix);

#endif

/* network_host.c - clashes of a daemon's bridge and subnet with the host
 * (see network_host.h). */
#include "network_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stddef.h>
#include <sys/un.h>
#include <unistd.h>

static uint32_t mask_of(int prefix)
{
	return prefix <= 0 ? 0 : htonl(~0u << (32 - prefix));
}

int nethost_overlaps(struct in_addr a, int pa, struct in_addr b, int pb)
{
	uint32_t m = mask_of(pa < pb ? pa : pb);

	return (a.s_addr & m) == (b.s_addr & m);
}

int nethost_is_ours(const char *bridge, const char *ifname)
{
	size_t n = strlen(bridge);
	const char *k;

	if (!strcmp(ifname, bridge))
		return 1;
	if (strncmp(ifname, bridge, n) || ifname[n] != 's' || !ifname[n + 1])
		return 0;
	for (k = ifname + n + 1; *k; k++)
		if (*k < '0' || *k > '9')
			return 0;
	return 1;
}

static int prefix_of(uint32_t mask_net)
{
	uint32_t m = ntohl(mask_net);
	int p = 0;

	while (m & 0x80000000u) {
		p++;
		m <<= 1;
	}
	return m ? -1 : p; /* a mask with holes */
}

int nethost_route_line(const char *line, char ifname[16], struct in_addr *dst, int *prefix)
{
	char name[64];
	unsigned long d, g, mask;
	unsigned flags, refcnt, use, metric;

	if (sscanf(line, "%63s %lx %lx %x %u %u %u %lx", name, &d, &g, &flags, &refcnt, &use,
		   &metric, &mask) != 8 ||
	    strlen(name) >= 16 || d > 0xffffffffUL || mask > 0xffffffffUL)
		return -1;
	/* the kernel prints the words in network byte order as host integers */
	dst->s_addr = (uint32_t)d;
	*prefix = prefix_of((uint32_t)mask);
	if (*prefix < 0)
		return -1;
	memcpy(ifname, name, strlen(name) + 1);
	return 0;
}

static void cidr(char *buf, size_t size, struct in_addr a, int prefix)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, size, "%s/%d", s, prefix);
}

static int check_addresses(const char *bridge, struct in_addr net, int prefix, const char *want,
			   struct unik_err *err)
{
	struct ifaddrs *ifs, *i;
	int rc = 0;

	if (getifaddrs(&ifs) < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot list the host's addresses: %s",
				    strerror(errno));
	for (i = ifs; i && !rc; i = i->ifa_next) {
		struct in_addr a;
		int p;
		char have[32];

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_name ||
		    nethost_is_ours(bridge, i->ifa_name))
			continue;
		a = ((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
		p = i->ifa_netmask
			? prefix_of(((const struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr)
			: 32;
		if (p < 0)
			p = 32;
		if (!nethost_overlaps(a, p, net, prefix))
			continue;
		cidr(have, sizeof(have), a, p);
		rc = unik_err_set(err, UNIK_E_CONFLICT,
				  "network.subnet %s overlaps address %s of %s on this host: "
				  "choose another with --subnet CIDR",
				  want, have, i->ifa_name);
	}
	freeifaddrs(ifs);
	return rc;
}

static int check_routes(const char *bridge, struct in_addr net, int prefix, const char *want,
			struct unik_err *err)
{
	FILE *f = fopen("/proc/net/route", "re"); /* this namespace's table */
	char line[512];
	int rc = 0, first = 1;

	if (!f)
		return 0; /* no IPv4 routing table to read: the addresses were checked */
	while (!rc && fgets(line, sizeof(line), f)) {
		char ifname[16], have[32];
		struct in_addr dst;
		int p;

		if (first) { /* the header */
			first = 0;
			continue;
		}
		if (nethost_route_line(line, ifname, &dst, &p) || p == 0 ||
		    nethost_is_ours(bridge, ifname) || !nethost_overlaps(dst, p, net, prefix))
			continue;
		cidr(have, sizeof(have), dst, p);
		rc = unik_err_set(err, UNIK_E_CONFLICT,
				  "network.subnet %s overlaps route %s via %s on this host: "
				  "choose another with --subnet CIDR",
				  want, have, ifname);
	}
	fclose(f);
	return rc;
}

int nethost_check_subnet(const char *bridge, struct in_addr net, int prefix, struct unik_err *err)
{
	char want[32];

	cidr(want, sizeof(want), net, prefix);
	if (check_addresses(bridge, net, prefix, want, err) ||
	    check_routes(bridge, net, prefix, want, err))
		return -1;
	return 0;
}

static socklen_t claim_addr(const char *bridge, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* sun_path[0] = 0: the abstract namespace, one per network namespace */
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "unikd-bridge/%s", bridge);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* The pid of the process that listens on the claim, or 0 if unknown. */
static long owner_pid(const struct sockaddr_un *sa, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	long pid = 0;

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)sa, len) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		pid = cred.pid;
	close(fd);
	return pid;
}

int nethost_claim(const char *bridge, int *out, struct unik_err *err)
{
	struct sockaddr_un sa;
	socklen_t len = claim_addr(bridge, &sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	*out = -1;
	if (fd < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "socket: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)&sa, len) < 0) {
		int e = errno;
		long pid = e == EADDRINUSE ? owner_pid(&sa, len) : 0;

		close(fd);
		if (e != EADDRINUSE)
			return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot claim bridge %s: %s",
					    bridge, strerror(e));
		if (pid > 0)
			return unik_err_set(err, UNIK_E_CONFLICT,
					    "bridge %s belongs to another unikd (pid %ld): give "
					    "this one its own with --bridge NAME --subnet CIDR",
					    bridge, pid);
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "bridge %s belongs to another unikd: give this one its own "
				    "with --bridge NAME --subnet CIDR",
				    bridge);
	}
	/* listening lets a second daemon ask who holds the claim (SO_PEERCRED);
	 * nothing is ever accepted */
	if (listen(fd, 4) < 0) {
		int e = errno;

		close(fd);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot claim bridge %s: %s", bridge,
				    strerror(e));
	}
	*out = fd;
	return 0;
}

/* netdev.c - bridge and tap devices through ioctls (no netlink, no tools). */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int name_ok(const char *name, struct unik_err *err)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return unik_err_set(err, UNIK_E_INVALID, "bad network device name '%s'",
				    name ? name : "");
	return 0;
}

static int ctl_socket(struct unik_err *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		unik_err_set(err, UNIK_E_UNAVAILABLE, "socket: %s", strerror(errno));
	return fd;
}

static void ifreq_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strlen(name) + 1);
}

/* Asked of the kernel in the daemon's own network namespace: /sys/class/net
 * shows the namespace that mounted sysfs, which is not ours when unikd runs
 * in a namespace of its own (scripts/bench-density does). */
int netdev_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static int set_up(int fd, const char *name, struct unik_err *err)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot read flags of %s: %s", name,
				    strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot bring %s up: %s", name,
				    strerror(errno));
	return 0;
}

static int set_addr(int fd, const char *name, unsigned long req, struct in_addr a,
		    struct unik_err *err)
{
	struct ifreq ifr;
	struct sockaddr_in sin;

	ifreq_init(&ifr, name);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = a;
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (ioctl(fd, req, &ifr) < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot set the address of %s: %s",
				    name, strerror(errno));
	return 0;
}

/* No IPv6 on the devices unikd makes (its guest network is IPv4).  A tap
 * is a port of the bridge: it needs no address of its own; with one, each
 * tap brought up gets an IPv6 link-local address and routes, and every tap
 * up or down walks the whole IPv6 routing table, which with thousands of
 * taps is most of what starting an instance costs.  A bridge with IPv6
 * sends router solicitations for as long as it is up (backing off to one an
 * hour) and MLD reports, each a multicast the bridge floods to every tap:
 * a wake-up of every guest on it (a VM exit on hvt).  Set before the device
 * goes up, so it never sends any.  Best effort: a host without IPv6 has no
 * such file. */
static void dev_no_ipv6(const char *name)
{
	char path[80];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0) {
		/* the device keeps IPv6: slower or noisier, not wrong */
	}
	close(fd);
}

int netdev_is_bridge(const char *name)
{
	struct ethtool_drvinfo info;
	struct ifreq ifr;
	int fd, yes = 0;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GDRVINFO;
	ifreq_init(&ifr, name);
	ifr.ifr_data = (char *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		yes = !strncmp(info.driver, "bridge", sizeof(info.driver));
	close(fd);
	return yes;
}

int netdev_bridge_delete(const char *name, struct unik_err *err)
{
	struct ifreq ifr;
	int fd, rc = -1;

	if (name_ok(name, err))
		return -1;
	if (!netdev_exists(name))
		return 0;
	if (!netdev_is_bridge(name))
		return unik_err_set(err, UNIK_E_INVALID, "%s is not a bridge: not deleted", name);
	fd = ctl_socket(err);
	if (fd < 0)
		return -1;
	ifreq_init(&ifr, name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
			unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot bring %s down: %s", name,
				     strerror(errno));
			goto cleanup;
		}
	}
	if (ioctl(fd, SIOCBRDELBR, name) < 0 && errno != ENXIO) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot delete bridge %s: %s", name,
			     strerror(errno));
		goto cleanup;
	}
	rc = 0;
cleanup:
	close(fd);
	return rc;
}

int netdev_bridge_ensure(const char *name, struct in_addr addr, int prefix, struct unik_err *err)
{
	struct in_addr mask;
	int fd, rc = -1;

	if (name_ok(name, err))
		return -1;
	fd = ctl_socket(err);
	if (fd < 0)
		return -1;
	if (netdev_exists(name) && !netdev_is_bridge(name)) {
		unik_err_set(err, UNIK_E_INVALID, "%s exists and is not a bridge", name);
		goto cleanup;
	}
	if (!netdev_exists(name)) {
		if (ioctl(fd, SIOCBRADDBR, name) < 0 && errno != EEXIST) {
			unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot create bridge %s: %s", name,
				     strerror(errno));
			goto cleanup;
		}
		dev_no_ipv6(name); /* ours: a bridge someone else made keeps its settings */
	}
	mask.s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
	if (set_addr(fd, name, SIOCSIFADDR, addr, err) ||
	    set_addr(fd, name, SIOCSIFNETMASK, mask, err) || set_up(fd, name, err))
		goto cleanup;
	rc = 0;
cleanup:
	close(fd);
	return rc;
}

/* Makes tap `name` persistent (creating it) or not (deleting it). */
static int tap_persist(const char *name, int on, struct unik_err *err)
{
	struct ifreq ifr;
	int tun = open("/dev/net/tun", O_RDWR | O_CLOEXEC), rc = 0;

	if (tun < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot open /dev/net/tun: %s",
				    strerror(errno));
	ifreq_init(&ifr, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(tun, TUNSETIFF, &ifr) < 0 || ioctl(tun, TUNSETPERSIST, on) < 0)
		rc = unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot %s tap %s: %s",
				  on ? "create" : "delete", name, strerror(errno));
	close(tun);
	return rc;
}

int netdev_tap_create(const char *name, const char *bridge, struct unik_err *err)
{
	struct ifreq ifr;
	int fd = -1, rc = -1;

	if (name_ok(name, err) || name_ok(bridge, err))
		return -1;
	if (tap_persist(name, 1, err))
		return -1;
	dev_no_ipv6(name);
	fd = ctl_socket(err);
	if (fd < 0)
		goto cleanup;
	ifreq_init(&ifr, bridge);
	ifr.ifr_ifindex = (int)if_nametoindex(name);
	if (!ifr.ifr_ifindex || ioctl(fd, SIOCBRADDIF, &ifr) < 0) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot add %s to bridge %s: %s", name,
			     bridge, strerror(errno));
		goto cleanup;
	}
	if (set_up(fd, name, err))
		goto cleanup;
	rc = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (rc)
		netdev_tap_delete(name, NULL);
	return rc;
}

int netdev_master_is(const char *name, const char *bridge)
{
	char path[96], link[256];
	const char *base;
	ssize_t n;

	if (name_ok(name, NULL) || name_ok(bridge, NULL))
		return 0;
	snprintf(path, sizeof(path), "/sys/class/net/%s/master", name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	base = strrchr(link, '/');
	return !strcmp(base ? base + 1 : link, bridge);
}

int netdev_tap_delete(const char *name, struct unik_err *err)
{
	if (name_ok(name, err))
		return -1;
	if (!netdev_exists(name))
		return 0;
	return tap_persist(name, 0, err);
}

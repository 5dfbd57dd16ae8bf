/* net_tap.c - the monitors' network backend: a host tap device.
 *
 * The guest's frames are written to and read from the tap's file
 * descriptor as they are (IFF_TAP | IFF_NO_PI: no packet-info header).  The
 * tap is either opened here by name (--net-tap NAME: it must exist and be
 * usable by this user, or we must be allowed to create it), or handed over
 * already open (--net-fd N, for a daemon that keeps the tap).  After setup
 * the seccomp filters allow only read(2) and write(2) on that one fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "monitor.h"

int mon_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	/* A unicast address: the group bit must be clear. */
	return mac[0] & 1 ? -1 : 0;
}

/* Checks that fd is a tap without packet information. */
static int check_tap(int fd, const char *what, char *why)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		snprintf(why, MON_WHY, "%s is not a tun/tap device: %s", what, strerror(errno));
		return -1;
	}
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP || !(ifr.ifr_flags & IFF_NO_PI)) {
		snprintf(why, MON_WHY,
			 "%s is not a tap device without packet information (want "
			 "IFF_TAP | IFF_NO_PI)",
			 what);
		return -1;
	}
	return 0;
}

int mon_net_open(const struct mon_opts *o, struct mon_net *n, char *why)
{
	char what[64];
	int fd;

	n->fd = -1;
	n->mtu = 0;
	if (!o->net_tap && o->net_fd < 0)
		return 0;
	if (o->net_tap) {
		struct ifreq ifr;
		int rc;

		if (strlen(o->net_tap) >= IFNAMSIZ) {
			snprintf(why, MON_WHY, "tap name '%s' is longer than %d bytes", o->net_tap,
				 IFNAMSIZ - 1);
			return -1;
		}
		fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			snprintf(why, MON_WHY, "/dev/net/tun: %s", strerror(errno));
			return -1;
		}
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		memcpy(ifr.ifr_name, o->net_tap, strlen(o->net_tap));
		/* EBUSY: another process holds the tap's queue.  With
		 * concurrent creates that is a monitor unikd is spawning, which
		 * holds the daemon's /dev/net/tun descriptor (O_CLOEXEC) of this
		 * tap until its exec: a moment, so try again for up to 1 s. */
		for (int tries = 0;
		     (rc = ioctl(fd, TUNSETIFF, &ifr)) < 0 && errno == EBUSY && tries < 100;
		     tries++)
			usleep(10000);
		if (rc < 0) {
			snprintf(why, MON_WHY, "cannot attach to tap '%s': %s", o->net_tap,
				 strerror(errno));
			close(fd);
			return -1;
		}
		snprintf(what, sizeof(what), "tap '%s'", o->net_tap);
	} else {
		fd = o->net_fd;
		snprintf(what, sizeof(what), "--net-fd %d", fd);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			snprintf(why, MON_WHY, "%s: %s", what, strerror(errno));
			return -1;
		}
		if (check_tap(fd, what, why) < 0)
			return -1;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		snprintf(why, MON_WHY, "%s: cannot make it non-blocking: %s", what,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (o->has_mac) {
		memcpy(n->mac, o->net_mac, 6);
	} else {
		if (getrandom(n->mac, 6, 0) != 6) {
			snprintf(why, MON_WHY, "getrandom: %s", strerror(errno));
			close(fd);
			return -1;
		}
		n->mac[0] =
		    (uint8_t)((n->mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
	}
	n->fd = fd;
	n->mtu = 1500;
	return 0;
}

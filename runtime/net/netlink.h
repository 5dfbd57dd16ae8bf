/* netlink.h - NETLINK_ROUTE sockets (netlink.c): the interface list that
 * getifaddrs() and programs like dnsmasq read.  sys_socket.c sends the
 * socket calls of a netlink descriptor here; arguments other than the
 * descriptor are the program's, unchecked unless said otherwise. */
#ifndef UNIK_RT_NETLINK_H
#define UNIK_RT_NETLINK_H

#include "../core/fd.h"

/* The one interface's name and index (there is no loopback interface). */
#define NET_IFNAME "eth0"
#define NET_IFINDEX 1

/* What netlink reports of the interface (net.c). */
struct net_iface {
	u8 mac[6];
	u32 mtu;
	u32 addr, mask; /* IPv4, network byte order */
};
/* Fills *out: true while the network is up, else false. */
bool net_iface_info(struct net_iface *out);

/* socket(AF_NETLINK, type, proto): a descriptor or -errno. */
long netlink_socket(long type, long proto);
/* True when f is a netlink socket. */
bool netlink_is(const struct file *f);
long netlink_bind(struct file *f, long uaddr, long len);
long netlink_connect(struct file *f, long uaddr, long len);
/* getsockname (peer false) and getpeername. */
long netlink_name(struct file *f, long uaddr, long ulen, bool peer);
/* iov[0..n) checked; (uaddr, len) the destination (0: none). */
long netlink_sendmsg(struct file *f, const struct k_iovec *iov, int n, long uaddr, long len);
/* iov[0..n) checked; (uaddr, ulen) for the sender (uaddr 0: not wanted);
 * *msg_flags (when not NULL) gets MSG_TRUNC for a cut reply; ulen must be
 * checked (4 bytes, writable) when uaddr is set. */
long netlink_recvmsg(struct file *f, const struct k_iovec *iov, int n, int flags, long uaddr,
		     long ulen, int *msg_flags);
/* The SIOCGIF* ioctls of any socket (name, index, flags, addresses, MTU,
 * hardware address, SIOCGIFCONF) on arg, a struct ifreq or ifconf:
 * 0, -ENODEV for another interface, -EFAULT, or -ENOTTY for other requests. */
long net_if_ioctl(unsigned long req, long arg);
long netlink_setsockopt(struct file *f, long level, long name, long uval, long len);
long netlink_getsockopt(struct file *f, long level, long name, long uval, long ulen);

#endif

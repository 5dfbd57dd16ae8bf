/* sys_socket.c - the socket system calls over net/sock.c.
 *
 * Checks the program's arguments (user memory, descriptors, address
 * families), turns sockets into descriptors, and does the blocking: an
 * operation that returns -EAGAIN waits (sched_wait) until the socket is
 * ready for it and is retried, until it succeeds, the socket's
 * SO_RCVTIMEO/SO_SNDTIMEO passes (-EAGAIN), a signal's handler interrupts
 * it (-EINTR, restarted under SA_RESTART), or at once for O_NONBLOCK
 * sockets and MSG_DONTWAIT.  A send on a connection that is shut raises
 * SIGPIPE unless MSG_NOSIGNAL.  IPv4 TCP and UDP, and NETLINK_ROUTE
 * (netlink.c: a netlink descriptor's calls go there): AF_INET6, AF_UNIX and
 * raw sockets give EAFNOSUPPORT (or EPROTONOSUPPORT / ESOCKTNOSUPPORT),
 * which programs treat as "not here".
 */
#include "net.h"
#include "netlink.h"
#include "sock.h"
#include "../core/errno.h"
#include "../core/fd.h"
#include "../core/sched.h"
#include "../core/signal.h"
#include "../core/syscall.h"
#include "../platform/platform.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define FOREVER (~0UL)
#define FIONREAD 0x541b
#define AF_NETLINK 16
#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define IPPROTO_IP 0
#define IP_PKTINFO 8
#define CMSG_HDR 16 /* struct cmsghdr: u64 len, int level, int type */
#define PKTINFO_LEN 12 /* struct in_pktinfo: ifindex, spec_dst, addr */
#define CONTROL_MAX 65536 /* Linux's optmem_max: more is ENOBUFS */

/* The netlink socket behind descriptor fd, or NULL. */
static struct file *netlink_of(long fd)
{
	struct file *f = fd_get(fd);

	return netlink_is(f) ? f : NULL;
}

static long sock_read(struct file *f, const struct k_iovec *iov, int n, u64 *off);
static long sock_write(struct file *f, const struct k_iovec *iov, int n, u64 *off);

static short sock_file_poll(struct file *f)
{
	return sock_poll(f->priv);
}

static long sock_ioctl(struct file *f, unsigned long req, long arg)
{
	if (req != FIONREAD)
		return net_if_ioctl(req, arg);
	if (!user_ok(arg, 4, true))
		return -EFAULT;
	*(int *)arg = (int)sock_readable(f->priv);
	return 0;
}

static void sock_release(struct file *f)
{
	sock_close(f->priv);
}

/* The open files of sockets: read/write are recv/send without flags. */
static const struct file_ops sock_file_ops = {
	.mode = S_IFSOCK | 0777,
	.read = sock_read,
	.write = sock_write,
	.poll = sock_file_poll,
	.ioctl = sock_ioctl,
	.release = sock_release,
};

static struct sock *sock_of(long fd, long *err)
{
	return fd_priv(fd, &sock_file_ops, -ENOTSOCK, err);
}

/* A descriptor for s (closed on failure). */
static long install(struct sock *s, long flags)
{
	return fd_open(&sock_file_ops, NULL, O_RDWR | (int)(flags & SOCK_NONBLOCK), s,
		       flags & SOCK_CLOEXEC);
}

SYSCALL(socket)
{
	int type = (int)(a1 & SOCK_TYPE_MASK);
	struct sock *s;
	long err;

	if (a1 & ~(long)(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (a0 == AF_NETLINK)
		return netlink_socket(a1, a2);
	if (a0 != AF_INET)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	if (a2 && a2 != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	err = sock_create(type, &s);
	if (err)
		return err;
	return install(s, a1);
}

/* Copies a sockaddr_in from the program; 0, -EFAULT, -EINVAL or -EAFNOSUPPORT. */
static long get_addr(long uaddr, long len, struct k_sockaddr_in *out, bool allow_unspec)
{
	if (len < 2 || !user_ok(uaddr, (u64)len, false))
		return len < 2 ? -EINVAL : -EFAULT;
	memset(out, 0, sizeof(*out));
	memcpy(out, (const void *)uaddr, MIN((u64)len, sizeof(*out)));
	if (allow_unspec && out->family == 0)
		return 0;
	if (out->family != AF_INET)
		return -EAFNOSUPPORT;
	return len < 16 ? -EINVAL : 0;
}

/* Writes an address to the program's (uaddr, ulen) pair, truncating as Linux does. */
static long put_addr(const struct k_sockaddr_in *a, long uaddr, long ulen)
{
	u32 *len = (u32 *)ulen;

	if (!uaddr)
		return 0;
	if (!user_ok(ulen, 4, true))
		return -EFAULT;
	if ((s32)*len < 0)
		return -EINVAL;
	if (!user_ok(uaddr, MIN((u64)*len, sizeof(*a)), true))
		return -EFAULT;
	memcpy((void *)uaddr, a, MIN((u64)*len, sizeof(*a)));
	*len = sizeof(*a);
	return 0;
}

static u64 deadline_of(struct sock *s, bool send)
{
	u64 t = sock_timeout(s, send);

	return t ? plat_monotonic_ns() + t : FOREVER;
}

struct sock_wait {
	struct sock *s;
	short events; /* 0: until a connect finishes */
};

static bool sock_ready(void *arg)
{
	const struct sock_wait *w = arg;

	if (!w->events)
		return !sock_connecting(w->s);
	return sock_poll(w->s) & (w->events | POLLERR | POLLHUP);
}

/* Waits until the socket of f may do `events` (0: a connect ended), with a
 * reference on f (another thread may close it): 0, -EAGAIN at the deadline,
 * or -EINTR. */
static long wait_sock(struct file *f, short events, u64 deadline)
{
	struct sock_wait w = { f->priv, events };
	long rc;

	f->refs++;
	rc = sched_wait(sock_ready, &w, deadline, "a socket operation");
	if (--f->refs == 0)
		file_put(f);
	return rc == -ETIMEDOUT ? -EAGAIN : rc;
}

SYSCALL(bind)
{
	struct k_sockaddr_in a;
	struct sock *s = sock_of(a0, &a3);

	if (!s)
		return netlink_of(a0) ? netlink_bind(netlink_of(a0), a1, a2) : a3;
	a3 = get_addr(a1, a2, &a, false);
	return a3 ? a3 : sock_bind(s, &a);
}

SYSCALL(listen)
{
	struct sock *s = sock_of(a0, &a3);

	if (!s && netlink_of(a0))
		return -EOPNOTSUPP;
	return s ? sock_listen(s, (int)MIN(a1, 4096L)) : a3;
}

static long do_accept(long fd, long uaddr, long ulen, long flags)
{
	struct file *f = fd_get(fd);
	struct sock *c, *s;
	u64 deadline;
	long rc, newfd;

	s = sock_of(fd, &rc); /* rc, not flags: sock_of() zeroes it on success */
	if (!s)
		return rc;
	flags = flags & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	deadline = deadline_of(s, false);
	net_poll();
	while ((rc = sock_accept(s, &c)) == -EAGAIN) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = wait_sock(f, POLLIN, deadline);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	newfd = install(c, flags);
	if (newfd >= 0 && uaddr) {
		struct k_sockaddr_in a;

		sock_name(c, true, &a);
		rc = put_addr(&a, uaddr, ulen);
		if (rc)
			return rc; /* the connection stays open on newfd, as on Linux */
	}
	return newfd;
}

SYSCALL(accept)
{
	return do_accept(a0, a1, a2, 0);
}

SYSCALL(accept4)
{
	if (a3 & ~(long)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	return do_accept(a0, a1, a2, a3);
}

SYSCALL(connect)
{
	struct file *f = fd_get(a0);
	struct sock *s = sock_of(a0, &a3);
	struct k_sockaddr_in a;
	u64 deadline;
	long rc = 0;

	if (!s)
		return netlink_of(a0) ? netlink_connect(f, a1, a2) : a3;
	rc = get_addr(a1, a2, &a, sock_type(s) == SOCK_DGRAM);
	if (rc)
		return rc;
	rc = sock_connect(s, &a);
	if (rc != -EINPROGRESS || (f->flags & O_NONBLOCK))
		return rc;
	deadline = deadline_of(s, true);
	rc = wait_sock(f, 0, deadline);
	if (rc)
		return rc == -EAGAIN ? -EINPROGRESS : rc;
	return sock_error(s);
}

/* The program's iovec array, checked; its count, or -errno. */
static long get_iov(long uiov, long cnt, bool write)
{
	const struct k_iovec *iov = (const struct k_iovec *)uiov;

	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	if (!user_ok(uiov, (u64)cnt * sizeof(*iov), false))
		return -EFAULT;
	for (long i = 0; i < cnt; i++) {
		if (!user_ok((long)iov[i].base, iov[i].len, write))
			return -EFAULT;
	}
	return cnt;
}

/* The blocking core of every receive and send.  The device is polled only
 * when the socket cannot go on as it is (-EAGAIN: no data yet, no room to
 * send): a receive that finds data, a send that finds room, need no host
 * call (on spt, a read of the tap that mostly says EAGAIN); the frames
 * wait for the next wait, poll or scheduler tick, all of which poll. */
static long transfer(struct file *f, const struct k_iovec *iov, int n, int flags, bool send,
		     struct k_sockaddr_in *addr, u32 src)
{
	struct sock *s = f->priv;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT), polled = false;
	u64 deadline = 0;
	long rc = 0;

	for (;;) {
		rc = send ? sock_send(s, iov, n, flags, addr, src)
			  : sock_recv(s, iov, n, flags, addr);
		if (rc == -EPIPE && !(flags & MSG_NOSIGNAL))
			signal_raise_self(SIGPIPE);
		if (rc == -EAGAIN && !polled) {
			net_poll();
			polled = true;
			continue;
		}
		if (rc != -EAGAIN || nonblock)
			return rc;
		if (!deadline)
			deadline = deadline_of(s, send);
		rc = wait_sock(f, send ? POLLOUT : POLLIN, deadline);
		if (rc)
			return rc;
	}
}

static long sock_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return transfer(f, iov, n, 0, false, NULL, 0);
}

static long sock_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return transfer(f, iov, n, 0, true, NULL, 0);
}

/* The data calls of netlink sockets (netlink.c), their memory checked. */
static long nl_sendto(struct file *f, long buf, long len, long uaddr, long alen)
{
	struct k_iovec v = { (u64)buf, (u64)len };

	if (!user_ok(buf, (u64)len, false))
		return -EFAULT;
	return netlink_sendmsg(f, &v, 1, uaddr, alen);
}

static long nl_recvfrom(struct file *f, long buf, long len, long flags, long uaddr, long ulen)
{
	struct k_iovec v = { (u64)buf, (u64)len };

	if (!user_ok(buf, (u64)len, true) || (uaddr && !user_ok(ulen, 4, true)))
		return -EFAULT;
	return netlink_recvmsg(f, &v, 1, (int)flags, uaddr, ulen, NULL);
}

static long nl_sendmsg(struct file *f, long um)
{
	struct k_msghdr *m = (struct k_msghdr *)um;
	long n;

	if (!user_ok(um, sizeof(*m), false))
		return -EFAULT;
	n = get_iov((long)m->iov, (long)m->iovlen, false);
	if (n < 0)
		return n;
	return netlink_sendmsg(f, (const struct k_iovec *)m->iov, (int)n, (long)m->name,
			       m->namelen);
}

static long nl_recvmsg(struct file *f, long um, long flags)
{
	struct k_msghdr *m = (struct k_msghdr *)um;
	int mflags = 0;
	long n, rc;

	if (!user_ok(um, sizeof(*m), true))
		return -EFAULT;
	n = get_iov((long)m->iov, (long)m->iovlen, true);
	if (n < 0)
		return n;
	rc = netlink_recvmsg(f, (const struct k_iovec *)m->iov, (int)n, (int)flags, (long)m->name,
			     (long)&m->namelen, &mflags);
	if (rc < 0)
		return rc;
	m->controllen = 0; /* no ancillary data */
	m->flags = mflags;
	return rc;
}

SYSCALL(sendto)
{
	struct file *f = fd_get(a0);
	struct k_iovec v = { (u64)a1, (u64)a2 };
	struct k_sockaddr_in a;
	long rc = 0;

	if (!sock_of(a0, &rc))
		return netlink_is(f) ? nl_sendto(f, a1, a2, a4, a5) : rc;
	if (!user_ok(a1, (u64)a2, false))
		return -EFAULT;
	if (a4) {
		rc = get_addr(a4, a5, &a, false);
		if (rc)
			return rc;
	}
	return transfer(f, &v, 1, (int)a3, true, a4 ? &a : NULL, 0);
}

SYSCALL(recvfrom)
{
	struct file *f = fd_get(a0);
	struct k_iovec v = { (u64)a1, (u64)a2 };
	struct k_sockaddr_in a;
	long rc = 0, prc;

	if (!sock_of(a0, &rc))
		return netlink_is(f) ? nl_recvfrom(f, a1, a2, a3, a4, a5) : rc;
	if (!user_ok(a1, (u64)a2, true))
		return -EFAULT;
	rc = transfer(f, &v, 1, (int)a3, false, a4 ? &a : NULL, 0);
	if (rc >= 0 && a4 && (prc = put_addr(&a, a4, a5)))
		return prc;
	return rc;
}

/* The control messages of a UDP sendmsg: IP_PKTINFO's source address in
 * *src (0: none).  0 or -errno, as Linux's ip_cmsg_send: a malformed
 * header is EINVAL, other levels than SOL_SOCKET and IPPROTO_IP are
 * ignored, as are SCM_RIGHTS/SCM_CREDENTIALS on an inet socket. */
static long send_control(const struct k_msghdr *m, u32 *src)
{
	const u8 *c = (const u8 *)m->control;
	u64 len = m->controllen, off = 0;

	*src = 0;
	if (!len)
		return 0;
	if (len > CONTROL_MAX)
		return -ENOBUFS;
	if (!user_ok((long)m->control, len, false))
		return -EFAULT;
	while (off + CMSG_HDR <= len) {
		u64 clen = *(const u64 *)(c + off);
		s32 level = *(const s32 *)(c + off + 8), type = *(const s32 *)(c + off + 12);

		if (clen < CMSG_HDR || clen > len - off)
			return -EINVAL;
		if (level == SOL_SOCKET && type != SCM_RIGHTS && type != SCM_CREDENTIALS)
			return -EINVAL;
		if (level == IPPROTO_IP) {
			s32 ifindex;

			if (type != IP_PKTINFO || clen != CMSG_HDR + PKTINFO_LEN)
				return -EINVAL; /* (per-message IP_TTL/IP_TOS: not here) */
			memcpy(&ifindex, c + off + CMSG_HDR, 4);
			if (ifindex && ifindex != NET_IFINDEX)
				return -ENODEV;
			memcpy(src, c + off + CMSG_HDR + 4, 4); /* ipi_spec_dst */
		}
		off += (clen + 7) & ~7UL;
	}
	return 0;
}

/* IP_PKTINFO's control message on a UDP recvmsg (struct in_pktinfo: the
 * interface, the local address the datagram reached, its header's
 * destination), truncated (MSG_CTRUNC) as Linux's put_cmsg does. */
static void recv_control(struct k_msghdr *m, u32 dst)
{
	struct net_iface nif;
	u8 buf[CMSG_HDR + PKTINFO_LEN];
	s32 level = IPPROTO_IP, type = IP_PKTINFO, ifindex = NET_IFINDEX;
	u64 clen = sizeof(buf);
	u32 spec;

	if (m->controllen < CMSG_HDR) {
		m->flags |= MSG_CTRUNC;
		m->controllen = 0;
		return;
	}
	spec = net_iface_info(&nif) ? nif.addr : dst;
	memcpy(buf, &clen, 8);
	memcpy(buf + 8, &level, 4);
	memcpy(buf + 12, &type, 4);
	memcpy(buf + CMSG_HDR, &ifindex, 4);
	memcpy(buf + CMSG_HDR + 4, dst == spec ? &dst : &spec, 4); /* broadcasts: ours */
	memcpy(buf + CMSG_HDR + 8, &dst, 4);
	if (m->controllen < sizeof(buf))
		m->flags |= MSG_CTRUNC;
	memcpy((void *)m->control, buf, MIN(m->controllen, sizeof(buf)));
	m->controllen = MIN(m->controllen, (sizeof(buf) + 7) & ~7UL);
}

SYSCALL(sendmsg)
{
	struct file *f = fd_get(a0);
	struct k_msghdr *m = (struct k_msghdr *)a1;
	struct k_sockaddr_in a;
	long rc = 0, n;
	u32 src = 0;

	if (!sock_of(a0, &rc))
		return netlink_is(f) ? nl_sendmsg(f, a1) : rc;
	if (!user_ok(a1, sizeof(*m), false))
		return -EFAULT;
	n = get_iov((long)m->iov, (long)m->iovlen, false);
	if (n < 0)
		return n;
	if (m->name) {
		rc = get_addr((long)m->name, m->namelen, &a, false);
		if (rc)
			return rc;
	}
	if (sock_type(f->priv) == SOCK_DGRAM && (rc = send_control(m, &src)))
		return rc;
	return transfer(f, (const struct k_iovec *)m->iov, (int)n, (int)a2, true,
			m->name ? &a : NULL, src);
}

SYSCALL(recvmsg)
{
	struct file *f = fd_get(a0);
	struct k_msghdr *m = (struct k_msghdr *)a1;
	struct k_sockaddr_in a;
	long rc = 0, n;
	u32 dst;

	if (!sock_of(a0, &rc))
		return netlink_is(f) ? nl_recvmsg(f, a1, a2) : rc;
	if (!user_ok(a1, sizeof(*m), true))
		return -EFAULT;
	n = get_iov((long)m->iov, (long)m->iovlen, true);
	if (n < 0)
		return n;
	if (m->name && !user_ok((long)m->name, m->namelen, true))
		return -EFAULT;
	if (m->controllen &&
	    !user_ok((long)m->control, MIN(m->controllen, (u64)CMSG_HDR + PKTINFO_LEN + 4), true))
		return -EFAULT;
	rc = transfer(f, (const struct k_iovec *)m->iov, (int)n, (int)a2, false, &a, 0);
	if (rc < 0)
		return rc;
	if (m->name) {
		memcpy((void *)m->name, &a, MIN((u64)m->namelen, sizeof(a)));
		m->namelen = sizeof(a);
	}
	m->flags = 0;
	if (sock_pktinfo(f->priv, &dst))
		recv_control(m, dst);
	else
		m->controllen = 0; /* no other ancillary data */
	return rc;
}

SYSCALL(shutdown)
{
	struct sock *s = sock_of(a0, &a3);

	if (!s && netlink_of(a0))
		return -EOPNOTSUPP;
	return s ? sock_shutdown(s, (int)a1) : a3;
}

static long name_of(long fd, long uaddr, long ulen, bool peer)
{
	struct k_sockaddr_in a;
	struct file *nl = netlink_of(fd);
	struct sock *s = sock_of(fd, &fd);
	long rc = 0;

	if (!s)
		return nl ? netlink_name(nl, uaddr, ulen, peer) : fd;
	rc = sock_name(s, peer, &a);
	return rc ? rc : put_addr(&a, uaddr, ulen);
}

SYSCALL(getsockname)
{
	return name_of(a0, a1, a2, false);
}

SYSCALL(getpeername)
{
	return name_of(a0, a1, a2, true);
}

SYSCALL(setsockopt)
{
	struct sock *s = sock_of(a0, &a5);

	if (!s)
		return netlink_of(a0) ? netlink_setsockopt(netlink_of(a0), a1, a2, a3, a4) : a5;
	if (a4 < 0 || !user_ok(a3, (u64)a4, false))
		return -EFAULT;
	return sock_setopt(s, (int)a1, (int)a2, (const void *)a3, (u32)a4);
}

SYSCALL(getsockopt)
{
	struct sock *s = sock_of(a0, &a5);
	u8 val[16];
	u32 len;
	long rc = 0;

	if (!s)
		return netlink_of(a0) ? netlink_getsockopt(netlink_of(a0), a1, a2, a3, a4) : a5;
	if (!user_ok(a4, 4, true))
		return -EFAULT;
	len = MIN(*(u32 *)a4, (u32)sizeof(val));
	rc = sock_getopt(s, (int)a1, (int)a2, val, &len);
	if (rc)
		return rc;
	if (!user_ok(a3, len, true))
		return -EFAULT;
	memcpy((void *)a3, val, len);
	*(u32 *)a4 = len;
	return 0;
}

/* netlink.c - NETLINK_ROUTE sockets: the interface and address lists.
 *
 * Linux programs learn the machine's interfaces from the routing netlink:
 * musl's getifaddrs() and if_nameindex(), dnsmasq, ...  A request is
 * answered when it is sent, into the socket's queue: one datagram per
 * request (RTM_GETLINK, RTM_GETADDR with NLM_F_DUMP: the records, then
 * NLMSG_DONE; RTM_GETLINK of one index: its record), an NLMSG_ERROR of
 * EOPNOTSUPP for any other request, an ack when NLM_F_ACK asks for one.
 * The interface is net.c's (eth0 with its IPv4 address, while the network
 * is up; lwIP runs no loopback interface here, so there is no "lo").  The
 * interface never changes, so the multicast groups a program joins (bind's
 * nl_groups, NETLINK_ADD_MEMBERSHIP) are kept and deliver nothing.
 */
#include "net.h"
#include "netlink.h"
#include "../core/errno.h"
#include "../core/fd.h"
#include "../core/kmem.h"
#include "../core/sched.h"
#include "../core/sockabi.h"
#include "../core/syscall.h"

#define AF_NETLINK 16
#define NETLINK_ROUTE 0
#define SOCK_RAW 3
#define SOL_SOCKET 1
#define SOL_NETLINK 270
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_PROTOCOL 38
#define SO_DOMAIN 39

#define NLMSG_ERROR 2
#define NLMSG_DONE 3
#define NLM_F_REQUEST 0x1
#define NLM_F_MULTI 0x2
#define NLM_F_ACK 0x4
#define NLM_F_DUMP 0x300
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define IFLA_ADDRESS 1
#define IFLA_BROADCAST 2
#define IFLA_IFNAME 3
#define IFLA_MTU 4
#define IFLA_TXQLEN 13
#define IFLA_OPERSTATE 16
#define IFA_ADDRESS 1
#define IFA_LOCAL 2
#define IFA_LABEL 3
#define IFA_BROADCAST 4
#define ARPHRD_ETHER 1
#define IFF_UP 0x1
#define IFF_BROADCAST 0x2
#define IFF_RUNNING 0x40
#define IFF_MULTICAST 0x1000
#define IFF_LOWER_UP 0x10000
#define IF_OPER_UP 6
#define IFA_F_PERMANENT 0x80

#define NL_ALIGN(n) (((n) + 3U) & ~3U)
#define NL_HDR 16U
#define REPLY_MAX 1024U /* one reply datagram; ours are far smaller */
#define REQUEST_MAX 4096U
#define QUEUE_MAX 64 /* replies not yet read; more requests get ENOBUFS */

struct nlmsghdr {
	u32 len;
	u16 type, flags;
	u32 seq, pid;
};

struct sockaddr_nl {
	u16 family, pad;
	u32 pid, groups;
};

struct reply {
	struct reply *next;
	u32 len;
	u8 data[REPLY_MAX];
};

struct nl_sock {
	struct reply *head, *tail;
	int queued;
	u32 portid, groups;
	bool bound;
};

static u32 next_portid = 1; /* the first is the process's pid, as on Linux */

static short nl_poll(struct file *f)
{
	const struct nl_sock *s = f->priv;

	return (short)(POLLOUT | (s->head ? POLLIN : 0));
}

static void nl_release(struct file *f)
{
	struct nl_sock *s = f->priv;

	while (s->head) {
		struct reply *r = s->head;

		s->head = r->next;
		kfree(r, sizeof(*r));
	}
	kfree(s, sizeof(*s));
}

static long nl_read(struct file *f, const struct k_iovec *iov, int n, u64 *off);
static long nl_write(struct file *f, const struct k_iovec *iov, int n, u64 *off);

static long nl_ioctl(struct file *f, unsigned long req, long arg)
{
	(void)f;
	return net_if_ioctl(req, arg);
}

static const struct file_ops nl_file_ops = {
	.mode = S_IFSOCK | 0777,
	.read = nl_read,
	.write = nl_write,
	.poll = nl_poll,
	.ioctl = nl_ioctl,
	.release = nl_release,
};

bool netlink_is(const struct file *f)
{
	return f && f->ops == &nl_file_ops;
}

long netlink_socket(long type, long proto)
{
	struct nl_sock *s;
	int t = (int)(type & SOCK_TYPE_MASK);

	if (t != SOCK_RAW && t != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (proto != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	s = kmalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	return fd_open(&nl_file_ops, NULL, O_RDWR | (int)(type & SOCK_NONBLOCK), s,
		       type & SOCK_CLOEXEC);
}

/* Gives s its port id (bind with pid 0, or the first send). */
static void autobind(struct nl_sock *s)
{
	if (s->bound)
		return;
	s->portid = next_portid == 1 ? 1 : 0x80000000U | next_portid;
	next_portid++;
	s->bound = true;
}

/* --- building replies ----------------------------------------------------- */

struct out {
	struct reply *r;
	bool full;
};

/* Room for n more bytes (aligned) at the end of the reply: a pointer to
 * them, zeroed, or NULL (and o->full) when the reply has no room. */
static void *grow(struct out *o, u32 n)
{
	u8 *p;

	n = NL_ALIGN(n);
	if (o->full || o->r->len + n > REPLY_MAX) {
		o->full = true;
		return NULL;
	}
	p = o->r->data + o->r->len;
	memset(p, 0, n);
	o->r->len += n;
	return p;
}

/* Starts a message; its header's length is fixed by end(). */
static struct nlmsghdr *begin(struct out *o, const struct nlmsghdr *req, u16 type, u16 flags,
			      u32 portid)
{
	struct nlmsghdr *h = grow(o, NL_HDR);

	if (h) {
		h->type = type;
		h->flags = flags;
		h->seq = req->seq;
		h->pid = portid;
	}
	return h;
}

static void end(struct out *o, struct nlmsghdr *h)
{
	if (h && !o->full)
		h->len = (u32)(o->r->data + o->r->len - (u8 *)h);
}

static void attr(struct out *o, u16 type, const void *data, u32 len)
{
	u16 *a = grow(o, 4 + len);

	if (!a)
		return;
	a[0] = (u16)(4 + len);
	a[1] = type;
	memcpy(a + 2, data, len);
}

static void attr_u32(struct out *o, u16 type, u32 v)
{
	attr(o, type, &v, 4);
}

static void link_record(struct out *o, const struct nlmsghdr *req, u16 flags, u32 portid,
			const struct net_iface *nif)
{
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct nlmsghdr *h = begin(o, req, RTM_NEWLINK, flags, portid);
	u8 *ifi = grow(o, 16), oper = IF_OPER_UP;
	u32 ifflags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP;

	if (ifi) { /* struct ifinfomsg: family, pad, type, index, flags, change */
		*(u16 *)(ifi + 2) = ARPHRD_ETHER;
		*(s32 *)(ifi + 4) = NET_IFINDEX;
		*(u32 *)(ifi + 8) = ifflags;
	}
	attr(o, IFLA_IFNAME, NET_IFNAME, sizeof(NET_IFNAME));
	attr(o, IFLA_ADDRESS, nif->mac, 6);
	attr(o, IFLA_BROADCAST, bcast, 6);
	attr_u32(o, IFLA_MTU, nif->mtu);
	attr_u32(o, IFLA_TXQLEN, 1000);
	attr(o, IFLA_OPERSTATE, &oper, 1);
	end(o, h);
}

static void addr_record(struct out *o, const struct nlmsghdr *req, u32 portid,
			const struct net_iface *nif)
{
	struct nlmsghdr *h = begin(o, req, RTM_NEWADDR, NLM_F_MULTI, portid);
	u8 *ifa = grow(o, 8), prefix = 0;
	u32 mask = __builtin_bswap32(nif->mask), bcast = nif->addr | ~nif->mask;

	while (prefix < 32 && (mask & (0x80000000U >> prefix)))
		prefix++;
	if (ifa) { /* struct ifaddrmsg: family, prefixlen, flags, scope, index */
		ifa[0] = AF_INET;
		ifa[1] = prefix;
		ifa[2] = IFA_F_PERMANENT;
		*(u32 *)(ifa + 4) = NET_IFINDEX;
	}
	attr(o, IFA_ADDRESS, &nif->addr, 4);
	attr(o, IFA_LOCAL, &nif->addr, 4);
	attr(o, IFA_BROADCAST, &bcast, 4);
	attr(o, IFA_LABEL, NET_IFNAME, sizeof(NET_IFNAME));
	end(o, h);
}

static void error_msg(struct out *o, const struct nlmsghdr *req, int err, u32 portid)
{
	struct nlmsghdr *h = begin(o, req, NLMSG_ERROR, 0, portid);
	s32 *e = grow(o, 4 + NL_HDR);

	if (e) { /* struct nlmsgerr: the error, then the request's header */
		e[0] = err;
		memcpy(e + 1, req, NL_HDR);
	}
	end(o, h);
}

/* The reply to one request into o. */
static void answer(struct out *o, const struct nlmsghdr *req, u32 reqlen, u32 portid)
{
	struct net_iface nif;
	bool up = net_iface_info(&nif);
	bool dump = (req->flags & NLM_F_DUMP) == NLM_F_DUMP;
	const u8 *body = (const u8 *)req + NL_HDR;
	struct nlmsghdr *h;

	if (req->type == RTM_GETLINK && dump) {
		if (up)
			link_record(o, req, NLM_F_MULTI, portid, &nif);
	} else if (req->type == RTM_GETLINK && reqlen >= NL_HDR + 16) {
		/* one interface, by index (ifinfomsg.ifi_index) */
		if (!up || *(const s32 *)(body + 4) != NET_IFINDEX) {
			error_msg(o, req, -ENODEV, portid);
			return;
		}
		link_record(o, req, 0, portid, &nif);
		if (req->flags & NLM_F_ACK)
			error_msg(o, req, 0, portid);
		return;
	} else if (req->type == RTM_GETADDR && dump) {
		/* ifaddrmsg.ifa_family: AF_UNSPEC or AF_INET (no IPv6 here) */
		u8 fam = reqlen > NL_HDR ? body[0] : 0;

		if (up && (fam == 0 || fam == AF_INET))
			addr_record(o, req, portid, &nif);
	} else {
		error_msg(o, req, -EOPNOTSUPP, portid);
		return;
	}
	h = begin(o, req, NLMSG_DONE, NLM_F_MULTI, portid);
	grow(o, 4); /* the DONE message's int: 0 */
	end(o, h);
}

/* --- the calls -------------------------------------------------------------- */

/* Takes the requests in iov[0..n): queues their replies; the bytes taken or
 * -errno. */
static long nl_send(struct nl_sock *s, const struct k_iovec *iov, int n)
{
	u64 total = iov_total(iov, n);
	u8 *buf;
	u32 off = 0, len;

	if (total > REQUEST_MAX)
		return -EMSGSIZE;
	buf = kmalloc(REQUEST_MAX);
	if (!buf)
		return -ENOMEM;
	len = (u32)iov_copy_in(buf, total, iov, n);
	autobind(s);
	while (len - off >= NL_HDR) {
		struct nlmsghdr *req = (struct nlmsghdr *)(buf + off);
		struct out o;

		if (req->len < NL_HDR || req->len > len - off)
			break; /* as Linux: the rest is ignored */
		off += MIN(NL_ALIGN(req->len), len - off);
		if (!(req->flags & NLM_F_REQUEST))
			continue;
		if (s->queued >= QUEUE_MAX) {
			kfree(buf, REQUEST_MAX);
			return -ENOBUFS;
		}
		o.r = kmalloc(sizeof(*o.r));
		o.full = false;
		if (!o.r) {
			kfree(buf, REQUEST_MAX);
			return -ENOMEM;
		}
		answer(&o, req, req->len, s->portid);
		if (s->tail)
			s->tail->next = o.r;
		else
			s->head = o.r;
		s->tail = o.r;
		s->queued++;
	}
	kfree(buf, REQUEST_MAX);
	sched_wake();
	return (long)total;
}

static bool has_reply(void *arg)
{
	const struct nl_sock *s = arg;

	return s->head != NULL;
}

/* Receives the next reply into iov[0..n) (MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT);
 * its length (the whole length with MSG_TRUNC), *truncated, or -errno. */
static long nl_recv(struct file *f, const struct k_iovec *iov, int n, int flags, bool *truncated)
{
	struct nl_sock *s = f->priv;
	struct reply *r;
	u64 room = iov_total(iov, n);
	long rc;

	while (!s->head) {
		if ((f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT))
			return -EAGAIN;
		f->refs++;
		rc = sched_wait(has_reply, s, SCHED_FOREVER, "a netlink socket");
		if (--f->refs == 0) {
			file_put(f);
			return -EBADF;
		}
		if (rc)
			return rc;
	}
	r = s->head;
	iov_copy_out(iov, n, r->data, r->len);
	*truncated = r->len > room;
	rc = (flags & MSG_TRUNC) || room >= r->len ? (long)r->len : (long)room;
	if (!(flags & MSG_PEEK)) {
		s->head = r->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		kfree(r, sizeof(*r));
	}
	return rc;
}

static long nl_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	bool trunc;

	(void)off;
	return nl_recv(f, iov, n, 0, &trunc);
}

static long nl_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	(void)off;
	return nl_send(f->priv, iov, n);
}

/* A sockaddr_nl from the program (NULL uaddr: none): 0 or -errno. */
static long get_nl_addr(long uaddr, long len, struct sockaddr_nl *out)
{
	memset(out, 0, sizeof(*out));
	if (!uaddr)
		return 0;
	if (len < (long)sizeof(*out))
		return -EINVAL;
	if (!user_ok(uaddr, sizeof(*out), false))
		return -EFAULT;
	memcpy(out, (const void *)uaddr, sizeof(*out));
	return out->family == AF_NETLINK ? 0 : -EINVAL;
}

/* Writes sa to the program's (uaddr, *ulen), truncated as Linux does. */
static long put_nl_addr(const struct sockaddr_nl *sa, long uaddr, u32 *ulen)
{
	if ((s32)*ulen < 0)
		return -EINVAL;
	if (!user_ok(uaddr, MIN((u64)*ulen, sizeof(*sa)), true))
		return -EFAULT;
	memcpy((void *)uaddr, sa, MIN((u64)*ulen, sizeof(*sa)));
	*ulen = sizeof(*sa);
	return 0;
}

long netlink_bind(struct file *f, long uaddr, long len)
{
	struct nl_sock *s = f->priv;
	struct sockaddr_nl sa;
	long rc = uaddr ? get_nl_addr(uaddr, len, &sa) : -EINVAL;

	if (rc)
		return rc;
	if (s->bound && sa.pid && sa.pid != s->portid)
		return -EINVAL;
	if (sa.pid) {
		s->portid = sa.pid;
		s->bound = true;
	}
	autobind(s);
	s->groups = sa.groups;
	return 0;
}

long netlink_connect(struct file *f, long uaddr, long len)
{
	struct sockaddr_nl sa;
	long rc = uaddr ? get_nl_addr(uaddr, len, &sa) : -EINVAL;

	if (rc)
		return rc;
	autobind(f->priv);
	return 0;
}

long netlink_name(struct file *f, long uaddr, long ulen, bool peer)
{
	struct nl_sock *s = f->priv;
	struct sockaddr_nl sa = { AF_NETLINK, 0, 0, 0 };

	if (!user_ok(ulen, 4, true))
		return -EFAULT;
	if (!peer) {
		sa.pid = s->portid;
		sa.groups = s->groups;
	}
	return put_nl_addr(&sa, uaddr, (u32 *)ulen);
}

long netlink_sendmsg(struct file *f, const struct k_iovec *iov, int n, long uaddr, long len)
{
	struct sockaddr_nl sa;
	long rc = get_nl_addr(uaddr, len, &sa);

	if (rc)
		return rc;
	if (sa.pid)
		return -ECONNREFUSED; /* only the kernel (0) answers here */
	return nl_send(f->priv, iov, n);
}

long netlink_recvmsg(struct file *f, const struct k_iovec *iov, int n, int flags, long uaddr,
		     long ulen, int *msg_flags)
{ /* ulen: checked by the caller when uaddr is set */
	struct sockaddr_nl sa = { AF_NETLINK, 0, 0, 0 };
	bool trunc = false;
	long rc;

	/* the sender's address is checked before a reply is taken */
	if (uaddr && (s32) * (u32 *)ulen < 0)
		return -EINVAL;
	if (uaddr && !user_ok(uaddr, MIN((u64) * (u32 *)ulen, sizeof(sa)), true))
		return -EFAULT;
	rc = nl_recv(f, iov, n, flags, &trunc);
	if (rc < 0)
		return rc;
	if (msg_flags)
		*msg_flags = trunc ? MSG_TRUNC : 0;
	if (uaddr)
		put_nl_addr(&sa, uaddr, (u32 *)ulen);
	return rc;
}

long netlink_setsockopt(struct file *f, long level, long name, long uval, long len)
{
	(void)f;
	if (len < 4)
		return -EINVAL;
	if (!user_ok(uval, 4, false))
		return -EFAULT;
	if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF || name == 32 ||
				    name == 33 || name == 16)) /* *BUFFORCE, SO_PASSCRED */
		return 0;
	/* NETLINK_ADD_MEMBERSHIP .. NETLINK_GET_STRICT_CHK: groups and reporting
	 * styles; nothing ever changes to report */
	if (level == SOL_NETLINK && name >= 1 && name <= 12)
		return 0;
	return -ENOPROTOOPT;
}

long netlink_getsockopt(struct file *f, long level, long name, long uval, long ulen)
{
	u32 *len = (u32 *)ulen;
	int v;

	(void)f;
	if (!user_ok(ulen, 4, true))
		return -EFAULT;
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case SO_TYPE: v = SOCK_RAW; break;
	case SO_DOMAIN: v = AF_NETLINK; break;
	case SO_PROTOCOL: v = NETLINK_ROUTE; break;
	case SO_ERROR: v = 0; break;
	case SO_SNDBUF:
	case SO_RCVBUF: v = 212992; break;
	default: return -ENOPROTOOPT;
	}
	if ((s32)*len < 0)
		return -EINVAL;
	*len = MIN(*len, 4U);
	if (!user_ok(uval, *len, true))
		return -EFAULT;
	memcpy((void *)uval, &v, *len);
	return 0;
}

/* --- the interface ioctls of sockets (SIOCGIF*) ---------------------------- */

#define SIOCGIFNAME 0x8910
#define SIOCGIFCONF 0x8912
#define SIOCGIFFLAGS 0x8913
#define SIOCGIFADDR 0x8915
#define SIOCGIFBRDADDR 0x8919
#define SIOCGIFNETMASK 0x891b
#define SIOCGIFMTU 0x8921
#define SIOCGIFHWADDR 0x8927
#define SIOCGIFINDEX 0x8933
#define IFNAMSIZ 16
#define IFREQ_SIZE 40

/* struct ifreq's union: a sockaddr_in (family, port, address) at `u`. */
static void put_sin(u8 *u, u32 addr)
{
	memset(u, 0, 16);
	*(u16 *)u = AF_INET;
	memcpy(u + 4, &addr, 4);
}

long net_if_ioctl(unsigned long req, long arg)
{
	struct net_iface nif;
	bool up = net_iface_info(&nif);
	u8 *ifr = (u8 *)arg, *u = (u8 *)arg + IFNAMSIZ;

	switch (req) {
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCGIFADDR:
	case SIOCGIFBRDADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX: break;
	case SIOCGIFCONF: {
		/* struct ifconf: int len, then the buffer's address */
		s32 *len = (s32 *)arg;
		u64 buf;

		if (!user_ok(arg, 16, true))
			return -EFAULT;
		buf = *(u64 *)(arg + 8);
		if (!buf) { /* the room the list needs */
			*len = up ? IFREQ_SIZE : 0;
			return 0;
		}
		if (!up || *len < IFREQ_SIZE) {
			*len = 0;
			return 0;
		}
		if (!user_ok((long)buf, IFREQ_SIZE, true))
			return -EFAULT;
		memset((void *)buf, 0, IFREQ_SIZE);
		memcpy((void *)buf, NET_IFNAME, sizeof(NET_IFNAME));
		put_sin((u8 *)buf + IFNAMSIZ, nif.addr);
		*len = IFREQ_SIZE;
		return 0;
	}
	default: return -ENOTTY;
	}
	if (!user_ok(arg, IFREQ_SIZE, true))
		return -EFAULT;
	if (req == SIOCGIFNAME) {
		if (!up || *(s32 *)u != NET_IFINDEX)
			return -ENODEV;
		memset(ifr, 0, IFNAMSIZ);
		memcpy(ifr, NET_IFNAME, sizeof(NET_IFNAME));
		return 0;
	}
	if (!up || memcmp(ifr, NET_IFNAME, sizeof(NET_IFNAME)))
		return -ENODEV;
	switch (req) {
	case SIOCGIFFLAGS: *(u16 *)u = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST; break;
	case SIOCGIFADDR: put_sin(u, nif.addr); break;
	case SIOCGIFBRDADDR: put_sin(u, nif.addr | ~nif.mask); break;
	case SIOCGIFNETMASK: put_sin(u, nif.mask); break;
	case SIOCGIFMTU: *(s32 *)u = (s32)nif.mtu; break;
	case SIOCGIFINDEX: *(s32 *)u = NET_IFINDEX; break;
	case SIOCGIFHWADDR:
		memset(u, 0, 16);
		*(u16 *)u = ARPHRD_ETHER;
		memcpy(u + 2, nif.mac, 6);
		break;
	}
	return 0;
}

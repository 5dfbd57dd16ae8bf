/* unix_sock.c - AF_UNIX sockets: objects, names and connections.
 *
 * A socket is a `struct usock` behind an open file.  Names are paths (a
 * socket file in the tree, as on Linux: it stays after close until
 * unlinked) or abstract names (a list).  connect() of a stream or
 * seqpacket socket makes the server's end at once and queues it on the
 * listener until accept(); each end receives into its own ring.  Datagram
 * sockets queue records in the receiver's ring.  Sending and receiving are
 * in unix_io.c.
 */
#include "errno.h"
#include "ident.h"
#include "kmem.h"
#include "sched.h"
#include "syscall.h"
#include "unix_impl.h"
#include "../platform/platform.h"

#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define FIONREAD 0x541b
#define SOMAXCONN 4096

static struct usock *abstract_names;
static u64 next_ino = 0x30000;

static long unix_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return unix_recv(f, iov, n, 0, NULL, NULL);
}

static long unix_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return unix_send(f, iov, n, 0, NULL);
}

static long unix_ioctl(struct file *f, unsigned long req, long arg)
{
	struct usock *s = f->priv;
	struct urec h;

	if (req != FIONREAD)
		return -ENOTTY;
	if (!user_ok(arg, 4, true))
		return -EFAULT;
	if (s->type == SOCK_STREAM || !s->records)
		*(int *)arg = s->type == SOCK_STREAM ? (int)s->rx.len : 0;
	else if (ring_get(&s->rx, &h, sizeof(h), 0, false) == sizeof(h))
		*(int *)arg = (int)h.len;
	return 0;
}

static void unbind(struct usock *s)
{
	if (s->node) {
		s->node->priv = NULL;
		vn_put(s->node);
		s->node = NULL;
	}
	if (s->name.len && !s->name.path[0]) {
		struct usock **pp = &abstract_names;

		while (*pp && *pp != s)
			pp = &(*pp)->abs_next;
		if (*pp)
			*pp = s->abs_next;
	}
}

void usock_put(struct usock *s)
{
	if (--s->refs)
		return;
	if (s->peer)
		usock_put(s->peer);
	ring_free(&s->rx);
	kfree(s, sizeof(*s));
}

/* s's file is gone: its name is free, its peer sees the end, connections
 * nobody accepted are reset. */
static void usock_close(struct usock *s)
{
	s->closed = true;
	unbind(s);
	if (s->peer) {
		struct usock *p = s->peer;

		s->peer = NULL;
		usock_put(p);
	}
	while (s->queue) {
		struct usock *c = s->queue;

		s->queue = c->qnext;
		if (c->peer)
			c->peer->error = -ECONNRESET;
		usock_close(c);
		usock_put(c);
	}
	s->queue_tail = NULL;
	s->qlen = 0;
	sched_wake();
}

static void unix_release(struct file *f)
{
	struct usock *s = f->priv;

	usock_close(s);
	usock_put(s);
}

static void unix_stat(struct file *f, struct vnode *st)
{
	st->ino = ((struct usock *)f->priv)->ino;
}

static const struct file_ops unix_ops = {
	.mode = S_IFSOCK | 0777,
	.read = unix_read,
	.write = unix_write,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.release = unix_release,
	.stat = unix_stat,
	.kind = "socket",
};

bool unix_is(const struct file *f)
{
	return f->ops == &unix_ops;
}

struct usock *unix_of(long fd, long *err)
{
	return fd_priv(fd, &unix_ops, -ENOTSOCK, err);
}

static struct usock *usock_new(int type)
{
	struct usock *s = kmalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->refs = 1;
	s->sndbuf = UNIX_BUF;
	s->ino = next_ino++;
	ring_init(&s->rx, UNIX_BUF);
	return s;
}

/* A descriptor for s, which it takes one reference of (on failure the
 * socket is closed). */
static long install(struct usock *s, long flags)
{
	long fd;

	s->refs++; /* fd_open's failure path releases one */
	fd = fd_open(&unix_ops, NULL, O_RDWR | (int)(flags & SOCK_NONBLOCK), s,
		     flags & SOCK_CLOEXEC);
	usock_put(s);
	return fd;
}

static long check_type(long type, long proto, int *out)
{
	if (type & ~(long)(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	*out = (int)(type & SOCK_TYPE_MASK);
	if (*out != SOCK_STREAM && *out != SOCK_DGRAM && *out != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	return proto && proto != AF_UNIX ? -EPROTONOSUPPORT : 0;
}

UNIXCALL(socket)
{
	struct usock *s;
	int type;
	long err = check_type(a0, a1, &type);

	if (err)
		return err;
	s = usock_new(type);
	return s ? install(s, a0) : -ENOMEM;
}

/* Connects a and b to each other. */
static void pair(struct usock *a, struct usock *b)
{
	a->peer = b;
	b->peer = a;
	a->refs++;
	b->refs++;
	a->state = b->state = US_CONNECTED;
	a->was_connected = b->was_connected = true;
}

UNIXCALL(socketpair)
{
	struct usock *a, *b;
	int *sv = (int *)a2, type;
	long err = check_type(a0, a1, &type), fa, fb;

	if (err)
		return err;
	if (!user_ok(a2, 2 * sizeof(int), true))
		return -EFAULT;
	a = usock_new(type);
	b = usock_new(type);
	if (!a || !b) {
		if (a)
			usock_put(a);
		if (b)
			usock_put(b);
		return -ENOMEM;
	}
	pair(a, b);
	fa = install(a, a0);
	if (fa < 0) {
		usock_close(b);
		usock_put(b);
		return fa;
	}
	fb = install(b, a0);
	if (fb < 0) {
		fd_close(fa);
		return fb;
	}
	sv[0] = (int)fa;
	sv[1] = (int)fb;
	return 0;
}

/* Reads a sockaddr_un from the program.  0, -EFAULT, -EINVAL. */
static long get_addr(long uaddr, long len, struct uaddr *out)
{
	const u8 *a = (const u8 *)uaddr;

	if (len < 2 || len > 2 + UNIX_PATH)
		return -EINVAL;
	if (!user_ok(uaddr, (u64)len, false))
		return -EFAULT;
	if (a[0] != AF_UNIX || a[1])
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->len = (u16)(len - 2);
	memcpy(out->path, a + 2, out->len);
	if (out->len && out->path[0]) {
		/* a path: up to its NUL */
		out->len = (u16)strnlen(out->path, out->len);
		if (out->len == UNIX_PATH)
			return -EINVAL;
		out->path[out->len] = 0;
	}
	return 0;
}

long unix_put_addr(const struct uaddr *a, long uaddr, long ulen)
{
	u8 buf[2 + UNIX_PATH + 1] = { AF_UNIX, 0 };
	u32 *len = (u32 *)ulen, full;

	if (!uaddr)
		return 0;
	if (!user_ok(ulen, 4, true))
		return -EFAULT;
	if ((s32)*len < 0)
		return -EINVAL;
	full = 2 + a->len + (a->len && a->path[0] ? 1 : 0); /* paths count their NUL */
	memcpy(buf + 2, a->path, a->len);
	if (!user_ok(uaddr, MIN(*len, full), true))
		return -EFAULT;
	memcpy((void *)uaddr, buf, MIN(*len, full));
	*len = full;
	return 0;
}

static struct usock *find_abstract(const struct uaddr *a)
{
	for (struct usock *s = abstract_names; s; s = s->abs_next) {
		if (s->name.len == a->len && !memcmp(s->name.path, a->path, a->len))
			return s;
	}
	return NULL;
}

struct usock *unix_find(long uaddr, long len, long *err)
{
	struct uaddr a;
	struct usock *s;
	struct walk w;

	*err = get_addr(uaddr, len, &a);
	if (*err)
		return NULL;
	if (!a.len) {
		*err = -EINVAL;
		return NULL;
	}
	if (!a.path[0]) {
		s = find_abstract(&a);
	} else {
		*err = vfs_walk(fd_cwd(), a.path, WALK_FOLLOW, &w);
		if (*err)
			return NULL;
		/* a socket file on a volume is the disk's, never a live socket */
		s = (w.node->mode & S_IFMT) == S_IFSOCK && !w.node->mnt ? w.node->priv : NULL;
		walk_done(&w);
	}
	*err = s && !s->closed ? 0 : -ECONNREFUSED;
	if (*err)
		return NULL;
	s->refs++;
	return s;
}

/* Binds s to an unused abstract name (bind with no name, "autobind"). */
static long autobind(struct usock *s)
{
	for (u32 i = 0; i < 0x100000; i++) {
		u32 v = (u32)((s->ino * 2654435761u + i) & 0xfffff);

		s->name.len = 6;
		s->name.path[0] = 0;
		for (int k = 0; k < 5; k++)
			s->name.path[1 + k] = "0123456789abcdef"[(v >> (16 - 4 * k)) & 0xf];
		if (!find_abstract(&s->name)) {
			s->abs_next = abstract_names;
			abstract_names = s;
			return 0;
		}
	}
	s->name.len = 0;
	return -EADDRINUSE;
}

UNIXCALL(bind)
{
	struct usock *s = unix_of(a0, &a5);
	struct uaddr a;
	struct vnode *n;
	struct walk w;
	long err;

	if (!s)
		return a5;
	err = get_addr(a1, a2, &a);
	if (err)
		return err;
	if (s->name.len)
		return -EINVAL;
	if (!a.len)
		return autobind(s);
	if (!a.path[0]) {
		if (find_abstract(&a))
			return -EADDRINUSE;
		s->name = a;
		s->abs_next = abstract_names;
		abstract_names = s;
		return 0;
	}
	err = vfs_walk(fd_cwd(), a.path, WALK_PARENT, &w);
	if (err)
		return err;
	if (w.node)
		err = -EADDRINUSE;
	else if (w.slash)
		err = -ENOENT;
	else
		err = vfs_create(w.dir, w.name, S_IFSOCK | (0777 & ~fd_umask()), &n);
	walk_done(&w);
	if (err)
		return err;
	n->uid = ident_fsuid();
	n->gid = ident_fsgid();
	n->priv = s;
	s->node = n; /* keeps the hold */
	s->name = a;
	return 0;
}

int unix_console_log(struct vnode *dir, const char *name)
{
	struct usock *s = usock_new(SOCK_DGRAM);
	struct vnode *n;
	int err;

	if (!s)
		return -ENOMEM;
	err = vfs_create(dir, name, S_IFSOCK | 0666, &n);
	if (err) {
		usock_put(s);
		return err == -EEXIST ? 0 : err; /* the image packs its own */
	}
	ring_free(&s->rx);
	s->rx.cap = 0; /* it receives nothing itself */
	s->console = true;
	s->name.len = (u16)ksnprintf(s->name.path, sizeof(s->name.path), "/dev/%s", name);
	n->priv = s;
	s->node = n; /* the runtime's: never closed */
	return 0;
}

UNIXCALL(listen)
{
	struct usock *s = unix_of(a0, &a5);

	if (!s)
		return a5;
	if (s->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (s->state == US_CONNECTED || !s->name.len)
		return -EINVAL;
	s->state = US_LISTEN;
	s->backlog = a1 < 0 || a1 > SOMAXCONN ? SOMAXCONN : (int)a1;
	sched_wake();
	return 0;
}

static bool queue_ready(void *arg)
{
	const struct usock *l = arg;

	return l->queue || l->closed;
}

long unix_wait(struct usock *s, bool send, bool (*ready)(void *), void *arg, const char *what)
{
	u64 t = send ? s->sndtimeo : s->rcvtimeo;
	long rc = sched_wait(ready, arg, t ? plat_monotonic_ns() + t : SCHED_FOREVER, what);

	return rc == -ETIMEDOUT ? -EAGAIN : rc;
}

UNIXCALL(accept4)
{
	struct file *f = fd_get(a0);
	struct usock *l = unix_of(a0, &a5), *c;
	long fd, rc;

	if (!l)
		return a5;
	if (a3 & ~(long)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (l->state != US_LISTEN)
		return -EINVAL;
	while (!l->queue) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = unix_wait(l, false, queue_ready, l, "accept() on a local socket");
		if (rc)
			return rc;
	}
	c = l->queue;
	l->queue = c->qnext;
	if (!l->queue)
		l->queue_tail = NULL;
	c->qnext = NULL;
	l->qlen--;
	sched_wake();
	fd = install(c, a3); /* the queue's hold becomes the file's */
	if (fd >= 0 && a1) {
		rc = unix_put_addr(&c->peer->name, a1, a2);
		if (rc)
			return rc; /* the connection stays on fd, as on Linux */
	}
	return fd;
}

static bool backlog_room(void *arg)
{
	const struct usock *l = arg;

	return l->qlen <= l->backlog || l->closed || l->state != US_LISTEN;
}

static long connect_stream(struct file *f, struct usock *s, struct usock *l)
{
	struct usock *c;
	long rc;

	if (l->type != s->type)
		return -EPROTOTYPE;
	if (l->state != US_LISTEN)
		return -ECONNREFUSED;
	while (l->qlen > l->backlog) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = unix_wait(s, true, backlog_room, l, "connect() to a full local listener");
		if (rc)
			return rc;
		if (l->closed || l->state != US_LISTEN)
			return -ECONNREFUSED;
	}
	c = usock_new(s->type);
	if (!c)
		return -ENOMEM;
	c->name = l->name;
	pair(s, c);
	/* the queue holds c (its first reference) until accept() */
	if (l->queue_tail)
		l->queue_tail->qnext = c;
	else
		l->queue = c;
	l->queue_tail = c;
	l->qlen++;
	sched_wake();
	return 0;
}

UNIXCALL(connect)
{
	struct file *f = fd_get(a0);
	struct usock *s = unix_of(a0, &a5), *to;
	long rc;

	if (!s)
		return a5;
	if (s->type == SOCK_DGRAM && a2 >= 2 && user_ok(a1, 2, false) &&
	    *(const u16 *)a1 == 0 /* AF_UNSPEC */) {
		if (s->peer)
			usock_put(s->peer);
		s->peer = NULL; /* dissolves the association */
		return 0;
	}
	if (s->state == US_CONNECTED && s->type != SOCK_DGRAM)
		return -EISCONN;
	if (s->state == US_LISTEN)
		return -EINVAL;
	to = unix_find(a1, a2, &rc);
	if (!to)
		return rc;
	if (s->type == SOCK_DGRAM) {
		if (to->type != SOCK_DGRAM) {
			usock_put(to);
			return -EPROTOTYPE;
		}
		if (s->peer)
			usock_put(s->peer);
		s->peer = to; /* keeps the hold */
		return 0;
	}
	rc = connect_stream(f, s, to);
	usock_put(to);
	return rc;
}

UNIXCALL(shutdown)
{
	struct usock *s = unix_of(a0, &a5);

	if (!s)
		return a5;
	if (a1 < 0 || a1 > 2)
		return -EINVAL;
	if (s->state != US_CONNECTED)
		return -ENOTCONN;
	if (a1 != 1)
		s->shut_rd = true;
	if (a1 != 0)
		s->shut_wr = true;
	sched_wake();
	return 0;
}

UNIXCALL(getsockname)
{
	struct usock *s = unix_of(a0, &a5);

	return s ? unix_put_addr(&s->name, a1, a2) : a5;
}

UNIXCALL(getpeername)
{
	struct usock *s = unix_of(a0, &a5);

	if (!s)
		return a5;
	if (!s->peer)
		return -ENOTCONN;
	return unix_put_addr(&s->peer->name, a1, a2);
}

static u64 timeval_ns(const s64 *tv)
{
	if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
		return ~0UL;
	return (u64)tv[0] * 1000000000UL + (u64)tv[1] * 1000;
}

UNIXCALL(setsockopt)
{
	struct usock *s = unix_of(a0, &a5);
	int v;

	if (!s)
		return a5;
	if (a1 != SOL_SOCKET)
		return -ENOPROTOOPT;
	if (a4 < 0 || !user_ok(a3, (u64)a4, false))
		return -EFAULT;
	if (a2 == SO_RCVTIMEO || a2 == SO_SNDTIMEO) {
		u64 ns;

		if (a4 < 16)
			return -EINVAL;
		ns = timeval_ns((const s64 *)a3);
		if (ns == ~0UL)
			return -EDOM;
		*(a2 == SO_RCVTIMEO ? &s->rcvtimeo : &s->sndtimeo) = ns;
		return 0;
	}
	if (a2 == SO_LINGER)
		return a4 < 8 ? -EINVAL : 0; /* close never waits: nothing is in flight */
	if (a4 < 4)
		return -EINVAL;
	v = *(const int *)a3;
	switch (a2) {
	case SO_REUSEADDR:
	case SO_REUSEPORT: s->reuseaddr = v != 0; return 0;
	case SO_KEEPALIVE: s->keepalive = v != 0; return 0;
	case SO_PASSCRED: s->passcred = v != 0; return 0;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE: s->sndbuf = (u32)MAX(v, 4096); return 0;
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		/* the ring only grows: data already held stays */
		if ((u32)MAX(v, 0) > s->rx.cap)
			ring_resize(&s->rx, (u32)MIN((long)v, RING_MAX_PAGES * (long)PAGE_SIZE));
		return 0;
	case SO_BROADCAST:
	case SO_RCVLOWAT:
	case SO_SNDLOWAT: return 0;
	default: return -ENOPROTOOPT;
	}
}

UNIXCALL(getsockopt)
{
	struct usock *s = unix_of(a0, &a5);
	u32 *ulen = (u32 *)a4, len;
	s32 val[3] = { 0 };
	u32 size = 4;

	if (!s)
		return a5;
	if (a1 != SOL_SOCKET)
		return -ENOPROTOOPT;
	if (!user_ok(a4, 4, true))
		return -EFAULT;
	switch (a2) {
	case SO_TYPE: val[0] = s->type; break;
	case SO_ERROR:
		val[0] = -s->error;
		s->error = 0;
		break;
	case SO_ACCEPTCONN: val[0] = s->state == US_LISTEN; break;
	case SO_DOMAIN: val[0] = AF_UNIX; break;
	case SO_PROTOCOL: val[0] = 0; break;
	case SO_REUSEADDR:
	case SO_REUSEPORT: val[0] = s->reuseaddr; break;
	case SO_KEEPALIVE: val[0] = s->keepalive; break;
	case SO_PASSCRED: val[0] = s->passcred; break;
	case SO_SNDBUF: val[0] = (s32)s->sndbuf; break;
	case SO_RCVBUF: val[0] = (s32)s->rx.cap; break;
	case SO_RCVLOWAT: val[0] = 1; break;
	case SO_PEERCRED:
		if (!s->peer)
			return -ENOTCONN;
		val[0] = 1; /* the peer is this process */
		val[1] = (s32)ident_euid();
		val[2] = (s32)ident_egid();
		size = 12;
		break;
	case SO_LINGER: size = 8; break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		u64 ns = a2 == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
		s64 tv[2] = { (s64)(ns / 1000000000UL), (s64)(ns % 1000000000UL / 1000) };

		len = MIN(*ulen, 16u);
		if (!user_ok(a3, len, true))
			return -EFAULT;
		memcpy((void *)a3, tv, len);
		*ulen = len;
		return 0;
	}
	default: return -ENOPROTOOPT;
	}
	len = MIN(*ulen, size);
	if (!user_ok(a3, len, true))
		return -EFAULT;
	memcpy((void *)a3, val, len);
	*ulen = len;
	return 0;
}

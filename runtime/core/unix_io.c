/* unix_io.c - sending and receiving on AF_UNIX sockets, and their poll.
 *
 * A stream end writes into its peer's ring and reads its own; a closed or
 * shut-down peer means end of file for reads and EPIPE (with SIGPIPE
 * unless MSG_NOSIGNAL) for writes.  Datagram and seqpacket messages are
 * records (struct urec, the sender's name, the data) kept whole: a short
 * buffer truncates the message (MSG_TRUNC).  Waits use sched_wait and the
 * socket's SO_RCVTIMEO/SO_SNDTIMEO; every change wakes waiters.
 */
#include "errno.h"
#include "sched.h"
#include "../platform/platform.h"
#include "syscall.h"
#include "unix_impl.h"

#define SCM_RIGHTS 1
#define SOL_SOCKET 1

static long epipe(int flags)
{
	if (!(flags & MSG_NOSIGNAL))
		fd_raise_sigpipe();
	return -EPIPE;
}

/* A stream's peer can take no more: it closed, or one side shut it. */
static bool send_shut(const struct usock *s)
{
	return s->shut_wr || !s->peer || s->peer->closed || s->peer->shut_rd;
}

/* Nothing more will arrive on s. */
static bool recv_eof(const struct usock *s)
{
	return s->shut_rd || !s->peer || s->peer->closed || s->peer->shut_wr;
}

static bool stream_room(void *arg)
{
	const struct usock *s = arg;

	return send_shut(s) || ring_room(&s->peer->rx) > 0;
}

/* Copies iov[*seg] from *seg_off on into r, as much as fits. */
static u64 put_iov(struct ring *r, const struct k_iovec *iov, int n, int *seg, u64 *seg_off)
{
	u64 done = 0;

	while (*seg < n && ring_room(r)) {
		u64 k = iov[*seg].len - *seg_off;
		u32 put =
		    ring_put(r, (const u8 *)iov[*seg].base + *seg_off, (u32)MIN(k, 0x7fffffffUL));

		if (!put && k)
			break;
		done += put;
		*seg_off += put;
		if (*seg_off == iov[*seg].len) {
			(*seg)++;
			*seg_off = 0;
		}
	}
	return done;
}

static long send_stream(struct usock *s, const struct k_iovec *iov, int n, int flags, bool nonblock)
{
	u64 total = iov_total(iov, n), done = 0, seg_off = 0;
	int seg = 0;
	long rc;

	while (done < total || !total) {
		if (send_shut(s)) {
			if (done)
				break;
			return epipe(flags);
		}
		if (!total)
			return 0;
		if (!ring_room(&s->peer->rx)) {
			if (nonblock)
				break;
			rc = unix_wait(s, true, stream_room, s, "write() to a full local socket");
			if (rc) {
				if (done)
					break;
				return rc;
			}
			continue;
		}
		rc = (long)put_iov(&s->peer->rx, iov, n, &seg, &seg_off);
		if (!rc) {
			if (done)
				break;
			return -ENOBUFS;
		}
		done += (u64)rc;
		sched_wake();
	}
	return done ? (long)done : -EAGAIN;
}

struct record_room {
	struct usock *to;
	u32 need;
};

static bool record_fits(void *arg)
{
	const struct record_room *r = arg;

	return r->to->closed || r->to->shut_rd || ring_room(&r->to->rx) >= r->need;
}

static long send_record(struct usock *s, struct usock *to, const struct k_iovec *iov, int n,
			int flags, bool nonblock)
{
	u64 len = iov_total(iov, n), seg_off = 0;
	struct record_room want = { to, (u32)(sizeof(struct urec) + s->name.len + len) };
	struct urec h = { (u32)len, s->name.len, 0 };
	int seg = 0;
	long rc;

	if (len > to->rx.cap || want.need > to->rx.cap)
		return -EMSGSIZE;
	for (;;) {
		if (to->closed || to->shut_rd)
			return s->type == SOCK_DGRAM ? -ECONNREFUSED : epipe(flags);
		if (ring_room(&to->rx) >= want.need)
			break;
		if (nonblock)
			return -EAGAIN;
		rc = unix_wait(s, true, record_fits, &want, "send() to a full local socket");
		if (rc)
			return rc;
	}
	if (!ring_reserve(&to->rx, want.need))
		return -ENOBUFS;
	ring_put(&to->rx, &h, sizeof(h));
	ring_put(&to->rx, s->name.path, s->name.len);
	put_iov(&to->rx, iov, n, &seg, &seg_off);
	to->records++;
	sched_wake();
	return (long)len;
}

/* A datagram to /dev/log: one console line (syslog's "<PRI>date tag: text"). */
static long to_console(const struct k_iovec *iov, int n)
{
	u64 total = iov_total(iov, n);
	char last = 0;

	for (int i = 0; i < n; i++) {
		plat_console_write((const char *)iov[i].base, iov[i].len);
		if (iov[i].len)
			last = ((const char *)iov[i].base)[iov[i].len - 1];
	}
	if (last != '\n')
		plat_console_write("\n", 1);
	return (long)total;
}

long unix_send(struct file *f, const struct k_iovec *iov, int n, int flags, struct usock *to)
{
	struct usock *s = f->priv;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);

	if (s->type == SOCK_DGRAM) {
		struct usock *dest = to ? to : s->peer;

		if (!dest)
			return -ENOTCONN;
		if (dest->console)
			return to_console(iov, n);
		return send_record(s, dest, iov, n, flags, nonblock);
	}
	if (to)
		return s->state == US_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (s->state != US_CONNECTED)
		return s->was_connected ? epipe(flags) : -ENOTCONN;
	if (s->type == SOCK_SEQPACKET) {
		if (send_shut(s))
			return epipe(flags);
		return send_record(s, s->peer, iov, n, flags, nonblock);
	}
	return send_stream(s, iov, n, flags, nonblock);
}

static bool stream_data(void *arg)
{
	const struct usock *s = arg;

	return s->rx.len || recv_eof(s);
}

static bool record_data(void *arg)
{
	const struct usock *s = arg;

	return s->records || s->shut_rd || (s->type == SOCK_SEQPACKET && recv_eof(s));
}

/* Copies ring bytes from offset skip into iov[0..n): the bytes copied. */
static u64 get_iov(struct ring *r, const struct k_iovec *iov, int n, u32 skip, u64 max)
{
	u64 done = 0;

	for (int i = 0; i < n && done < max; i++) {
		u32 got = ring_get(r, (void *)iov[i].base, (u32)MIN(iov[i].len, max - done),
				   skip + (u32)done, false);

		done += got;
		if (got < iov[i].len)
			break;
	}
	return done;
}

/* Moves ring bytes into iov[0..n) from byte `start` of the buffers on:
 * the bytes moved. */
static u64 take_iov(struct ring *r, const struct k_iovec *iov, int n, u64 start)
{
	u64 done = 0;

	for (int i = 0; i < n && r->len; i++) {
		if (start >= iov[i].len) {
			start -= iov[i].len;
			continue;
		}
		done += ring_get(r, (u8 *)iov[i].base + start,
				 (u32)MIN(iov[i].len - start, 0x7fffffffUL), 0, true);
		start = 0;
	}
	return done;
}

static long recv_stream(struct usock *s, const struct k_iovec *iov, int n, int flags, bool nonblock)
{
	u64 total = iov_total(iov, n), done = 0;
	long rc;

	if (s->state != US_CONNECTED)
		return -EINVAL;
	if (!total)
		return 0;
	for (;;) {
		if (s->rx.len) {
			if (flags & MSG_PEEK)
				return (long)get_iov(&s->rx, iov, n, 0, total);
			done += take_iov(&s->rx, iov, n, done);
			sched_wake();
			if (done == total || !(flags & MSG_WAITALL))
				return (long)done;
			continue;
		}
		if (recv_eof(s))
			return (long)done;
		if (nonblock)
			return done ? (long)done : -EAGAIN;
		rc = unix_wait(s, false, stream_data, s, "read() of an empty local socket");
		if (rc)
			return done ? (long)done : rc;
	}
}

static long recv_record(struct usock *s, const struct k_iovec *iov, int n, int flags, bool nonblock,
			struct uaddr *from, int *mflags)
{
	u64 total = iov_total(iov, n), got;
	struct urec h;
	long rc;

	if (s->type == SOCK_SEQPACKET && s->state != US_CONNECTED)
		return -ENOTCONN;
	while (!s->records) {
		if (s->shut_rd || (s->type == SOCK_SEQPACKET && recv_eof(s)))
			return 0;
		if (nonblock)
			return -EAGAIN;
		rc = unix_wait(s, false, record_data, s, "recv() on an empty local socket");
		if (rc)
			return rc;
	}
	ring_get(&s->rx, &h, sizeof(h), 0, false);
	if (from) {
		memset(from, 0, sizeof(*from));
		from->len = h.namelen;
		ring_get(&s->rx, from->path, h.namelen, sizeof(h), false);
	}
	got = get_iov(&s->rx, iov, n, (u32)(sizeof(h) + h.namelen), MIN(total, (u64)h.len));
	if (!(flags & MSG_PEEK)) {
		ring_get(&s->rx, NULL, 0, (u32)(sizeof(h) + h.namelen + h.len), true);
		s->records--;
		sched_wake();
	}
	if (h.len > total && mflags)
		*mflags |= MSG_TRUNC;
	return (flags & MSG_TRUNC) ? (long)h.len : (long)got;
}

long unix_recv(struct file *f, const struct k_iovec *iov, int n, int flags, struct uaddr *from,
	       int *mflags)
{
	struct usock *s = f->priv;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);

	if (s->type != SOCK_STREAM)
		return recv_record(s, iov, n, flags, nonblock, from, mflags);
	if (from) {
		if (s->peer)
			*from = s->peer->name;
		else
			from->len = 0;
	}
	return recv_stream(s, iov, n, flags, nonblock);
}

short unix_poll(struct file *f)
{
	const struct usock *s = f->priv;
	short ev = 0;

	if (s->state == US_LISTEN)
		return s->queue ? POLLIN : 0;
	if (s->type == SOCK_DGRAM) {
		const struct usock *to = s->peer;

		if (s->records || s->shut_rd)
			ev |= POLLIN;
		if (!to || to->closed || ring_room(&to->rx) >= to->rx.cap / 4)
			ev |= POLLOUT;
		return ev;
	}
	if (s->state == US_NEW)
		return POLLOUT | POLLHUP;
	if (s->rx.len || s->records || recv_eof(s))
		ev |= POLLIN;
	if (recv_eof(s) && !s->shut_rd)
		ev |= POLLRDHUP;
	if (!s->peer || s->peer->closed)
		ev |= POLLHUP;
	if (send_shut(s) || ring_room(&s->peer->rx) > 0)
		ev |= POLLOUT;
	return ev;
}

/* The program's iovec array, checked: its count, or -errno. */
static long check_iov(u64 uiov, u64 cnt, bool write)
{
	const struct k_iovec *iov = (const struct k_iovec *)uiov;

	if (cnt > 1024)
		return -EMSGSIZE;
	if (!user_ok((long)uiov, cnt * sizeof(*iov), false))
		return -EFAULT;
	for (u64 i = 0; i < cnt; i++) {
		if (!user_ok((long)iov[i].base, iov[i].len, write))
			return -EFAULT;
	}
	return (long)cnt;
}

/* Ancillary data: descriptors cannot be passed (one process); credentials
 * and the rest are accepted and ignored. */
static long check_control(u64 control, u64 len)
{
	u64 off = 0;

	if (!len)
		return 0;
	if (!user_ok((long)control, len, false))
		return -EFAULT;
	while (off + 16 <= len) {
		const u64 *hdr = (const u64 *)(control + off);
		const s32 *lt = (const s32 *)(control + off + 8);

		if (hdr[0] < 16 || hdr[0] > len - off)
			return -EINVAL;
		if (lt[0] == SOL_SOCKET && lt[1] == SCM_RIGHTS)
			return -EOPNOTSUPP;
		off += ALIGN_UP(hdr[0], 8);
	}
	return 0;
}

static long send_to(struct file *f, const struct k_iovec *iov, int n, int flags, long uaddr,
		    long alen)
{
	struct usock *to = NULL;
	long rc;

	if (uaddr && alen) {
		to = unix_find(uaddr, alen, &rc);
		if (!to)
			return rc;
	}
	rc = unix_send(f, iov, n, flags, to);
	if (to)
		usock_put(to);
	return rc;
}

UNIXCALL(sendmsg)
{
	struct file *f = fd_get(a0);
	struct k_msghdr *m = (struct k_msghdr *)a1;
	long rc = 0, n;

	if (!unix_of(a0, &rc))
		return rc;
	if (!user_ok(a1, sizeof(*m), false))
		return -EFAULT;
	n = check_iov(m->iov, m->iovlen, false);
	if (n < 0)
		return n;
	rc = check_control(m->control, m->controllen);
	if (rc)
		return rc;
	return send_to(f, (const struct k_iovec *)m->iov, (int)n, (int)a2, (long)m->name,
		       m->namelen);
}

UNIXCALL(sendto)
{
	struct file *f = fd_get(a0);
	struct k_iovec v = { (u64)a1, (u64)a2 };
	long rc = 0;

	if (!unix_of(a0, &rc))
		return rc;
	if (!user_ok(a1, (u64)a2, false))
		return -EFAULT;
	return send_to(f, &v, 1, (int)a3, a4, a5);
}

UNIXCALL(recvmsg)
{
	struct file *f = fd_get(a0);
	struct k_msghdr *m = (struct k_msghdr *)a1;
	struct uaddr from;
	int mflags = 0;
	long rc = 0, n;

	if (!unix_of(a0, &rc))
		return rc;
	if (!user_ok(a1, sizeof(*m), true))
		return -EFAULT;
	n = check_iov(m->iov, m->iovlen, true);
	if (n < 0)
		return n;
	if (m->name && !user_ok((long)m->name, m->namelen, true))
		return -EFAULT;
	from.len = 0;
	rc = unix_recv(f, (const struct k_iovec *)m->iov, (int)n, (int)a2, &from, &mflags);
	if (rc < 0)
		return rc;
	if (m->name) {
		u32 len = m->namelen;

		unix_put_addr(&from, (long)m->name, (long)&len);
		m->namelen = len;
	}
	m->controllen = 0; /* no ancillary data */
	m->flags = mflags;
	return rc;
}

UNIXCALL(recvfrom)
{
	struct file *f = fd_get(a0);
	struct k_iovec v = { (u64)a1, (u64)a2 };
	struct uaddr from;
	long rc = 0, prc;

	if (!unix_of(a0, &rc))
		return rc;
	if (!user_ok(a1, (u64)a2, true))
		return -EFAULT;
	from.len = 0;
	rc = unix_recv(f, &v, 1, (int)a3, &from, NULL);
	if (rc >= 0 && a4 && (prc = unix_put_addr(&from, a4, a5)))
		return prc;
	return rc;
}

/* sys_poll.c - waiting for descriptors: poll, ppoll, select, pselect6, the
 * epoll family, and eventfd.
 *
 * Readiness comes from file_poll(): files and the console are always ready,
 * sockets ask net/sock.c, eventfds their counter, an epoll file whether any
 * registered descriptor is ready.  A wait loops on netstack_wait() (which takes
 * frames in, runs lwIP's timers and sleeps until input or a deadline) and
 * re-checks; without a network nothing can become ready, so an endless wait
 * there panics rather than hang.  epoll is level-triggered; EPOLLET is
 * accepted and served level-triggered (a program that reads until EAGAIN,
 * as edge-triggered programs must, sees the same data), EPOLLONESHOT
 * disarms a registration after one report.
 */
#include "errno.h"
#include "fd.h"
#include "syscall.h"
#include "netstack.h"
#include "../platform/platform.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLET (1u << 31)
#define EPOLLONESHOT (1u << 30)
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLL_MAX 256
#define EPOLL_CLOEXEC 02000000
#define NSEC 1000000000L
#define FOREVER (~0UL)

struct pollfd {
	s32 fd;
	s16 events, revents;
};

struct epoll_event {
	u32 events;
	u64 data;
} __packed;

struct epoll_item {
	int fd;
	struct file *file;
	u32 events;
	u64 data;
};

struct epoll {
	int n;
	struct epoll_item items[EPOLL_MAX];
};

/* Epoll objects come from a small static pool. */
static struct epoll epolls[8];
static bool epoll_used[8];

/* One step of a wait that ends at deadline (FOREVER: never); false when the
 * deadline has passed. */
static bool wait_step(u64 deadline, const char *what)
{
	/* an armed timerfd may become ready before the deadline */
	u64 wake = MIN(deadline, timerfd_next_expiry());

	if (deadline != FOREVER && plat_monotonic_ns() >= deadline)
		return false;
	if (wake == FOREVER && !netstack_active())
		panic("%s with nothing ready and no timeout would block forever (no network)",
		      what);
	netstack_wait(wake);
	return true;
}

static u64 deadline_after(s64 timeout_ns)
{
	return timeout_ns < 0 ? FOREVER : plat_monotonic_ns() + (u64)timeout_ns;
}

static long do_poll(long ufds, long nfds, s64 timeout_ns)
{
	struct pollfd *p = (struct pollfd *)ufds;
	u64 deadline = deadline_after(timeout_ns);

	if (nfds < 0 || nfds > MAX_FDS)
		return -EINVAL;
	if (!user_ok(ufds, nfds * sizeof(*p), true))
		return -EFAULT;
	netstack_poll();
	for (;;) {
		long ready = 0;

		for (long i = 0; i < nfds; i++) {
			struct file *f = fd_get(p[i].fd);

			p[i].revents = 0;
			if (p[i].fd < 0)
				continue;
			p[i].revents = f ? file_poll(f, p[i].events) : POLLNVAL;
			if (p[i].revents)
				ready++;
		}
		if (ready || !timeout_ns || !wait_step(deadline, "poll()"))
			return ready;
	}
}

SYSCALL(poll)
{
	return do_poll(a0, a1, a2 < 0 ? -1 : a2 * 1000000L);
}

/* A user timespec as ns (-1 for NULL); -EFAULT or -EINVAL on error. */
static s64 timespec_ns(long uts)
{
	const s64 *ts = (const s64 *)uts;

	if (!uts)
		return -1;
	if (!user_ok(uts, 16, false))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= NSEC)
		return -EINVAL;
	return ts[0] * NSEC + ts[1];
}

SYSCALL(ppoll)
{
	s64 t = timespec_ns(a2);

	if (t < -1)
		return t;
	return do_poll(a0, a1, t);
}

/* select/pselect6 over poll: fd_sets are bitmaps of 64-bit words. */
static long do_select(long n, long urd, long uwr, long uex, s64 timeout_ns)
{
	u64 *sets[3] = { (u64 *)urd, (u64 *)uwr, (u64 *)uex }, out[3][MAX_FDS / 64];
	static const short want[3] = { POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI };
	u64 deadline = deadline_after(timeout_ns);
	size_t bytes = (size_t)(n + 63) / 64 * 8;

	if (n < 0 || n > MAX_FDS)
		return -EINVAL;
	for (int k = 0; k < 3; k++) {
		if (sets[k] && !user_ok((long)sets[k], bytes, true))
			return -EFAULT;
	}
	netstack_poll();
	for (;;) {
		long ready = 0;

		memset(out, 0, sizeof(out));
		for (long fd = 0; fd < n; fd++) {
			struct file *f;

			for (int k = 0; k < 3; k++) {
				if (!sets[k] || !(sets[k][fd / 64] & (1UL << (fd % 64))))
					continue;
				if (!(f = fd_get(fd)))
					return -EBADF;
				if (file_poll(f, want[k]) & want[k]) {
					out[k][fd / 64] |= 1UL << (fd % 64);
					ready++;
				}
			}
		}
		if (ready || !timeout_ns || !wait_step(deadline, "select()")) {
			for (int k = 0; k < 3; k++) {
				if (sets[k])
					memcpy(sets[k], out[k], bytes);
			}
			return ready;
		}
	}
}

SYSCALL(select)
{
	const s64 *tv = (const s64 *)a4;

	if (a4 && !user_ok(a4, 16, false))
		return -EFAULT;
	if (a4 && (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000))
		return -EINVAL;
	return do_select(a0, a1, a2, a3, a4 ? tv[0] * NSEC + tv[1] * 1000 : -1);
}

SYSCALL(pselect6)
{
	s64 t = timespec_ns(a4);

	if (t < -1)
		return t;
	return do_select(a0, a1, a2, a3, t);
}

/* --- epoll ----------------------------------------------------------------- */

static short epoll_poll(struct file *f);

static void epoll_release(struct file *f)
{
	epoll_used[(struct epoll *)f->priv - epolls] = false;
}

static const struct file_ops epoll_ops = {
	.mode = 0600, /* an anonymous inode, as on Linux */
	.poll = epoll_poll,
	.release = epoll_release,
};

static long epoll_new(int flags)
{
	int i;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	for (i = 0; i < (int)ARRAY_SIZE(epolls) && epoll_used[i]; i++)
		;
	if (i == (int)ARRAY_SIZE(epolls))
		return -EMFILE;
	epoll_used[i] = true;
	epolls[i].n = 0;
	return fd_open(&epoll_ops, NULL, O_RDWR, &epolls[i], flags & EPOLL_CLOEXEC);
}

SYSCALL(epoll_create)
{
	return a0 <= 0 ? -EINVAL : epoll_new(0);
}

SYSCALL(epoll_create1)
{
	return epoll_new((int)a0);
}

static struct epoll_item *epoll_find(struct epoll *ep, int fd)
{
	for (int i = 0; i < ep->n; i++) {
		if (ep->items[i].fd == fd)
			return &ep->items[i];
	}
	return NULL;
}

/* Drops registrations whose descriptor was closed (or reused). */
static void epoll_prune(struct epoll *ep)
{
	for (int i = 0; i < ep->n;) {
		if (fd_get(ep->items[i].fd) != ep->items[i].file)
			ep->items[i] = ep->items[--ep->n];
		else
			i++;
	}
}

SYSCALL(epoll_ctl)
{
	struct file *ef = fd_get(a0), *f = fd_get(a2);
	const struct epoll_event *ev = (const struct epoll_event *)a3;
	struct epoll *ep;
	struct epoll_item *it;

	if (!ef || !f)
		return -EBADF;
	if (ef->ops != &epoll_ops || ef == f)
		return -EINVAL;
	if (!f->ops->poll)
		return -EPERM; /* as Linux: regular files cannot be watched */
	if (a1 != EPOLL_CTL_DEL && !user_ok(a3, sizeof(*ev), false))
		return -EFAULT;
	ep = ef->priv;
	epoll_prune(ep);
	it = epoll_find(ep, (int)a2);
	switch (a1) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		if (ep->n == EPOLL_MAX)
			return -ENOSPC;
		ep->items[ep->n++] = (struct epoll_item){ (int)a2, f, ev->events, ev->data };
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		it->events = ev->events;
		it->data = ev->data;
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		*it = ep->items[--ep->n];
		return 0;
	default: return -EINVAL;
	}
}

static u32 item_ready(struct epoll_item *it)
{
	u32 want = it->events & 0xffff;

	if (!want && !(it->events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE)))
		return 0; /* disarmed by EPOLLONESHOT */
	return (u32)(u16)file_poll(it->file, (short)want);
}

static short epoll_poll(struct file *f)
{
	struct epoll *ep = f->priv;

	epoll_prune(ep);
	for (int i = 0; i < ep->n; i++) {
		if (item_ready(&ep->items[i]))
			return POLLIN;
	}
	return 0;
}

static long do_epoll_wait(long epfd, long uev, long max, s64 timeout_ns)
{
	struct file *ef = fd_get(epfd);
	struct epoll_event *out = (struct epoll_event *)uev;
	u64 deadline = deadline_after(timeout_ns);
	struct epoll *ep;

	if (!ef)
		return -EBADF;
	if (ef->ops != &epoll_ops || max <= 0 || max > 65536)
		return -EINVAL;
	if (!user_ok(uev, (u64)max * sizeof(*out), true))
		return -EFAULT;
	ep = ef->priv;
	netstack_poll();
	for (;;) {
		long n = 0;

		epoll_prune(ep);
		for (int i = 0; i < ep->n && n < max; i++) {
			struct epoll_item *it = &ep->items[i];
			u32 r = item_ready(it);

			if (!r)
				continue;
			out[n].events = r;
			out[n].data = it->data;
			n++;
			if (it->events & EPOLLONESHOT)
				it->events &= ~0xffffu;
		}
		if (n || !timeout_ns || !wait_step(deadline, "epoll_wait()"))
			return n;
	}
}

SYSCALL(epoll_wait)
{
	return do_epoll_wait(a0, a1, a2, a3 < 0 ? -1 : a3 * 1000000L);
}

SYSCALL(epoll_pwait)
{
	return do_epoll_wait(a0, a1, a2, a3 < 0 ? -1 : a3 * 1000000L);
}

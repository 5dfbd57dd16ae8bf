/* sys_poll.c - waiting for descriptors: poll, ppoll, select, pselect6 and
 * the epoll family.
 *
 * Readiness comes from file_poll(): files and the console are always ready,
 * sockets ask net/sock.c, eventfds their counter, an epoll file whether any
 * registered descriptor is ready.  A wait is a sched_wait() whose condition
 * scans the descriptors (the scheduler re-checks it whenever something may
 * have changed: a frame, a write, another thread's call), so other threads
 * run meanwhile and an idle program sleeps.  A signal for a handler ends it
 * with EINTR; ppoll, pselect6 and epoll_pwait install their signal mask for
 * the wait.  EPOLLONESHOT disarms a registration after one report.
 *
 * EPOLLET: there are no per-file wakeup callbacks to see edges with, so an
 * edge-triggered registration reports an event once and then not again
 * while it stays true, until the program uses the descriptor (any call that
 * takes it bumps file.io_seq: the read that got EAGAIN, the write that
 * filled the buffer) or the event goes false in between.  That is what
 * edge-triggered programs rely on (Go's netpoller, nginx): no event is lost
 * after EAGAIN, and a socket that stays writable does not wake the waiter
 * again and again.  Scans look at descriptors with fd_peek(), which does
 * not count as a use.
 */
#include "errno.h"
#include "fd.h"
#include "kmem.h"
#include "syscall.h"
#include "netstack.h"
#include "sched.h"
#include "signal.h"
#include "../platform/platform.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLET (1u << 31)
#define EPOLLONESHOT (1u << 30)
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLL_MAX MAX_FDS /* registrations per epoll */
#define EPOLL_CHUNK 128 /* items per kmalloc'ed block (4 KiB) */
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

/* A registration: the open file is the one behind fd while its gen is
 * the same (epoll_prune drops it when the descriptor was closed, even when
 * its number and slot hold a new file). */
struct epoll_item {
	int fd;
	u32 events;
	u64 data;
	u32 gen; /* file->gen */
	u32 seen; /* EPOLLET: events reported and still true since */
	u32 seq; /* EPOLLET: file->io_seq when they were reported */
};

struct epoll {
	int n;
	struct epoll_item *chunk[EPOLL_MAX / EPOLL_CHUNK]; /* allocated as n grows */
};

_Static_assert(sizeof(struct epoll_item) * EPOLL_CHUNK <= KMEM_MAX, "an epoll chunk is too big");

static struct epoll_item *epoll_at(struct epoll *ep, int i)
{
	return &ep->chunk[i / EPOLL_CHUNK][i % EPOLL_CHUNK];
}

/* Epoll objects come from a small static pool. */
static struct epoll epolls[8];
static bool epoll_used[8];

static u64 deadline_after(s64 timeout_ns)
{
	return timeout_ns < 0 ? FOREVER : plat_monotonic_ns() + (u64)timeout_ns;
}

/* Waits until scan(w) finds something (its count), the timeout (0) or a
 * signal (-EINTR); timeout_ns 0 scans once, < 0 waits without end. */
static long wait_ready(sched_ready_fn scan, void *w, const long *found, s64 timeout_ns,
		       const char *what)
{
	long rc;

	if (!timeout_ns) {
		netstack_poll();
		scan(w);
		return *found;
	}
	rc = sched_wait(scan, w, deadline_after(timeout_ns), what);
	return rc == -EINTR ? -EINTR : rc ? 0 : *found;
}

struct poll_wait {
	struct pollfd *p;
	long nfds, ready;
};

static bool poll_scan(void *arg)
{
	struct poll_wait *w = arg;

	w->ready = 0;
	for (long i = 0; i < w->nfds; i++) {
		struct pollfd *p = &w->p[i];
		struct file *f = fd_peek(p->fd);

		p->revents = 0;
		if (p->fd < 0)
			continue;
		p->revents = f ? file_poll(f, p->events) : POLLNVAL;
		if (p->revents)
			w->ready++;
	}
	return w->ready > 0;
}

static long do_poll(long ufds, long nfds, s64 timeout_ns)
{
	struct poll_wait w = { (struct pollfd *)ufds, nfds, 0 };

	if (nfds < 0 || nfds > MAX_FDS)
		return -EINVAL;
	if (!user_ok(ufds, nfds * sizeof(struct pollfd), true))
		return -EFAULT;
	return wait_ready(poll_scan, &w, &w.ready, timeout_ns, "poll()");
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

/* The signal mask of ppoll/pselect6/epoll_pwait for the wait; 0 or -errno. */
static long wait_sigmask(long umask, long size)
{
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (!user_ok(umask, 8, false))
		return -EFAULT;
	signal_wait_mask(*(const u64 *)umask);
	return 0;
}

SYSCALL(ppoll)
{
	s64 t = timespec_ns(a2);
	long rc;

	if (t < -1)
		return t;
	rc = wait_sigmask(a3, a4);
	return rc ? rc : do_poll(a0, a1, t);
}

/* select/pselect6 over poll: fd_sets are bitmaps of 64-bit words. */
struct select_wait {
	long n, ready, err;
	u64 *sets[3], out[3][MAX_FDS / 64];
};

static bool select_scan(void *arg)
{
	static const short want[3] = { POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI };
	struct select_wait *w = arg;

	w->ready = 0;
	memset(w->out, 0, sizeof(w->out));
	for (long fd = 0; fd < w->n; fd++) {
		struct file *f;

		for (int k = 0; k < 3; k++) {
			if (!w->sets[k] || !(w->sets[k][fd / 64] & (1UL << (fd % 64))))
				continue;
			if (!(f = fd_peek(fd))) {
				w->err = -EBADF;
				return true;
			}
			if (file_poll(f, want[k]) & want[k]) {
				w->out[k][fd / 64] |= 1UL << (fd % 64);
				w->ready++;
			}
		}
	}
	return w->ready > 0;
}

static long do_select(long n, long urd, long uwr, long uex, s64 timeout_ns)
{
	struct select_wait w = { .n = n, .sets = { (u64 *)urd, (u64 *)uwr, (u64 *)uex } };
	size_t bytes = (size_t)(n + 63) / 64 * 8;
	long rc;

	if (n < 0 || n > MAX_FDS)
		return -EINVAL;
	for (int k = 0; k < 3; k++) {
		if (w.sets[k] && !user_ok((long)w.sets[k], bytes, true))
			return -EFAULT;
	}
	rc = wait_ready(select_scan, &w, &w.ready, timeout_ns, "select()");
	if (w.err)
		return w.err;
	if (rc < 0)
		return rc;
	for (int k = 0; k < 3; k++) {
		if (w.sets[k])
			memcpy(w.sets[k], w.out[k], bytes);
	}
	return rc;
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
	/* the sixth argument is { const sigset_t *ss; size_t ss_len; } */
	const u64 *sm = (const u64 *)a5;
	s64 t = timespec_ns(a4);
	long rc;

	if (t < -1)
		return t;
	if (sm && !user_ok(a5, 16, false))
		return -EFAULT;
	rc = sm ? wait_sigmask((long)sm[0], (long)sm[1]) : 0;
	return rc ? rc : do_select(a0, a1, a2, a3, t);
}

/* --- epoll ----------------------------------------------------------------- */

static short epoll_poll(struct file *f);

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;

	for (size_t i = 0; i < ARRAY_SIZE(ep->chunk); i++) {
		kfree(ep->chunk[i], sizeof(struct epoll_item) * EPOLL_CHUNK);
		ep->chunk[i] = NULL;
	}
	ep->n = 0;
	epoll_used[ep - epolls] = false;
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
		if (epoll_at(ep, i)->fd == fd)
			return epoll_at(ep, i);
	}
	return NULL;
}

/* Drops registrations whose descriptor was closed (or reused). */
static void epoll_prune(struct epoll *ep)
{
	for (int i = 0; i < ep->n;) {
		struct epoll_item *it = epoll_at(ep, i);
		struct file *f = fd_peek(it->fd);

		if (!f || f->gen != it->gen)
			*it = *epoll_at(ep, --ep->n);
		else
			i++;
	}
}

/* Registers fd: 0, -ENOSPC or -ENOMEM. */
static long epoll_add(struct epoll *ep, int fd, struct file *f, const struct epoll_event *ev)
{
	struct epoll_item **c = &ep->chunk[ep->n / EPOLL_CHUNK];

	if (ep->n == EPOLL_MAX)
		return -ENOSPC;
	if (!*c && !(*c = kmalloc(sizeof(struct epoll_item) * EPOLL_CHUNK)))
		return -ENOMEM;
	*epoll_at(ep, ep->n++) = (struct epoll_item){ fd, ev->events, ev->data, f->gen, 0, 0 };
	return 0;
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
		return epoll_add(ep, (int)a2, f, ev);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		it->events = ev->events;
		it->data = ev->data;
		it->seen = 0; /* as Linux: a modified registration reports anew */
		return 0;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		*it = *epoll_at(ep, --ep->n);
		return 0;
	default: return -EINVAL;
	}
}

/* The events of `it` true now. */
static u32 item_events(const struct epoll_item *it)
{
	u32 want = it->events & 0xffff;

	if (!want && !(it->events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE)))
		return 0; /* disarmed by EPOLLONESHOT */
	return (u32)(u16)file_poll(fd_peek(it->fd), (short)want);
}

/* What `it` has to report now (EPOLLET: the events not reported yet, see
 * the top of the file); `take` marks them reported. */
static u32 item_ready(struct epoll_item *it, bool take)
{
	const struct file *f = fd_peek(it->fd);
	u32 r = item_events(it), seen = it->seen, report;

	if (!(it->events & EPOLLET))
		return r;
	if (f->io_seq != it->seq)
		seen = 0; /* the program used the descriptor: everything true is news */
	seen &= r; /* events that went false may come again */
	report = r & ~seen;
	if (take) {
		it->seen = seen | report;
		it->seq = f->io_seq;
	}
	return report;
}

static short epoll_poll(struct file *f)
{
	struct epoll *ep = f->priv;

	epoll_prune(ep);
	for (int i = 0; i < ep->n; i++) {
		if (item_ready(epoll_at(ep, i), false))
			return POLLIN;
	}
	return 0;
}

struct epoll_wait {
	struct epoll *ep;
	struct epoll_event *out;
	long max, n;
};

static bool epoll_scan(void *arg)
{
	struct epoll_wait *w = arg;
	struct epoll *ep = w->ep;

	w->n = 0;
	epoll_prune(ep);
	for (int i = 0; i < ep->n && w->n < w->max; i++) {
		struct epoll_item *it = epoll_at(ep, i);
		u32 r = item_ready(it, true);

		if (!r)
			continue;
		w->out[w->n].events = r;
		w->out[w->n].data = it->data;
		w->n++;
		if (it->events & EPOLLONESHOT)
			it->events &= ~0xffffu;
	}
	return w->n > 0;
}

static long do_epoll_wait(long epfd, long uev, long max, s64 timeout_ns)
{
	struct file *ef = fd_get(epfd);
	struct epoll_wait w = { NULL, (struct epoll_event *)uev, max, 0 };
	long rc;

	if (!ef)
		return -EBADF;
	if (ef->ops != &epoll_ops || max <= 0 || max > 65536)
		return -EINVAL;
	if (!user_ok(uev, (u64)max * sizeof(struct epoll_event), true))
		return -EFAULT;
	w.ep = ef->priv;
	ef->refs++; /* another thread may close it meanwhile */
	rc = wait_ready(epoll_scan, &w, &w.n, timeout_ns, "epoll_wait()");
	if (--ef->refs == 0)
		file_put(ef);
	return rc;
}

SYSCALL(epoll_wait)
{
	return do_epoll_wait(a0, a1, a2, a3 < 0 ? -1 : a3 * 1000000L);
}

SYSCALL(epoll_pwait)
{
	long rc = wait_sigmask(a4, a5);

	return rc ? rc : do_epoll_wait(a0, a1, a2, a3 < 0 ? -1 : a3 * 1000000L);
}

/* sys_timerfd.c - timerfd_create, timerfd_settime, timerfd_gettime: a timer
 * behind a descriptor, readable (8 bytes: the expirations since the last
 * read) once it has expired.
 *
 * Expiry times are kept on the monotonic clock (a CLOCK_REALTIME deadline
 * is converted when the timer is set: the runtime's wall clock is never
 * stepped).  A timer's count is brought up to date whenever it is looked
 * at; an armed timer also holds a scheduler timer (sched.h) whose firing
 * wakes the waits (read, poll, epoll) that may now be ready.
 */
#include "errno.h"
#include "fd.h"
#include "kmem.h"
#include "sched.h"
#include "syscall.h"
#include "../platform/platform.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define TFD_NONBLOCK 04000
#define TFD_CLOEXEC 02000000
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define NSEC 1000000000UL

struct timerfd {
	struct sched_timer tm; /* first: fire() finds the timerfd from it */
	struct timerfd *next_fd;
	int clock;
	u64 next; /* monotonic ns of the next expiry; 0: disarmed */
	u64 interval;
	u64 expired; /* expirations not read yet */
};

static struct timerfd *timers;
static u64 next_ino = 0x40000;

/* Counts the expirations up to now. */
static void update(struct timerfd *t)
{
	u64 now = plat_monotonic_ns();

	if (!t->next || now < t->next)
		return;
	if (t->interval) {
		u64 n = 1 + (now - t->next) / t->interval;

		t->expired += n;
		t->next += n * t->interval;
	} else {
		t->expired++;
		t->next = 0;
	}
}

static void fire(struct sched_timer *tm);

/* Keeps the scheduler timer in step with t->next. */
static void arm(struct timerfd *t)
{
	if (t->next) {
		t->tm.fn = fire;
		sched_timer_add(&t->tm, t->next);
	} else if (t->tm.armed) {
		sched_timer_del(&t->tm);
	}
}

static void fire(struct sched_timer *tm)
{
	struct timerfd *t = (struct timerfd *)tm;

	update(t);
	arm(t); /* a periodic timer's next expiry */
	sched_wake();
}

static bool expired(void *arg)
{
	struct timerfd *t = arg;

	update(t);
	return t->expired;
}

static long timerfd_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct timerfd *t = f->priv;
	long rc;

	if (iov_total(iov, n) < 8)
		return -EINVAL;
	while (!expired(t)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		/* a disarmed timer never expires: the wait says so if nothing else can happen */
		rc = sched_wait(expired, t, t->next ? t->next : SCHED_FOREVER,
				"read() of a timerfd that is not armed");
		if (rc && rc != -ETIMEDOUT)
			return rc;
	}
	iov_copy_out(iov, n, &t->expired, 8);
	t->expired = 0;
	return 8;
}

static short timerfd_poll(struct file *f)
{
	return expired(f->priv) ? POLLIN : 0;
}

static void timerfd_release(struct file *f)
{
	struct timerfd **pp = &timers;

	if (((struct timerfd *)f->priv)->tm.armed)
		sched_timer_del(&((struct timerfd *)f->priv)->tm);
	while (*pp != f->priv)
		pp = &(*pp)->next_fd;
	*pp = ((struct timerfd *)f->priv)->next_fd;
	kfree(f->priv, sizeof(struct timerfd));
}

static void timerfd_stat(struct file *f, struct vnode *st)
{
	st->ino = next_ino; /* one anonymous inode for all, as on Linux */
}

static const struct file_ops timerfd_ops = {
	.mode = 0600,
	.read = timerfd_read,
	.poll = timerfd_poll,
	.release = timerfd_release,
	.stat = timerfd_stat,
	.kind = "anon_inode:[timerfd]",
};

SYSCALL(timerfd_create)
{
	struct timerfd *t;
	long fd;

	if (a0 != CLOCK_REALTIME && a0 != CLOCK_MONOTONIC && a0 != CLOCK_BOOTTIME &&
	    a0 != CLOCK_REALTIME_ALARM && a0 != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if (a1 & ~(long)(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	t = kmalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->clock = (int)a0;
	t->next_fd = timers;
	timers = t;
	fd = fd_open(&timerfd_ops, NULL, O_RDWR | (int)(a1 & TFD_NONBLOCK), t, a1 & TFD_CLOEXEC);
	return fd;
}

static struct timerfd *timer_of(long fd, long *err)
{
	return fd_priv(fd, &timerfd_ops, -EINVAL, err);
}

/* The timer's setting now as a struct itimerspec (interval, time left). */
static void get_spec(struct timerfd *t, s64 *spec)
{
	u64 now = plat_monotonic_ns(), left;

	update(t);
	left = t->next ? (t->next > now ? t->next - now : 1) : 0;
	spec[0] = (s64)(t->interval / NSEC);
	spec[1] = (s64)(t->interval % NSEC);
	spec[2] = (s64)(left / NSEC);
	spec[3] = (s64)(left % NSEC);
}

SYSCALL(timerfd_settime)
{
	struct timerfd *t = timer_of(a0, &a5);
	const s64 *nw = (const s64 *)a2;
	u64 value, now;

	if (!t)
		return a5;
	if (a1 & ~(long)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (!user_ok(a2, 32, false) || (a3 && !user_ok(a3, 32, true)))
		return -EFAULT;
	for (int i = 0; i < 4; i++) {
		if (nw[i] < 0 || ((i & 1) && nw[i] >= (s64)NSEC))
			return -EINVAL;
	}
	if (a3)
		get_spec(t, (s64 *)a3);
	t->interval = (u64)nw[0] * NSEC + (u64)nw[1];
	value = (u64)nw[2] * NSEC + (u64)nw[3];
	t->expired = 0;
	now = plat_monotonic_ns();
	if (!value) {
		t->next = 0;
	} else if (!(a1 & TFD_TIMER_ABSTIME)) {
		t->next = now + value;
	} else if (t->clock == CLOCK_REALTIME || t->clock == CLOCK_REALTIME_ALARM) {
		u64 wall = plat_wall_ns();

		t->next = value > wall ? now + (value - wall) : now;
	} else {
		t->next = value;
	}
	if (t->next == 0 && value)
		t->next = 1; /* an absolute time at boot: already due */
	arm(t);
	sched_wake();
	return 0;
}

SYSCALL(timerfd_gettime)
{
	struct timerfd *t = timer_of(a0, &a5);

	if (!t)
		return a5;
	if (!user_ok(a1, 32, true))
		return -EFAULT;
	get_spec(t, (s64 *)a1);
	return 0;
}

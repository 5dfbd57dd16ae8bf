/* sys_timer.c - timers that send signals: alarm, setitimer/getitimer
 * (ITIMER_REAL sends SIGALRM; ITIMER_VIRTUAL and ITIMER_PROF are kept and
 * reported but never fire: there is no CPU-time accounting), and the POSIX
 * timers (timer_create with SIGEV_SIGNAL, SIGEV_THREAD_ID or SIGEV_NONE on
 * the realtime and monotonic clocks).  Expiries run in the scheduler
 * (sched_timer), so an idle program with an armed timer sleeps until it. */
#include "errno.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
#include "../platform/platform.h"

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME 1
#define MAX_TIMERS 32
#define NSEC 1000000000UL
#define USEC 1000UL

struct ptimer {
	struct sched_timer tm;
	bool used;
	int clock, signo, notify, tid;
	u64 value; /* sigev_value */
	u64 interval; /* ns */
	u32 overrun, last_overrun;
};

static struct ptimer real_timer; /* ITIMER_REAL */
static u64 virt_prof[2][2]; /* ITIMER_VIRTUAL, ITIMER_PROF: interval, value (us) */
static struct ptimer ptimers[MAX_TIMERS];

static u64 now_ns(void)
{
	return plat_monotonic_ns();
}

/* An expiry: the signal, and the next one of a periodic timer. */
static void expired(struct sched_timer *tm)
{
	struct ptimer *p = (struct ptimer *)tm; /* tm is the first member */
	int id = p == &real_timer ? -1 : (int)(p - ptimers);

	if (p->interval)
		sched_timer_add(&p->tm, tm->deadline + p->interval);
	if (p->notify == SIGEV_NONE)
		return;
	if (id < 0) {
		struct k_siginfo i = sig_info(SIGALRM, SI_KERNEL, 0, 0);

		signal_send_process(SIGALRM, &i);
		return;
	}
	{
		struct thread *t = p->notify == SIGEV_THREAD_ID ? thread_find(p->tid) : NULL;
		u64 bit = SIG_BIT(p->signo);

		/* still pending from the last expiry: one more overrun */
		if (signal_pending_set(t ? t : cur_thread) & bit) {
			p->overrun++;
			return;
		}
		p->last_overrun = p->overrun;
		p->overrun = 0;
		{
			struct k_siginfo i = sig_info(
			    p->signo, SI_TIMER, (u64)id | (u64)p->last_overrun << 32, p->value);

			if (t)
				signal_send_thread(t, p->signo, &i);
			else
				signal_send_process(p->signo, &i);
		}
	}
}

/* --- setitimer / getitimer / alarm ------------------------------------------ */

struct k_itimerval {
	s64 int_sec, int_usec, val_sec, val_usec;
};

static u64 remaining(const struct ptimer *p)
{
	u64 now = now_ns();

	return p->tm.armed && p->tm.deadline > now ? p->tm.deadline - now : 0;
}

static void get_real(struct k_itimerval *v)
{
	u64 left = remaining(&real_timer);

	if (real_timer.tm.armed && !left)
		left = USEC; /* due but not yet run: never report "disarmed" */
	v->int_sec = (s64)(real_timer.interval / NSEC);
	v->int_usec = (s64)(real_timer.interval % NSEC / USEC);
	v->val_sec = (s64)(left / NSEC);
	v->val_usec = (s64)((left % NSEC + USEC - 1) / USEC);
	if (v->val_usec == 1000000) {
		v->val_sec++;
		v->val_usec = 0;
	}
}

static void set_real(u64 value_ns, u64 interval_ns)
{
	real_timer.tm.fn = expired;
	real_timer.notify = SIGEV_SIGNAL;
	real_timer.interval = interval_ns;
	if (value_ns)
		sched_timer_add(&real_timer.tm, now_ns() + value_ns);
	else if (real_timer.tm.armed)
		sched_timer_del(&real_timer.tm);
}

SYSCALL(getitimer)
{
	struct k_itimerval *v = (struct k_itimerval *)a1;

	if (a0 < 0 || a0 > ITIMER_PROF)
		return -EINVAL;
	if (!user_ok(a1, sizeof(*v), true))
		return -EFAULT;
	if (a0 == ITIMER_REAL) {
		get_real(v);
	} else {
		u64 *k = virt_prof[a0 - 1];

		*v = (struct k_itimerval){ (s64)(k[0] / 1000000), (s64)(k[0] % 1000000),
					   (s64)(k[1] / 1000000), (s64)(k[1] % 1000000) };
	}
	return 0;
}

SYSCALL(setitimer)
{
	const struct k_itimerval *nv = (const struct k_itimerval *)a1;
	struct k_itimerval *ov = (struct k_itimerval *)a2, n;

	if (a0 < 0 || a0 > ITIMER_PROF)
		return -EINVAL;
	if ((nv && !user_ok(a1, sizeof(*nv), false)) || (ov && !user_ok(a2, sizeof(*ov), true)))
		return -EFAULT;
	n = nv ? *nv : (struct k_itimerval){ 0, 0, 0, 0 };
	if (n.int_sec < 0 || n.val_sec < 0 || n.int_usec < 0 || n.int_usec >= 1000000 ||
	    n.val_usec < 0 || n.val_usec >= 1000000)
		return -EINVAL;
	if (ov)
		sys_getitimer(a0, a2, 0, 0, 0, 0);
	if (a0 == ITIMER_REAL) {
		set_real((u64)n.val_sec * NSEC + (u64)n.val_usec * USEC,
			 (u64)n.int_sec * NSEC + (u64)n.int_usec * USEC);
	} else {
		virt_prof[a0 - 1][0] = (u64)n.int_sec * 1000000 + (u64)n.int_usec;
		virt_prof[a0 - 1][1] = (u64)n.val_sec * 1000000 + (u64)n.val_usec;
	}
	return 0;
}

SYSCALL(alarm)
{
	struct k_itimerval old;
	long secs;

	get_real(&old);
	secs = old.val_sec + (old.val_usec >= 500000 || (!old.val_sec && old.val_usec));
	set_real((u64)(u32)a0 * NSEC, 0);
	return secs;
}

/* --- POSIX timers --------------------------------------------------------- */

struct k_sigevent {
	u64 value;
	s32 signo, notify;
	s32 tid; /* SIGEV_THREAD_ID */
	s32 pad[11];
};

struct k_itimerspec {
	s64 int_sec, int_nsec, val_sec, val_nsec;
};

static struct ptimer *ptimer_of(long id)
{
	return id >= 0 && id < MAX_TIMERS && ptimers[id].used ? &ptimers[id] : NULL;
}

SYSCALL(timer_create)
{
	const struct k_sigevent *ev = (const struct k_sigevent *)a1;
	struct k_sigevent e;
	int id;

	if (a0 != CLOCK_REALTIME && a0 != CLOCK_MONOTONIC && a0 != CLOCK_BOOTTIME)
		return -EINVAL;
	if ((ev && !user_ok(a1, 16, false)) || !user_ok(a2, 4, true))
		return -EFAULT;
	for (id = 0; id < MAX_TIMERS && ptimers[id].used; id++)
		;
	if (id == MAX_TIMERS)
		return -EAGAIN;
	e = ev ? *ev : (struct k_sigevent){ .value = (u64)id, .signo = SIGALRM };
	if (e.notify != SIGEV_SIGNAL && e.notify != SIGEV_NONE && e.notify != SIGEV_THREAD_ID)
		return -EINVAL;
	if (e.notify != SIGEV_NONE && (e.signo < 1 || e.signo >= NSIG))
		return -EINVAL;
	if (e.notify == SIGEV_THREAD_ID && !thread_find(e.tid))
		return -EINVAL;
	ptimers[id] = (struct ptimer){ .used = true,
				       .clock = (int)a0,
				       .signo = e.signo,
				       .notify = e.notify,
				       .tid = e.tid,
				       .value = e.value };
	ptimers[id].tm.fn = expired;
	*(s32 *)a2 = id;
	return 0;
}

static void get_spec(const struct ptimer *p, struct k_itimerspec *v)
{
	u64 left = remaining(p);

	if (p->tm.armed && !left)
		left = 1;
	*v = (struct k_itimerspec){ (s64)(p->interval / NSEC), (s64)(p->interval % NSEC),
				    (s64)(left / NSEC), (s64)(left % NSEC) };
}

SYSCALL(timer_settime)
{
	struct ptimer *p = ptimer_of(a0);
	const struct k_itimerspec *nv = (const struct k_itimerspec *)a2;
	struct k_itimerspec n;
	u64 value;

	if (!p)
		return -EINVAL;
	if (!user_ok(a2, sizeof(*nv), false) || (a3 && !user_ok(a3, sizeof(*nv), true)))
		return -EFAULT;
	n = *nv;
	if (n.int_sec < 0 || n.val_sec < 0 || (u64)n.int_nsec >= NSEC || (u64)n.val_nsec >= NSEC)
		return -EINVAL;
	if (a3)
		get_spec(p, (struct k_itimerspec *)a3);
	value = (u64)n.val_sec * NSEC + (u64)n.val_nsec;
	p->interval = (u64)n.int_sec * NSEC + (u64)n.int_nsec;
	p->overrun = 0;
	if (!value) {
		if (p->tm.armed)
			sched_timer_del(&p->tm);
		return 0;
	}
	if (a1 & TIMER_ABSTIME) {
		u64 now = p->clock == CLOCK_REALTIME ? plat_wall_ns() : now_ns();

		value = value > now ? value - now : 0;
	}
	sched_timer_add(&p->tm, now_ns() + value);
	return 0;
}

SYSCALL(timer_gettime)
{
	struct ptimer *p = ptimer_of(a0);

	if (!p)
		return -EINVAL;
	if (!user_ok(a1, sizeof(struct k_itimerspec), true))
		return -EFAULT;
	get_spec(p, (struct k_itimerspec *)a1);
	return 0;
}

SYSCALL(timer_getoverrun)
{
	struct ptimer *p = ptimer_of(a0);

	return p ? (long)p->last_overrun : -EINVAL;
}

SYSCALL(timer_delete)
{
	struct ptimer *p = ptimer_of(a0);

	if (!p)
		return -EINVAL;
	if (p->tm.armed)
		sched_timer_del(&p->tm);
	p->used = false;
	return 0;
}
